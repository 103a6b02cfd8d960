package posture

import (
	"context"
	"time"

	"github.com/patchflow/patchflow/report"
	"github.com/patchflow/patchflow/workflows"
)

// Shard is one shard of an assessment as read back: its facts, or, when
// it has none, the hosts it was to assess and why it has none.
type Shard struct {
	ID string
	// Result is nil when the shard did not complete.
	Result *workflows.AssessShardResult
	// Hosts (from the shard's input) and Failure are set when Result is
	// nil; Hosts is empty when even the input could not be read.
	Hosts   []string
	Failure string
	// At is when the shard's scans ended, or when the assessment did for
	// a shard without a result.
	At time.Time
}

// EachShard reads an assessment's shards one at a time, in order, and
// calls fn with each; only one shard's facts are held at once.
func (r *Reader) EachShard(ctx context.Context, res workflows.AssessResult, fn func(Shard) error) error {
	for _, id := range res.Shards {
		if err := ctx.Err(); err != nil {
			return err
		}
		s := Shard{ID: id, At: res.Finished}
		var out workflows.AssessShardResult
		if err := r.C.GetWorkflow(ctx, id, "").Get(ctx, &out); err != nil {
			s.Failure = shortText(err.Error())
			var in workflows.AssessShardInput
			if ierr := r.input(ctx, id, "", &in); ierr == nil {
				s.Hosts = in.Hosts
			}
		} else {
			s.Result, s.At = &out, out.Assessed
		}
		if err := fn(s); err != nil {
			return err
		}
	}
	return nil
}

// complianceHosts is a shard as compliance report hosts: the assessed
// hosts with their missing fixes, and the hosts it could not assess with
// the failure. want, when set, keeps only those hosts.
func complianceHosts(policy string, s Shard, want map[string]bool) []report.HostInput {
	if s.Result == nil {
		var out []report.HostInput
		for _, h := range s.Hosts {
			if want == nil || want[h] {
				out = append(out, report.HostInput{Host: h, Policy: policy,
					Failure: &report.AssessmentFailure{At: s.At, Error: "assessment shard " + s.ID + " has no result: " + s.Failure}})
			}
		}
		return out
	}
	r := *s.Result
	if want != nil {
		r.Hosts, r.Failed = nil, nil
		for _, h := range s.Result.Hosts {
			if want[h.Host] {
				r.Hosts = append(r.Hosts, h)
			}
		}
		for _, f := range s.Result.Failed {
			if want[f.Host] {
				r.Failed = append(r.Failed, f)
			}
		}
	}
	out := workflows.ComplianceHosts(policy, r)
	for i := range out {
		if f := out[i].Failure; f != nil {
			f.Error = shortText(f.Error)
		}
	}
	return out
}
