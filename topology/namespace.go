package topology

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	namespacepb "go.temporal.io/api/namespace/v1"
	"go.temporal.io/api/operatorservice/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"google.golang.org/protobuf/types/known/durationpb"
)

// NamespaceSpec is what patchflow needs of its namespace on a self-hosted
// cluster.
type NamespaceSpec struct {
	Name      string
	Retention time.Duration
	// SearchAttributes are registered as Keyword (workflows.SearchAttributes).
	SearchAttributes []string
}

// EnsureNamespace registers spec.Name with its retention, or updates the
// retention of an existing namespace, registers the missing search
// attributes and waits until a visibility query naming all of them is
// accepted, so a cycle started right after it returns is not refused. It
// retries while the frontend is still starting, until ctx ends. Every step
// is idempotent.
func EnsureNamespace(ctx context.Context, c client.Client, spec NamespaceSpec) error {
	if spec.Name == "" || spec.Retention <= 0 {
		return fmt.Errorf("ensure namespace: want a name and a positive retention, got %q and %v", spec.Name, spec.Retention)
	}
	steps := []struct {
		what string
		do   func(context.Context) error
	}{
		{"reach the frontend", func(ctx context.Context) error {
			_, err := c.CheckHealth(ctx, &client.CheckHealthRequest{})
			return err
		}},
		{"register namespace " + spec.Name, func(ctx context.Context) error { return registerNamespace(ctx, c, spec) }},
		{"register search attributes in namespace " + spec.Name, func(ctx context.Context) error { return addSearchAttributes(ctx, c, spec) }},
		{"use search attributes in namespace " + spec.Name, func(ctx context.Context) error { return querySearchAttributes(ctx, c, spec) }},
	}
	for _, s := range steps {
		if err := retry(ctx, s.do); err != nil {
			return fmt.Errorf("%s: %w", s.what, err)
		}
	}
	return nil
}

func registerNamespace(ctx context.Context, c client.Client, spec NamespaceSpec) error {
	desc, err := c.WorkflowService().DescribeNamespace(ctx, &workflowservice.DescribeNamespaceRequest{Namespace: spec.Name})
	var notFound *serviceerror.NamespaceNotFound
	switch {
	case errors.As(err, &notFound):
		_, err = c.WorkflowService().RegisterNamespace(ctx, &workflowservice.RegisterNamespaceRequest{
			Namespace:                        spec.Name,
			Description:                      "patchflow",
			WorkflowExecutionRetentionPeriod: durationpb.New(spec.Retention),
		})
		var exists *serviceerror.NamespaceAlreadyExists
		if errors.As(err, &exists) {
			return errRetry // registered meanwhile: describe it again
		}
		return err
	case err != nil:
		return err
	}
	if desc.GetConfig().GetWorkflowExecutionRetentionTtl().AsDuration() == spec.Retention {
		return nil
	}
	_, err = c.WorkflowService().UpdateNamespace(ctx, &workflowservice.UpdateNamespaceRequest{
		Namespace: spec.Name,
		Config: &namespacepb.NamespaceConfig{
			WorkflowExecutionRetentionTtl: durationpb.New(spec.Retention),
		},
	})
	return err
}

func addSearchAttributes(ctx context.Context, c client.Client, spec NamespaceSpec) error {
	list, err := c.OperatorService().ListSearchAttributes(ctx, &operatorservice.ListSearchAttributesRequest{Namespace: spec.Name})
	if err != nil {
		return err
	}
	missing := map[string]enumspb.IndexedValueType{}
	for _, name := range spec.SearchAttributes {
		typ, ok := list.GetCustomAttributes()[name]
		if !ok {
			missing[name] = enumspb.INDEXED_VALUE_TYPE_KEYWORD
			continue
		}
		if typ != enumspb.INDEXED_VALUE_TYPE_KEYWORD {
			return permanent(fmt.Errorf("search attribute %s exists with type %s, patchflow needs Keyword: remove it (temporal operator search-attribute remove) and run this again", name, typ))
		}
	}
	if len(missing) == 0 {
		return nil
	}
	_, err = c.OperatorService().AddSearchAttributes(ctx, &operatorservice.AddSearchAttributesRequest{
		Namespace: spec.Name, SearchAttributes: missing,
	})
	var exists *serviceerror.AlreadyExists
	if errors.As(err, &exists) {
		return errRetry // another setup registered some: list again
	}
	return err
}

func querySearchAttributes(ctx context.Context, c client.Client, spec NamespaceSpec) error {
	names := append([]string(nil), spec.SearchAttributes...)
	sort.Strings(names)
	terms := make([]string, len(names))
	for i, n := range names {
		terms[i] = n + " = 'probe'"
	}
	_, err := c.CountWorkflow(ctx, &workflowservice.CountWorkflowExecutionsRequest{
		Namespace: spec.Name, Query: strings.Join(terms, " AND "),
	})
	return err
}
