package e2e

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/operatorservice/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/server/temporaltest"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/patchflow/patchflow/activities"
	"github.com/patchflow/patchflow/domain"
	"github.com/patchflow/patchflow/localfleet"
	"github.com/patchflow/patchflow/transport"
	"github.com/patchflow/patchflow/workflows"
)

// env is one real server, one worker with the real activities, and a fleet.
type env struct {
	t     *testing.T
	ts    *temporaltest.TestServer
	c     client.Client
	fleet *localfleet.Fleet
}

func newEnv(t *testing.T, hosts int) *env {
	e := newEnvNoWorker(t, hosts)
	e.ts.NewWorker(workflows.TaskQueue, func(r worker.Registry) { register(r, e.c) })
	return e
}

// newEnvNoWorker starts the fleet and the server; workers are started by
// the test (see worker_test.go for worker processes).
func newEnvNoWorker(t *testing.T, hosts int) *env {
	name, subnet := fleetName(t)
	return newEnvFleet(t, localfleet.Config{Name: name, Subnet: subnet, Hosts: hosts, Logf: t.Logf})
}

// fleetName is the fleet these tests start: "wf" on subnet 4, or
// PATCHFLOW_E2E_FLEET=name:subnet where several checkouts share a machine
// and each must keep to its own subnet.
func fleetName(t *testing.T) (string, int) {
	v := os.Getenv("PATCHFLOW_E2E_FLEET")
	if v == "" {
		return "wf", 4
	}
	name, n, ok := strings.Cut(v, ":")
	subnet, err := strconv.Atoi(n)
	if !ok || err != nil {
		t.Fatalf("PATCHFLOW_E2E_FLEET=%q: want name:subnet, for example ev:15", v)
	}
	return name, subnet
}

// newEnvMixed is newEnv with apt and dnf hosts.
func newEnvMixed(t *testing.T, apt, rpm int) *env {
	name, subnet := fleetName(t)
	e := newEnvFleet(t, localfleet.Config{Name: name, Subnet: subnet, Hosts: apt, RPMHosts: rpm, Logf: t.Logf})
	e.ts.NewWorker(workflows.TaskQueue, func(r worker.Registry) { register(r, e.c) })
	return e
}

func newEnvFleet(t *testing.T, cfg localfleet.Config) *env {
	t.Helper()
	localfleet.Require(t)
	f := localfleet.Start(t, cfg)
	ts := temporaltest.NewServer(temporaltest.WithT(t))
	c := ts.GetDefaultClient()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	attrs := map[string]enumspb.IndexedValueType{}
	for _, name := range workflows.SearchAttributes {
		attrs[name] = enumspb.INDEXED_VALUE_TYPE_KEYWORD
	}
	if _, err := c.OperatorService().AddSearchAttributes(ctx, &operatorservice.AddSearchAttributesRequest{
		SearchAttributes: attrs, Namespace: ts.GetDefaultNamespace(),
	}); err != nil {
		t.Fatalf("register search attributes: %v", err)
	}
	return &env{t: t, ts: ts, c: c, fleet: f}
}

// register adds the workflows and the real activities, as the worker
// package does for `patchflow worker`.
func register(r worker.Registry, c client.Client) {
	pool := transport.NewPool(transport.NewSSHDialer(transport.WithSSHConfigFile(""), transport.WithAgentSocket("")))
	workflows.Register(r)
	r.RegisterActivity(activities.New(activities.Deps{Pool: pool, Client: c, RebootPoll: 500 * time.Millisecond}))
}

