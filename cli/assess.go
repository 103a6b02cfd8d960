package cli

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/spf13/cobra"
	enumspb "go.temporal.io/api/enums/v1"
	sdkpb "go.temporal.io/api/sdk/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/patchflow/patchflow/domain"
	"github.com/patchflow/patchflow/workflows"
)

// queryWorkflowMetadata is the SDK's built-in query answering a
// workflow's current details (workflow.SetCurrentDetails).
const queryWorkflowMetadata = "__temporal_workflow_metadata"

// AssessOptions are the flags of `patchflow assess`.
type AssessOptions struct {
	IO         IOStreams
	Factory    *Factory
	PolicyPath string
	Wait       bool
	JSON       bool
	KEVDueDate bool
	// Now is the assessment's start time (its ID); tests fix it.
	Now func() time.Time
}

// NewCmdAssess builds `patchflow assess`.
func NewCmdAssess(f *Factory, runF func(*AssessOptions) error) *cobra.Command {
	opts := &AssessOptions{IO: f.IO, Factory: f, Now: time.Now}
	cmd := &cobra.Command{
		Use:   "assess -p POLICY",
		Short: "Assess a policy's hosts now: which required fixes each one misses (changes no host)",
		Long: `Assess scans every host a policy targets, without changing any: the pending
updates the policy requires (with their CVEs, severity and KEV flag, first seen
on the host), the installed packages' vulnerabilities no update fixes, the
running kernel and reboot state. The result stays in Temporal (workflow
assess/<policy>/<UTC time> and one shard workflow per 500 hosts) for
'patchflow report compliance' and 'patchflow cve audit', and updates the
patchflow_assessment_* metrics.

--wait shows progress and the summary. 'patchflow schedule create --assess'
runs it periodically.`,
		Args: wrapArgs(cobra.NoArgs),
		RunE: func(*cobra.Command, []string) error {
			if opts.PolicyPath == "" {
				return UsageError("a policy is required: patchflow assess -p POLICY")
			}
			if runF != nil {
				return runF(opts)
			}
			return assessRun(opts)
		},
	}
	addTemporalFlags(cmd.Flags(), &f.Temporal)
	cmd.Flags().StringVarP(&opts.PolicyPath, "policy", "p", "", "policy file (YAML)")
	cmd.Flags().BoolVar(&opts.Wait, "wait", false, "wait for the assessment to finish, showing progress")
	cmd.Flags().BoolVar(&opts.JSON, "json", false, "print the result as JSON")
	cmd.Flags().BoolVar(&opts.KEVDueDate, "kev-due-date", false, "a KEV-listed CVE's CISA due date is a deadline too (the earlier of it and the SLA)")
	return cmd
}

func assessRun(opts *AssessOptions) error {
	in, err := specFromPolicy(opts.PolicyPath, opts.IO)
	if err != nil {
		return err
	}
	spec := in.Spec
	ctx, c, done, err := opts.Factory.connect()
	if err != nil {
		return err
	}
	defer done()
	id := workflows.AssessID(spec.Policy, opts.Now())
	_, err = c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID: id, TaskQueue: workflows.TaskQueue,
		WorkflowIDConflictPolicy:                 enumspb.WORKFLOW_ID_CONFLICT_POLICY_FAIL,
		WorkflowIDReusePolicy:                    enumspb.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE,
		WorkflowExecutionErrorWhenAlreadyStarted: true,
		StaticSummary:                            "assessment of policy " + spec.Policy,
		TypedSearchAttributes:                    temporal.NewSearchAttributes(workflows.AttrPolicy.ValueSet(spec.Policy)),
	}, workflows.Assess, workflows.AssessInput{Spec: spec, KEVDueDate: opts.KEVDueDate})
	if err != nil {
		var started *serviceerror.WorkflowExecutionAlreadyStarted
		if errors.As(err, &started) {
			return fmt.Errorf("assessment %s already exists: one of policy %s was started in the same second; wait a second and start again", id, spec.Policy)
		}
		return temporalError(fmt.Errorf("start assessment %s: %w", id, err))
	}
	if !opts.Wait {
		if opts.JSON {
			return printJSON(opts.IO.Out, map[string]string{"assess_id": id})
		}
		termf(opts.IO.Out, "started assessment %s\nreport when it ends: patchflow report compliance -p %s\n", id, spec.Policy)
		return nil
	}
	termf(opts.IO.ErrOut, "started assessment %s (Ctrl-C stops watching, not the assessment)\n", id)
	res, err := watchAssessment(ctx, c, id, opts.IO, !opts.JSON)
	if err != nil {
		return err
	}
	if opts.JSON {
		return printJSON(opts.IO.Out, assessJSONOf(res))
	}
	printAssessSummary(opts.IO, res)
	return nil
}

