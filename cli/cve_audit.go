package cli

import (
	"context"
	"errors"

	"github.com/spf13/cobra"

	"github.com/patchflow/patchflow/posture"
	"github.com/patchflow/patchflow/report"
)

// NewCmdCVE builds `patchflow cve` and its verbs.
func NewCmdCVE(f *Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "cve",
		Short: "Where the estate stands for given CVEs",
	}
	addTemporalFlags(cmd.PersistentFlags(), &f.Temporal)
	cmd.AddCommand(NewCmdCVEAudit(f, nil))
	return cmd
}

// CVEAuditOptions are the flags of `cve audit`.
type CVEAuditOptions struct {
	IO       IOStreams
	Factory  *Factory
	CVEs     []string
	Policies []string
	JSON     bool
	MaxHosts int
	Lookback int
	TimeZone string
	Args     []string
	Now      reportClock
}

// NewCmdCVEAudit builds `patchflow cve audit`.
func NewCmdCVEAudit(f *Factory, runF func(*CVEAuditOptions) error) *cobra.Command {
	opts := &CVEAuditOptions{IO: f.IO, Factory: f}
	cmd := &cobra.Command{
		Use:   "audit CVE-ID... [-p POLICY]...",
		Short: "Every host's state for each CVE: affected, fix not in repos, reboot pending, scheduled, patched...",
		Long: `Audit gives, for each CVE, every host of every assessed policy (or of the
policies given with -p, a file or a name) with its state and what the state
rests on:

  affected_patchable   a vulnerable version is installed; its repositories have the fix
  fix_not_in_repos     a fixed version is released but not in the host's repositories
  affected_no_fix      vulnerable, and no fix is released for the host's release
  reboot_pending       the fix is installed but the running kernel is still the old one
  scheduled            a parked cycle or a schedule will patch it (cycle, wave, window)
  unknown              not assessed (never, or its assessments failed)
  patched              a cycle installed the fix and a later assessment verified it
  not_affected         the latest assessment found no vulnerable package

"patched" needs verified remediation: an assessment found the host affected,
a patchflow cycle installed one of the affected packages, and a later
assessment found it clear. An install that returned 0 is not enough: until
the next assessment the host stays affected_patchable, with a note naming the
cycle. --lookback bounds the earlier assessments read to find where a host
was affected.`,
		Args: wrapArgs(cobra.MinimumNArgs(1)),
		RunE: func(_ *cobra.Command, args []string) error {
			var errs []error
			seen := map[string]bool{}
			opts.CVEs = nil
			for _, a := range args {
				id, err := report.NormalizeCVEID(a)
				if err != nil {
					errs = append(errs, err)
					continue
				}
				if !seen[id] {
					seen[id] = true
					opts.CVEs = append(opts.CVEs, id)
				}
			}
			if len(errs) > 0 {
				return &ExitError{Code: ExitUsage, Err: errors.Join(errs...)}
			}
			if opts.Lookback < 0 {
				return UsageError("--lookback must not be negative, got %d", opts.Lookback)
			}
			opts.Args = append(append([]string{"cve", "audit"}, opts.CVEs...), policyArgs(opts.Policies)...)
			if runF != nil {
				return runF(opts)
			}
			return cveAuditRun(opts)
		},
	}
	fl := cmd.Flags()
	fl.StringArrayVarP(&opts.Policies, "policy", "p", nil, "policy file or name (repeatable; default: every assessed policy)")
	fl.BoolVar(&opts.JSON, "json", false, "print the audit as JSON")
	fl.IntVar(&opts.MaxHosts, "max-hosts", 0, "print at most this many hosts per CVE (table; 0: all)")
	fl.IntVar(&opts.Lookback, "lookback", posture.DefaultLookback, "earlier assessments per policy read to verify remediation")
	fl.StringVar(&opts.TimeZone, "tz", "", "IANA time zone shown beside UTC (default UTC)")
	return cmd
}

func cveAuditRun(opts *CVEAuditOptions) error {
	in, err := readPosture(opts.Factory, opts.IO, opts.Now, opts.Policies, "cve audit",
		func(ctx context.Context, r *posture.Reader, scopes []posture.PolicyScope) (report.CVEAuditInput, []string, error) {
			return r.CVEAudit(ctx, posture.CVEAuditOptions{CVEs: opts.CVEs, Policies: scopes, Lookback: opts.Lookback,
				TimeZone: opts.TimeZone, Generator: generatorLine(opts.Factory, opts.Args)})
		})
	if err != nil {
		return err
	}
	a, err := report.BuildCVEAudit(in)
	if err != nil {
		return err
	}
	if opts.JSON {
		return report.WriteJSON(opts.IO.Out, a)
	}
	return report.WriteCVEAuditTable(opts.IO.Out, a, report.TableOptions{MaxHosts: opts.MaxHosts})
}