// spec is the base policy of these tests: staging group, canary of one,
// then two waves at most two hosts at once, short bakes and timeouts.
func (e *env) spec(policy string) domain.CycleSpec {
	return domain.CycleSpec{
		Policy:    policy,
		Inventory: domain.InventorySpec{Source: e.fleet.InventoryPath, Select: []string{"group=fleet"}},
		Staging:   domain.StagingSpec{Select: []string{"group=staging"}, Bake: time.Second},
		Approval:  domain.ApprovalSpec{Mode: domain.ApprovalAuto},
		Waves: []domain.Wave{
			{Name: "canary", Count: 1, MaxParallel: 1, Bake: time.Second},
			{Name: "ramp", Count: 2, MaxParallel: 2, Bake: time.Second},
			{Name: "rest", Percent: 100, MaxParallel: 2},
		},
		Budget:         domain.Budget{MaxFailures: 1},
		OnBudgetBreach: domain.BreachRollbackAll,
		Host: domain.HostSteps{
			RollbackOnFailure: true,
			DecisionTimeout:   3 * time.Second,
			PreHooks:          []domain.Hook{{Name: "mark", Command: []string{"touch", "/tmp/patchflow-drained"}}},
		},
		Checks: []domain.Check{
			{Name: "dpkg-sane", Type: domain.CheckCommand, Command: []string{"dpkg", "--audit"}},
			{Name: "ssh", Type: domain.CheckTCP, Scope: domain.ScopeWave, Address: "{host}:22"},
		},
	}
}

// startCycle starts a cycle and returns its handle.
func (e *env) startCycle(spec domain.CycleSpec, start time.Time) client.WorkflowRun {
	e.t.Helper()
	return e.startInput(workflows.CycleInput{Spec: spec}, start)
}

// startInput starts a cycle with a full input (webhooks too).
func (e *env) startInput(in workflows.CycleInput, start time.Time) client.WorkflowRun {
	e.t.Helper()
	run, err := e.c.ExecuteWorkflow(context.Background(), client.StartWorkflowOptions{
		ID:            workflows.CycleID(in.Spec.Policy, start),
		TaskQueue:     workflows.TaskQueue,
		StaticSummary: "patch cycle of policy " + in.Spec.Policy,
	}, workflows.PatchCycle, in)
	if err != nil {
		e.t.Fatalf("start cycle: %v", err)
	}
	return run
}

// wait waits for a cycle's result and logs it.
func (e *env) wait(run client.WorkflowRun) workflows.CycleResult {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()
	var res workflows.CycleResult
	if err := run.Get(ctx, &res); err != nil {
		var ok bool
		if res, ok = workflows.ResultOf(err); !ok {
			e.t.Fatalf("cycle %s: %v", run.GetID(), err)
		}
	}
	e.t.Logf("cycle %s: %s (%s), counts %+v", run.GetID(), res.State, res.Reason, res.Counts)
	for _, o := range res.Hosts {
		e.t.Logf("  %s %s: %s %s", o.Host, o.Stage, o.State, o.Reason)
	}
	return res
}

// hosts returns every host's final report in a cycle, from its hosts
// query (the result lists only hosts that did not end patched).
func (e *env) hosts(id string) map[string]workflows.HostReport {
	e.t.Helper()
	page, err := workflows.AllHosts(context.Background(), e.c, id)
	if err != nil {
		e.t.Fatal(err)
	}
	out := map[string]workflows.HostReport{}
	for _, h := range page.Hosts {
		out[h.Host] = h
	}
	return out
}

// stages returns the hosts of each stage ("staging", "1", ...).
func stages(st workflows.CycleStatus) map[string][]string {
	out := map[string][]string{}
	for _, s := range st.Stages {
		out[s.Stage] = s.Hosts
	}
	return out
}

// runCycle starts a cycle and waits for its result.
func (e *env) runCycle(spec domain.CycleSpec, start time.Time) (string, workflows.CycleResult) {
	e.t.Helper()
	run := e.startCycle(spec, start)
	return run.GetID(), e.wait(run)
}

// status queries a cycle until cond holds or the deadline passes.
func (e *env) statusUntil(id string, within time.Duration, cond func(workflows.CycleStatus) bool) workflows.CycleStatus {
	e.t.Helper()
	deadline := time.Now().Add(within)
	var st workflows.CycleStatus
	for time.Now().Before(deadline) {
		v, err := e.c.QueryWorkflow(context.Background(), id, "", workflows.QueryStatus)
		if err == nil && v.Get(&st) == nil && cond(st) {
			return st
		}
		time.Sleep(100 * time.Millisecond)
	}
	e.t.Fatalf("cycle %s: condition not met within %v; last status %s wave %d (%s)", id, within, st.State, st.Wave, st.Reason)
	return st
}

