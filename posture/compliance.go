package posture

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/patchflow/patchflow/domain"
	"github.com/patchflow/patchflow/inventory"
	"github.com/patchflow/patchflow/report"
	"github.com/patchflow/patchflow/workflows"
)

// DefaultTrendLimit is how many of a policy's latest assessments the trend
// shows unless asked otherwise: a month of assessments every 6 hours.
const DefaultTrendLimit = 120

// PolicyScope is one policy a report covers. Spec is set when the policy
// file was given: its inventory then lists the hosts never assessed, and
// its SLA applies. Without it both come from the latest assessment.
type PolicyScope struct {
	Name       string
	Spec       *domain.CycleSpec
	KEVDueDate bool
}

// ComplianceOptions say what a compliance report covers.
type ComplianceOptions struct {
	// Policies in scope; none means every policy with an assessment.
	Policies []PolicyScope
	// TrendLimit bounds the trend points per policy (DefaultTrendLimit).
	TrendLimit int
	// StaleAfter, SourceMaxAge, TimeZone and Generator pass to the report.
	StaleAfter   time.Duration
	SourceMaxAge time.Duration
	TimeZone     string
	Generator    string
}

// Compliance gathers a compliance report's input: per policy, every host
// of its latest complete assessment with its missing fixes, the hosts it
// could not assess (failed shards and hosts, and every host when a later
// assessment failed as a whole), the hosts of its inventory it never
// assessed, one trend point per retained assessment, the advisory sources
// the latest one used, and the exceptions over those hosts. Notes say
// what could not be read; the report shows its effect (never compliant).
func (r *Reader) Compliance(ctx context.Context, opts ComplianceOptions) (report.ComplianceInput, []string, error) {
	in := report.ComplianceInput{GeneratedAt: r.now(), TimeZone: opts.TimeZone, Generator: opts.Generator,
		StaleAfter: opts.StaleAfter, SourceMaxAge: opts.SourceMaxAge, SLAs: map[string]report.SLA{}}
	scopes, err := r.inScope(ctx, opts.Policies)
	if err != nil {
		return in, nil, err
	}
	limit := opts.TrendLimit
	if limit <= 0 {
		limit = DefaultTrendLimit
	}
	g := &gatherer{r: r, invs: r.inventories(), sources: map[string]report.SourceInput{}, trend: map[time.Time]*report.TrendPoint{}}
	var invs []*inventory.Inventory
	for _, s := range scopes {
		inv, err := g.policy(ctx, s, limit, &in)
		if err != nil {
			return in, g.notes, err
		}
		if inv != nil {
			invs = append(invs, inv)
		}
		in.Policies = append(in.Policies, s.Name)
	}
	in.Sources = g.sourceInputs()
	for _, p := range g.trend {
		in.Trend = append(in.Trend, *p)
	}
	recs, err := r.Exceptions(ctx, true)
	if err != nil {
		g.note("risk exceptions not read, so none is shown or applied: %v", err)
	}
	hosts := map[string]bool{}
	for _, h := range in.Hosts {
		hosts[h.Host] = true
	}
	in.Exceptions = forReport(recs, invs, hosts)
	return in, g.notes, nil
}

// inScope returns scopes, or, when there are none, every policy with an
// assessment.
func (r *Reader) inScope(ctx context.Context, scopes []PolicyScope) ([]PolicyScope, error) {
	if len(scopes) > 0 {
		return scopes, nil
	}
	names, err := r.AssessedPolicies(ctx)
	if err != nil {
		return nil, err
	}
	if len(names) == 0 {
		return nil, errors.New("no assessment found: run patchflow assess -p POLICY first, or schedule one with patchflow schedule create --assess -p POLICY")
	}
	for _, n := range names {
		scopes = append(scopes, PolicyScope{Name: n})
	}
	return scopes, nil
}

// gatherer collects one report's facts across policies.
type gatherer struct {
	r       *Reader
	invs    *inventories
	notes   []string
	sources map[string]report.SourceInput
	// trend merges the points of assessments of several policies that
	// ended in the same second (one point per instant in the report).
	trend map[time.Time]*report.TrendPoint
}

// sourceInputs lists the advisory sources gathered (the report sorts them).
func (g *gatherer) sourceInputs() []report.SourceInput {
	return slices.Collect(maps.Values(g.sources))
}

func (g *gatherer) note(format string, args ...any) {
	g.notes = append(g.notes, fmt.Sprintf(format, args...))
}

