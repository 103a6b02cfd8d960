package report

import (
	"fmt"
	"slices"
	"sort"
	"time"

	"github.com/patchflow/patchflow/domain"
)

// CycleEvidenceInput is what BuildCycleEvidence needs, read from the
// cycle's workflow histories and the assessments around it. Reboots,
// result counts and the timeline are derived.
type CycleEvidenceInput struct {
	GeneratedAt  time.Time
	TimeZone     string
	Generator    string
	SourceMaxAge time.Duration
	Sources      []SourceInput
	CycleID      string
	Policy       string
	State        CycleState
	StartedAt    time.Time
	// FinishedAt is required once State is a finished one.
	FinishedAt time.Time
	Before     []HostFindings
	Plan       Plan
	Approval   Approval
	// Waves with their hosts; a wave's Results are computed.
	Waves     []WaveEvidence
	Rollbacks []Rollback
	// Verify is the final verification, nil when the cycle did not reach it.
	Verify *FinalVerify
	// AfterAssessment names the assessment After comes from.
	AfterAssessment string
	After           []HostFindings
	Remediation     []HostRemediation
	// Hosts is every target's final state; Results are counted from it
	// when set.
	Hosts []CycleHost
}

// BuildCycleEvidence checks the input (every problem at once), sorts it
// and derives the reboots, result counts and timeline.
func BuildCycleEvidence(in CycleEvidenceInput) (*CycleEvidence, error) {
	var p problems
	h := headOf(&p, in.GeneratedAt, "set the time the evidence pack is made", in.TimeZone, in.Generator, in.Sources, in.SourceMaxAge)
	if in.CycleID == "" || in.Policy == "" {
		p.add("cycle_id and policy must not be empty")
	}
	if !in.State.Valid() {
		p.add("cycle state %q: want one of %v", excerpt(string(in.State)), domain.CycleStates)
	}
	if in.StartedAt.IsZero() {
		p.add("started_at is zero: the cycle's start time is required")
	}
	if in.State.Final() && in.FinishedAt.IsZero() {
		p.add("cycle is %s but finished_at is zero", in.State)
	}
	if !in.FinishedAt.IsZero() && in.FinishedAt.Before(in.StartedAt) {
		p.add("finished_at is before started_at")
	}
	e := &CycleEvidence{
		Kind:          KindCycleEvidence,
		SchemaVersion: SchemaVersion,
		GeneratedAt:   h.now,
		TimeZone:      h.zone,
		Generator:     h.generator,
		CycleID:       in.CycleID,
		Policy:        in.Policy,
		State:         in.State,
		StartedAt:     utc(in.StartedAt),
		FinishedAt:    utc(in.FinishedAt),
		Sources:       h.sources,
		Before:        buildFindings("before", in.Before, &p),
		Plan:          buildPlan(in.Plan, &p),
		Approval:      buildApproval(in.Approval, &p),
		Waves:         buildWaves(in.Waves, &p),
		Rollbacks:     buildRollbacks(in.Rollbacks, &p),
		Verify:        buildVerify(in.Verify, &p),
		After:         buildFindings("after", in.After, &p),
		Remediation:   buildRemediation(in.Remediation, &p),
		Hosts:         buildCycleHosts(in.Hosts, &p),
	}
	if in.AfterAssessment != "" || len(in.After) > 0 {
		e.AfterAssessment = in.AfterAssessment
		if e.AfterAssessment == "" {
			p.add("after: findings without the assessment they come from (after_assessment)")
		}
	}
	if err := p.err("build cycle evidence"); err != nil {
		return nil, err
	}
	e.Reboots = rebootsOf(e.Waves)
	e.Results = lastResults(e.Waves)
	if len(e.Hosts) > 0 {
		e.Results = countResults(e.Hosts, CycleHost.result)
	}
	e.Timeline = timelineOf(e)
	return e, nil
}

