package workflows

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"go.temporal.io/sdk/workflow"

	"github.com/patchflow/patchflow/domain"
)

// A reviewed plan is made by a dry run (CycleInput.MakePlan), reviewed
// like code, and applied exactly by another cycle (CycleInput.Apply). The
// cycle that applies it scans its hosts again and refuses, changing no
// host, when any host's state is no longer the state the plan was made
// from; otherwise it runs the plan's pins and waves, not a new plan.

// MakePlan makes a dry run the source of a reviewed plan: its scan also
// fingerprints every planned host, and its result carries the plan
// (CycleResult.Reviewed).
type MakePlan struct {
	// PolicySHA256 is the sha256 of the policy file ("sha256:<hex>").
	PolicySHA256 string `json:"policy_sha256"`
}

// ApplyPlan is a reviewed plan to run exactly.
type ApplyPlan struct {
	// SHA256 is the plan file's sha256: the plan's identity, shown in the
	// status and the one an approval by plan must name.
	SHA256 string              `json:"sha256"`
	Plan   domain.ReviewedPlan `json:"plan"`
}

// maxDriftListed bounds the drifted hosts a refusal names inline (the
// hosts query lists them all).
const maxDriftListed = 10

func (in CycleInput) validatePlan() error {
	switch {
	case in.MakePlan != nil && in.Apply != nil:
		return fmt.Errorf("a cycle either makes a plan or applies one")
	case in.MakePlan != nil && !in.Spec.DryRun:
		return fmt.Errorf("a plan is made by a dry run")
	case in.Apply == nil:
		return nil
	case in.Spec.DryRun:
		return fmt.Errorf("a dry run applies no plan")
	}
	p := in.Apply.Plan
	if p.Policy != in.Spec.Policy {
		return fmt.Errorf("the plan is for policy %q, the cycle runs %q", p.Policy, in.Spec.Policy)
	}
	if n := p.Hosts(); n == 0 || n > domain.MaxReviewedHosts {
		return fmt.Errorf("the plan has %d hosts; a reviewed plan has 1 to %d", n, domain.MaxReviewedHosts)
	}
	for _, s := range p.Stages {
		for _, h := range s.Hosts {
			if h.Fingerprint == "" {
				return fmt.Errorf("host %s has no fingerprint: a plan never applies to an unknown state", h.Host)
			}
			if refs := h.Refs.Refs(); len(refs) == 0 || refs[len(refs)-1] >= len(p.Entries) {
				return fmt.Errorf("host %s pins entries outside the plan", h.Host)
			}
		}
	}
	return nil
}

// reviewed is the plan a dry run made for review, once it has sized its
// stages: every planned host in stage order with its pins and
// fingerprint.
func (c *cycleRun) reviewed() (*domain.ReviewedPlan, error) {
	if n := len(c.rollout.refs); n > domain.MaxReviewedHosts {
		return nil, fmt.Errorf("the plan has %d hosts; a reviewed plan has at most %d: plan a smaller selection of the fleet", n, domain.MaxReviewedHosts)
	}
	p := &domain.ReviewedPlan{Policy: c.spec.Policy, PolicySHA256: c.makePlan.PolicySHA256, Created: c.started,
		Source: c.st.CycleID, Entries: c.rollout.plan.Entries}
	stage := func(name string, hosts []string) {
		s := domain.PlanStage{Name: name, Hosts: make([]domain.PlanHost, len(hosts))}
		for i, h := range hosts {
			fp := c.rollout.fingerprints[h]
			s.Hosts[i] = domain.PlanHost{Host: h, Refs: fp.Refs, Fingerprint: fp.Fingerprint, Kernel: fp.Kernel}
		}
		p.Stages = append(p.Stages, s)
	}
	if len(c.rollout.staging) > 0 {
		stage(domain.StagingStage, c.rollout.staging)
	}
	for i, w := range c.rollout.waves {
		stage(strconv.Itoa(i+1), w)
	}
	return p, nil
}

