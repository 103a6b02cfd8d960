package workflows

import (
	"time"

	"github.com/patchflow/patchflow/domain"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/workflow"
)

// Metrics emitted from workflow code, through workflow.GetMetricsHandler so
// nothing is counted twice on replay. Labels are bounded: policy, wave
// ("staging", "1", "2", ...), result, step, severity, state; never a host
// or ID.
//
//	patchflow_cycle_duration_seconds{policy,result}       timer: cycle start to report (result = final cycle state)
//	patchflow_cycles_total{policy,result}                 counter: finished cycles
//	patchflow_host_patch_duration_seconds{policy,wave,result} timer: one HostPatch, first step to final state
//	patchflow_hosts_total{policy,wave,result}             counter: hosts by final state (patched, failed, rolled_back, skipped, needs_repair)
//	patchflow_rollbacks_total{policy,result}              counter: host rollbacks (result ok|failed)
//	patchflow_step_duration_seconds{policy,step}          timer: host steps (precheck, snapshot, pre_hooks, apply, reboot, verify, post_hooks, rollback)
//	patchflow_planned_updates_total{policy,severity}      counter: planned packages by severity, once per cycle
//	patchflow_budget_breaches_total{policy}               counter: failure budget breaches
//	patchflow_time_to_patch_seconds{policy,severity}      timer: planned update patched on a host, from the earliest of published/first seen to the host's finish
//	patchflow_sla_breaches_total{policy,severity}         counter: updates patched later than the policy's SLA, or still pending past it at a cycle's end
//	patchflow_compliance_hosts{policy,state}              gauge: targets of the last cycle with (noncompliant) or without (compliant) a planned update pending
//	patchflow_compliance_ratio{policy}                    gauge: compliant / all targets of the last cycle
//	patchflow_compliance_timestamp_seconds{policy}        gauge: Unix time the compliance gauges were last set
//	patchflow_last_success_timestamp_seconds{policy}      gauge: Unix time of the last cycle that completed with every target compliant
const (
	MetricCycleDuration    = "patchflow_cycle_duration_seconds"
	MetricCycles           = "patchflow_cycles_total"
	MetricHostDuration     = "patchflow_host_patch_duration_seconds"
	MetricHosts            = "patchflow_hosts_total"
	MetricRollbacks        = "patchflow_rollbacks_total"
	MetricStepDuration     = "patchflow_step_duration_seconds"
	MetricPlannedUpdates   = "patchflow_planned_updates_total"
	MetricBudgetBreaches   = "patchflow_budget_breaches_total"
	metricTagPolicy        = "policy"
	metricTagWave          = "wave"
	metricTagResult        = "result"
	metricTagStep          = "step"
	metricTagSeverity      = "severity"
	metricSeverityFallback = "unknown"
)

// Compliance, time-to-patch and SLA metrics, recorded by a cycle's report
// (compliance.go).
const (
	MetricTimeToPatch         = "patchflow_time_to_patch_seconds"
	MetricSLABreaches         = "patchflow_sla_breaches_total"
	MetricComplianceHosts     = "patchflow_compliance_hosts"
	MetricComplianceRatio     = "patchflow_compliance_ratio"
	MetricComplianceTimestamp = "patchflow_compliance_timestamp_seconds"
	MetricLastSuccess         = "patchflow_last_success_timestamp_seconds"
)

// metricsFor returns the workflow's replay-safe metrics handler tagged with
// the policy and the given key/value pairs.
func metricsFor(ctx workflow.Context, policy string, tags ...string) client.MetricsHandler {
	m := map[string]string{metricTagPolicy: policy}
	for i := 0; i+1 < len(tags); i += 2 {
		m[tags[i]] = tags[i+1]
	}
	return workflow.GetMetricsHandler(ctx).WithTags(m)
}

// since is the workflow-time duration from start to now.
func since(ctx workflow.Context, start time.Time) time.Duration {
	return workflow.Now(ctx).Sub(start)
}

// Metrics of an assessment: where the estate stands, set at the end of
// each assessment of a policy (so from assessments, not from whichever
// worker ran the last cycle).
//
//	patchflow_assessment_hosts{policy,state}                   gauge: hosts by compliance state
//	patchflow_assessment_missing_fixes{policy,severity}       gauge: required fixes missing (not under exception)
//	patchflow_assessment_missing_kev_fixes{policy}             gauge: of which fix a CVE in CISA's KEV
//	patchflow_assessment_sla_breached_fixes{policy}            gauge: missing fixes past their SLA
//	patchflow_assessment_oldest_critical_seconds{policy}       gauge: age of the oldest missing critical fix (0: none)
//	patchflow_assessment_timestamp_seconds{policy}             gauge: Unix time of the assessment
const (
	MetricAssessHosts          = "patchflow_assessment_hosts"
	MetricAssessMissing        = "patchflow_assessment_missing_fixes"
	MetricAssessMissingKEV     = "patchflow_assessment_missing_kev_fixes"
	MetricAssessBreached       = "patchflow_assessment_sla_breached_fixes"
	MetricAssessOldestCritical = "patchflow_assessment_oldest_critical_seconds"
	MetricAssessTimestamp      = "patchflow_assessment_timestamp_seconds"
)

func recordAssessMetrics(ctx workflow.Context, r AssessResult) {
	p := r.Point
	for _, s := range []struct {
		state string
		n     int
	}{{"compliant", p.Compliant}, {"noncompliant", p.Noncompliant}, {"never_assessed", p.NeverAssessed},
		{"assessment_failed", p.AssessmentFailed}, {"stale_assessment", p.StaleAssessment}, {"exception", p.Exception}} {
		metricsFor(ctx, r.Policy, metricTagState, s.state).Gauge(MetricAssessHosts).Update(float64(s.n))
	}
	for _, sev := range domain.Severities {
		metricsFor(ctx, r.Policy, metricTagSeverity, string(sev)).Gauge(MetricAssessMissing).Update(float64(r.Totals.Missing.Of(sev)))
	}
	m := metricsFor(ctx, r.Policy)
	m.Gauge(MetricAssessMissingKEV).Update(float64(r.Totals.KEV))
	m.Gauge(MetricAssessBreached).Update(float64(r.Totals.Breached))
	oldest := 0.0
	if !r.Totals.OldestCritical.IsZero() {
		oldest = r.Finished.Sub(r.Totals.OldestCritical).Seconds()
	}
	m.Gauge(MetricAssessOldestCritical).Update(oldest)
	m.Gauge(MetricAssessTimestamp).Update(float64(r.Finished.Unix()))
}
