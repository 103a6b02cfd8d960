package workflows

import (
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"go.temporal.io/sdk/client"

	"github.com/patchflow/patchflow/domain"
)

// values is a metrics handler that keeps what was recorded: counter sums,
// the last gauge value and every timer duration, per name and tag set.
type values struct {
	mu       *sync.Mutex
	tags     map[string]string
	counters map[string]int64
	gauges   map[string]float64
	timers   map[string][]time.Duration
}

func newValues() *values {
	return &values{mu: &sync.Mutex{}, tags: map[string]string{}, counters: map[string]int64{},
		gauges: map[string]float64{}, timers: map[string][]time.Duration{}}
}

func (v *values) key(name string) string {
	var parts []string
	for k, val := range v.tags {
		parts = append(parts, k+"="+val)
	}
	sort.Strings(parts)
	return name + "{" + strings.Join(parts, ",") + "}"
}

func (v *values) WithTags(t map[string]string) client.MetricsHandler {
	n := *v
	n.tags = map[string]string{}
	for k, val := range v.tags {
		n.tags[k] = val
	}
	for k, val := range t {
		n.tags[k] = val
	}
	return &n
}

type valueSink struct {
	v   *values
	key string
}

func (s valueSink) Inc(d int64) {
	s.v.mu.Lock()
	defer s.v.mu.Unlock()
	s.v.counters[s.key] += d
}

func (s valueSink) Update(f float64) {
	s.v.mu.Lock()
	defer s.v.mu.Unlock()
	s.v.gauges[s.key] = f
}

func (s valueSink) Record(d time.Duration) {
	s.v.mu.Lock()
	defer s.v.mu.Unlock()
	s.v.timers[s.key] = append(s.v.timers[s.key], d)
}

func (v *values) Counter(name string) client.MetricsCounter { return valueSink{v, v.key(name)} }
func (v *values) Gauge(name string) client.MetricsGauge     { return valueSink{v, v.key(name)} }
func (v *values) Timer(name string) client.MetricsTimer     { return valueSink{v, v.key(name)} }

