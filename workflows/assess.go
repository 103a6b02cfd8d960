package workflows

import (
	"fmt"
	"strconv"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/patchflow/patchflow/domain"
	"github.com/patchflow/patchflow/report"
)

// hostsPerShard bounds the hosts one assessment shard scans, so no shard's
// input, result or history grows with the estate.
const hostsPerShard = 500

// AssessInput is the input of Assess (workflow ID AssessID(policy, start)):
// what the policy targets and requires, and how long its fixes may take.
type AssessInput struct {
	Spec domain.CycleSpec `json:"spec"`
	// KEVDueDate lets a KEV-listed CVE's due date count as its deadline.
	KEVDueDate bool `json:"kev_due_date,omitempty"`
}

// AssessResult is an assessment's summary: the trend point it adds and
// where its per-host facts are (each shard's result).
type AssessResult struct {
	AssessID string    `json:"assess_id"`
	Policy   string    `json:"policy"`
	Started  time.Time `json:"started"`
	Finished time.Time `json:"finished"`
	// Shards are the shard workflows, whose results hold the facts.
	Shards []string `json:"shards"`
	// Hosts is the number of targets; Failed those that could not be
	// assessed.
	Hosts  int `json:"hosts"`
	Failed int `json:"failed"`
	// Point is the estate as the policy saw it at Finished.
	Point report.TrendPoint `json:"point"`
	// Totals sum the hosts' missing fixes.
	Totals AssessTotals `json:"totals"`
	// Sources are the advisory data the scans matched against.
	Sources []report.SourceInput `json:"sources,omitempty"`
}

// AssessTotals are what the metrics of an assessment say.
type AssessTotals struct {
	Missing  report.SeverityCounts `json:"missing"`
	KEV      int                   `json:"kev"`
	Breached int                   `json:"breached"`
	DueSoon  int                   `json:"due_soon"`
	Excepted int                   `json:"excepted"`
	// OldestCritical is when the oldest missing critical fix was first
	// seen; zero when none is missing.
	OldestCritical time.Time `json:"oldest_critical,omitzero"`
}

func (t *AssessTotals) add(o AssessTotals) {
	for _, sev := range domain.Severities {
		t.Missing.Add(sev, o.Missing.Of(sev))
	}
	t.KEV += o.KEV
	t.Breached += o.Breached
	t.DueSoon += o.DueSoon
	t.Excepted += o.Excepted
	t.OldestCritical = domain.EarliestKnown(t.OldestCritical, o.OldestCritical)
}

// AssessID is the workflow ID of an assessment of policy started at start.
func AssessID(policy string, start time.Time) string {
	return "assess/" + policy + "/" + start.UTC().Truncate(time.Second).Format(time.RFC3339)
}

