package cli

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/patchflow/patchflow/domain"
	"github.com/patchflow/patchflow/policies"
	"github.com/spf13/cobra"
)

// explainWindows is how many upcoming window starts explain shows.
const explainWindows = 5

// explainMaxWaves is how many waves explain lists; the rest are summed up
// in one line (a count of 1 on a large fleet repeats thousands of times).
const explainMaxWaves = 100

// explainMaxHosts is how many host names one wave's row shows.
const explainMaxHosts = 10

// PolicyExplainOptions are the arguments of `patchflow policy explain`.
type PolicyExplainOptions struct {
	IO   IOStreams
	File string
	// FleetSize plans the waves for this many hosts when the inventory
	// cannot be read (a URL, or not on this machine); 0 = use the inventory.
	FleetSize int
	JSON      bool
	// Now is the time windows are computed from; tests pin it.
	Now func() time.Time
}

// PolicyExplainResult is the `policy explain --json` object.
type PolicyExplainResult struct {
	File   string           `json:"file"`
	Policy *policies.Policy `json:"policy"` // with every default filled in
	// Resolved is the plan against the inventory; nil when it was not read.
	Resolved *ResolvedPolicy `json:"resolved"`
	// Waves are the planned waves (with hosts when the inventory was read).
	Waves []ResolvedWave `json:"waves"`
	// MoreWaves sums up the waves past the first explainMaxWaves.
	MoreWaves     *policies.PlanRest `json:"more_waves,omitempty"`
	FleetSize     int                `json:"fleet_size"` // hosts in waves; -1 unknown
	FailureBudget ExplainBudget      `json:"failure_budget"`
	WorstCase     policies.Duration  `json:"host_worst_case"`
	Window        *domain.WindowSpec `json:"window"` // nil: no maintenance window
	NextWindows   []ExplainWindow    `json:"next_windows"`
	Notes         []string           `json:"notes"`
}

// ExplainBudget is the failure budget as written and as it applies.
type ExplainBudget struct {
	Count     int     `json:"count"`
	Percent   float64 `json:"percent"`
	Effective int     `json:"effective"` // failed hosts tolerated; -1 unknown fleet
	OnBreach  string  `json:"on_breach"`
}

// ExplainWindow is one upcoming maintenance window.
type ExplainWindow struct {
	Start time.Time `json:"start"` // RFC 3339 in the policy's time zone
	End   time.Time `json:"end"`
}

// NewCmdPolicyExplain builds `patchflow policy explain FILE`.
func NewCmdPolicyExplain(f *Factory, runF func(*PolicyExplainOptions) error) *cobra.Command {
	opts := &PolicyExplainOptions{IO: f.IO, Now: time.Now}
	cmd := &cobra.Command{
		Use:   "explain FILE",
		Short: "Show the plan a policy resolves to: hosts per wave, next windows, budgets",
		Long: `Show what a policy will do, so a reviewer can check it before it runs:
the staging hosts and the hosts of every wave (from the policy's inventory,
assigned in name order), the next maintenance windows in the policy's time
zone, the effective failure budget, one host's worst-case time and the patch
selection, with every default filled in.

When the inventory cannot be read here (a URL), --fleet-size plans the waves
for a given number of hosts.

Exit codes: 0 shown, 1 the policy or its inventory has problems, 2 usage error.`,
		Example: `  patchflow policy explain policies/examples/web-canary.yaml
  patchflow policy explain policy.yaml --fleet-size 200 --json`,
		Args: wrapArgs(cobra.ExactArgs(1)),
		RunE: func(_ *cobra.Command, args []string) error {
			opts.File = args[0]
			if opts.FleetSize < 0 || opts.FleetSize > policies.MaxFleetSize {
				return UsageError("policy explain: --fleet-size must be from 0 to %d, got %d", policies.MaxFleetSize, opts.FleetSize)
			}
			if runF != nil {
				return runF(opts)
			}
			return policyExplainRun(opts)
		},
	}
	cmd.Flags().IntVar(&opts.FleetSize, "fleet-size", 0, "plan waves for `N` hosts instead of reading the inventory")
	cmd.Flags().BoolVar(&opts.JSON, "json", false, "print the result as JSON")
	return cmd
}