func buildFindings(what string, in []HostFindings, p *problems) []HostFindings {
	out := make([]HostFindings, 0, len(in))
	seen := map[string]bool{}
	for _, h := range in {
		if h.Host == "" || seen[h.Host] {
			p.add("%s: host %q empty or listed twice", what, excerpt(h.Host))
			continue
		}
		seen[h.Host] = true
		if h.AssessedAt.IsZero() && h.Error == "" {
			p.add("%s: host %q: neither assessed_at nor an error", what, excerpt(h.Host))
			continue
		}
		h.AssessedAt = utc(h.AssessedAt)
		fs := make([]Finding, 0, len(h.Findings))
		for i, f := range h.Findings {
			if err := checkFinding(&f); err != nil {
				p.add("%s: host %q, finding %d (%q): %v", what, excerpt(h.Host), i+1, excerpt(f.Package), err)
				continue
			}
			fs = append(fs, f)
		}
		sort.Slice(fs, func(i, j int) bool {
			a, b := fs[i], fs[j]
			if a.Severity.Rank() != b.Severity.Rank() {
				return a.Severity.Rank() > b.Severity.Rank()
			}
			return lessStrings([]string{a.Package, a.Arch, a.FixedVersion}, []string{b.Package, b.Arch, b.FixedVersion})
		})
		h.Findings = fs
		out = append(out, h)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Host < out[j].Host })
	return out
}

func buildPlan(in Plan, p *problems) Plan {
	out := Plan{CreatedAt: utc(in.CreatedAt), Entries: make([]PlanEntry, 0, len(in.Entries)), HistoryFrom: in.HistoryFrom}
	if h := out.HistoryFrom; h != nil {
		c := *h
		c.Since = utc(c.Since)
		out.HistoryFrom = &c
	}
	if in.CreatedAt.IsZero() && len(in.Entries) > 0 {
		p.add("plan: created_at is zero")
	}
	seen := map[string]bool{}
	for _, e := range in.Entries {
		k := e.Manager + "\x00" + e.Package
		switch {
		case e.Manager == "" || e.Package == "" || e.Version == "":
			p.add("plan entry %q: manager, package and version are required", excerpt(e.Package))
			continue
		case seen[k]:
			p.add("plan entry %q/%q listed twice: a plan pins one version per package", excerpt(e.Manager), excerpt(e.Package))
			continue
		case !e.Severity.Valid():
			p.add("plan entry %q: severity %q: want one of %v", excerpt(e.Package), excerpt(string(e.Severity)), domain.Severities)
			continue
		case e.Risk < 0 || e.Risk > 100 || e.Hosts < 0 || e.HistoryRisk < 0 || e.HistoryRisk > 100:
			p.add("plan entry %q: risk or history risk outside 0..100, or negative hosts", excerpt(e.Package))
			continue
		case e.History != nil && !validHistory(*e.History):
			p.add("plan entry %q: history: basis path or package, at least one run, failed and rolled back within the runs", excerpt(e.Package))
			continue
		}
		if e.History != nil {
			h := *e.History
			h.Paths = nonNilPaths(h.Paths)
			e.History = &h
		}
		seen[k] = true
		e.CVEs = nonNil(sortedUnique(e.CVEs))
		out.Entries = append(out.Entries, e)
	}
	sort.Slice(out.Entries, func(i, j int) bool {
		a, b := out.Entries[i], out.Entries[j]
		return lessStrings([]string{a.Manager, a.Package}, []string{b.Manager, b.Package})
	})
	return out
}

func buildApproval(a Approval, p *problems) Approval {
	a.At = utc(a.At)
	switch {
	case !a.Mode.Valid():
		p.add("approval mode %q: want one of %v", excerpt(string(a.Mode)), ApprovalModes)
	case a.Mode == ApprovalOperator && (a.By == "" || a.At.IsZero()):
		p.add("operator approval needs who (by) and when (at)")
	case a.Mode == ApprovalPlan && (a.PlanSHA256 == "" || a.At.IsZero()):
		p.add("approval by plan needs the plan's sha256 (plan_sha256) and when (at)")
	case (a.Mode == ApprovalAuto || a.Mode == ApprovalTimeout) && a.At.IsZero():
		p.add("%s approval needs when (at)", a.Mode)
	case a.Mode == ApprovalPending && (a.By != "" || !a.At.IsZero()):
		p.add("a pending approval has no approver or time")
	}
	a.RequestedAt = utc(a.RequestedAt)
	return a
}

