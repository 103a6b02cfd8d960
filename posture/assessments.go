package posture

import (
	"context"
	"fmt"
	"slices"
	"sort"

	"github.com/patchflow/patchflow/workflows"
)

// Workflow type names as visibility knows them.
const (
	typeAssess      = "Assess"
	typeAssessShard = "AssessShard"
	typeException   = "ExceptionWorkflow"
	typeHostPatch   = "HostPatch"
	typeCycle       = "PatchCycle"
)

// History is every retained assessment run of one policy, newest first.
type History struct {
	Policy string
	Runs   []Execution
}

// Assessments lists the assessment runs of policy (visibility, paged),
// newest first.
func (r *Reader) Assessments(ctx context.Context, policy string) (History, error) {
	q, err := quote(policy)
	if err != nil {
		return History{}, fmt.Errorf("policy %w", err)
	}
	h := History{Policy: policy}
	err = r.list(ctx, "WorkflowType = '"+typeAssess+"' AND "+workflows.AttrPolicy.GetName()+" = "+q, func(e Execution) error {
		h.Runs = append(h.Runs, e)
		return nil
	})
	// SQLite visibility cannot ORDER BY: sort here.
	sort.SliceStable(h.Runs, func(i, j int) bool { return h.Runs[i].Start.After(h.Runs[j].Start) })
	return h, err
}

// AssessedPolicies lists every policy with a retained assessment, sorted.
func (r *Reader) AssessedPolicies(ctx context.Context) ([]string, error) {
	seen := map[string]bool{}
	err := r.list(ctx, "WorkflowType = '"+typeAssess+"'", func(e Execution) error {
		if e.Policy != "" {
			seen[e.Policy] = true
		}
		return nil
	})
	out := make([]string, 0, len(seen))
	for p := range seen {
		out = append(out, p)
	}
	slices.Sort(out)
	return out, err
}

// Latest is the newest completed assessment.
func (h History) Latest() (Execution, bool) {
	for _, e := range h.Runs {
		if e.Completed() {
			return e, true
		}
	}
	return Execution{}, false
}

// Completed lists the completed assessments, newest first, at most limit
// (0: all).
func (h History) Completed(limit int) []Execution {
	var out []Execution
	for _, e := range h.Runs {
		if e.Completed() {
			out = append(out, e)
			if limit > 0 && len(out) == limit {
				break
			}
		}
	}
	return out
}

// FailedAfter lists the runs that ended without a result (failed,
// terminated, timed out, canceled) and started after the latest completed
// one, newest first: an assessment that failed half-way.
func (h History) FailedAfter(latest Execution) []Execution {
	var out []Execution
	for _, e := range h.Runs {
		if e.Open() || e.Completed() || (!latest.Start.IsZero() && !e.Start.After(latest.Start)) {
			continue
		}
		out = append(out, e)
	}
	return out
}

// Running lists the runs still running.
func (h History) Running() []Execution {
	var out []Execution
	for _, e := range h.Runs {
		if e.Open() {
			out = append(out, e)
		}
	}
	return out
}

// Summary reads a completed assessment's result: its trend point and
// where its facts are.
func (r *Reader) Summary(ctx context.Context, e Execution) (workflows.AssessResult, error) {
	var res workflows.AssessResult
	err := r.result(ctx, e.ID, e.RunID, &res)
	return res, err
}

// AssessInput reads what an assessment was asked to assess.
func (r *Reader) AssessInput(ctx context.Context, e Execution) (workflows.AssessInput, error) {
	var in workflows.AssessInput
	err := r.input(ctx, e.ID, e.RunID, &in)
	return in, err
}