// update sends a cycle update and returns its reply or the refusal.
func (e *env) update(id, name string, args ...any) (workflows.CycleReply, error) {
	var reply workflows.CycleReply
	h, err := e.c.UpdateWorkflow(context.Background(), client.UpdateWorkflowOptions{
		WorkflowID: id, UpdateName: name, Args: args, WaitForStage: client.WorkflowUpdateStageCompleted,
	})
	if err != nil {
		return reply, err
	}
	err = h.Get(context.Background(), &reply)
	return reply, err
}

// installed reads a package's version on a host from dpkg itself.
func (e *env) installed(host, pkg string) string {
	e.t.Helper()
	out, err := e.fleet.Exec(context.Background(), host, "dpkg-query", "-W", "-f=${db:Status-Abbrev}${Version}", pkg)
	if err != nil {
		e.t.Fatalf("dpkg-query %s on %s: %v: %s", pkg, host, err, out)
	}
	s := strings.TrimSpace(string(out))
	if !strings.HasPrefix(s, "ii") {
		return "not-ok:" + s
	}
	return strings.TrimSpace(s[3:])
}

// countWorkflows polls visibility until the query returns want workflows.
func (e *env) countWorkflows(query string, want int) int {
	e.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	n := -1
	for time.Now().Before(deadline) {
		resp, err := e.c.ListWorkflow(context.Background(), &workflowservice.ListWorkflowExecutionsRequest{
			Namespace: e.ts.GetDefaultNamespace(), Query: query})
		if err == nil {
			n = len(resp.GetExecutions())
			if n == want {
				return n
			}
		}
		time.Sleep(200 * time.Millisecond)
	}
	return n
}

// record writes a workflow's history to workflows/testdata when
// PATCHFLOW_RECORD=1, for the replay tests.
func (e *env) record(workflowID, file string) {
	e.t.Helper()
	if os.Getenv("PATCHFLOW_RECORD") != "1" {
		return
	}
	iter := e.c.GetWorkflowHistory(context.Background(), workflowID, "", false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	var events []json.RawMessage
	for iter.HasNext() {
		ev, err := iter.Next()
		if err != nil {
			e.t.Fatalf("history of %s: %v", workflowID, err)
		}
		b, err := protojson.Marshal(ev)
		if err != nil {
			e.t.Fatal(err)
		}
		events = append(events, b)
	}
	// workflowId is not part of a history; the replay test needs it to
	// rebuild child workflow IDs, and the history parser ignores it.
	data, err := json.MarshalIndent(map[string]any{"workflowId": workflowID, "events": events}, "", " ")
	if err != nil {
		e.t.Fatal(err)
	}
	path := filepath.Join("..", "testdata", file)
	if err := os.WriteFile(path, data, 0o644); err != nil {
		e.t.Fatal(err)
	}
	e.t.Logf("recorded %d events of %s in %s", len(events), workflowID, path)
}

// maxOverlap is the most hosts whose dpkg runs overlapped in time, from
// the hosts' own records, counting only runs that started after since.
func (e *env) maxOverlap(hosts []string, since time.Time) int {
	e.t.Helper()
	type edge struct {
		at    time.Time
		delta int
	}
	var edges []edge
	for _, h := range hosts {
		ivs, err := e.fleet.PackageOpTimes(h)
		if err != nil {
			e.t.Fatal(err)
		}
		for _, iv := range ivs {
			if iv.Start.Before(since) {
				continue
			}
			end := iv.End
			if end.IsZero() {
				end = time.Now()
			}
			edges = append(edges, edge{iv.Start, 1}, edge{end, -1})
		}
	}
	// Ends sort before starts at the same instant: touching runs do not overlap.
	sortEdges := func(a, b edge) int {
		if c := a.at.Compare(b.at); c != 0 {
			return c
		}
		return a.delta - b.delta
	}
	slices.SortFunc(edges, sortEdges)
	cur, most := 0, 0
	for _, ed := range edges {
		cur += ed.delta
		most = max(most, cur)
	}
	return most
}

func hostList(f *localfleet.Fleet) []string {
	var out []string
	for _, h := range f.Hosts {
		out = append(out, h.Name)
	}
	return out
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
