package devserver

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	namespacepb "go.temporal.io/api/namespace/v1"
	"go.temporal.io/api/operatorservice/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	sdklog "go.temporal.io/sdk/log"
	"google.golang.org/protobuf/types/known/durationpb"
)

// configureNamespace sets the retention and makes sure every search
// attribute is registered and usable before Start returns: a database
// created by an older patchflow may lack one, and the server's namespace
// cache refreshes only every few seconds, so a workflow started at once
// could be refused.
func (s *Server) configureNamespace(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	c, err := s.dialReady(ctx)
	if err != nil {
		return err
	}
	defer c.Close()
	ns := s.opts.Namespace
	_, err = c.WorkflowService().UpdateNamespace(ctx, &workflowservice.UpdateNamespaceRequest{
		Namespace: ns,
		Config:    &namespacepb.NamespaceConfig{WorkflowExecutionRetentionTtl: durationpb.New(s.opts.Retention)},
	})
	if err != nil {
		return fmt.Errorf("set retention of namespace %s: %w", ns, err)
	}
	if len(s.opts.SearchAttributes) == 0 {
		return nil
	}
	list, err := c.OperatorService().ListSearchAttributes(ctx, &operatorservice.ListSearchAttributesRequest{Namespace: ns})
	if err != nil {
		return fmt.Errorf("list search attributes of namespace %s: %w", ns, err)
	}
	missing := map[string]enumspb.IndexedValueType{}
	for _, name := range s.opts.SearchAttributes {
		if _, ok := list.GetCustomAttributes()[name]; !ok {
			missing[name] = enumspb.INDEXED_VALUE_TYPE_KEYWORD
		}
	}
	if len(missing) > 0 {
		_, err = c.OperatorService().AddSearchAttributes(ctx, &operatorservice.AddSearchAttributesRequest{
			Namespace: ns, SearchAttributes: missing,
		})
		if err != nil {
			return fmt.Errorf("register search attributes in namespace %s: %w", ns, err)
		}
	}
	return s.waitSearchAttributesUsable(ctx, c)
}

// dialReady connects to the frontend, retrying while it finishes starting.
func (s *Server) dialReady(ctx context.Context) (client.Client, error) {
	for {
		c, err := client.DialContext(ctx, client.Options{
			HostPort:  s.FrontendAddress(),
			Namespace: s.opts.Namespace,
			Logger:    sdklog.NewStructuredLogger(slog.New(slog.DiscardHandler)),
		})
		if err == nil {
			if _, err = c.CheckHealth(ctx, &client.CheckHealthRequest{}); err == nil {
				return c, nil
			}
			c.Close()
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("embedded Temporal server at %s did not become ready: %w", s.FrontendAddress(), err)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// waitSearchAttributesUsable polls a visibility query naming every
// attribute until the frontend accepts it.
func (s *Server) waitSearchAttributesUsable(ctx context.Context, c client.Client) error {
	terms := make([]string, len(s.opts.SearchAttributes))
	for i, name := range s.opts.SearchAttributes {
		terms[i] = fmt.Sprintf("%s = 'probe'", name)
	}
	query := strings.Join(terms, " AND ")
	for {
		_, err := c.CountWorkflow(ctx, &workflowservice.CountWorkflowExecutionsRequest{
			Namespace: s.opts.Namespace, Query: query,
		})
		if err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("search attributes %s not usable in namespace %s: %w", strings.Join(s.opts.SearchAttributes, ", "), s.opts.Namespace, err)
		case <-time.After(200 * time.Millisecond):
		}
	}
}
