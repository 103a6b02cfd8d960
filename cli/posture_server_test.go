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

// postureSpaces are the namespaces of the posture tests and their
// estates, by name.
var postureSpaces struct {
	sync.Mutex
	m map[string]*postureSpace
}

type postureSpace struct {
	once  sync.Once
	c     client.Client
	fleet *postureFleet
	err   error
}

// postureServer returns a client of the posture namespace and its fake
// estate, registering the namespace and starting its worker the first time.
func postureServer(t *testing.T) (client.Client, *postureFleet) {
	t.Helper()
	return postureServerIn(t, postureNamespace)
}

// postureServerIn is postureServer for the namespace ns: tests whose
// exceptions or assessments must not show in the posture tests' lists
// (the JSON schema cases) run in a namespace of their own.
func postureServerIn(t *testing.T, ns string) (client.Client, *postureFleet) {
	t.Helper()
	ts, _ := temporalServer(t)
	postureSpaces.Lock()
	if postureSpaces.m == nil {
		postureSpaces.m = map[string]*postureSpace{}
	}
	sp := postureSpaces.m[ns]
	if sp == nil {
		sp = &postureSpace{}
		postureSpaces.m[ns] = sp
	}
	postureSpaces.Unlock()
	sp.once.Do(func() { sp.c, sp.fleet, sp.err = startPostureSpace(t, ts.GetDefaultClient(), ns) })
	if sp.err != nil {
		t.Fatal(sp.err)
	}
	return sp.c, sp.fleet
}

// startPostureSpace registers the namespace ns with patchflow's search
// attributes and starts its worker on a new fake estate.
func startPostureSpace(t *testing.T, base client.Client, ns string) (client.Client, *postureFleet, error) {
	fleet := newPostureFleet(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	_, err := base.WorkflowService().RegisterNamespace(ctx, &workflowservice.RegisterNamespaceRequest{
		Namespace: ns, WorkflowExecutionRetentionPeriod: durationpb.New(72 * time.Hour)})
	if err != nil {
		return nil, nil, fmt.Errorf("register namespace %s: %w", ns, err)
	}
	attrs := map[string]enumspb.IndexedValueType{}
	for _, name := range workflows.SearchAttributes {
		attrs[name] = enumspb.INDEXED_VALUE_TYPE_KEYWORD
	}
	if _, err := base.OperatorService().AddSearchAttributes(ctx, &operatorservice.AddSearchAttributesRequest{
		SearchAttributes: attrs, Namespace: ns}); err != nil {
		return nil, nil, fmt.Errorf("register search attributes in %s: %w", ns, err)
	}
	c, err := client.NewClientFromExisting(base, client.Options{Namespace: ns, Logger: quietSDKLogger()})
	if err != nil {
		return nil, nil, err
	}
	// A new namespace reaches every service's cache within seconds.
	for {
		_, err := c.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{Query: "WorkflowType = 'Assess'"})
		var nf *serviceerror.NamespaceNotFound
		if err == nil || !errors.As(err, &nf) {
			break
		}
		if ctx.Err() != nil {
			return nil, nil, fmt.Errorf("namespace %s never became usable: %w", ns, err)
		}
		waitABit()
	}
	w := worker.New(c, workflows.TaskQueue, worker.Options{})
	// An advisory cache that does not exist: no synced feed, so the
	// estate's CVEs are the ones its fake scans name.
	fleet.register(w, c, "/nonexistent/patchflow-posture-advisories")
	if err := w.Start(); err != nil {
		return nil, nil, fmt.Errorf("start the worker of namespace %s: %w", ns, err)
	}
	return c, fleet, nil
}

// runPosture executes the command tree like main does against the
// posture namespace and returns the exit code and both streams.
func runPosture(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	return runPostureIn(t, postureNamespace, args...)
}

// runPostureIn is runPosture against the namespace ns.
func runPostureIn(t *testing.T, ns string, args ...string) (int, string, string) {
	t.Helper()
	c, _ := postureServerIn(t, ns)
	var out, errOut bytes.Buffer
	f := &Factory{IO: IOStreams{In: strings.NewReader(""), Out: &out, ErrOut: &errOut}, Version: "test",
		TemporalClient: func(context.Context) (client.Client, error) {
			return client.NewClientFromExisting(c, client.Options{Namespace: ns})
		}}
	code := Execute(f, args)
	return code, out.String(), errOut.String()
}
