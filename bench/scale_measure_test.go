package bench

import (
	"context"
	"strings"
	"testing"
	"time"
)

// TestScaleMeasuresEveryHistory runs a small scale cycle on the embedded
// server (a real server, the sim worker in its own process) and checks
// what the benchmark reports: every host patched once with nothing left
// pending, the unreachable hosts failed with their scan failure, and a
// history measured for every workflow run (the cycle, its wave parts,
// one per host), the largest payload named with its run and event.
func TestScaleMeasuresEveryHistory(t *testing.T) {
	if testing.Short() {
		t.Skip("skipping in -short mode: runs a small cycle on the embedded server (about 10 s)")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	st, err := StartStack(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	res, err := Scale(ctx, st, ScaleConfig{Hosts: 40, MaxParallel: 20, Unreachable: 0.025, Logf: t.Logf})
	if err != nil {
		t.Fatalf("scale run: %v", err)
	}
	if res.Unreachable != 1 || res.Counts.Patched != 39 || res.Counts.Failed != 1 || res.Sim.PendingHosts != 0 {
		t.Errorf("outcome %d patched, %d failed, %d hosts with updates left; want 39, 1 (unreachable), 0", res.Counts.Patched, res.Counts.Failed, res.Sim.PendingHosts)
	}
	if res.Scan <= 0 || res.Verify <= 0 {
		t.Errorf("scan %v and final verify %v: want both measured from the scan shards' and verify batches' histories", res.Scan, res.Verify)
	}
	h := res.History
	if h == nil {
		t.Fatal("no history report")
	}
	var report strings.Builder
	PrintScale(&report, []ScaleResult{res})
	PrintHistories(&report, res)
	t.Log("\n" + report.String())
	// Wave parts: the fleet's scan shard, waves 1 and 2, the final verify.
	for kind, want := range map[string]int{KindCycle: 1, KindWave: 4, KindHost: 39} {
		if k := h.Kind(kind); k == nil || k.Runs != want || k.MaxEvents == 0 || k.MaxBytes == 0 {
			t.Errorf("%s runs measured: %+v, want %d with events and bytes", kind, k, want)
		}
	}
	p := h.LargestPayload()
	if p.Bytes < 1000 || p.EventID == 0 || p.WorkflowID == "" || p.What == "" {
		t.Errorf("largest payload %+v: want one of the scan results or wave inputs, named", p)
	}
	if !strings.HasPrefix(p.WorkflowID, res.CycleID) {
		t.Errorf("largest payload in %s, want a workflow of cycle %s (its scans, its waves)", p.WorkflowID, res.CycleID)
	}
	if len(h.Flags) > 0 {
		t.Errorf("limits passed at 40 hosts: %v", h.Flags)
	}
	if res.StatusQueryBytes == 0 || res.HostsQueryBytes == 0 {
		t.Errorf("query answers %d and %d bytes, want both measured", res.StatusQueryBytes, res.HostsQueryBytes)
	}
}
