package cli

import (
	"errors"
	"fmt"
	"os"
	"os/user"
	"strings"
	"time"

	"github.com/spf13/cobra"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"

	"github.com/patchflow/patchflow/posture"
	"github.com/patchflow/patchflow/workflows"
)

// NewCmdException builds `patchflow exception` and its verbs.
func NewCmdException(f *Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "exception",
		Short: "Accept the risk of CVEs on some hosts until a date (risk exceptions that expire)",
		Long: `A risk exception accepts the risk of some CVEs on some hosts until a date, with
a reason and who accepted it, as auditors require. It is a Temporal workflow
(exception/<id>) holding a durable timer: when it expires, the fixes count as
missing again in the next assessment and report; revoke ends it early.
Reports show every exception, active and expired.`,
	}
	addTemporalFlags(cmd.PersistentFlags(), &f.Temporal)
	cmd.AddCommand(NewCmdExceptionAdd(f, nil), NewCmdExceptionList(f, nil), NewCmdExceptionRevoke(f, nil))
	return cmd
}

// ExceptionAddOptions are the flags of `exception add`.
type ExceptionAddOptions struct {
	IO      IOStreams
	Factory *Factory
	Request posture.ExceptionRequest
	JSON    bool
	Now     func() time.Time
}

// NewCmdExceptionAdd builds `patchflow exception add`.
func NewCmdExceptionAdd(f *Factory, runF func(*ExceptionAddOptions) error) *cobra.Command {
	opts := &ExceptionAddOptions{IO: f.IO, Factory: f, Now: time.Now}
	cmd := &cobra.Command{
		Use:   "add CVE-ID... --hosts SELECTOR --until DATE --reason TEXT",
		Short: "Accept the risk of CVEs on the selected hosts until a date",
		Long: `Add accepts the risk of the CVEs on the hosts --hosts selects (host=db1,
group=web, env=prod; resolved against each assessment's inventory when it
runs) until --until: a date YYYY-MM-DD (the exception covers that whole day,
UTC) or an RFC 3339 time, at most a year ahead. --reason says why (auditors
read it); --by names who accepts the risk (default: this user).

A missing fix is covered while every one of its CVEs is. Covered fixes show
as excepted in reports and do not make a host noncompliant.`,
		Args: wrapArgs(cobra.MinimumNArgs(1)),
		RunE: func(_ *cobra.Command, args []string) error {
			opts.Request.CVEs = args
			if runF != nil {
				return runF(opts)
			}
			return exceptionAddRun(opts)
		},
	}
	fl := cmd.Flags()
	fl.StringArrayVar(&opts.Request.Hosts, "hosts", nil, "hosts the risk is accepted on: selector terms (host=db1, group=web, env=prod)")
	fl.StringVar(&opts.Request.Until, "until", "", "when the exception ends: YYYY-MM-DD (end of that day, UTC) or an RFC 3339 time")
	fl.StringVar(&opts.Request.Reason, "reason", "", "why the risk is accepted")
	fl.StringVar(&opts.Request.By, "by", currentUser(), "who accepts the risk")
	fl.StringVar(&opts.Request.ID, "id", "", "the exception's id (default EXC-<date>-<random>)")
	fl.BoolVar(&opts.JSON, "json", false, "print the exception as JSON")
	return cmd
}

// currentUser names who runs the command, for --by.
func currentUser() string {
	if u, err := user.Current(); err == nil && u.Username != "" {
		return u.Username
	}
	return os.Getenv("USER")
}

func exceptionAddRun(opts *ExceptionAddOptions) error {
	now := opts.Now()
	if opts.Request.ID == "" {
		opts.Request.ID = posture.NewExceptionID(now)
	}
	e, err := posture.NewException(opts.Request, now)
	if err != nil {
		return err
	}
	ctx, c, done, err := opts.Factory.connect()
	if err != nil {
		return err
	}
	defer done()
	id := workflows.ExceptionID(e.ID)
	_, err = c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID: id, TaskQueue: workflows.TaskQueue,
		WorkflowIDConflictPolicy:                 enumspb.WORKFLOW_ID_CONFLICT_POLICY_FAIL,
		WorkflowIDReusePolicy:                    enumspb.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE,
		WorkflowExecutionErrorWhenAlreadyStarted: true,
		StaticSummary: fmt.Sprintf("risk of %s accepted on %s until %s", strings.Join(e.CVEs, ", "),
			strings.Join(e.Select, ","), e.Until.UTC().Format(time.RFC3339)),
		Memo: map[string]any{workflows.ExceptionMemo: e},
	}, workflows.ExceptionWorkflow, e)
	if err != nil {
		var started *serviceerror.WorkflowExecutionAlreadyStarted
		if errors.As(err, &started) {
			return fmt.Errorf("exception %s already exists: choose another --id", e.ID)
		}
		return temporalError(fmt.Errorf("add exception %s: %w", e.ID, err))
	}
	if opts.JSON {
		return printJSON(opts.IO.Out, e)
	}
	termf(opts.IO.Out, "exception %s: risk of %s accepted on %s until %s (%s)\nrevoke it early: patchflow exception revoke %s\n",
		e.ID, strings.Join(e.CVEs, ", "), strings.Join(e.Select, ","), e.Until.UTC().Format(time.RFC3339), e.Reason, e.ID)
	return nil
}

