package cli

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/patchflow/patchflow/domain"
	"github.com/patchflow/patchflow/policies"
	"github.com/patchflow/patchflow/policyspec"
)

// explainWindows is how many upcoming window starts explain shows.
const explainWindows = 5

// explainMaxWaves is how many waves the table lists; the rest are summed
// up in one line (--json has them all).
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

// PolicyExplainResult is the `policy explain --json` object. Everything
// in it is computed from Spec, the spec a cycle of the policy runs, with
// the functions the cycle runs.
type PolicyExplainResult struct {
	File   string           `json:"file"`
	Policy *policies.Policy `json:"policy"` // as written, every default filled in
	// Spec is what a cycle of the policy runs (policyspec.Spec).
	Spec     domain.CycleSpec `json:"spec"`
	Warnings []string         `json:"warnings"`
	// Rollout is the spec's rollout: against the inventory (hosts per
	// wave), or for --fleet-size hosts (sizes only); nil when the fleet
	// size is unknown.
	Rollout       *policyspec.Rollout `json:"rollout"`
	FleetSize     int                 `json:"fleet_size"` // production hosts; -1 unknown
	FailureBudget ExplainBudget       `json:"failure_budget"`
	WorstCase     policies.Duration   `json:"host_worst_case"`
	Window        *domain.WindowSpec  `json:"window"` // nil: no maintenance window
	NextWindows   []ExplainWindow     `json:"next_windows"`
	Notes         []string            `json:"notes"`
}

