package workflows

import (
	"fmt"
	"slices"
	"time"

	"go.temporal.io/sdk/workflow"

	"github.com/patchflow/patchflow/domain"
)

// hostsPerScanShard bounds the hosts one scan shard holds: its votes, the
// plan it receives and the refs it returns stay small payloads, and its
// history (the batches' tables) stays well inside Temporal's limits.
const hostsPerScanShard = 1000

// Signals between a cycle and its scan shards.
const (
	// signalScanVotes carries a shard's votes to the cycle (ShardVotes).
	signalScanVotes = "scan-votes"
	// signalPlan carries the plan's pins to a shard (ShardPlan).
	signalPlan = "plan"
)

// maxUnlikePins bounds the pins a shard describes per host.
const maxUnlikePins = 3

// ScanShardInput is one shard of a cycle's scan (workflow ID
// <cycle>/scan/<k>).
type ScanShardInput struct {
	CycleID        string        `json:"cycle_id"`
	Policy         string        `json:"policy"`
	Shard          int           `json:"shard"`
	Inventory      string        `json:"inventory"`
	Hosts          []string      `json:"hosts"`
	ScanParallel   int           `json:"scan_parallel,omitempty"`
	CommandTimeout time.Duration `json:"command_timeout,omitempty"`
	// Fingerprint also returns each planned host's fingerprint (the state
	// a reviewed plan is made from, or is checked against).
	Fingerprint bool `json:"fingerprint,omitempty"`
	// Plan, when set, is a plan made before the shard started (a reviewed
	// plan, or staging's): the shard votes nothing and waits for no plan.
	Plan *ShardPlan `json:"plan,omitempty"`
	// Rules, with Plan, are the policy's: pending updates the rules admit
	// but the plan does not hold come back as Unproven.
	Rules *domain.PatchRules `json:"rules,omitempty"`
	// Interactive is the policy's patches.interactive, for the scan
	// (ScanBatchInput.Interactive).
	Interactive []string `json:"interactive,omitempty"`
}

// ShardVotes is what a shard tells the cycle: the distinct pending updates
// of its hosts with their votes, and the hosts it could not scan.
type ShardVotes struct {
	Shard  int           `json:"shard"`
	Votes  []domain.Vote `json:"votes,omitempty"`
	Failed []HostProblem `json:"failed,omitempty"`
}

// ShardPlan is the plan's pins in entry order, as a shard needs them: by
// package manager kind and name.
type ShardPlan struct {
	Entries []PlanKey `json:"entries"`
}

// PlanKey names one plan entry, with the version it pins.
type PlanKey struct {
	Manager string `json:"manager"`
	Name    string `json:"name"`
	Version string `json:"version,omitempty"`
}

// PlannedHost is one host with something to patch and its pins, as
// positions in the plan.
type PlannedHost struct {
	Host string        `json:"host"`
	Refs domain.RefSet `json:"refs"`
	// Fingerprint is the host's state for its pins, and Kernel its
	// running kernel (Fingerprint mode).
	Fingerprint string `json:"fingerprint,omitempty"`
	Kernel      string `json:"kernel,omitempty"`
	// Unlike lists the host's pins whose installed or candidate version
	// is not what the pin expects (the candidate is not the pinned
	// version, or the pinned version is already installed), at most a
	// few, as "name: installed I, candidate C, the plan pins P": what a
	// reader needs to see why a plan no longer applies.
	Unlike []string `json:"unlike,omitempty"`
}

// ScanShardResult is where the plan leaves a shard's hosts: with pins,
// with nothing planned, or not scanned.
type ScanShardResult struct {
	Planned []PlannedHost `json:"planned,omitempty"`
	Nothing []string      `json:"nothing,omitempty"`
	Failed  []HostProblem `json:"failed,omitempty"`
	// Unproven are the distinct updates the rules admit that the plan
	// does not hold (with Rules): pending here, on no staging host.
	Unproven []domain.PlanSkip `json:"unproven,omitempty"`
}

