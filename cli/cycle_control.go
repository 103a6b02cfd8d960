package cli

import (
	"context"
	"fmt"
	"os"

	"github.com/spf13/cobra"
	"go.temporal.io/sdk/client"

	"github.com/patchflow/patchflow/planfile"
	"github.com/patchflow/patchflow/workflows"
)

// cycleControl is one operator verb on a running cycle. Each is sent as a
// Temporal update, so the command gets an answer (or the validator's
// reason for refusing); the Temporal UI sends the signal of the same name.
type cycleControl struct {
	name  string
	short string
}

var cycleControls = []cycleControl{
	{workflows.MsgApprove, "Approve the plan of a cycle waiting at its approval gate"},
	{workflows.MsgPause, "Stop a cycle from starting more hosts (running hosts finish)"},
	{workflows.MsgResume, "Resume a paused cycle (also after a failure-budget breach)"},
	{workflows.MsgAbort, "Abort a cycle; --rollback returns every host it patched to its snapshot"},
}

// CycleControlOptions are the flags of the cycle control verbs.
type CycleControlOptions struct {
	IO       IOStreams
	Factory  *Factory
	Verb     string
	ID       string
	Rollback bool
	JSON     bool
	// PlanPath approves with a reviewed plan: its sha256 must be the plan
	// the cycle applies.
	PlanPath string
}

// NewCmdCycleControl builds one of approve, pause, resume and abort.
func NewCmdCycleControl(f *Factory, ctl cycleControl, runF func(*CycleControlOptions) error) *cobra.Command {
	opts := &CycleControlOptions{IO: f.IO, Factory: f, Verb: ctl.name}
	cmd := &cobra.Command{
		Use:   ctl.name + " CYCLE_ID",
		Short: ctl.short,
		Args:  wrapArgs(cobra.ExactArgs(1)),
		RunE: func(_ *cobra.Command, args []string) error {
			opts.ID = args[0]
			if runF != nil {
				return runF(opts)
			}
			return cycleControlRun(opts)
		},
	}
	if ctl.name == workflows.MsgAbort {
		cmd.Flags().BoolVar(&opts.Rollback, "rollback", false, "return every host the cycle patched to its snapshot, newest first")
	}
	if ctl.name == workflows.MsgApprove {
		cmd.Flags().StringVar(&opts.PlanPath, "plan", "", "approve with the reviewed plan the cycle applies (required when the policy approves by plan)")
	}
	cmd.Flags().BoolVar(&opts.JSON, "json", false, "print the reply as JSON")
	return cmd
}

func cycleControlRun(opts *CycleControlOptions) error {
	ctx, c, done, err := opts.Factory.connect()
	if err != nil {
		return err
	}
	defer done()
	var arg any = struct{}{}
	switch {
	case opts.Verb == workflows.MsgAbort:
		arg = workflows.AbortRequest{Rollback: opts.Rollback}
	case opts.PlanPath != "":
		f, err := os.Open(opts.PlanPath)
		if err != nil {
			return fmt.Errorf("read plan: %w", err)
		}
		plan, err := planfile.Read(f)
		f.Close()
		if err != nil {
			return fmt.Errorf("%s: %w", opts.PlanPath, err)
		}
		arg = workflows.ApproveRequest{PlanSHA256: plan.SHA256}
	}
	var reply workflows.CycleReply
	if err := sendUpdate(ctx, c, opts.ID, opts.Verb, arg, &reply); err != nil {
		return err
	}
	if opts.JSON {
		return printJSON(opts.IO.Out, reply)
	}
	paused := ""
	if reply.Paused {
		paused = ", paused"
	}
	termf(opts.IO.Out, "%s: %s accepted; cycle is %s%s\n", reply.CycleID, opts.Verb, reply.State, paused)
	return nil
}

// sendUpdate sends a Temporal update and waits for its result. A refusal
// by the workflow's validator comes back as the error, saying why.
func sendUpdate(ctx context.Context, c client.Client, id, name string, arg, reply any) error {
	args := []any{}
	if arg != nil {
		args = append(args, arg)
	}
	h, err := c.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{
		WorkflowID: id, UpdateName: name, Args: args,
		WaitForStage: client.WorkflowUpdateStageCompleted,
	})
	if err != nil {
		return temporalError(fmt.Errorf("%s %s: %w", name, id, err))
	}
	if err := h.Get(ctx, reply); err != nil {
		return fmt.Errorf("%s %s refused: %w", name, id, err)
	}
	return nil
}