// ExplainBudget is the failure budget as set and as it applies.
type ExplainBudget struct {
	domain.Budget
	Effective int                 `json:"effective"` // failed hosts tolerated; -1 unknown fleet
	OnBreach  domain.BreachAction `json:"on_breach"`
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
		Long: `Show what a cycle of a policy will do, so a reviewer can check it before it
runs: the staging hosts and the hosts of every wave (from the policy's
inventory, in inventory order), the next maintenance windows in the policy's
time zone, the effective failure budget, one host's worst-case time and the
patch selection, computed from the spec a cycle runs with the cycle's own
rules.

When the inventory cannot be read here (a URL), --fleet-size plans the waves
for a given number of hosts.

Exit codes: 0 shown, 1 the policy or its inventory has problems, 2 usage error.`,
		Example: `  patchflow policy explain policies/examples/web-canary.yaml
  patchflow policy explain policy.yaml --fleet-size 200 --json`,
		Args: wrapArgs(cobra.ExactArgs(1)),
		RunE: func(_ *cobra.Command, args []string) error {
			opts.File = args[0]
			if opts.FleetSize < 0 || opts.FleetSize > domain.MaxFleet {
				return UsageError("policy explain: --fleet-size must be from 0 to %d, got %d", domain.MaxFleet, opts.FleetSize)
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
	out, err := explainPolicy(opts)
	if err != nil {
		for _, e := range problemList(err) {
			termf(opts.IO.ErrOut, "%s\n", e)
		}
		return SilentError(ExitFailure)
	}
	if opts.JSON {
		return printJSON(opts.IO.Out, out)
	}
	return printExplain(opts.IO.Out, out)
}

// explainPolicy computes what explain shows.
func explainPolicy(opts *PolicyExplainOptions) (*PolicyExplainResult, error) {
	f, err := readPolicyFile(opts.File, policyRead{noInventory: opts.FleetSize > 0})
	if err != nil {
		return nil, err
	}
	spec := f.spec
	out := &PolicyExplainResult{
		File: opts.File, Policy: f.policy, Spec: spec, Warnings: f.warnings, Rollout: f.rollout, FleetSize: -1,
		WorstCase:     policies.Duration(spec.Host.WorstCase()),
		FailureBudget: ExplainBudget{Budget: spec.Budget, Effective: -1, OnBreach: spec.OnBudgetBreach},
		NextWindows:   []ExplainWindow{}, Notes: []string{},
	}
	if out.Warnings == nil {
		out.Warnings = []string{}
	}
	if f.note != "" {
		out.Notes = append(out.Notes, f.note)
	}
	if opts.FleetSize > 0 {
		waves, budget, errs := policyspec.PlanFleet(f.policy, spec, opts.FleetSize)
		if errs != nil {
			return nil, errs
		}
		out.Rollout = &policyspec.Rollout{Waves: waves, Budget: budget}
		out.FleetSize = opts.FleetSize
	}
	switch {
	case f.rollout != nil:
		out.FleetSize = len(f.rollout.Production)
	case out.Rollout == nil:
		out.Notes = append(out.Notes, "wave sizes need the fleet size: make the inventory readable or pass --fleet-size")
	}
	if out.Rollout != nil {
		out.FailureBudget.Effective = out.Rollout.Budget
	}
	if ws, ok := f.policy.Window.ScheduleSpec(); ok {
		out.Window = &ws
		starts, err := spec.Window.NextWindows(opts.Now(), explainWindows)
		if err != nil {
			return nil, fmt.Errorf("explain %s: next windows: %w", opts.File, err)
		}
		for _, s := range starts {
			out.NextWindows = append(out.NextWindows, ExplainWindow{Start: s, End: s.Add(spec.Window.Duration)})
		}
	}
	return out, nil
}

func printExplain(w io.Writer, r *PolicyExplainResult) error {
	spec := r.Spec
	termf(w, "policy %s (%s)\n", spec.Policy, r.File)
	if d := r.Policy.Metadata.Description; d != "" {
		termf(w, "  %s\n", d)
	}
	for _, n := range r.Notes {
		termf(w, "note: %s\n", n)
	}
	for _, n := range r.Warnings {
		termf(w, "warning: %s\n", n)
	}
	fmt.Fprintln(w)
	termf(w, "targets    %s, select %s\n", r.Policy.Targets.Inventory, orAll(spec.Inventory.Select))
	if ro := r.Rollout; ro != nil && ro.Inventory != "" {
		termf(w, "           %d target hosts, %d staging, %d in waves\n", len(ro.Targets), len(ro.Staging), len(ro.Production))
		if len(ro.Staging) > 0 {
			termf(w, "staging    %s\n", strings.Join(ro.Staging, ", "))
		}
	}
	termf(w, "patches    %s\n", describePatches(spec.Patches))
	termf(w, "approval   %s\n", describeApproval(spec.Approval))
	fmt.Fprintln(w)

	fmt.Fprintln(w, "waves")
	if r.Rollout == nil {
		for _, wv := range spec.Waves {
			size := fmt.Sprintf("%g%%", wv.Percent)
			if wv.Count > 0 {
				size = fmt.Sprintf("%d hosts", wv.Count)
			}
			termf(w, "  %s: %s, max_parallel %d, bake %s\n", wv.Name, size, wv.Parallel(), policies.Duration(wv.Bake))
		}
	} else {
		printExplainWaves(w, r.Rollout.Waves)
	}
	budget := "unknown until the fleet size is known"
	if r.FailureBudget.Effective >= 0 {
		budget = fmt.Sprintf("%d failed host%s tolerated of %d", r.FailureBudget.Effective, plural(r.FailureBudget.Effective), r.FleetSize)
	}
	termf(w, "budget     %s (%s), on breach %s\n", budget, describeBudget(spec.Budget), spec.OnBudgetBreach)
	termf(w, "per host   worst case %s, reboot %s, %d pre and %d post hooks\n", r.WorstCase, spec.Host.Reboot, len(spec.Host.PreHooks), len(spec.Host.PostHooks))
	for _, c := range spec.Checks {
		when := "host"
		if c.OnWave() {
			when = "wave"
		}
		termf(w, "check      %s (%s, after each %s)\n", c.Name, c.Type, when)
	}
	l := spec.Host.Limits()
	termf(w, "on failure roll back host: %t, operator decision within %s else %s\n", spec.Host.RollbackOnFailure, policies.Duration(l.Decision), spec.Host.OnDecisionTimeout)
	fmt.Fprintln(w)
	if r.Window == nil {
		fmt.Fprintln(w, "window     none: cycles run when started")
		return nil
	}
	cw := spec.Window
	sched := cw.Cron
	if sched == "" {
		sched = strings.Join(cw.Days, ",") + " at " + cw.Start
	}
	termf(w, "window     %s (%s), %s long, jitter %s\n", sched, cw.Timezone, policies.Duration(cw.Duration), policies.Duration(r.Window.Jitter))
	if len(cw.BlackoutDates) > 0 {
		termf(w, "blackout   %s\n", strings.Join(cw.BlackoutDates, ", "))
	}
	termf(w, "next %d windows (%s):\n", len(r.NextWindows), cw.Timezone)
	for _, nw := range r.NextWindows {
		termf(w, "  %s - %s  (%s UTC)\n", nw.Start.Format("Mon 2006-01-02 15:04 MST"), nw.End.Format("15:04 MST"), nw.Start.UTC().Format("2006-01-02 15:04"))
	}
	return nil
}

// printExplainWaves lists the first explainMaxWaves waves and sums up the
// rest.
func printExplainWaves(w io.Writer, waves []policyspec.Wave) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "  #\tNAME\tHOSTS\tPARALLEL\tBAKE\tWHICH")
	for i, wv := range waves[:min(len(waves), explainMaxWaves)] {
		termf(tw, "  %d\t%s\t%d\t%d\t%s\t%s\n", i+1, wv.Name, wv.Size, wv.MaxParallel, policies.Duration(wv.Bake), orDash(someHosts(wv.Hosts)))
	}
	tw.Flush()
	if rest := waves[min(len(waves), explainMaxWaves):]; len(rest) > 0 {
		hosts := 0
		for _, wv := range rest {
			hosts += wv.Size
		}
		termf(w, "  ... and %d more wave%s with %d hosts (explain lists the first %d)\n", len(rest), plural(len(rest)), hosts, explainMaxWaves)
	}
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

// describePatches renders the plan's rules as the cycle applies them.
func describePatches(r domain.PatchRules) string {
	classes := make([]string, len(r.Classes))
	for i, c := range r.Classes {
		classes[i] = string(c)
	}
	unknown := "counts as " + string(r.UnknownSeverity)
	switch r.UnknownSeverity {
	case domain.UnknownExcluded:
		unknown = "excluded"
	case domain.SeverityCritical:
		unknown = "always included"
	}
	parts := []string{strings.Join(classes, "+"), "min severity " + string(r.MinSeverity), "unknown severity " + unknown}
	for _, l := range []struct {
		name string
		list []string
	}{{"include", r.Include}, {"exclude", r.Exclude}, {"approve", r.Approve}, {"reject", r.Reject}, {"only fixes of", r.CVEs},
		{"interactive zypper patches", r.Interactive}} {
		if len(l.list) > 0 {
			parts = append(parts, l.name+" "+strings.Join(l.list, " "))
		}
	}
	if r.KEV {
		parts = append(parts, "only fixes of KEV-listed CVEs")
	}
	if r.MinEPSS > 0 {
		parts = append(parts, fmt.Sprintf("only EPSS >= %g", r.MinEPSS))
	}
	if r.MinAge > 0 {
		parts = append(parts, "due for at least "+policies.Duration(r.MinAge).String())
	}
	return strings.Join(parts, "; ")
}

func describeApproval(a domain.ApprovalSpec) string {
	wait := "wait without a limit"
	if a.Timeout > 0 {
		wait = fmt.Sprintf("wait up to %s, then %s", policies.Duration(a.Timeout), a.OnTimeout)
	}
	maxAge := a.PlanMaxAge
	if maxAge <= 0 {
		maxAge = domain.DefaultPlanMaxAge
	}
	switch {
	case a.Mode == domain.ApprovalPlan:
		return fmt.Sprintf("by reviewed plan only (cycle start --plan, then approve --plan), plans apply up to %s after they are made; %s", policies.Duration(maxAge), wait)
	case a.Manual(domain.Plan{}):
		return "manual, " + wait
	case a.RiskAbove > 0:
		return fmt.Sprintf("automatic, manual (%s) when a planned update's risk is above %d", wait, a.RiskAbove)
	}
	return "automatic"
}

func describeBudget(b domain.Budget) string {
	switch {
	case b.MaxFailures > 0 && b.MaxPercent > 0:
		return fmt.Sprintf("the smaller of count %d and %g%% of the fleet", b.MaxFailures, b.MaxPercent)
	case b.MaxFailures > 0:
		return fmt.Sprintf("count %d", b.MaxFailures)
	case b.MaxPercent > 0:
		return fmt.Sprintf("%g%% of the fleet, rounded down", b.MaxPercent)
	}
	return "none set: the first failure is a breach"
}