func policyExplainRun(opts *PolicyExplainOptions) error {
	p, errs := loadPolicy(opts.File)
	if errs == nil && opts.FleetSize == 0 {
		var res *ResolvedPolicy
		inv, note, ierrs := loadPolicyInventory(p, opts.File)
		switch {
		case ierrs != nil:
			errs = ierrs
		case inv != nil:
			res, errs = ResolvePolicy(p, inv)
		}
		if errs == nil {
			return explainOutput(opts, p, res, note)
		}
	} else if errs == nil {
		return explainOutput(opts, p, nil, "")
	}
	for _, e := range errs {
		termf(opts.IO.ErrOut, "%s\n", e)
	}
	return SilentError(ExitFailure)
}

func explainOutput(opts *PolicyExplainOptions, p *policies.Policy, res *ResolvedPolicy, note string) error {
	out := PolicyExplainResult{
		File: opts.File, Policy: p, Resolved: res, FleetSize: -1, WorstCase: policies.Duration(p.Host.WorstCase()),
		FailureBudget: ExplainBudget{Count: p.Rollout.FailureBudget.Count, Percent: p.Rollout.FailureBudget.Percent, Effective: -1, OnBreach: p.Rollout.OnBudgetBreach},
		Waves:         []ResolvedWave{}, NextWindows: []ExplainWindow{}, Notes: []string{},
	}
	if note != "" {
		out.Notes = append(out.Notes, note)
	}
	switch {
	case res != nil:
		out.Waves, out.FleetSize, out.FailureBudget.Effective = res.Waves, len(res.Fleet), res.Budget
		if len(out.Waves) > explainMaxWaves {
			rest := policies.PlanRest{Waves: len(out.Waves) - explainMaxWaves}
			for _, w := range out.Waves[explainMaxWaves:] {
				rest.Hosts += w.Size
			}
			out.Waves, out.MoreWaves = out.Waves[:explainMaxWaves], &rest
		}
	case opts.FleetSize > 0:
		plan, rest, err := p.PlanFirst(opts.FleetSize, explainMaxWaves)
		if err != nil {
			termf(opts.IO.ErrOut, "%s\n", err)
			return SilentError(ExitFailure)
		}
		for _, w := range plan {
			out.Waves = append(out.Waves, ResolvedWave{PlannedWave: w})
		}
		if rest.Waves > 0 {
			out.MoreWaves = &rest
		}
		out.FleetSize, out.FailureBudget.Effective = opts.FleetSize, p.EffectiveBudget(opts.FleetSize)
	default:
		out.Notes = append(out.Notes, "wave sizes need the fleet size: make the inventory readable or pass --fleet-size")
	}
	if spec, ok := p.Window.ScheduleSpec(); ok {
		out.Window = &spec
		starts, err := p.Window.CycleWindow().NextWindows(opts.Now(), explainWindows)
		if err != nil {
			return fmt.Errorf("explain %s: next windows: %w", opts.File, err)
		}
		for _, s := range starts {
			out.NextWindows = append(out.NextWindows, ExplainWindow{Start: s, End: s.Add(p.Window.Duration.Std())})
		}
	}
	if opts.JSON {
		return printJSON(opts.IO.Out, out)
	}
	return printExplain(opts.IO.Out, p, out)
}

