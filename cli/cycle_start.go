package cli

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/spf13/cobra"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/patchflow/patchflow/domain"
	"github.com/patchflow/patchflow/planfile"
	"github.com/patchflow/patchflow/workflows"
)

// CycleStartOptions are the flags of `patchflow cycle start`.
type CycleStartOptions struct {
	IO         IOStreams
	Factory    *Factory
	PolicyPath string
	Wait       bool
	DryRun     bool
	JSON       bool
	// PlanPath is a reviewed plan to apply exactly (cycle plan wrote it).
	PlanPath string
	// Now is the cycle's start time (its ID); tests fix it.
	Now func() time.Time
}

// NewCmdCycleStart builds `patchflow cycle start`.
func NewCmdCycleStart(f *Factory, runF func(*CycleStartOptions) error) *cobra.Command {
	opts := &CycleStartOptions{IO: f.IO, Factory: f, Now: time.Now}
	cmd := &cobra.Command{
		Use:   "start -p POLICY",
		Short: "Start a patch cycle of a policy",
		Long: `Start a patch cycle of a policy. The policy and its inventory are read and
validated here; the cycle reads the inventory again when it starts.

--wait shows live progress and a summary, and exits 3 when hosts failed or were
rolled back. --dry-run resolves, scans and prints the plan (pinned versions,
hosts per wave) without changing any host.

--plan applies a reviewed plan (patchflow cycle plan wrote it) exactly: its
hosts, waves and pinned versions, once (the cycle's ID is
cycle/<policy>/plan-<sha256 prefix>). It refuses, listing the differences,
when the policy file changed since the plan was made; the cycle refuses,
changing no host and naming each one, when a host's state drifted or the plan
is older than the policy's approval.plan_max_age (24h by default).`,
		Args: wrapArgs(cobra.NoArgs),
		RunE: func(*cobra.Command, []string) error {
			if opts.PolicyPath == "" {
				return UsageError("a policy is required: patchflow cycle start -p POLICY")
			}
			if opts.PlanPath != "" && opts.DryRun {
				return UsageError("--plan applies a reviewed plan; a dry run makes one (patchflow cycle plan)")
			}
			if runF != nil {
				return runF(opts)
			}
			return cycleStartRun(opts)
		},
	}
	cmd.Flags().StringVarP(&opts.PolicyPath, "policy", "p", "", "policy file (YAML)")
	cmd.Flags().BoolVar(&opts.Wait, "wait", false, "wait for the cycle to finish, showing progress")
	cmd.Flags().BoolVar(&opts.DryRun, "dry-run", false, "scan and plan only; change no host (implies --wait)")
	cmd.Flags().BoolVar(&opts.JSON, "json", false, "print the result as JSON")
	cmd.Flags().StringVar(&opts.PlanPath, "plan", "", "apply this reviewed plan exactly (from patchflow cycle plan)")
	return cmd
}

func cycleStartRun(opts *CycleStartOptions) error {
	in, err := specFromPolicy(opts.PolicyPath, opts.IO)
	if err != nil {
		return err
	}
	in.Spec.DryRun = opts.DryRun
	spec := in.Spec
	var plan *planfile.File
	if opts.PlanPath != "" {
		if plan, err = readPlanFor(opts.PlanPath, opts.PolicyPath, spec); err != nil {
			return err
		}
	} else if why := spec.Approval.PlanRequired(spec.Policy, false); why != "" && !spec.DryRun {
		return errors.New(why)
	}
	ctx, c, done, err := opts.Factory.connect()
	if err != nil {
		return err
	}
	defer done()
	var id string
	if plan != nil {
		id, err = startCycleInput(ctx, c, workflows.PlanCycleID(spec.Policy, plan.SHA256), "plan "+plan.SHA256+" of policy "+spec.Policy,
			workflows.CycleInput{Spec: spec, Notify: in.Notify, Apply: &workflows.ApplyPlan{SHA256: plan.SHA256, Plan: plan.Reviewed()}})
	} else {
		id, err = startCycle(ctx, c, in, opts.Now())
	}
	if err != nil {
		return err
	}
	if note := windowStartNote(spec, opts.Now()); note != "" {
		termf(opts.IO.ErrOut, "%s\n", note)
	}
	if !opts.Wait && !opts.DryRun {
		if opts.JSON {
			return printJSON(opts.IO.Out, map[string]string{"cycle_id": id})
		}
		termf(opts.IO.Out, "started cycle %s\nwatch it: patchflow cycle status %s --watch\n", id, id)
		return nil
	}
	termf(opts.IO.ErrOut, "started cycle %s (Ctrl-C stops watching, not the cycle)\n", id)
	return watchToEnd(ctx, c, id, opts.IO, opts.JSON)
}

// specFromPolicy reads a policy and its inventory (which must exist
// here unless it is a URL) as `policy validate` checks them, so a typo in
// a path, a selector or a wave fails now rather than minutes later in the
// cycle, and returns the spec a cycle runs; warnings go to the error
// stream.
func specFromPolicy(path string, io IOStreams) (workflows.CycleInput, error) {
	f, err := readPolicyFile(path, policyRead{inventory: true})
	if err != nil {
		return workflows.CycleInput{}, err
	}
	for _, w := range f.warnings {
		termf(io.ErrOut, "warning: %s\n", w)
	}
	return workflows.CycleInput{Spec: f.spec, Notify: f.policy.Webhooks()}, nil
}

// startCycle starts the PatchCycle workflow with its readable ID, search
// attributes and summary.
func startCycle(ctx context.Context, c client.Client, in workflows.CycleInput, now time.Time) (string, error) {
	summary := fmt.Sprintf("patch cycle of policy %s", in.Spec.Policy)
	if in.Spec.DryRun {
		summary = fmt.Sprintf("dry run of policy %s", in.Spec.Policy)
	}
	return startCycleInput(ctx, c, workflows.CycleID(in.Spec.Policy, now), summary, in)
}

// startCycleInput starts a PatchCycle with ID id. An ID is never reused:
// cycle IDs carry their start second, and a reviewed plan's cycle ID its
// sha256, so a plan applies once.
func startCycleInput(ctx context.Context, c client.Client, id, summary string, in workflows.CycleInput) (string, error) {
	spec := in.Spec
	_, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID:                       id,
		TaskQueue:                workflows.TaskQueue,
		WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_FAIL,
		WorkflowIDReusePolicy:    enumspb.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE,
		// Without it the SDK hands back the existing cycle as if started.
		WorkflowExecutionErrorWhenAlreadyStarted: true,
		StaticSummary:                            summary,
		TypedSearchAttributes: temporal.NewSearchAttributes(
			workflows.AttrPolicy.ValueSet(spec.Policy),
			workflows.AttrCycle.ValueSet(id),
			workflows.AttrCycleState.ValueSet(string(domain.CycleResolving)),
		),
	}, workflows.PatchCycle, in)
	if err != nil {
		var started *serviceerror.WorkflowExecutionAlreadyStarted
		switch {
		case errors.As(err, &started) && in.Apply != nil:
			return "", fmt.Errorf("plan %s was already applied by cycle %s (a plan applies once, whatever the outcome): make a new plan with patchflow cycle plan", in.Apply.SHA256, id)
		case errors.As(err, &started):
			return "", fmt.Errorf("cycle %s already exists: a cycle of policy %s was started in the same second; wait a second and start again", id, spec.Policy)
		}
		return "", temporalError(fmt.Errorf("start cycle %s: %w", id, err))
	}
	return id, nil
}
