package cli

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"

	"github.com/patchflow/patchflow/domain"
	"github.com/patchflow/patchflow/workflows"
)

// randomPolicy writes an inventory of n hosts (web1..webN, a random few
// labelled env=staging) and a policy over it with random waves (counts and
// percents), failure budget and staging; it returns the policy's path.
func randomPolicy(t *testing.T, rng *rand.Rand, n int) string {
	t.Helper()
	dir := t.TempDir()
	var inv strings.Builder
	inv.WriteString("[fleet]\n")
	for i := 1; i <= n; i++ {
		fmt.Fprintf(&inv, "web%d", i)
		// web1 always, so a staging by label selects a host.
		if i == 1 || rng.IntN(6) == 0 {
			inv.WriteString(" env=staging")
		}
		inv.WriteString("\n")
	}
	if err := os.WriteFile(filepath.Join(dir, "hosts.ini"), []byte(inv.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	var p strings.Builder
	p.WriteString("apiVersion: patchflow/v1\nkind: PatchPolicy\nmetadata: {name: prop}\ntargets:\n  inventory: hosts.ini\n  select: [group=fleet]\n")
	named := rng.Perm(n)[:min(n, 2)]
	switch rng.IntN(4) {
	case 1:
		fmt.Fprintf(&p, "  staging: {select: [env=staging], count: %d}\n", rng.IntN(3))
	case 2:
		fmt.Fprintf(&p, "  staging: {hosts: [%s]}\n", strings.Join(hostNames(named), ", "))
	case 3:
		fmt.Fprintf(&p, "  staging: {select: [env=staging], hosts: [web%d]}\n", 1+named[0])
	}
	// Waves that grow (as policy validation wants), sized for the fleet,
	// mixing counts and percents; the last repeats for the rest.
	p.WriteString("rollout:\n  waves:\n")
	prev := 1
	for i := range 1 + rng.IntN(4) {
		size := prev + rng.IntN(max(1, n/3))
		if rng.IntN(2) == 0 {
			fmt.Fprintf(&p, "    - {name: w%d, count: %d, max_parallel: %d, bake: %dm}\n", i+1, size, 1+rng.IntN(4), rng.IntN(3)*10)
			prev = size
			continue
		}
		percent := math.Ceil(float64(size)*1000/float64(n)) / 10
		w := domain.Wave{Percent: min(percent, 100)}
		fmt.Fprintf(&p, "    - {name: w%d, percent: %g, max_parallel: %d}\n", i+1, w.Percent, 1+rng.IntN(4))
		prev = w.Nominal(n)
	}
	budget := []string{"{}", fmt.Sprintf("{count: %d}", rng.IntN(5)), fmt.Sprintf("{percent: %g}", []float64{2.5, 9.2, 10, 34}[rng.IntN(4)]),
		fmt.Sprintf("{count: %d, percent: %g}", 1+rng.IntN(4), []float64{5, 9.2, 50}[rng.IntN(3)])}[rng.IntN(4)]
	fmt.Fprintf(&p, "  failure_budget: %s\n", budget)
	path := filepath.Join(dir, "prop.yaml")
	if err := os.WriteFile(path, []byte(p.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func hostNames(indices []int) []string {
	out := make([]string, len(indices))
	for i, k := range indices {
		out[i] = fmt.Sprintf("web%d", k+1)
	}
	return out
}

// explainJSON is `policy explain FILE --json`, decoded; ok is false when
// explain refused the policy (waves that do not fit, a staging that
// selects nothing).
func explainJSON(t *testing.T, file string) (PolicyExplainResult, string, bool) {
	t.Helper()
	var out, errOut bytes.Buffer
	opts := &PolicyExplainOptions{IO: IOStreams{Out: &out, ErrOut: &errOut}, File: file, JSON: true, Now: time.Now}
	if err := policyExplainRun(opts); err != nil {
		return PolicyExplainResult{}, errOut.String(), false
	}
	var r PolicyExplainResult
	if err := json.Unmarshal(out.Bytes(), &r); err != nil {
		t.Fatalf("explain --json is not JSON: %v\n%s", err, out.String())
	}
	return r, "", true
}

// runCycle is one PatchCycle run in the SDK testsuite on the fake fleet,
// with the real ResolveTargets reading the policy's inventory: its result
// and the wave each host was patched in (0 = staging).
func runCycle(t *testing.T, spec domain.CycleSpec) (workflows.CycleResult, map[string]int) {
	t.Helper()
	var s testsuite.WorkflowTestSuite
	s.SetLogger(quietSDKLogger())
	env := s.NewTestWorkflowEnvironment()
	newFakeFleet().register(env, nil)
	waveOf := map[string]int{}
	env.SetOnChildWorkflowStartedListener(func(info *workflow.Info, _ workflow.Context, args converter.EncodedValues) {
		if info.WorkflowType.Name != "HostPatch" {
			return
		}
		var in workflows.HostPatchInput
		if args.Get(&in) == nil {
			waveOf[in.Host] = in.Wave
		}
	})
	env.SetStartWorkflowOptions(client.StartWorkflowOptions{ID: workflows.CycleID(spec.Policy, time.Now()), TaskQueue: workflows.TaskQueue})
	env.ExecuteWorkflow(workflows.PatchCycle, workflows.CycleInput{Spec: spec})
	if !env.IsWorkflowCompleted() {
		t.Fatal("the cycle did not complete")
	}
	var res workflows.CycleResult
	if err := env.GetWorkflowError(); err != nil {
		var ok bool
		if res, ok = workflows.ResultOf(err); !ok {
			t.Fatalf("cycle error without a result: %v", err)
		}
	} else if err := env.GetWorkflowResult(&res); err != nil {
		t.Fatal(err)
	}
	return res, waveOf
}

// TestExplainShowsWhatTheCycleRuns is the property `policy explain`
// promises: for random policies (waves of counts and percents, budgets,
// staging by label, by name and capped) over random fleets, the staging
// hosts, the hosts and size of every wave and the failure budget explain
// shows are what a cycle of the same spec runs: the real PatchCycle, Wave
// and HostPatch workflows, with the real ResolveTargets reading the same
// inventory, every host having an update to install.
func TestExplainShowsWhatTheCycleRuns(t *testing.T) {
	const want = 50
	checked, refused := 0, 0
	for seed := uint64(0); checked < want && seed < 4*want; seed++ {
		rng := rand.New(rand.NewPCG(seed, 1))
		n := 1 + rng.IntN(30)
		file := randomPolicy(t, rng, n)
		ex, why, ok := explainJSON(t, file)
		if !ok {
			refused++
			t.Logf("seed %d: explain refused the policy: %s", seed, strings.TrimSpace(why))
			continue
		}
		checked++
		res, waveOf := runCycle(t, ex.Spec)
		policy, _ := os.ReadFile(file)
		fail := func(format string, args ...any) {
			t.Helper()
			t.Errorf("seed %d, %d hosts: "+format+"\npolicy:\n%s", append(append([]any{seed, n}, args...), policy)...)
		}
		if res.State != domain.CycleCompleted {
			fail("cycle %s (%s), want completed", res.State, res.Reason)
			continue
		}
		ro := ex.Rollout
		if res.Budget != ex.FailureBudget.Effective || res.Budget != ro.Budget {
			fail("the cycle tolerates %d failures, explain shows %d", res.Budget, ex.FailureBudget.Effective)
		}
		want := map[string][]string{}
		if len(ro.Staging) > 0 {
			want["staging"] = ro.Staging
		}
		for i, w := range ro.Waves {
			want[fmt.Sprint(i+1)] = w.Hosts
			if w.Size != len(w.Hosts) {
				fail("explain's wave %s has size %d and %d hosts", w.Name, w.Size, len(w.Hosts))
			}
		}
		got := map[string][]string{}
		for _, st := range res.Stages {
			got[st.Stage] = st.Hosts
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			fail("the cycle's stages %v, explain shows %v", got, want)
		}
		// Where each host really was patched.
		ran := map[string][]string{}
		for h, w := range waveOf {
			k := fmt.Sprint(w)
			if w == 0 {
				k = "staging"
			}
			ran[k] = append(ran[k], h)
		}
		for k, hosts := range want {
			if !sameSet(ran[k], hosts) {
				fail("stage %s patched %v, explain shows %v", k, ran[k], hosts)
			}
		}
		if len(ran) != len(want) {
			fail("hosts were patched in stages %v, explain shows %v", ran, want)
		}
	}
	t.Logf("%d random policies checked against a cycle, %d refused by explain", checked, refused)
	if checked < want {
		t.Errorf("only %d random policies were accepted (%d refused); the generator makes too few valid ones to prove anything", checked, refused)
	}
}

func sameSet(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}

// TestExplainShowsWhatTheCycleRunsOnLargeFleets is the same property for
// fleets past the size whose stages a cycle lists by host name: a dry run
// of the real workflow sizes its staging and waves, and each stage's size
// and the budget must be explain's.
func TestExplainShowsWhatTheCycleRunsOnLargeFleets(t *testing.T) {
	for seed := uint64(1000); seed < 1008; seed++ {
		rng := rand.New(rand.NewPCG(seed, 1))
		n := 600 + rng.IntN(900)
		file := randomPolicy(t, rng, n)
		ex, why, ok := explainJSON(t, file)
		if !ok {
			t.Logf("seed %d: explain refused the policy: %s", seed, strings.TrimSpace(why))
			continue
		}
		spec := ex.Spec
		spec.DryRun = true
		res, _ := runCycle(t, spec)
		if res.State != domain.CyclePlanned || res.Budget != ex.FailureBudget.Effective {
			t.Errorf("seed %d, %d hosts: dry run %s (%s) tolerating %d, explain shows %d", seed, n, res.State, res.Reason, res.Budget, ex.FailureBudget.Effective)
			continue
		}
		var want, got []string
		if len(ex.Rollout.Staging) > 0 {
			want = append(want, fmt.Sprintf("staging=%d", len(ex.Rollout.Staging)))
		}
		for i, w := range ex.Rollout.Waves {
			want = append(want, fmt.Sprintf("%d=%d", i+1, w.Size))
		}
		for _, st := range res.Stages {
			got = append(got, fmt.Sprintf("%s=%d", st.Stage, st.Counts.Total))
		}
		if !slices.Equal(got, want) {
			t.Errorf("seed %d, %d hosts: the cycle's stages %v, explain shows %v", seed, n, got, want)
		}
	}
}
