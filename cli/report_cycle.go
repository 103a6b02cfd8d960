package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"
	"go.temporal.io/api/serviceerror"

	"github.com/patchflow/patchflow/evidence"
	"github.com/patchflow/patchflow/report"
)

// ReportCycleOptions are the flags of `patchflow report cycle`.
type ReportCycleOptions struct {
	IO       IOStreams
	Factory  *Factory
	ID       string
	JSON     bool
	HTML     string
	TimeZone string
	// MaxHosts bounds the host rows of the terminal table (0: all).
	MaxHosts int
	// NoQuery derives every host's final state from the history instead
	// of the cycle's hosts query (no worker needed).
	NoQuery bool
	Now     func() time.Time
}

// NewCmdReportCycle builds `patchflow report cycle`: the evidence pack of
// one cycle. Its parent is `patchflow report`.
func NewCmdReportCycle(f *Factory, runF func(*ReportCycleOptions) error) *cobra.Command {
	opts := &ReportCycleOptions{IO: f.IO, Factory: f, Now: time.Now}
	cmd := &cobra.Command{
		Use:   "cycle CYCLE_ID [--json | --html FILE]",
		Short: "Write a cycle's evidence pack for auditors: findings, plan, approval, waves, rollbacks, verification",
		Long: `Write the evidence pack of one patch cycle, from the workflow histories in
Temporal: the findings of each target host before the cycle (its scan: the
planned updates with their CVEs, severity and KEV flag), the plan with each
update's risk and history risk, the approval (who sent it, as the identity on
the approve signal or update in the cycle's history, and when; the reviewed
plan it named; or that the policy approved, or proceeded when no approval came
in time), each stage's and wave's hosts with their times, the versions they
ended at and their reboots, every rollback and the versions it restored, the
final verify, every target host's final state, and the first assessment of the
policy after the cycle: whether each planned host's fixes are verified there.

Without --json or --html it prints the pack as tables. --json prints the whole
pack (schemas/report/cycle-evidence.schema.json); --html FILE writes one
self-contained file to attach to an audit.

Every host's final state comes from the cycle's hosts query, page by page,
which a running worker answers (for a finished cycle too); --no-query derives
it from the history instead.

Exit codes: 0 written, 1 no such cycle or it cannot be read, 2 usage, 4 cannot
reach Temporal.`,
		Args: wrapArgs(cobra.ExactArgs(1)),
		RunE: func(_ *cobra.Command, args []string) error {
			opts.ID = args[0]
			if opts.JSON && opts.HTML != "" {
				return UsageError("--json and --html exclude each other: print the JSON or write the HTML file")
			}
			if _, err := time.LoadLocation(opts.TimeZone); err != nil || opts.TimeZone == "" || opts.TimeZone == "Local" {
				return UsageError("--time-zone %q: name an IANA zone, for example UTC or Europe/Berlin", opts.TimeZone)
			}
			if opts.MaxHosts < 0 {
				return UsageError("--max-hosts must be 0 (all) or more, got %d", opts.MaxHosts)
			}
			if runF != nil {
				return runF(opts)
			}
			return reportCycleRun(opts)
		},
	}
	cmd.Flags().BoolVar(&opts.JSON, "json", false, "print the evidence pack as JSON")
	cmd.Flags().StringVar(&opts.HTML, "html", "", "write the evidence pack as one self-contained HTML file")
	cmd.Flags().StringVar(&opts.TimeZone, "time-zone", "UTC", "IANA zone the times are also shown in")
	cmd.Flags().IntVar(&opts.MaxHosts, "max-hosts", 200, "host rows per table in the terminal output (0: all)")
	cmd.Flags().BoolVar(&opts.NoQuery, "no-query", false, "derive each host's final state from the history (no worker needed)")
	return cmd
}

func reportCycleRun(opts *ReportCycleOptions) error {
	ctx, c, done, err := opts.Factory.connect()
	if err != nil {
		return err
	}
	defer done()
	e, err := evidence.Read(ctx, c, opts.ID, evidence.Options{Now: opts.Now(), TimeZone: opts.TimeZone,
		Generator: "patchflow " + opts.Factory.Version + " report cycle", NoHostsQuery: opts.NoQuery})
	if err != nil {
		return notFoundHint(ctx, opts.ID, err)
	}
	switch {
	case opts.JSON:
		return report.WriteJSON(opts.IO.Out, e)
	case opts.HTML != "":
		if err := writeFileAtomic(opts.HTML, func(w io.Writer) error { return report.WriteCycleEvidenceHTML(w, e, report.HTMLOptions{}) }); err != nil {
			return err
		}
		termf(opts.IO.ErrOut, "evidence pack of cycle %s written to %s\n", opts.ID, opts.HTML)
		return nil
	}
	return report.WriteCycleEvidenceTable(opts.IO.Out, e, report.TableOptions{MaxHosts: opts.MaxHosts})
}

// notFoundHint says how to find a cycle's ID when there is no such cycle.
func notFoundHint(ctx context.Context, id string, err error) error {
	var nf *serviceerror.NotFound
	if errors.As(err, &nf) && ctx.Err() == nil {
		return fmt.Errorf("no cycle %s in this namespace: patchflow cycle list shows the cycles", id)
	}
	return err
}
