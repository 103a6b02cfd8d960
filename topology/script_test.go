package topology_test

import (
	"context"
	"encoding/json"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/operatorservice/v1"
	"go.temporal.io/api/workflowservice/v1"

	"github.com/patchflow/patchflow/topology"
	"github.com/patchflow/patchflow/workflows"
)

// TestScriptLifecycle runs deploy/local/topology as an operator would:
// start from nothing, status, start again (nothing changes), a killed
// worker brought back by start, a second topology refused on a busy port
// with the port named, stop, and a start that finds the same database.
func TestScriptLifecycle(t *testing.T) {
	topo, bringUp := startTopology(t, 2)
	t.Logf("bring-up from an empty state directory: %v (patchflow build %v, shared by the tests)", bringUp.Round(100*time.Millisecond), buildTime.Round(time.Second))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	c := dial(t, topo)

	status, err := topo.Status(ctx)
	if err != nil {
		t.Fatalf("status after start: %v\n%s", err, status)
	}
	for _, want := range []string{"postgresql       running", "temporal-server  running", "worker-1         running", "worker-2         running", topo.Address(), topo.MetricsURL(2)} {
		if !strings.Contains(status, want) {
			t.Errorf("status does not show %q:\n%s", want, status)
		}
	}

	ns, err := c.WorkflowService().DescribeNamespace(ctx, &workflowservice.DescribeNamespaceRequest{Namespace: topo.Namespace()})
	if err != nil {
		t.Fatal(err)
	}
	if got := ns.GetConfig().GetWorkflowExecutionRetentionTtl().AsDuration(); got != 720*time.Hour {
		t.Errorf("namespace retention %v, want 720h", got)
	}
	attrs, err := c.OperatorService().ListSearchAttributes(ctx, &operatorservice.ListSearchAttributesRequest{Namespace: topo.Namespace()})
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range workflows.SearchAttributes {
		if typ := attrs.GetCustomAttributes()[name]; typ != enumspb.INDEXED_VALUE_TYPE_KEYWORD {
			t.Errorf("search attribute %s: %v, want Keyword", name, typ)
		}
	}
	out, errOut, err := patchflow(t, topo, "cycle", "list", "--json")
	if err != nil || !json.Valid([]byte(out)) {
		t.Errorf("patchflow cycle list --json against the topology: %v\n%s%s", err, out, errOut)
	}
	pids := topo.WorkerPIDs()
	polling, err := topology.PollingPIDs(ctx, c, topo.Namespace(), workflows.TaskQueue, time.Now().Add(-time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if got := slices.Sorted(maps.Keys(pids)); !slices.Equal(polling, got) {
		t.Errorf("workers polling %s: %v, want the topology's workers %v", workflows.TaskQueue, polling, got)
	}

	t.Run("start again changes nothing", func(t *testing.T) {
		server, _ := topo.ServerPID()
		start := time.Now()
		if err := topo.Start(ctx); err != nil {
			t.Fatal(err)
		}
		t.Logf("start with everything running: %v", time.Since(start).Round(time.Millisecond))
		if again, _ := topo.ServerPID(); again != server {
			t.Errorf("server pid %d became %d", server, again)
		}
		if again := topo.WorkerPIDs(); !maps.Equal(again, pids) {
			t.Errorf("worker pids %v became %v", pids, again)
		}
	})

	t.Run("start applies a new retention", func(t *testing.T) {
		o := topo.Options()
		o.Retention = "240h"
		again, err := topology.New(o)
		if err != nil {
			t.Fatal(err)
		}
		if err := again.Start(ctx); err != nil {
			t.Fatal(err)
		}
		ns, err := c.WorkflowService().DescribeNamespace(ctx, &workflowservice.DescribeNamespaceRequest{Namespace: topo.Namespace()})
		if err != nil {
			t.Fatal(err)
		}
		if got := ns.GetConfig().GetWorkflowExecutionRetentionTtl().AsDuration(); got != 240*time.Hour {
			t.Errorf("retention after start with TOPOLOGY_RETENTION=240h: %v", got)
		}
		if err := topo.Start(ctx); err != nil { // back to the default
			t.Fatal(err)
		}
	})

	t.Run("an attribute of another type is named", func(t *testing.T) {
		// A namespace where PatchHost was registered as Text by hand.
		spec := topology.NamespaceSpec{Name: "tp-wrong-type", Retention: 24 * time.Hour, SearchAttributes: []string{"PatchHost"}}
		if err := topology.EnsureNamespace(ctx, c, spec); err != nil {
			t.Fatal(err)
		}
		_, err := c.OperatorService().AddSearchAttributes(ctx, &operatorservice.AddSearchAttributesRequest{
			Namespace: spec.Name, SearchAttributes: map[string]enumspb.IndexedValueType{"PatchPolicy": enumspb.INDEXED_VALUE_TYPE_TEXT},
		})
		if err != nil {
			t.Fatal(err)
		}
		spec.SearchAttributes = workflows.SearchAttributes
		err = topology.EnsureNamespace(ctx, c, spec)
		if err == nil || !strings.Contains(err.Error(), "PatchPolicy") || !strings.Contains(err.Error(), "Keyword") {
			t.Errorf("EnsureNamespace with PatchPolicy registered as Text: %v; want an error naming the attribute and the type it needs", err)
		}
	})

	t.Run("start brings back a killed worker", func(t *testing.T) {
		pid, err := topo.WorkerPID(2)
		if err != nil {
			t.Fatal(err)
		}
		if err := topology.Kill(ctx, pid); err != nil {
			t.Fatal(err)
		}
		if status, err := topo.Status(ctx); err == nil || !strings.Contains(status, "worker-2         stopped") {
			t.Errorf("status after kill -9 of worker 2: %v\n%s", err, status)
		}
		killed := time.Now()
		// The caller's shell may point the Temporal tools at another
		// cluster; the topology's processes must not follow it.
		t.Setenv("TEMPORAL_ADDRESS", "192.0.2.1:7233")
		t.Setenv("TEMPORAL_API_KEY", "not-this-cluster")
		if err := topo.Start(ctx); err != nil {
			t.Fatal(err)
		}
		again, err := topo.WorkerPID(2)
		if err != nil || again == pid {
			t.Fatalf("worker 2: pid %d (%v), want a new process", again, err)
		}
		// Start returns once the new worker polls; check it independently.
		polling, err := topology.PollingPIDs(ctx, c, topo.Namespace(), workflows.TaskQueue, killed)
		if err != nil || !slices.Contains(polling, again) {
			t.Errorf("new worker %d not polling after start: %v %v", again, polling, err)
		}
	})

	t.Run("a busy port is named", func(t *testing.T) {
		o := topo.Options()
		other, err := topology.New(topology.Options{
			Dir: stateDir(t), Cache: o.Cache, Patchflow: o.Patchflow, Workers: 1, TemporalPort: o.TemporalPort,
		})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = other.Stop(context.Background()) })
		err = other.Start(ctx)
		if err == nil || !strings.Contains(err.Error(), "Temporal frontend") || !strings.Contains(err.Error(), "TOPOLOGY_TEMPORAL_PORT") ||
			!strings.Contains(err.Error(), "port "+strings.TrimPrefix(topo.Address(), "127.0.0.1:")) {
			t.Errorf("second topology on the same Temporal port: %v; want an error naming the port, its role and TOPOLOGY_TEMPORAL_PORT", err)
		}
	})

	t.Run("stop, then start finds the same database", func(t *testing.T) {
		server, _ := topo.ServerPID()
		if err := topo.Stop(ctx); err != nil {
			t.Fatal(err)
		}
		status, err := topo.Status(ctx)
		if err == nil || strings.Contains(status, "running") {
			t.Errorf("status after stop: %v\n%s", err, status)
		}
		if _, err := topo.ServerPID(); err == nil {
			t.Errorf("server %d still runs after stop", server)
		}
		for pid := range pids {
			if _, err := topo.WorkerPID(pids[pid]); err == nil {
				t.Errorf("worker %d still runs after stop", pids[pid])
			}
		}
		start := time.Now()
		if err := topo.Start(ctx); err != nil {
			t.Fatal(err)
		}
		t.Logf("start from a stopped topology (database kept): %v", time.Since(start).Round(100*time.Millisecond))
		c := dial(t, topo)
		again, err := c.WorkflowService().DescribeNamespace(ctx, &workflowservice.DescribeNamespaceRequest{Namespace: topo.Namespace()})
		if err != nil {
			t.Fatal(err)
		}
		if again.GetNamespaceInfo().GetId() != ns.GetNamespaceInfo().GetId() {
			t.Errorf("namespace %s has ID %s after restart, was %s: the database was not kept", topo.Namespace(), again.GetNamespaceInfo().GetId(), ns.GetNamespaceInfo().GetId())
		}
	})
}