func printExplain(w io.Writer, p *policies.Policy, r PolicyExplainResult) error {
	termf(w, "policy %s (%s)\n", p.Metadata.Name, r.File)
	if p.Metadata.Description != "" {
		termf(w, "  %s\n", p.Metadata.Description)
	}
	for _, n := range r.Notes {
		termf(w, "note: %s\n", n)
	}
	fmt.Fprintln(w)
	termf(w, "targets    %s, select %s\n", p.Targets.Inventory, orAll(p.Targets.Select))
	if res := r.Resolved; res != nil {
		termf(w, "           %d target hosts, %d staging, %d in waves\n", len(res.Targets), len(res.Staging), len(res.Fleet))
		if len(res.Staging) > 0 {
			termf(w, "staging    %s\n", strings.Join(res.Staging, ", "))
		}
	}
	termf(w, "patches    %s\n", describePatches(p.Patches))
	termf(w, "approval   %s\n", describeApproval(p.Approval))
	fmt.Fprintln(w)

	fmt.Fprintln(w, "waves")
	if len(r.Waves) == 0 {
		for _, wv := range p.Rollout.Waves {
			size := fmt.Sprintf("%g%%", wv.Percent)
			if wv.Count > 0 {
				size = fmt.Sprintf("%d hosts", wv.Count)
			}
			termf(w, "  %s: %s, max_parallel %d, bake %s\n", wv.Name, size, wv.MaxParallel, wv.Bake)
		}
	} else {
		tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "  #\tNAME\tHOSTS\tPARALLEL\tBAKE\tWHICH")
		for i, wv := range r.Waves {
			termf(tw, "  %d\t%s\t%d\t%d\t%s\t%s\n", i+1, wv.Name, wv.Size, wv.MaxParallel, policies.Duration(wv.Bake), orDash(someHosts(wv.Hosts)))
		}
		tw.Flush()
		if m := r.MoreWaves; m != nil {
			termf(w, "  ... and %d more wave%s with %d hosts (explain lists the first %d)\n", m.Waves, plural(m.Waves), m.Hosts, explainMaxWaves)
		}
	}
	budget := "unknown until the fleet size is known"
	if r.FailureBudget.Effective >= 0 {
		budget = fmt.Sprintf("%d failed host%s tolerated of %d", r.FailureBudget.Effective, plural(r.FailureBudget.Effective), r.FleetSize)
	}
	termf(w, "budget     %s (%s), on breach %s\n", budget, describeBudget(r.FailureBudget), r.FailureBudget.OnBreach)
	termf(w, "per host   worst case %s, reboot %s, %d pre and %d post hooks\n", r.WorstCase, p.Host.Reboot, len(p.Host.PreHooks), len(p.Host.PostHooks))
	for _, c := range p.Checks {
		termf(w, "check      %s (%s, after each %s)\n", c.Name, c.Type, c.Scope)
	}
	termf(w, "on failure roll back host: %t, operator decision within %s else %s\n", p.Rollback.OnHostFailure, p.Rollback.DecisionTimeout, p.Rollback.OnDecisionTimeout)
	fmt.Fprintln(w)
	if r.Window == nil {
		fmt.Fprintln(w, "window     none: cycles run when started")
		return nil
	}
	sched := p.Window.Cron
	if p.Window.Calendar != nil {
		sched = strings.Join(p.Window.Calendar.Days, ",") + " at " + p.Window.Calendar.Start
	}
	termf(w, "window     %s (%s), %s long, jitter %s\n", sched, p.Window.Timezone, p.Window.Duration, p.Window.Jitter)
	if len(p.Window.BlackoutDates) > 0 {
		termf(w, "blackout   %s\n", strings.Join(p.Window.BlackoutDates, ", "))
	}
	termf(w, "next %d windows (%s):\n", len(r.NextWindows), p.Window.Timezone)
	for _, nw := range r.NextWindows {
		termf(w, "  %s - %s  (%s UTC)\n", nw.Start.Format("Mon 2006-01-02 15:04 MST"), nw.End.Format("15:04 MST"), nw.Start.UTC().Format("2006-01-02 15:04"))
	}
	return nil
}

// someHosts lists a wave's hosts, the first explainMaxHosts of them.
func someHosts(hosts []string) string {
	if len(hosts) <= explainMaxHosts {
		return strings.Join(hosts, ",")
	}
	return fmt.Sprintf("%s,... (%d more)", strings.Join(hosts[:explainMaxHosts], ","), len(hosts)-explainMaxHosts)
}

func orAll(terms []string) string {
	if len(terms) == 0 {
		return "every host"
	}
	return strings.Join(terms, " ")
}

func describePatches(pt policies.Patches) string {
	parts := []string{strings.Join(pt.Classifications, "+"), "min severity " + pt.MinSeverity, "unknown severity " + pt.UnknownSeverity}
	if pt.MinAge > 0 {
		parts = append(parts, "at least "+pt.MinAge.String()+" old")
	}
	for _, l := range []struct {
		name string
		list []string
	}{{"include", pt.Include}, {"exclude", pt.Exclude}, {"approve", pt.Approve}, {"reject", pt.Reject}} {
		if len(l.list) > 0 {
			parts = append(parts, l.name+" "+strings.Join(l.list, " "))
		}
	}
	return strings.Join(parts, "; ")
}

func describeApproval(a policies.Approval) string {
	if a.Mode == policies.ApprovalAuto {
		return "automatic"
	}
	return fmt.Sprintf("manual, wait up to %s, then %s", a.Timeout, a.OnTimeout)
}

func describeBudget(b ExplainBudget) string {
	switch {
	case b.Count > 0 && b.Percent > 0:
		return fmt.Sprintf("the smaller of count %d and %g%% of the fleet", b.Count, b.Percent)
	case b.Count > 0:
		return fmt.Sprintf("count %d", b.Count)
	case b.Percent > 0:
		return fmt.Sprintf("%g%% of the fleet, rounded down", b.Percent)
	}
	return "none set: the first failure is a breach"
}