// matching returns the keys of name whose tags include every want pair.
func matching[T any](m map[string]T, name string, want ...string) []string {
	var keys []string
	for k := range m {
		if !strings.HasPrefix(k, name+"{") {
			continue
		}
		ok := true
		for _, w := range want {
			ok = ok && strings.Contains(k, w)
		}
		if ok {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	return keys
}

func (v *values) counter(name string, want ...string) int64 {
	v.mu.Lock()
	defer v.mu.Unlock()
	var n int64
	for _, k := range matching(v.counters, name, want...) {
		n += v.counters[k]
	}
	return n
}

// gauge returns the one gauge matching, and whether there is exactly one.
func (v *values) gauge(name string, want ...string) (float64, bool) {
	v.mu.Lock()
	defer v.mu.Unlock()
	keys := matching(v.gauges, name, want...)
	if len(keys) != 1 {
		return 0, false
	}
	return v.gauges[keys[0]], true
}

func (v *values) durations(name string, want ...string) []time.Duration {
	v.mu.Lock()
	defer v.mu.Unlock()
	var out []time.Duration
	for _, k := range matching(v.timers, name, want...) {
		out = append(out, v.timers[k]...)
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

var cycleStart = time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)

const day = 24 * time.Hour

// scanWithHistory makes ScanHosts report first-seen and published times,
// as the activity does from each host's first-seen file: per
// "host:package" the first-seen time, and the published time per package.
func scanWithHistory(c *cycleEnv, firstSeen map[string]time.Time, published map[string]time.Time) {
	c.fleet.mu.Lock()
	defer c.fleet.mu.Unlock()
	c.fleet.firstSeen, c.fleet.published = firstSeen, published
}

// TestComplianceMetrics: 5 hosts, one rolled back. demo-app (high, SLA 7
// days) was published 12 days before the cycle but first seen on h1 only
// 9 days before; elsewhere patchflow saw it 2 days before (the published
// date wins: the earliest). libfoo (unknown severity, SLA 30 days) was
// seen an hour before. h4's libfoo fails, so h4 is rolled back and ends
// failed with demo-app pending: noncompliant. With published dates every demo-app
// patch is 12 days late: 4 breaches; h4's pending demo-app one more.
func TestComplianceMetrics(t *testing.T) {
	m := newValues()
	c := newCycleEnvMetrics(t, m, hostNames(4)...)
	c.env.SetStartTime(cycleStart)
	c.fleet.badPins["h4:libfoo=2.1"] = true
	seen := map[string]time.Time{}
	for _, h := range hostNames(4) {
		seen[h+":demo-app"] = cycleStart.Add(-2 * day)
		seen[h+":libfoo"] = cycleStart.Add(-time.Hour)
	}
	seen["h1:demo-app"] = cycleStart.Add(-9 * day)
	scanWithHistory(c, seen, map[string]time.Time{"demo-app": cycleStart.Add(-12 * day)})
	spec := testSpec()
	spec.Budget = domain.Budget{MaxFailures: 5}
	spec.SLA = domain.SLA{High: 7 * day, Unknown: 30 * day}
	res := c.run(t, spec)
	if res.Counts.Patched != 4 || res.Counts.Failed != 1 {
		t.Fatalf("counts %+v, want 4 patched and h4 failed", res.Counts)
	}
	cycleTime := res.Finished.Sub(cycleStart) // bakes and waves, skipped in test time

	app := m.durations(MetricTimeToPatch, "policy=web", "severity=high")
	if len(app) != 4 {
		t.Fatalf("time to patch demo-app recorded %d times, want once per patched host (4): %v", len(app), app)
	}
	for _, d := range app {
		if d < 12*day || d > 12*day+cycleTime {
			t.Errorf("demo-app time to patch %v, want 12 days (published) plus at most the cycle's %v", d, cycleTime)
		}
	}
	lib := m.durations(MetricTimeToPatch, "severity=unknown")
	if len(lib) != 4 || lib[0] < time.Hour || lib[3] > time.Hour+cycleTime {
		t.Errorf("libfoo time to patch %v, want 4 values of an hour plus at most %v", lib, cycleTime)
	}
	if got := m.counter(MetricSLABreaches, "policy=web", "severity=high"); got != 5 {
		t.Errorf("high SLA breaches %d, want 5 (4 patched 12 days after publication, h4's still pending)", got)
	}
	if got := m.counter(MetricSLABreaches, "severity=unknown"); got != 0 {
		t.Errorf("unknown-severity SLA breaches %d, want 0 (an hour against 30 days)", got)
	}
	want := map[string]float64{
		MetricComplianceHosts + " state=compliant":    4,
		MetricComplianceHosts + " state=noncompliant": 1,
		MetricComplianceRatio + " policy=web":         0.8,
		MetricComplianceTimestamp + " policy=web":     float64(res.Finished.Unix()),
	}
	for k, w := range want {
		name, tag, _ := strings.Cut(k, " ")
		if got, ok := m.gauge(name, "policy=web", tag); !ok || got != w {
			t.Errorf("%s{%s} = %v (set: %v), want %v", name, tag, got, ok, w)
		}
	}
	if got, ok := m.gauge(MetricLastSuccess); ok {
		t.Errorf("last success set to %v, but h4 still has demo-app pending", got)
	}
}

// TestComplianceLastSuccessAndPendingPastSLA: a first cycle patches every
// host and sets the last-success time; a dry run a week later finds a new
// critical update pending for 3 days against a 1-day SLA on every host.
func TestComplianceLastSuccessAndPendingPastSLA(t *testing.T) {
	m := newValues()
	c := newCycleEnvMetrics(t, m, hostNames(2)...)
	c.env.SetStartTime(cycleStart)
	seen := map[string]time.Time{}
	for _, h := range hostNames(2) {
		seen[h+":demo-app"] = cycleStart.Add(-30 * time.Minute)
		seen[h+":libfoo"] = cycleStart.Add(-30 * time.Minute)
	}
	scanWithHistory(c, seen, nil)
	spec := testSpec()
	spec.SLA = domain.SLA{Critical: day, High: day}
	res := c.run(t, spec)
	if res.Counts.Patched != 3 {
		t.Fatalf("counts %+v, want all 3 hosts patched", res.Counts)
	}
	if got, ok := m.gauge(MetricLastSuccess, "policy=web"); !ok || got != float64(res.Finished.Unix()) {
		t.Errorf("last success %v (set: %v), want the cycle's end %d", got, ok, res.Finished.Unix())
	}
	if got, _ := m.gauge(MetricComplianceRatio, "policy=web"); got != 1 {
		t.Errorf("compliance ratio %v, want 1", got)
	}
	if got := m.counter(MetricSLABreaches); got != 0 {
		t.Errorf("SLA breaches %d, want 0: patched within half an hour of being seen", got)
	}
	for _, d := range m.durations(MetricTimeToPatch) {
		if d < 30*time.Minute || d > 30*time.Minute+res.Finished.Sub(cycleStart) {
			t.Errorf("time to patch %v, want half an hour plus the cycle", d)
		}
	}

	// A week later: openssl 3.0.3, critical, seen 3 days ago, dry run.
	later := cycleStart.Add(7 * day)
	m2 := newValues()
	c2 := newCycleEnvMetrics(t, m2, hostNames(2)...)
	c2.env.SetStartTime(later)
	seen2 := map[string]time.Time{}
	for _, h := range hostNames(2) {
		c2.fleet.hosts[h].installed = map[string]string{"demo-app": "1.0.1", "libfoo": "2.1", "openssl": "3.0.2"}
		c2.fleet.hosts[h].pending = []domain.Update{{Name: "openssl", Installed: "3.0.2", Candidate: "3.0.3", Class: "security", Vulns: domain.Vulns{Severity: "critical"}}}
		seen2[h+":openssl"] = later.Add(-3 * day)
	}
	scanWithHistory(c2, seen2, nil)
	spec.DryRun = true
	dry := c2.run(t, spec)
	if dry.State != domain.CyclePlanned {
		t.Fatalf("dry run ended %s, want %s", dry.State, domain.CyclePlanned)
	}
	if got := m2.counter(MetricSLABreaches, "severity=critical"); got != 3 {
		t.Errorf("critical SLA breaches %d, want 3: openssl pending 3 days on every host against 1 day", got)
	}
	if got, _ := m2.gauge(MetricComplianceHosts, "state=noncompliant"); got != 3 {
		t.Errorf("noncompliant hosts %v, want 3 (openssl pending everywhere)", got)
	}
	if got, ok := m2.gauge(MetricLastSuccess); ok {
		t.Errorf("a dry run set the last success to %v", got)
	}
	if n := len(m2.durations(MetricTimeToPatch)); n != 0 {
		t.Errorf("a dry run recorded %d times to patch", n)
	}
}

// TestComplianceUnscannedHostIsNoncompliant: a host whose scan fails
// cannot show it is patched: it is failed (with the operation and the
// reason), counts against the failure budget, and the cycle patches the
// rest but ends completed_with_failures, not completed.
func TestComplianceUnscannedHostIsNoncompliant(t *testing.T) {
	m := newValues()
	c := newCycleEnvMetrics(t, m, hostNames(3)...)
	c.fleet.hosts["h2"].down = true
	res := c.run(t, testSpec())
	if res.State != domain.CycleCompletedWithFailures || res.Counts.Patched != 3 || res.Counts.Failed != 1 {
		t.Fatalf("cycle %s %+v, want completed_with_failures: 3 patched, h2 failed", res.State, res.Counts)
	}
	h2 := c.outcomes(t)["h2"]
	if h2.State != domain.HostFailed || h2.Stage != "scan" || !strings.Contains(h2.Reason, "scan failed: connect h2: unreachable") {
		t.Errorf("h2 %+v, want failed at the scan with the reason", h2)
	}
	if res.BudgetUsed != 1 {
		t.Errorf("budget used %d, want 1: the unscanned production host counts", res.BudgetUsed)
	}
	if got, _ := m.gauge(MetricComplianceHosts, "state=noncompliant"); got != 1 {
		t.Errorf("noncompliant %v, want 1 (h2, not scanned)", got)
	}
	if got, _ := m.gauge(MetricComplianceHosts, "state=compliant"); got != 3 {
		t.Errorf("compliant %v, want 3", got)
	}
	if got, ok := m.gauge(MetricLastSuccess); ok {
		t.Errorf("last success %v set with h2 unscanned", got)
	}
}

// TestSLABreachedWhileWaitingForApproval: demo-app (high, SLA 7 days) was
// seen 6 days before the cycle; the approval comes 2 days later (skipped
// test time), so every host patches it past its SLA, while libfoo (seen
// the same day, no SLA for unknown) only counts its time to patch.
func TestSLABreachedWhileWaitingForApproval(t *testing.T) {
	m := newValues()
	c := newCycleEnvMetrics(t, m, hostNames(2)...)
	c.env.SetStartTime(cycleStart)
	seen := map[string]time.Time{}
	for _, h := range hostNames(2) {
		seen[h+":demo-app"] = cycleStart.Add(-6 * day)
		seen[h+":libfoo"] = cycleStart.Add(-6 * day)
	}
	scanWithHistory(c, seen, nil)
	spec := testSpec()
	spec.Approval = domain.ApprovalSpec{Mode: domain.ApprovalManual, Timeout: 3 * day}
	spec.SLA = domain.SLA{High: 7 * day}
	c.env.RegisterDelayedCallback(func() { c.env.SignalWorkflow(MsgApprove, nil) }, 2*day)
	res := c.run(t, spec)
	if res.State != domain.CycleCompleted || res.Counts.Patched != 3 {
		t.Fatalf("cycle %s (%s), counts %+v, want completed with 3 patched", res.State, res.Reason, res.Counts)
	}
	if got := m.counter(MetricSLABreaches, "severity=high"); got != 3 {
		t.Errorf("high SLA breaches %d, want 3: demo-app patched 8 days after it was seen, SLA 7", got)
	}
	if got := m.counter(MetricSLABreaches, "severity=unknown"); got != 0 {
		t.Errorf("unknown SLA breaches %d, want 0: the policy sets no SLA for unknown", got)
	}
	for _, d := range m.durations(MetricTimeToPatch) {
		if d < 8*day || d > 8*day+time.Hour {
			t.Errorf("time to patch %v, want 8 days (6 before the cycle, 2 waiting for approval) plus the rollout", d)
		}
	}
	if got, ok := m.gauge(MetricLastSuccess, "policy=web"); !ok || got != float64(res.Finished.Unix()) {
		t.Errorf("last success %v (set: %v), want %d: every host patched, late or not", got, ok, res.Finished.Unix())
	}
}
