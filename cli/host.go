package cli

import (
	"errors"
	"fmt"
	"io"

	"github.com/spf13/cobra"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/converter"

	"github.com/patchflow/patchflow/workflows"
)

// NewCmdHost builds `patchflow host` and its verbs.
func NewCmdHost(f *Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "host",
		Short: "Decide about one host: retry, skip or roll back",
		Long: `A host's workflow ID is host/<name>, the same in every cycle. After a host
fails it is rolled back to its snapshot (if the policy says so) and waits for
an operator: retry patches it again, skip leaves it as it is, rollback returns
it to its snapshot. rollback also works on a host the running cycle patched
successfully.`,
	}
	addTemporalFlags(cmd.PersistentFlags(), &f.Temporal)
	for _, verb := range []string{workflows.MsgRetry, workflows.MsgSkip, workflows.MsgRollback} {
		cmd.AddCommand(newCmdHostDecision(f, verb, nil))
	}
	return cmd
}

// HostDecisionOptions are the flags of host retry, skip and rollback.
type HostDecisionOptions struct {
	IO      IOStreams
	Factory *Factory
	Verb    string
	Host    string
	JSON    bool
}

func newCmdHostDecision(f *Factory, verb string, runF func(*HostDecisionOptions) error) *cobra.Command {
	opts := &HostDecisionOptions{IO: f.IO, Factory: f, Verb: verb}
	short := map[string]string{
		workflows.MsgRetry:    "Patch a failed host again",
		workflows.MsgSkip:     "Leave a failed host as it is and let the cycle go on",
		workflows.MsgRollback: "Return a host to its snapshot versions",
	}[verb]
	cmd := &cobra.Command{
		Use:   verb + " HOST",
		Short: short,
		Args:  wrapArgs(cobra.ExactArgs(1)),
		RunE: func(_ *cobra.Command, args []string) error {
			opts.Host = args[0]
			if runF != nil {
				return runF(opts)
			}
			return hostDecisionRun(opts)
		},
	}
	cmd.Flags().BoolVar(&opts.JSON, "json", false, "print the reply as JSON")
	return cmd
}

func hostDecisionRun(opts *HostDecisionOptions) error {
	ctx, c, done, err := opts.Factory.connect()
	if err != nil {
		return err
	}
	defer done()
	id := workflows.HostWorkflowID(opts.Host)
	desc, err := c.DescribeWorkflowExecution(ctx, id, "")
	var notFound *serviceerror.NotFound
	if errors.As(err, &notFound) {
		return fmt.Errorf("host %s: no workflow %s: no cycle has patched this host", opts.Host, id)
	}
	if err != nil {
		return temporalError(fmt.Errorf("host %s: %w", opts.Host, err))
	}
	running := desc.WorkflowExecutionInfo.Status == enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING
	if !running && opts.Verb == workflows.MsgRollback {
		// The host's patch has finished: its cycle, if still running,
		// returns it to the snapshot.
		var cycle string
		payload := desc.WorkflowExecutionInfo.GetSearchAttributes().GetIndexedFields()[workflows.AttrCycle.GetName()]
		_ = converter.GetDefaultDataConverter().FromPayload(payload, &cycle)
		if cycle == "" {
			return fmt.Errorf("host %s: its last patch has finished and names no cycle; start a cycle to change it", opts.Host)
		}
		var reply workflows.CycleReply
		if err := sendUpdate(ctx, c, cycle, workflows.MsgRollbackHost, workflows.HostRequest{Host: opts.Host}, &reply); err != nil {
			return err
		}
		return printDecision(opts.IO.Out, opts.JSON, decision{Host: opts.Host, State: "rollback requested from " + cycle})
	}
	if !running {
		return fmt.Errorf("host %s: its patch has finished (%s); %s applies to a host waiting for a decision", opts.Host, desc.WorkflowExecutionInfo.Status, opts.Verb)
	}
	var reply workflows.DecisionReply
	if err := sendUpdate(ctx, c, id, opts.Verb, nil, &reply); err != nil {
		return err
	}
	return printDecision(opts.IO.Out, opts.JSON, decision{Host: reply.Host, State: string(reply.State)})
}

// decision is what a host verb prints: the host and where it now stands.
type decision struct {
	Host  string `json:"host"`
	State string `json:"state"`
}

func printDecision(w io.Writer, asJSON bool, r decision) error {
	if asJSON {
		return printJSON(w, r)
	}
	_, err := termf(w, "%s: %s\n", r.Host, r.State)
	return err
}

// printCycleHosts lists hosts with their state and reason.
func printCycleHosts(w io.Writer, hosts []workflows.HostReport) {
	if len(hosts) == 0 {
		return
	}
	t := newTable(w, "HOST", "STAGE", "STATE", "REASON")
	for _, h := range hosts {
		t.row(h.Host, h.Stage, string(h.State), h.Reason)
	}
	t.flush()
}
