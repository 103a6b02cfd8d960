package cli

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/patchflow/patchflow/posture"
	"github.com/patchflow/patchflow/report"
)

// NewCmdReport builds `patchflow report` and its verbs.
func NewCmdReport(f *Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "report",
		Short: "Reports for auditors, from the assessments kept in Temporal",
		Long: `Reports read the assessments (patchflow assess, or a schedule made with
patchflow schedule create --assess), the risk exceptions and the cycles kept
in Temporal; docs/posture.md says what every state means.`,
	}
	addTemporalFlags(cmd.PersistentFlags(), &f.Temporal)
	cmd.AddCommand(NewCmdReportCompliance(f, nil), NewCmdReportCycle(f, nil))
	return cmd
}

// ReportComplianceOptions are the flags of `report compliance`.
type ReportComplianceOptions struct {
	IO         IOStreams
	Factory    *Factory
	Policies   []string
	JSON       bool
	HTML       string
	Fixes      bool
	MaxHosts   int
	TrendLimit int
	StaleAfter time.Duration
	TimeZone   string
	Args       []string
	Now        reportClock
}

// NewCmdReportCompliance builds `patchflow report compliance`.
func NewCmdReportCompliance(f *Factory, runF func(*ReportComplianceOptions) error) *cobra.Command {
	opts := &ReportComplianceOptions{IO: f.IO, Factory: f}
	cmd := &cobra.Command{
		Use:   "compliance [-p POLICY]... [--json | --html FILE]",
		Short: "Where every host stands against its policy's required fixes, with SLA states and the trend",
		Long: `Report compliance per host and policy from the latest assessment of each
policy: the required fixes each host misses with their CVEs, severity, KEV
flag, age and SLA state; totals per severity; risk exceptions; and the trend
over the retained assessments. Hosts furthest out of SLA come first.

-p takes a policy file or a policy name (repeat it for several); without it
every assessed policy is in the report. With a policy file, the hosts its
inventory lists that no assessment covered show as never_assessed, and its
SLA applies. A host whose latest assessment failed (an unreachable host, a
shard or a whole assessment that failed half-way) shows as assessment_failed,
one not assessed within --stale-after as stale_assessment: none of them ever
counts as compliant. A stale advisory source is flagged.

--json prints the report (schemas/report/compliance.schema.json); --html FILE
writes one self-contained HTML file with the trend chart, for an audit.`,
		Args: wrapArgs(cobra.NoArgs),
		RunE: func(c *cobra.Command, _ []string) error {
			if opts.JSON && opts.HTML != "" {
				return UsageError("--json and --html exclude each other: the HTML file holds the same report")
			}
			if c.Flags().Changed("stale-after") && opts.StaleAfter <= 0 {
				return UsageError("--stale-after must be positive, got %s", opts.StaleAfter)
			}
			opts.Args = append([]string{"report", "compliance"}, policyArgs(opts.Policies)...)
			if runF != nil {
				return runF(opts)
			}
			return reportComplianceRun(opts)
		},
	}
	fl := cmd.Flags()
	fl.StringArrayVarP(&opts.Policies, "policy", "p", nil, "policy file or name (repeatable; default: every assessed policy)")
	fl.BoolVar(&opts.JSON, "json", false, "print the report as JSON")
	fl.StringVar(&opts.HTML, "html", "", "write the report as a self-contained HTML file")
	fl.BoolVar(&opts.Fixes, "fixes", false, "list each host's missing fixes under it (table)")
	fl.IntVar(&opts.MaxHosts, "max-hosts", 0, "print at most this many host rows (table; 0: all)")
	fl.IntVar(&opts.TrendLimit, "trend", posture.DefaultTrendLimit, "trend points per policy: its latest assessments")
	fl.DurationVar(&opts.StaleAfter, "stale-after", report.DefaultStaleAfter, "a host last assessed longer ago is stale_assessment (about twice the assessment interval)")
	fl.StringVar(&opts.TimeZone, "tz", "", "IANA time zone shown beside UTC (default UTC)")
	return cmd
}

func reportComplianceRun(opts *ReportComplianceOptions) error {
	in, err := readPosture(opts.Factory, opts.IO, opts.Now, opts.Policies, "compliance report",
		func(ctx context.Context, r *posture.Reader, scopes []posture.PolicyScope) (report.ComplianceInput, []string, error) {
			return r.Compliance(ctx, posture.ComplianceOptions{Policies: scopes, TrendLimit: opts.TrendLimit,
				StaleAfter: opts.StaleAfter, TimeZone: opts.TimeZone, Generator: generatorLine(opts.Factory, opts.Args)})
		})
	if err != nil {
		return err
	}
	rep, err := report.BuildCompliance(in)
	if err != nil {
		return err
	}
	switch {
	case opts.JSON:
		return report.WriteJSON(opts.IO.Out, rep)
	case opts.HTML != "":
		var buf bytes.Buffer
		if err := report.WriteComplianceHTML(&buf, rep, report.HTMLOptions{}); err != nil {
			return err
		}
		if err := os.WriteFile(opts.HTML, buf.Bytes(), 0o644); err != nil {
			return fmt.Errorf("write the HTML report: %w", err)
		}
		termf(opts.IO.ErrOut, "wrote %s: %d hosts, %.1f%% compliant\n", opts.HTML, rep.Totals.Hosts, 100*rep.Totals.CompliantRatio)
		return nil
	}
	return report.WriteComplianceTable(opts.IO.Out, rep, report.TableOptions{MaxHosts: opts.MaxHosts, Fixes: opts.Fixes})
}