// applyReviewed checks that the reviewed plan still applies (not too old;
// every host scanned again has the state it was planned from) and takes
// it as the cycle's plan and stages. It changes no host; when the plan no
// longer applies the reason names every drifted host (up to a few; the
// hosts query lists all of them).
func (c *cycleRun) applyReviewed(ctx workflow.Context) (targetHosts, string, bool) {
	plan := c.apply.Plan
	if why := domain.PlanExpired(plan.Created, workflow.Now(ctx), c.spec.Approval.PlanMaxAge); why != "" {
		return targetHosts{}, why, false
	}
	c.setState(ctx, domain.CycleScanning, "checking that plan "+c.apply.SHA256+" still applies")
	var hosts []string
	for _, s := range plan.Stages {
		for _, h := range s.Hosts {
			hosts = append(hosts, h.Host)
		}
	}
	keys := shardPlanOf(plan.Entries)
	shards := c.startScanShards(ctx, hosts, "check the plan on", ScanShardInput{Fingerprint: true, Plan: &keys})
	_ = workflow.Await(detached(ctx), shards.allEnded)
	if c.ctl.canceled {
		return targetHosts{}, "canceled while checking the plan", false
	}
	planned, _, failed := shards.outcome()
	now := make(map[string]PlannedHost, len(planned))
	for _, h := range planned {
		now[h.Host] = h
	}
	problems := make(map[string]string, len(failed))
	for _, f := range failed {
		problems[f.Host] = f.Problem
	}
	var drifted []string
	for _, s := range plan.Stages {
		for _, h := range s.Hosts {
			why := driftOf(plan.Entries, h, now[h.Host], problems[h.Host])
			if why == "" {
				continue
			}
			c.hosts.record(HostResult{Host: h.Host, State: domain.HostSkipped, Reason: "the plan no longer applies: " + why})
			drifted = append(drifted, h.Host+": "+why)
		}
	}
	if len(drifted) > 0 {
		listed := drifted[:min(len(drifted), maxDriftListed)]
		more := ""
		if len(drifted) > len(listed) {
			more = fmt.Sprintf("; and %d more (patchflow cycle hosts lists them)", len(drifted)-len(listed))
		}
		return targetHosts{}, fmt.Sprintf("plan %s no longer applies, no host was changed: %d of %d hosts changed since it was made: %s%s; make a new plan",
			c.apply.SHA256, len(drifted), len(hosts), strings.Join(listed, "; "), more), false
	}
	c.setPlan(ctx, domain.Plan{Entries: plan.Entries})
	var t targetHosts
	for _, s := range plan.Stages {
		for _, h := range s.Hosts {
			c.rollout.refs[h.Host] = h.Refs.Refs()
			if s.Name == domain.StagingStage {
				t.staging = append(t.staging, h.Host)
			} else {
				t.production = append(t.production, h.Host)
			}
		}
	}
	return t, "", true
}

// driftOf says how a host's state now differs from the state it was
// planned from; empty when it does not.
func driftOf(entries []domain.PlanEntry, was domain.PlanHost, now PlannedHost, problem string) string {
	switch {
	case problem != "":
		return "could not be scanned to check it (" + problem + ")"
	case now.Host == "":
		return "no update the plan pins is pending any more"
	case now.Fingerprint == was.Fingerprint:
		return ""
	}
	var why []string
	if now.Kernel != was.Kernel {
		why = append(why, fmt.Sprintf("running kernel now %s (the plan saw %s)", now.Kernel, was.Kernel))
	}
	before, after := was.Refs.Refs(), now.Refs.Refs()
	var gone, added []string
	for _, r := range before {
		if !slices.Contains(after, r) {
			gone = append(gone, entries[r].Name)
		}
	}
	for _, r := range after {
		if !slices.Contains(before, r) {
			added = append(added, entries[r].Name)
		}
	}
	if len(gone) > 0 {
		why = append(why, "no longer pending: "+listSome(gone))
	}
	if len(added) > 0 {
		why = append(why, "newly pending: "+listSome(added))
	}
	if len(why) == 0 {
		why = append(why, "installed or candidate versions of its planned packages changed")
	}
	if len(now.Unlike) > 0 {
		why = append(why, "now "+strings.Join(now.Unlike, "; "))
	}
	return strings.Join(why, "; ")
}

func listSome(names []string) string {
	if len(names) <= 5 {
		return strings.Join(names, ", ")
	}
	return strings.Join(names[:5], ", ") + fmt.Sprintf(" and %d more", len(names)-5)
}
