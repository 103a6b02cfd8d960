package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/operatorservice/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"
	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/patchflow/patchflow/workflows"
)

// postureNamespace is where the posture tests run, on the package's one
// test server: a namespace of their own, with a worker of their own (the
// fake estate of posture_fleet_test.go), so "every assessed policy" means
// theirs, and the other tests' fake fleet is not touched.
const postureNamespace = "posture"

var postureTemporal struct {
	once  sync.Once
	c     client.Client
	fleet *postureFleet
	err   error
}

// postureServer returns a client of the posture namespace and its fake
// estate, registering the namespace and starting its worker the first time.
func postureServer(t *testing.T) (client.Client, *postureFleet) {
	t.Helper()
	ts, _ := temporalServer(t)
	postureTemporal.once.Do(func() {
		fleet := newPostureFleet(t)
		base := ts.GetDefaultClient()
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		_, err := base.WorkflowService().RegisterNamespace(ctx, &workflowservice.RegisterNamespaceRequest{
			Namespace: postureNamespace, WorkflowExecutionRetentionPeriod: durationpb.New(72 * time.Hour)})
		if err != nil {
			postureTemporal.err = fmt.Errorf("register namespace %s: %w", postureNamespace, err)
			return
		}
		attrs := map[string]enumspb.IndexedValueType{}
		for _, name := range workflows.SearchAttributes {
			attrs[name] = enumspb.INDEXED_VALUE_TYPE_KEYWORD
		}
		if _, err := base.OperatorService().AddSearchAttributes(ctx, &operatorservice.AddSearchAttributesRequest{
			SearchAttributes: attrs, Namespace: postureNamespace}); err != nil {
			postureTemporal.err = fmt.Errorf("register search attributes in %s: %w", postureNamespace, err)
			return
		}
		c, err := client.NewClientFromExisting(base, client.Options{Namespace: postureNamespace, Logger: quietSDKLogger()})
		if err != nil {
			postureTemporal.err = err
			return
		}
		// A new namespace reaches every service's cache within seconds.
		for {
			_, err := c.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{Query: "WorkflowType = 'Assess'"})
			var nf *serviceerror.NamespaceNotFound
			if err == nil || !errors.As(err, &nf) {
				break
			}
			if ctx.Err() != nil {
				postureTemporal.err = fmt.Errorf("namespace %s never became usable: %w", postureNamespace, err)
				return
			}
			waitABit()
		}
		w := worker.New(c, workflows.TaskQueue, worker.Options{})
		// An advisory cache that does not exist: no synced feed, so the
		// estate's CVEs are the ones its fake scans name.
		fleet.register(w, c, "/nonexistent/patchflow-posture-advisories")
		if err := w.Start(); err != nil {
			postureTemporal.err = fmt.Errorf("start the posture worker: %w", err)
			return
		}
		postureTemporal.c, postureTemporal.fleet = c, fleet
	})
	if postureTemporal.err != nil {
		t.Fatal(postureTemporal.err)
	}
	return postureTemporal.c, postureTemporal.fleet
}

// runPosture executes the command tree like main does against the
// posture namespace and returns the exit code and both streams.
func runPosture(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	c, _ := postureServer(t)
	var out, errOut bytes.Buffer
	f := &Factory{IO: IOStreams{In: strings.NewReader(""), Out: &out, ErrOut: &errOut}, Version: "test",
		TemporalClient: func(context.Context) (client.Client, error) {
			return client.NewClientFromExisting(c, client.Options{Namespace: postureNamespace})
		}}
	code := Execute(f, args)
	return code, out.String(), errOut.String()
}