func buildWaves(in []WaveEvidence, p *problems) []WaveEvidence {
	out := make([]WaveEvidence, 0, len(in))
	seen := map[int]bool{}
	for _, w := range in {
		if w.Index < 0 || seen[w.Index] {
			p.add("wave %d: negative or listed twice", w.Index)
			continue
		}
		seen[w.Index] = true
		w.StartedAt, w.FinishedAt = utc(w.StartedAt), utc(w.FinishedAt)
		if !w.FinishedAt.IsZero() && w.FinishedAt.Before(w.StartedAt) {
			p.add("wave %d: finished_at is before started_at", w.Index)
		}
		hosts := make([]WaveHost, 0, len(w.Hosts))
		hostSeen := map[string]bool{}
		for _, h := range w.Hosts {
			switch {
			case h.Host == "" || hostSeen[h.Host]:
				p.add("wave %d: host %q empty or listed twice", w.Index, excerpt(h.Host))
				continue
			case !h.Result.Valid():
				p.add("wave %d, host %q: result %q: want one of %v", w.Index, excerpt(h.Host), excerpt(string(h.Result)), HostResults)
				continue
			case !h.FinishedAt.IsZero() && h.FinishedAt.Before(h.StartedAt):
				p.add("wave %d, host %q: finished_at is before started_at", w.Index, excerpt(h.Host))
				continue
			}
			hostSeen[h.Host] = true
			h.StartedAt, h.FinishedAt, h.RebootedAt = utc(h.StartedAt), utc(h.FinishedAt), utc(h.RebootedAt)
			h.Installed = sortedPins(h.Installed)
			hosts = append(hosts, h)
		}
		sort.Slice(hosts, func(i, j int) bool { return hosts[i].Host < hosts[j].Host })
		w.Hosts = hosts
		w.Results = countResults(hosts, WaveHost.result)
		out = append(out, w)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Index < out[j].Index })
	return out
}

func buildRollbacks(in []Rollback, p *problems) []Rollback {
	out := make([]Rollback, 0, len(in))
	for _, r := range in {
		switch {
		case r.Host == "" || r.At.IsZero():
			p.add("rollback of host %q: host and time are required", excerpt(r.Host))
			continue
		case r.Result != HostRolledBack && r.Result != HostNeedsRepair:
			p.add("rollback of host %q: result %q: want rolled_back or needs_repair", excerpt(r.Host), excerpt(string(r.Result)))
			continue
		}
		r.At = utc(r.At)
		r.To = sortedPins(r.To)
		out = append(out, r)
	}
	sort.Slice(out, func(i, j int) bool {
		if !out[i].At.Equal(out[j].At) {
			return out[i].At.Before(out[j].At)
		}
		return out[i].Host < out[j].Host
	})
	return out
}

func sortedPins(in []Pin) []Pin {
	out := slices.Clone(in)
	sort.Slice(out, func(i, j int) bool {
		return lessStrings([]string{out[i].Package, out[i].Version}, []string{out[j].Package, out[j].Version})
	})
	return out
}

func (h WaveHost) result() HostResult { return h.Result }

// countResults counts hosts per result, one entry per HostResults in
// order; result reads a host's.
func countResults[H any](hosts []H, result func(H) HostResult) []HostResultCount {
	n := map[HostResult]int{}
	for _, h := range hosts {
		n[result(h)]++
	}
	out := make([]HostResultCount, 0, len(HostResults))
	for _, r := range HostResults {
		out = append(out, HostResultCount{Result: r, Hosts: n[r]})
	}
	return out
}

// lastResults counts each host once, by its result in the last wave it
// ran in.
func lastResults(waves []WaveEvidence) []HostResultCount {
	last := map[string]WaveHost{}
	var order []string
	for _, w := range waves {
		for _, h := range w.Hosts {
			if _, ok := last[h.Host]; !ok {
				order = append(order, h.Host)
			}
			last[h.Host] = h
		}
	}
	hosts := make([]WaveHost, 0, len(order))
	for _, h := range order {
		hosts = append(hosts, last[h])
	}
	return countResults(hosts, WaveHost.result)
}