// policy adds one policy's hosts, SLA and trend to in and returns the
// inventory its hosts were resolved in (nil when it was not read).
func (g *gatherer) policy(ctx context.Context, s PolicyScope, limit int, in *report.ComplianceInput) (*inventory.Inventory, error) {
	hist, err := g.r.Assessments(ctx, s.Name)
	if err != nil {
		return nil, err
	}
	latest, assessed := hist.Latest()
	spec, kev := s.Spec, s.KEVDueDate
	if assessed {
		// The policy file, when given, says today's SLA and inventory; the
		// assessment says how it treated KEV due dates.
		ai, err := g.r.AssessInput(ctx, latest)
		switch {
		case err != nil && spec == nil:
			g.note("policy %s: %v; its SLA and inventory are unknown here", s.Name, err)
		case err == nil:
			kev = kev || ai.KEVDueDate
			if spec == nil {
				spec = &ai.Spec
			}
		}
	}
	if spec == nil && len(hist.Runs) == 0 {
		return nil, fmt.Errorf("policy %s has no assessment: run patchflow assess -p POLICY-FILE, or give the policy file to list its hosts as never assessed", s.Name)
	}
	if spec != nil {
		in.SLAs[s.Name] = workflows.ReportSLA(spec.SLA, kev)
	}
	for _, run := range hist.Running() {
		g.note("policy %s: assessment %s is still running; this report rests on the previous one", s.Name, run.ID)
	}
	hosts := newHostSet(s.Name)
	if assessed {
		if err := g.latest(ctx, hist, latest, hosts, limit, in); err != nil {
			return nil, err
		}
	}
	for _, f := range hist.FailedAfter(latest) {
		hosts.failAll(f.Close, "assessment "+f.ID+" ended "+g.r.failureText(ctx, f))
	}
	var inv *inventory.Inventory
	if spec != nil {
		inv = g.neverAssessed(s.Name, *spec, hosts, hist.FailedAfter(latest))
	}
	in.Hosts = append(in.Hosts, hosts.list...)
	return inv, nil
}

// latest reads the latest complete assessment shard by shard, looks back
// for the hosts it could not assess, and adds the trend.
func (g *gatherer) latest(ctx context.Context, hist History, latest Execution, hosts *hostSet, limit int, in *report.ComplianceInput) error {
	res, err := g.r.Summary(ctx, latest)
	if err != nil {
		return err
	}
	for _, src := range res.Sources {
		if old, ok := g.sources[src.Name]; !ok || src.AsOf.After(old.AsOf) {
			g.sources[src.Name] = src
		}
	}
	err = g.r.EachShard(ctx, res, func(s Shard) error {
		if s.Result == nil {
			g.note("policy %s: assessment shard %s has no result (%s); its hosts show as assessment_failed", hosts.policy, s.ID, s.Failure)
			if len(s.Hosts) == 0 {
				g.note("policy %s: the hosts of shard %s are unknown here; they show as never assessed if the inventory lists them", hosts.policy, s.ID)
			}
		}
		for _, h := range complianceHosts(hosts.policy, s, nil) {
			hosts.add(h)
		}
		return nil
	})
	if err != nil {
		return err
	}
	runs := hist.Completed(limit)
	if err := g.lookBack(ctx, runs[1:], hosts); err != nil {
		return err
	}
	g.addPoint(res.Point)
	for _, run := range runs[1:] {
		sum, err := g.r.Summary(ctx, run)
		if err != nil {
			g.note("policy %s: trend point of %s not read: %v", hosts.policy, run.ID, err)
			continue
		}
		g.addPoint(sum.Point)
	}
	return nil
}

func (g *gatherer) addPoint(p report.TrendPoint) {
	at := p.At.UTC().Truncate(time.Second)
	old, ok := g.trend[at]
	if !ok {
		p.At = at
		g.trend[at] = &p
		return
	}
	old.Compliant += p.Compliant
	old.Noncompliant += p.Noncompliant
	old.NeverAssessed += p.NeverAssessed
	old.AssessmentFailed += p.AssessmentFailed
	old.StaleAssessment += p.StaleAssessment
	old.Exception += p.Exception
	for _, sev := range domain.Severities {
		old.Missing.Add(sev, p.Missing.Of(sev))
	}
}

// lookBack fills in, for each host whose latest attempt failed, the facts
// of its last complete assessment among runs (newest first), reading
// only until every such host is found.
func (g *gatherer) lookBack(ctx context.Context, runs []Execution, hosts *hostSet) error {
	want := hosts.failedNeverComplete()
	for _, run := range runs {
		if len(want) == 0 {
			return nil
		}
		res, err := g.r.Summary(ctx, run)
		if err != nil {
			g.note("policy %s: assessment %s not read: %v", hosts.policy, run.ID, err)
			continue
		}
		err = g.r.EachShard(ctx, res, func(s Shard) error {
			if s.Result == nil {
				return nil
			}
			for _, h := range complianceHosts(hosts.policy, s, want) {
				if h.Failure == nil && !h.LastAssessed.IsZero() {
					hosts.completeFrom(h)
					delete(want, h.Host)
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// neverAssessed adds the hosts a spec targets today that no assessment
// covered, and returns the inventory (nil when it could not be read here).
func (g *gatherer) neverAssessed(policy string, spec domain.CycleSpec, hosts *hostSet, failed []Execution) *inventory.Inventory {
	inv, err := g.invs.get(spec.Inventory.Source)
	if err != nil {
		g.note("policy %s: %v; hosts added to it since the last assessment are not listed", policy, err)
		return nil
	}
	t, err := resolveTargets(inv, spec)
	if err != nil {
		g.note("policy %s: its selectors do not resolve in inventory %s (%v); hosts never assessed are not listed", policy, spec.Inventory.Source, err)
		return inv
	}
	for _, h := range t.All() {
		if hosts.has(h) {
			continue
		}
		hi := report.HostInput{Host: h, Policy: policy}
		if len(failed) > 0 {
			hi.Failure = &report.AssessmentFailure{At: failed[0].Close, Error: "assessment " + failed[0].ID + " ended " + failed[0].StatusText() + " before assessing it"}
		}
		hosts.add(hi)
	}
	return inv
}