// assessJSON is an assessment's result as --json prints it
// (schemas/cli/v1/assess-result.schema.json): the workflow's result, its
// advisory sources named in snake_case like every other output's (the
// workflow keeps report.SourceInput's Go names in its recorded results).
type assessJSON struct {
	workflows.AssessResult
	Sources []assessSourceJSON `json:"sources,omitempty"`
}

// assessSourceJSON is an advisory source the assessment matched against.
type assessSourceJSON struct {
	Name string `json:"name"`
	// AsOf is the date of the source's data, absent when unknown.
	AsOf time.Time `json:"as_of,omitzero"`
	// MaxAgeSeconds is the source's own limit on its data's age, absent
	// when the reports' default applies.
	MaxAgeSeconds int64 `json:"max_age_seconds,omitempty"`
}

func assessJSONOf(r workflows.AssessResult) assessJSON {
	out := assessJSON{AssessResult: r}
	for _, s := range r.Sources {
		out.Sources = append(out.Sources, assessSourceJSON{Name: s.Name, AsOf: s.AsOf, MaxAgeSeconds: int64(s.MaxAge / time.Second)})
	}
	return out
}

// watchAssessment follows an assessment to its end, printing each change
// of its current details (progress) when show, and returns its result.
func watchAssessment(ctx context.Context, c client.Client, id string, io IOStreams, show bool) (workflows.AssessResult, error) {
	t := time.NewTicker(watchInterval)
	defer t.Stop()
	last := ""
	for {
		desc, err := c.DescribeWorkflowExecution(ctx, id, "")
		if err != nil {
			return workflows.AssessResult{}, fmt.Errorf("assessment %s: %w", id, err)
		}
		if st := desc.WorkflowExecutionInfo.Status; st != enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING {
			var res workflows.AssessResult
			if err := c.GetWorkflow(ctx, id, "").Get(ctx, &res); err != nil {
				return res, fmt.Errorf("assessment %s ended %s: %w", id, st, err)
			}
			return res, nil
		}
		if show {
			qctx, cancel := context.WithTimeout(ctx, 5*time.Second)
			if v, err := c.QueryWorkflow(qctx, id, "", queryWorkflowMetadata); err == nil {
				var meta sdkpb.WorkflowMetadata
				if v.Get(&meta) == nil && meta.GetCurrentDetails() != "" && meta.GetCurrentDetails() != last {
					last = meta.GetCurrentDetails()
					termf(io.ErrOut, "%s\n", last)
				}
			}
			cancel()
		}
		select {
		case <-ctx.Done():
			return workflows.AssessResult{}, fmt.Errorf("stopped watching assessment %s (it goes on; patchflow report compliance shows it when it ends): %w", id, ctx.Err())
		case <-t.C:
		}
	}
}

// printAssessSummary prints what an assessment found, in a few lines.
func printAssessSummary(io IOStreams, r workflows.AssessResult) {
	p := r.Point
	termf(io.Out, "assessment %s of policy %s finished in %s\n", r.AssessID, r.Policy, r.Finished.Sub(r.Started).Round(time.Second))
	termf(io.Out, "hosts: %d compliant, %d noncompliant, %d exception, %d assessment_failed (of %d)\n",
		p.Compliant, p.Noncompliant, p.Exception, p.AssessmentFailed, r.Hosts)
	termf(io.Out, "missing fixes: ")
	for i, sev := range domain.Severities {
		if i > 0 {
			termf(io.Out, ", ")
		}
		termf(io.Out, "%d %s", r.Totals.Missing.Of(sev), string(sev))
	}
	termf(io.Out, "; %d KEV, %d past their SLA, %d due soon, %d under exception\n", r.Totals.KEV, r.Totals.Breached, r.Totals.DueSoon, r.Totals.Excepted)
	termf(io.Out, "details: patchflow report compliance -p %s\n", r.Policy)
}