// ScanShard scans its hosts in batches, sends the cycle its votes, waits
// for the plan, and returns each host's pins by reference. The per-host
// detail (every pending update of every host) stays in this shard's
// history; the cycle sees only votes (bounded by the distinct updates) and
// refs (a few bytes per host), so a cycle of any size keeps its own
// history and payloads small.
func ScanShard(ctx workflow.Context, in ScanShardInput) (ScanShardResult, error) {
	plan := in.Plan
	ch := workflow.GetSignalChannel(ctx, signalPlan)
	workflow.Go(ctx, func(ctx workflow.Context) {
		var p ShardPlan
		ch.Receive(ctx, &p)
		plan = &p
	})
	mode := scanForPlan
	if in.Fingerprint {
		mode = scanForFingerprint
	}
	table, _, failed := scanInBatches(ctx, in.Inventory, in.Hosts, in.ScanParallel, in.CommandTimeout, mode, in.Interactive)
	if in.Plan == nil {
		parent := workflow.GetInfo(ctx).ParentWorkflowExecution
		if parent == nil {
			return ScanShardResult{}, fmt.Errorf("scan shard %d of %s has no parent cycle", in.Shard, in.CycleID)
		}
		votes := ShardVotes{Shard: in.Shard, Votes: domain.VotesOf(&table), Failed: failed}
		if workflow.GetVersion(ctx, changeCompactVotes, workflow.DefaultVersion, 1) == 1 {
			votes.Votes = domain.CompactVotes(votes.Votes)
		}
		if err := workflow.SignalExternalWorkflow(ctx, parent.ID, "", signalScanVotes, votes).Get(ctx, nil); err != nil {
			return ScanShardResult{}, fmt.Errorf("send votes to %s: %w", parent.ID, err)
		}
		if err := workflow.Await(ctx, func() bool { return plan != nil }); err != nil {
			return ScanShardResult{}, err
		}
	}
	idx := map[string]int{}
	for i, e := range plan.Entries {
		idx[e.Manager+"\x00"+e.Name] = i
	}
	res := ScanShardResult{Failed: failed}
	if in.Rules != nil {
		res.Unproven = unproven(&table, idx, *in.Rules, workflow.Now(ctx))
	}
	for _, h := range table.Hosts {
		var refs []int
		var states []domain.PackageState
		var unlike []string
		for _, i := range h.Updates {
			u := table.Updates[i]
			e, ok := idx[u.Manager+"\x00"+u.Name]
			if !ok || slices.Contains(refs, e) {
				continue
			}
			refs = append(refs, e)
			states = append(states, domain.PackageState{Name: u.Name, Installed: u.Installed, Candidate: u.Candidate})
			if v := plan.Entries[e].Version; v != "" && (v != u.Candidate || v == u.Installed) && len(unlike) < maxUnlikePins {
				unlike = append(unlike, fmt.Sprintf("%s: installed %s, candidate %s, the plan pins %s", u.Name, u.Installed, u.Candidate, v))
			}
		}
		if len(refs) == 0 {
			res.Nothing = append(res.Nothing, h.Host)
			continue
		}
		ph := PlannedHost{Host: h.Host, Refs: domain.NewRefSet(refs)}
		if in.Fingerprint {
			fp, err := domain.Fingerprint(h.Host, h.RunningKernel, states)
			if err != nil {
				res.Failed = append(res.Failed, HostProblem{Host: h.Host, Problem: "fingerprint: " + err.Error()})
				continue
			}
			ph.Fingerprint, ph.Kernel, ph.Unlike = fp, h.RunningKernel, unlike
		}
		res.Planned = append(res.Planned, ph)
	}
	return res, nil
}

// unproven lists, once per package, the pending updates the rules admit
// that the plan (idx) does not hold.
func unproven(table *domain.PendingTable, idx map[string]int, rules domain.PatchRules, now time.Time) []domain.PlanSkip {
	var out []domain.PlanSkip
	seen := map[string]bool{}
	for _, u := range table.Updates {
		k := u.Manager + "\x00" + u.Name
		if _, planned := idx[k]; planned || seen[k] || u.Interactive != "" {
			continue // held back by an interactive patch: never planned
		}
		e := domain.PlanEntry{Manager: u.Manager, Name: u.Name, Version: u.Candidate, Class: u.Class, Vulns: u.Vulns, Since: u.Since}
		if rules.Admit(e) != "" || rules.Matured(e, now) != "" {
			continue
		}
		seen[k] = true
		out = append(out, domain.PlanSkip{Manager: u.Manager, Name: u.Name, Version: u.Candidate, Reason: reasonUnproven})
	}
	return out
}

// reasonUnproven is why an update pending only on production hosts is
// not planned.
const reasonUnproven = "pending on no staging host: not proven on staging"

// scanMode is what a scan reports beyond each host's pending updates.
type scanMode int

const (
	scanForPlan        scanMode = iota // pending updates only
	scanForFingerprint                 // and installed versions and the running kernel
	scanForAssessment                  // and the installed packages' exposures and reboot state
)

// scanInBatches scans hosts, a batch of hostsPerBatch per activity and a
// few batches at once, into one compact table (and, for an assessment,
// the exposures), with the hosts that could not be scanned.
func scanInBatches(ctx workflow.Context, inventory string, hosts []string, scanParallel int, cmdTimeout time.Duration, mode scanMode,
	interactive []string) (domain.PendingTable, domain.ExposureTable, []HostProblem) {
	assess := mode == scanForAssessment
	cmd := orDefaultDuration(cmdTimeout, domain.DefaultCommandTimeout)
	inFlight := max(1, orInt(scanParallel, domain.DefaultScanParallel)/batchParallel)
	factor := 3
	if assess {
		factor = 4 // the installed packages are assessed too
	}
	results, _ := runBatches(ctx, hosts, hostsPerBatch, inFlight,
		func(ctx workflow.Context, b []string) workflow.Future {
			actx := withActivity(ctx, actOptions{timeout: time.Duration(factor) * cmd * time.Duration(1+len(b)/batchParallel),
				summary: fmt.Sprintf("scan %d hosts: %s..%s", len(b), b[0], b[len(b)-1])})
			return workflow.ExecuteActivity(actx, ActScanHosts, ScanBatchInput{Inventory: inventory, Hosts: b,
				Refresh: true, Parallel: batchParallel, Assess: assess, Fingerprint: mode == scanForFingerprint, Interactive: interactive})
		},
		failedScanBatch)
	var table domain.PendingTable
	var exposures domain.ExposureTable
	var failed []HostProblem
	for _, r := range results {
		batchExp := domain.ExposureTable{Rows: r.Exposures}
		table.MergeWith(r.Table(), &exposures, &batchExp)
		failed = append(failed, r.Failed...)
	}
	return table, exposures, failed
}

func failedScanBatch(b []string, reason string) ScanBatchResult {
	var r ScanBatchResult
	for _, h := range b {
		r.Failed = append(r.Failed, HostProblem{Host: h, Problem: reason})
	}
	return r
}
