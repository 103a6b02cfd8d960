package cli

import (
	"time"

	"github.com/spf13/cobra"

	"github.com/patchflow/patchflow/posture"
	"github.com/patchflow/patchflow/schedules"
)

// defaultAssessEvery is the assessment interval without --every: four
// assessments a day keep a daily report current with room for a failed one.
const defaultAssessEvery = 6 * time.Hour

// addAssessScheduleFlags adds --assess, --every and --kev-due-date to
// schedule create and update.
func addAssessScheduleFlags(cmd *cobra.Command, opts *ScheduleApplyOptions) {
	fl := cmd.Flags()
	fl.BoolVar(&opts.Assess, "assess", false, "schedule the policy's assessment every --every instead of its cycles (schedule assess/<policy>; the policy needs no window)")
	fl.DurationVar(&opts.Every, "every", defaultAssessEvery, "with --assess: the time between assessments")
	fl.BoolVar(&opts.KEVDueDate, "kev-due-date", false, "with --assess: a KEV-listed CVE's CISA due date is a deadline too")
	if cmd.Long == "" {
		cmd.Long = cmd.Short + "."
	}
	cmd.Long += `

--assess schedules the policy's periodic assessment (patchflow assess) every
--every (6h by default) instead: schedule ID patchflow/assess/<policy>, so the
other schedule verbs take assess/<policy>. An assessment still running when
the next is due makes that one skip. Report it with patchflow report
compliance; set --stale-after there to about twice the interval.`
}

// checkAssessFlags refuses --every and --kev-due-date without --assess,
// and --dry-run with it (an assessment changes no host anyway).
func checkAssessFlags(c *cobra.Command, opts *ScheduleApplyOptions) error {
	if !opts.Assess {
		for _, name := range []string{"every", "kev-due-date"} {
			if c.Flags().Changed(name) {
				return UsageError("--%s applies to an assessment schedule: add --assess", name)
			}
		}
		return nil
	}
	if opts.DryRun {
		return UsageError("--dry-run and --assess exclude each other: an assessment changes no host")
	}
	if opts.Every < posture.MinAssessInterval {
		return UsageError("--every %s is too short: assess at most every %s (each assessment scans every host)", opts.Every, posture.MinAssessInterval)
	}
	return nil
}

// assessSchedulePlan reads and resolves the policy as `patchflow assess`
// does and builds its assessment schedule; the policy needs no window.
func assessSchedulePlan(opts *ScheduleApplyOptions) (schedules.Plan, error) {
	in, err := specFromPolicy(opts.PolicyPath, opts.IO)
	if err != nil {
		return schedules.Plan{}, err
	}
	return posture.AssessSchedule(in.Spec, opts.KEVDueDate, opts.Every)
}
