package deploy

import (
	"context"
	"fmt"
	"log/slog"
	"testing"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/log"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"

	"github.com/patchflow/patchflow/domain"
	"github.com/patchflow/patchflow/report"
	"github.com/patchflow/patchflow/worker"
	"github.com/patchflow/patchflow/workflows"
)

// assessment is where a policy's estate stands, as its assessment shards
// report it to the Assess workflow.
type assessment struct {
	policy   string
	finished time.Time
	point    report.TrendPoint
	totals   workflows.AssessTotals
}

// runAssessment runs the real Assess workflow of a.policy in the SDK's
// test environment, with the given metrics handler as the worker's: its
// targets resolve to as many hosts as a.point counts, and its one shard
// (AssessShard, which would scan them over SSH) answers a.point and
// a.totals. What the workflow records at its end is what a worker that
// finished this assessment serves on /metrics.
func runAssessment(t *testing.T, h client.MetricsHandler, a assessment) workflows.AssessResult {
	t.Helper()
	var s testsuite.WorkflowTestSuite
	s.SetMetricsHandler(h)
	s.SetLogger(log.NewStructuredLogger(slog.New(slog.DiscardHandler)))
	env := s.NewTestWorkflowEnvironment()
	env.SetStartTime(a.finished)
	hosts := make([]string, a.point.Hosts)
	for i := range hosts {
		hosts[i] = fmt.Sprintf("%s-%03d", a.policy, i+1)
	}
	env.RegisterActivityWithOptions(func(context.Context, workflows.ResolveInput) (workflows.ResolveResult, error) {
		return workflows.ResolveResult{Production: hosts}, nil
	}, activity.RegisterOptions{Name: workflows.ActResolveTargets})
	env.RegisterActivityWithOptions(func(context.Context, workflows.AssessContextInput) (workflows.AssessContext, error) {
		return workflows.AssessContext{}, nil
	}, activity.RegisterOptions{Name: workflows.ActAssessContext})
	env.RegisterWorkflowWithOptions(func(workflow.Context, workflows.AssessShardInput) (workflows.AssessShardResult, error) {
		return workflows.AssessShardResult{Point: a.point, Totals: a.totals}, nil
	}, workflow.RegisterOptions{Name: "AssessShard"})
	env.RegisterWorkflow(workflows.Assess)
	env.SetStartWorkflowOptions(client.StartWorkflowOptions{ID: workflows.AssessID(a.policy, a.finished), TaskQueue: "patchflow"})
	spec := domain.CycleSpec{
		Policy:    a.policy,
		Inventory: domain.InventorySpec{Source: "inventory.yaml"},
		Patches:   domain.PatchRules{Classes: []domain.Class{domain.ClassSecurity}},
		Waves:     []domain.Wave{{Percent: 100, MaxParallel: 10}},
	}
	env.ExecuteWorkflow(workflows.Assess, workflows.AssessInput{Spec: spec})
	if err := env.GetWorkflowError(); err != nil {
		t.Fatalf("assessment of %s: %v", a.policy, err)
	}
	var res workflows.AssessResult
	if err := env.GetWorkflowResult(&res); err != nil {
		t.Fatal(err)
	}
	if !res.Finished.Equal(a.finished) || res.Point.Hosts != a.point.Hosts {
		t.Fatalf("assessment of %s finished %v with %d hosts, want %v and %d", a.policy, res.Finished, res.Point.Hosts, a.finished, a.point.Hosts)
	}
	return res
}

// webAssessment is policy web's estate at finished: 10 hosts, 3 of them
// missing fixes (211 in all, a busy estate's backlog), 2 of those for
// KEV-listed CVEs and 3 past their SLA, the oldest critical one first seen
// 10 days before; one host could not be scanned.
func webAssessment(finished time.Time) assessment {
	missing := report.SeverityCounts{Critical: 2, High: 57, Medium: 112, Low: 31, Unknown: 9}
	return assessment{
		policy:   "web",
		finished: finished,
		point:    report.TrendPoint{Hosts: 10, Compliant: 6, Noncompliant: 3, AssessmentFailed: 1, CompliantRatio: 0.6, Missing: missing},
		totals:   workflows.AssessTotals{Missing: missing, KEV: 2, Breached: 3, OldestCritical: finished.Add(-10 * 24 * time.Hour)},
	}
}

// TestAssessmentGaugesServed runs an assessment through a worker's real
// metrics handler and reads what /metrics serves: every gauge the posture
// rules read, with the labels they match on. (The test environment does
// not add the SDK's namespace and workflow_type tags a worker adds.)
func TestAssessmentGaugesServed(t *testing.T) {
	m, err := worker.NewMetrics()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = m.Shutdown(t.Context()) })
	finished := time.Date(2026, 12, 1, 6, 0, 0, 0, time.UTC)
	a := webAssessment(finished)
	runAssessment(t, m.SDK, a)

	families, err := m.Registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]float64{}
	for _, f := range families {
		for _, s := range f.GetMetric() {
			key := f.GetName()
			labels := map[string]string{}
			for _, l := range s.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			if labels["policy"] != "web" {
				continue
			}
			for _, k := range []string{"state", "severity"} {
				if v, ok := labels[k]; ok {
					key += "{" + k + "=" + v + "}"
				}
			}
			got[key] = s.GetGauge().GetValue()
		}
	}
	want := map[string]float64{
		"patchflow_assessment_hosts{state=compliant}":           float64(a.point.Compliant),
		"patchflow_assessment_hosts{state=noncompliant}":        float64(a.point.Noncompliant),
		"patchflow_assessment_hosts{state=assessment_failed}":   float64(a.point.AssessmentFailed),
		"patchflow_assessment_hosts{state=never_assessed}":      0,
		"patchflow_assessment_hosts{state=stale_assessment}":    0,
		"patchflow_assessment_hosts{state=exception}":           float64(a.point.Exception),
		"patchflow_assessment_missing_fixes{severity=critical}": float64(a.totals.Missing.Critical),
		"patchflow_assessment_missing_fixes{severity=high}":     float64(a.totals.Missing.High),
		"patchflow_assessment_missing_fixes{severity=medium}":   float64(a.totals.Missing.Medium),
		"patchflow_assessment_missing_fixes{severity=low}":      float64(a.totals.Missing.Low),
		"patchflow_assessment_missing_fixes{severity=unknown}":  float64(a.totals.Missing.Unknown),
		"patchflow_assessment_missing_kev_fixes":                float64(a.totals.KEV),
		"patchflow_assessment_sla_breached_fixes":               float64(a.totals.Breached),
		"patchflow_assessment_oldest_critical_seconds":          finished.Sub(a.totals.OldestCritical).Seconds(),
		"patchflow_assessment_timestamp_seconds":                float64(finished.Unix()),
	}
	for k, v := range want {
		if g, ok := got[k]; !ok || g != v {
			t.Errorf("/metrics: %s = %v (served: %v), want %v", k, g, ok, v)
		}
	}
}