// Assess is a scan-only assessment of a policy's targets: where each host
// stands against the fixes the policy requires (what a cycle of it would
// plan), with the exposures no update fixes, reboot state and SLA state.
// It changes no host. Its facts live in Temporal: each shard's result
// (AssessShard, at most hostsPerShard hosts), its summary in its own
// result, so reports read them from any machine and nothing is kept in one
// worker's memory or disk. A Temporal Schedule runs it periodically.
func Assess(ctx workflow.Context, in AssessInput) (AssessResult, error) {
	if err := in.Spec.Validate(); err != nil {
		return AssessResult{}, temporal.NewNonRetryableApplicationError(err.Error(), ErrInvalidInput, nil)
	}
	id := workflow.GetInfo(ctx).WorkflowExecution.ID
	res := AssessResult{AssessID: id, Policy: in.Spec.Policy, Started: workflow.Now(ctx)}
	upsert(ctx, AttrPolicy.ValueSet(in.Spec.Policy))
	workflow.SetCurrentDetails(ctx, "resolving targets")

	var targets ResolveResult
	actx := withActivity(ctx, actOptions{timeout: 2 * time.Minute, summary: "resolve " + in.Spec.Inventory.Source})
	if err := workflow.ExecuteActivity(actx, ActResolveTargets, ResolveInput{Inventory: in.Spec.Inventory}).Get(ctx, &targets); err != nil {
		return res, temporal.NewNonRetryableApplicationError("resolve targets: "+reasonOf(err), ErrInvalidInput, nil)
	}
	hosts := append(append([]string(nil), targets.Staging...), targets.Production...)
	var ctxt AssessContext
	actx = withActivity(ctx, actOptions{timeout: 2 * time.Minute, summary: "exceptions and advisory sources"})
	if err := workflow.ExecuteActivity(actx, ActAssessContext, AssessContextInput{Inventory: in.Spec.Inventory.Source}).Get(ctx, &ctxt); err != nil {
		// Without the exceptions the assessment still says where the
		// estate stands; excepted fixes then count as missing.
		workflow.GetLogger(ctx).Warn("exceptions and sources unavailable", "error", err)
	}
	res.Sources = ctxt.Sources
	shards := chunk(hosts, hostsPerShard)
	results := make([]AssessShardResult, len(shards))
	res.Shards = make([]string, len(shards))
	workflow.SetCurrentDetails(ctx, fmt.Sprintf("assessing %d hosts in %d shards", len(hosts), len(shards)))
	forEachBounded(ctx, len(shards), 2, func(ctx workflow.Context, k int) {
		sid := id + "/shard/" + strconv.Itoa(k+1)
		res.Shards[k] = sid
		cctx := workflow.WithChildOptions(ctx, workflow.ChildWorkflowOptions{
			WorkflowID: sid, StaticSummary: fmt.Sprintf("assess %d hosts of policy %s", len(shards[k]), in.Spec.Policy),
			WaitForCancellation: true, ParentClosePolicy: enumspb.PARENT_CLOSE_POLICY_REQUEST_CANCEL,
			TypedSearchAttributes: temporal.NewSearchAttributes(AttrPolicy.ValueSet(in.Spec.Policy)),
		})
		sin := AssessShardInput{AssessID: id, Policy: in.Spec.Policy, Inventory: in.Spec.Inventory.Source, Hosts: shards[k],
			Rules: in.Spec.Patches, SLA: in.Spec.SLA, KEVDueDate: in.KEVDueDate || in.Spec.SLA.KEVDueDate, Exceptions: ctxt.Exceptions,
			ScanParallel: in.Spec.ScanParallel, CommandTimeout: in.Spec.Host.Limits().Command}
		if err := workflow.ExecuteChildWorkflow(cctx, AssessShard, sin).Get(ctx, &results[k]); err != nil {
			results[k] = AssessShardResult{}
			for _, h := range shards[k] {
				results[k].Failed = append(results[k].Failed, HostProblem{Host: h, Problem: "assessment shard failed: " + reasonOf(err)})
			}
		}
	})
	res.Finished = workflow.Now(ctx)
	res.Hosts = len(hosts)
	res.Point.At = res.Finished
	for _, r := range results {
		res.Failed += len(r.Failed)
		addPoint(&res.Point, r.Point)
		res.Totals.add(r.Totals)
	}
	if res.Point.Hosts > 0 {
		res.Point.CompliantRatio = float64(res.Point.Compliant) / float64(res.Point.Hosts)
	}
	recordAssessMetrics(ctx, res)
	workflow.SetCurrentDetails(ctx, fmt.Sprintf("%d of %d hosts compliant, %d missing fixes past their SLA",
		res.Point.Compliant, res.Point.Hosts, res.Totals.Breached))
	return res, nil
}

func addPoint(p *report.TrendPoint, o report.TrendPoint) {
	p.Hosts += o.Hosts
	p.Compliant += o.Compliant
	p.Noncompliant += o.Noncompliant
	p.NeverAssessed += o.NeverAssessed
	p.AssessmentFailed += o.AssessmentFailed
	p.StaleAssessment += o.StaleAssessment
	p.Exception += o.Exception
	for _, sev := range domain.Severities {
		p.Missing.Add(sev, o.Missing.Of(sev))
	}
}