func rebootsOf(waves []WaveEvidence) []Reboot {
	out := []Reboot{}
	for _, w := range waves {
		for _, h := range w.Hosts {
			if !h.RebootedAt.IsZero() {
				out = append(out, Reboot{Host: h.Host, Wave: w.Index, At: h.RebootedAt})
			}
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if !out[i].At.Equal(out[j].At) {
			return out[i].At.Before(out[j].At)
		}
		return out[i].Host < out[j].Host
	})
	return out
}

// timelineOf lists the cycle's dated steps, oldest first; events at the
// same instant keep the order of the cycle's steps (waves in order, a
// host's rollback before its result).
func timelineOf(e *CycleEvidence) []Event {
	var ev []Event
	add := func(at time.Time, what EventKind, host string, wave *int, detail string) {
		if !at.IsZero() {
			ev = append(ev, Event{At: at, What: what, Host: host, Wave: wave, Detail: detail})
		}
	}
	add(e.StartedAt, EventCycleStarted, "", nil, "policy "+e.Policy)
	if at, n := latestAssessed(e.Before); n > 0 {
		add(at, EventAssessed, "", nil, fmt.Sprintf("%d hosts assessed before the cycle", n))
	}
	add(e.Plan.CreatedAt, EventPlanCreated, "", nil, fmt.Sprintf("%d packages pinned", len(e.Plan.Entries)))
	if e.Approval.Required != "" {
		add(e.Approval.RequestedAt, EventApprovalRequested, "", nil, e.Approval.Required)
	}
	if e.Approval.Mode != ApprovalPending {
		add(e.Approval.At, EventApproved, "", nil, approvedText(e.Approval))
	}
	rollbacks := func(wave int) {
		for _, r := range e.Rollbacks {
			if r.Wave == wave {
				wave := r.Wave
				add(r.At, EventRollback, r.Host, &wave, string(r.Result)+": "+r.Reason)
			}
		}
	}
	inWaves := map[int]bool{}
	for _, w := range e.Waves {
		idx := w.Index
		inWaves[idx] = true
		add(w.StartedAt, EventWaveStarted, "", &idx, fmt.Sprintf("wave %d %s: %d hosts", w.Index, w.Name, len(w.Hosts)))
		// A host's rollback comes before its result: a failed host is
		// rolled back, then waits for a decision.
		rollbacks(idx)
		for _, h := range w.Hosts {
			if h.Result != HostPatched {
				detail := string(h.Result)
				if h.Reason != "" {
					detail += ": " + h.Reason
				}
				add(h.FinishedAt, EventHostResult, h.Host, &idx, detail)
			}
		}
		add(w.FinishedAt, EventWaveFinished, "", &idx, fmt.Sprintf("wave %d %s finished", w.Index, w.Name))
	}
	for _, r := range e.Rollbacks {
		if !inWaves[r.Wave] {
			wave := r.Wave
			add(r.At, EventRollback, r.Host, &wave, string(r.Result)+": "+r.Reason)
		}
	}
	if v := e.Verify; v != nil {
		add(v.At, EventVerified, "", nil, fmt.Sprintf("%d patched hosts verified, %d failed", v.Hosts, len(v.Failed)))
	}
	add(e.FinishedAt, EventCycleFinished, "", nil, string(e.State))
	// The re-assessment is the first after the cycle ended.
	if at, n := latestAssessed(e.After); n > 0 {
		add(at, EventReassessed, "", nil, fmt.Sprintf("%d hosts re-assessed by %s", n, e.AfterAssessment))
	}
	// Times have one-second resolution: events of the same second keep
	// the order they happen in, the order they were added above.
	sort.SliceStable(ev, func(i, j int) bool { return ev[i].At.Before(ev[j].At) })
	if ev == nil {
		ev = []Event{}
	}
	return ev
}

func latestAssessed(h []HostFindings) (time.Time, int) {
	var at time.Time
	n := 0
	for _, f := range h {
		if !f.AssessedAt.IsZero() {
			n++
			if f.AssessedAt.After(at) {
				at = f.AssessedAt
			}
		}
	}
	return at, n
}