// ExceptionListOptions are the flags of `exception list`.
type ExceptionListOptions struct {
	IO      IOStreams
	Factory *Factory
	All     bool
	JSON    bool
	Now     reportClock
}

// NewCmdExceptionList builds `patchflow exception list`.
func NewCmdExceptionList(f *Factory, runF func(*ExceptionListOptions) error) *cobra.Command {
	opts := &ExceptionListOptions{IO: f.IO, Factory: f}
	cmd := &cobra.Command{
		Use:   "list [--all]",
		Short: "List the risk exceptions in force (--all: also expired and revoked ones)",
		Args:  wrapArgs(cobra.NoArgs),
		RunE: func(*cobra.Command, []string) error {
			if runF != nil {
				return runF(opts)
			}
			return exceptionListRun(opts)
		},
	}
	cmd.Flags().BoolVar(&opts.All, "all", false, "also list exceptions that expired or were revoked (within the namespace's retention)")
	cmd.Flags().BoolVar(&opts.JSON, "json", false, "print the list as JSON")
	return cmd
}

func exceptionListRun(opts *ExceptionListOptions) error {
	ctx, c, done, err := opts.Factory.connect()
	if err != nil {
		return err
	}
	defer done()
	recs, err := (&posture.Reader{C: c, Now: opts.Now.now}).Exceptions(ctx, opts.All)
	if err != nil {
		return temporalError(err)
	}
	if opts.JSON {
		if recs == nil {
			recs = []posture.ExceptionRecord{}
		}
		return printJSON(opts.IO.Out, map[string]any{"exceptions": recs})
	}
	t := newTable(opts.IO.Out, "ID", "STATE", "CVES", "HOSTS", "UNTIL (UTC)", "BY", "REASON")
	for _, r := range recs {
		state := r.State
		if r.EndedHow != "" && r.State != posture.ExceptionExpired {
			state += " (" + r.EndedHow + ")"
		}
		t.row(r.ID, state, strings.Join(r.CVEs, ","), strings.Join(r.Select, ","), r.Until.UTC().Format(time.DateTime), r.By, r.Reason)
	}
	t.flush()
	return nil
}

// ExceptionRevokeOptions are the flags of `exception revoke`.
type ExceptionRevokeOptions struct {
	IO      IOStreams
	Factory *Factory
	ID      string
	Reason  string
	By      string
}

// NewCmdExceptionRevoke builds `patchflow exception revoke`.
func NewCmdExceptionRevoke(f *Factory, runF func(*ExceptionRevokeOptions) error) *cobra.Command {
	opts := &ExceptionRevokeOptions{IO: f.IO, Factory: f}
	cmd := &cobra.Command{
		Use:   "revoke ID",
		Short: "End a risk exception now: its fixes count as missing again",
		Args:  wrapArgs(cobra.ExactArgs(1)),
		RunE: func(_ *cobra.Command, args []string) error {
			opts.ID = strings.TrimPrefix(args[0], "exception/")
			if runF != nil {
				return runF(opts)
			}
			return exceptionRevokeRun(opts)
		},
	}
	cmd.Flags().StringVar(&opts.Reason, "reason", "revoked", "why the exception ends early")
	cmd.Flags().StringVar(&opts.By, "by", currentUser(), "who revokes it")
	return cmd
}

func exceptionRevokeRun(opts *ExceptionRevokeOptions) error {
	ctx, c, done, err := opts.Factory.connect()
	if err != nil {
		return err
	}
	defer done()
	id := workflows.ExceptionID(opts.ID)
	h, err := c.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{
		WorkflowID: id, UpdateName: workflows.MsgRevoke, WaitForStage: client.WorkflowUpdateStageCompleted,
		Args: []any{workflows.RevokeRequest{By: opts.By, Reason: opts.Reason}},
	})
	if err == nil {
		err = h.Get(ctx, nil)
	}
	if err != nil {
		var nf *serviceerror.NotFound
		if errors.As(err, &nf) || strings.Contains(err.Error(), "workflow execution already completed") {
			return fmt.Errorf("no exception %s in force: patchflow exception list --all shows every exception", opts.ID)
		}
		return temporalError(fmt.Errorf("revoke exception %s: %w", opts.ID, err))
	}
	termf(opts.IO.Out, "exception %s revoked by %s: %s\n", opts.ID, opts.By, opts.Reason)
	return nil
}
