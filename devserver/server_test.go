package devserver_test

import (
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/patchflow/patchflow/devserver"
)

var attrs = []string{"PatchPolicy", "PatchHost"}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func start(t *testing.T, opts devserver.Options) *devserver.Server {
	t.Helper()
	srv, err := devserver.Start(context.Background(), opts)
	if err != nil {
		t.Fatalf("start dev server: %v", err)
	}
	return srv
}

// echo is a one-activity workflow that also upserts a search attribute, so
// the test proves registration and visibility on the SQLite store.
func echo(ctx workflow.Context, in string) (string, error) {
	key := temporal.NewSearchAttributeKeyKeyword("PatchHost")
	if err := workflow.UpsertTypedSearchAttributes(ctx, key.ValueSet(in)); err != nil {
		return "", err
	}
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{StartToCloseTimeout: 10 * time.Second})
	var out string
	err := workflow.ExecuteActivity(ctx, "Upper", in).Get(ctx, &out)
	return out, err
}

func upper(_ context.Context, s string) (string, error) { return strings.ToUpper(s), nil }

// TestStatePersistsAcrossRestarts runs a workflow through a real worker on
// the embedded server, restarts the server on the same SQLite file and finds
// the execution, its result and its search attribute again.
func TestStatePersistsAcrossRestarts(t *testing.T) {
	db := filepath.Join(t.TempDir(), "data", "temporal.db")
	port := freePort(t)
	opts := devserver.Options{Port: port, DBFile: db, SearchAttributes: attrs, Retention: 14 * 24 * time.Hour}
	srv := start(t, opts)

	c, err := client.Dial(client.Options{HostPort: srv.FrontendAddress()})
	if err != nil {
		t.Fatal(err)
	}
	w := worker.New(c, "test", worker.Options{})
	w.RegisterWorkflow(echo)
	w.RegisterActivityWithOptions(upper, activity.RegisterOptions{Name: "Upper"})
	if err := w.Start(); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	run, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: "persist-1", TaskQueue: "test"}, echo, "web-1")
	if err != nil {
		t.Fatalf("start workflow: %v", err)
	}
	var got string
	if err := run.Get(ctx, &got); err != nil || got != "WEB-1" {
		t.Fatalf("workflow result = %q, %v; want WEB-1", got, err)
	}
	w.Stop()
	c.Close()
	srv.Stop()

	srv = start(t, opts)
	defer srv.Stop()
	c, err = client.Dial(client.Options{HostPort: srv.FrontendAddress()})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	desc, err := c.DescribeWorkflowExecution(ctx, "persist-1", "")
	if err != nil {
		t.Fatalf("after restart, describe persist-1: %v", err)
	}
	if s := desc.WorkflowExecutionInfo.Status; s != enumspb.WORKFLOW_EXECUTION_STATUS_COMPLETED {
		t.Fatalf("after restart, status = %v, want completed", s)
	}
	if err := c.GetWorkflow(ctx, "persist-1", "").Get(ctx, &got); err != nil || got != "WEB-1" {
		t.Fatalf("after restart, result = %q, %v", got, err)
	}
	// Visibility (the list the UI shows) survives too, with the attribute.
	deadline := time.Now().Add(10 * time.Second)
	for {
		resp, err := c.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{Query: "PatchHost = 'web-1'"})
		if err == nil && len(resp.Executions) == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after restart, list PatchHost = 'web-1': %v, %v", resp, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	ns, err := c.WorkflowService().DescribeNamespace(ctx, &workflowservice.DescribeNamespaceRequest{Namespace: "default"})
	if err != nil {
		t.Fatal(err)
	}
	if got := ns.Config.WorkflowExecutionRetentionTtl.AsDuration(); got != 14*24*time.Hour {
		t.Fatalf("retention = %v, want 336h", got)
	}
}

func TestBusyPortIsNamed(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	port := l.Addr().(*net.TCPAddr).Port
	_, err = devserver.Start(context.Background(), devserver.Options{Port: port})
	var busy *devserver.PortInUseError
	if !errors.As(err, &busy) || busy.What != "Temporal frontend" || !strings.Contains(err.Error(), strconv.Itoa(port)) {
		t.Fatalf("start on busy port %d: err = %v, want PortInUseError naming the port", port, err)
	}
	_, err = devserver.Start(context.Background(), devserver.Options{Port: freePort(t), UIPort: port})
	if !errors.As(err, &busy) || busy.What != "Temporal UI" {
		t.Fatalf("start with busy UI port: err = %v, want PortInUseError for the UI", err)
	}
}

func TestUnwritableDataDir(t *testing.T) {
	// Root may write anywhere, so the test puts a file where the data
	// directory should be: that fails for every user.
	parent := filepath.Join(t.TempDir(), "not-a-dir")
	if err := os.WriteFile(parent, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	db := filepath.Join(parent, "temporal.db")
	_, err := devserver.Start(context.Background(), devserver.Options{Port: freePort(t), DBFile: db})
	if err == nil || !strings.Contains(err.Error(), parent) || !strings.Contains(err.Error(), "--db") {
		t.Fatalf("start with data dir under a file: err = %v, want the path and --db", err)
	}
}

// Options the server would refuse late, or that read as a busy port, are
// refused first, before the data directory or the database is created.
func TestBadOptionsRefusedBeforeAnything(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	db := filepath.Join(dir, "temporal.db")
	for _, tc := range []struct {
		opts devserver.Options
		want string
	}{
		{devserver.Options{IP: "999.1.1.1", Port: freePort(t), DBFile: db}, `listen address "999.1.1.1" is not an IP address such as 127.0.0.1`},
		{devserver.Options{Port: 99999, DBFile: db}, "frontend port must be 1-65535, got 99999"},
		{devserver.Options{Port: freePort(t), UIPort: 70000, DBFile: db}, "UI port must be 1-65535 (or 0 for no UI), got 70000"},
		{devserver.Options{Port: freePort(t), Retention: -time.Hour, DBFile: db}, "retention must be at least 1h0m0s, got -1h0m0s"},
	} {
		_, err := devserver.Start(context.Background(), tc.opts)
		if err == nil || err.Error() != tc.want {
			t.Errorf("Start(%+v) = %v, want %s", tc.opts, err, tc.want)
		}
		var busy *devserver.PortInUseError
		if errors.As(err, &busy) {
			t.Errorf("reported as a busy port: %v", err)
		}
	}
	if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("refused options created %s", dir)
	}
	// An address of another machine is not "in use".
	_, err := devserver.Start(context.Background(), devserver.Options{IP: "192.0.2.1", Port: freePort(t), DBFile: db})
	var busy *devserver.PortInUseError
	if err == nil || errors.As(err, &busy) || !strings.Contains(err.Error(), "is 192.0.2.1 an address of this machine?") {
		t.Errorf("foreign address: %v", err)
	}
}
