package policies

import "github.com/patchflow/patchflow/domain"

// APIVersion and Kind identify a policy document; both are required at the top
// of every policy file.
const (
	APIVersion = "patchflow/v1"
	Kind       = "PatchPolicy"
)

// Policy is one parsed and validated patch policy. It holds plain values only
// (no YAML nodes), so it can be passed to workflows as a typed, JSON- or
// gob-serialisable value. JSON names are stable snake_case.
type Policy struct {
	APIVersion    string        `json:"api_version" yaml:"apiVersion"`
	Kind          string        `json:"kind" yaml:"kind"`
	Metadata      Metadata      `json:"metadata" yaml:"metadata"`
	Targets       Targets       `json:"targets" yaml:"targets"`
	Patches       Patches       `json:"patches" yaml:"patches"`
	Approval      Approval      `json:"approval" yaml:"approval"`
	Window        Window        `json:"window" yaml:"window"`
	Rollout       Rollout       `json:"rollout" yaml:"rollout"`
	Host          HostSteps     `json:"host" yaml:"host"`
	Checks        []Check       `json:"checks" yaml:"checks"`
	Rollback      Rollback      `json:"rollback" yaml:"rollback"`
	SLA           SLA           `json:"sla" yaml:"sla"`
	Notifications Notifications `json:"notifications" yaml:"notifications"`

	// Source is the file the policy was read from ("" when parsed from
	// memory); relative inventory paths are resolved against its directory.
	Source string `json:"source" yaml:"-"`

	// pos maps schema paths to source positions. It is unexported so it never
	// travels to workflows; after serialisation errors simply carry no line.
	pos positions
}

// Metadata names the policy.
type Metadata struct {
	// Name identifies the policy in workflow IDs (cycle/<name>/...), so it is
	// restricted to [a-z0-9-], at most 63 characters.
	Name        string            `json:"name" yaml:"name"`
	Description string            `json:"description" yaml:"description"`
	Labels      map[string]string `json:"labels" yaml:"labels"`
}

// Targets says which hosts the policy patches.
type Targets struct {
	// Inventory is a path relative to the policy file, or an http(s) URL.
	Inventory string `json:"inventory" yaml:"inventory"`
	// Select holds selector terms as given to --select ("group=web,env=prod");
	// all terms apply (AND). Empty selects every host of the inventory.
	Select []string `json:"select" yaml:"select"`
	// Staging is the subset patched and verified before any wave.
	Staging Staging `json:"staging" yaml:"staging"`
}

// Staging selects the hosts patched first. Hosts listed by name and hosts
// matching Select are combined; Count, when set, caps the result (first hosts
// by name). Staging hosts are never part of a wave.
type Staging struct {
	Select []string `json:"select" yaml:"select"`
	Hosts  []string `json:"hosts" yaml:"hosts"`
	Count  int      `json:"count" yaml:"count"`
}

// Patches selects which pending updates a cycle installs.
type Patches struct {
	// Classifications are domain.SelectableClasses (critical: a security
	// update of severity critical).
	Classifications []domain.Class `json:"classifications" yaml:"classifications"`
	// MinSeverity drops updates below this severity (critical|high|medium|low).
	MinSeverity domain.Severity `json:"min_severity" yaml:"min_severity"`
	// UnknownSeverity says how an update without a severity counts:
	// "include" (always passes min_severity), "exclude", or "as:<level>".
	UnknownSeverity string `json:"unknown_severity" yaml:"unknown_severity"`
	// Include and Exclude are package-name globs (* ? [...]); Exclude wins.
	Include []string `json:"include" yaml:"include"`
	Exclude []string `json:"exclude" yaml:"exclude"`
	// MinAge is how long an update must have been published before it is
	// approved automatically; younger updates wait for a later cycle.
	MinAge Duration `json:"min_age" yaml:"min_age"`
	// Approve always includes, Reject never installs; entries are a package
	// name or name=version.
	Approve []string `json:"approve" yaml:"approve"`
	Reject  []string `json:"reject" yaml:"reject"`
	// CVEs, when set, plans only updates that fix one of them (an
	// emergency policy). KEV plans only updates fixing a CVE in CISA's
	// Known Exploited Vulnerabilities catalogue; MinEPSS only those whose
	// highest EPSS score is at least this (0..1).
	CVEs    []string `json:"cves" yaml:"cves"`
	KEV     bool     `json:"kev" yaml:"kev"`
	MinEPSS float64  `json:"min_epss" yaml:"min_epss"`
	// Interactive lists the zypper patches flagged interactive (they ask
	// a person something: a licence, a reboot message) this policy may
	// install, each by patch name or by a package the patch updates;
	// exact names, no globs. Other interactive patches are left out.
	Interactive []string `json:"interactive" yaml:"interactive"`
}

// Approval says whether a planned cycle waits for an operator.
type Approval struct {
	Mode      domain.ApprovalMode          `json:"mode" yaml:"mode"`
	Timeout   Duration                     `json:"timeout" yaml:"timeout"`
	OnTimeout domain.ApprovalTimeoutAction `json:"on_timeout" yaml:"on_timeout"`
	// RiskAbove makes an automatic approval manual when a planned update's
	// risk (0-100) is above it; 0 never does.
	RiskAbove int `json:"risk_above" yaml:"risk_above"`
	// PlanMaxAge is how old a reviewed plan may be when it is applied.
	PlanMaxAge Duration `json:"plan_max_age" yaml:"plan_max_age"`
}

// Window is the maintenance window: when batches of hosts may start. Either
// Cron or Calendar (not both); neither means cycles run whenever started.
type Window struct {
	Cron     string    `json:"cron" yaml:"cron"`
	Calendar *Calendar `json:"calendar" yaml:"calendar"`
	Duration Duration  `json:"duration" yaml:"duration"`
	// Timezone is an IANA zone name; the window is in its local time.
	Timezone string `json:"timezone" yaml:"timezone"`
	// BlackoutDates (YYYY-MM-DD, local) are days on which no window starts.
	BlackoutDates []string `json:"blackout_dates" yaml:"blackout_dates"`
	Jitter        Duration `json:"jitter" yaml:"jitter"`
	// CatchupWindow is how late a missed scheduled start may still run.
	CatchupWindow Duration `json:"catchup_window" yaml:"catchup_window"`
}

// Calendar is a weekly window: the listed days at Start (HH:MM, local).
type Calendar struct {
	Days  []string `json:"days" yaml:"days"`
	Start string   `json:"start" yaml:"start"`
}

// Rollout describes the waves after staging.
type Rollout struct {
	Waves []Wave `json:"waves" yaml:"waves"`
	// MaxParallel is the default for waves that do not set their own.
	MaxParallel    int                 `json:"max_parallel" yaml:"max_parallel"`
	FailureBudget  FailureBudget       `json:"failure_budget" yaml:"failure_budget"`
	OnBudgetBreach domain.BreachAction `json:"on_budget_breach" yaml:"on_budget_breach"`
}

// Wave is one step of the rollout: Count hosts or Percent of the fleet
// (targets minus staging). After the last listed wave its size repeats until
// every host is covered.
type Wave struct {
	Name        string   `json:"name" yaml:"name"`
	Count       int      `json:"count" yaml:"count"`
	Percent     float64  `json:"percent" yaml:"percent"`
	MaxParallel int      `json:"max_parallel" yaml:"max_parallel"`
	Bake        Duration `json:"bake" yaml:"bake"`
}

// FailureBudget is how many failed hosts the whole rollout tolerates; with
// both set the smaller wins. A failure beyond the budget is a breach.
type FailureBudget struct {
	Count   int     `json:"count" yaml:"count"`
	Percent float64 `json:"percent" yaml:"percent"`
}

// HostSteps configures the per-host pipeline.
type HostSteps struct {
	// PreHooks and PostHooks are argv lists run on the host, never shell
	// strings.
	PreHooks  [][]string          `json:"pre_hooks" yaml:"pre_hooks"`
	PostHooks [][]string          `json:"post_hooks" yaml:"post_hooks"`
	Reboot    domain.RebootPolicy `json:"reboot" yaml:"reboot"`
	Timeouts  HostTimeouts        `json:"timeouts" yaml:"timeouts"`
}

// HostTimeouts bound each host step; Hook applies to each hook separately.
type HostTimeouts struct {
	Precheck Duration `json:"precheck" yaml:"precheck"`
	Apply    Duration `json:"apply" yaml:"apply"`
	Reboot   Duration `json:"reboot" yaml:"reboot"`
	Verify   Duration `json:"verify" yaml:"verify"`
	Hook     Duration `json:"hook" yaml:"hook"`
}

// Check is one verification. Host-scoped checks run on or against each host
// after it is patched ("{host}" in url/address is replaced by its address);
// wave-scoped checks run after each wave's bake.
type Check struct {
	Name    string            `json:"name" yaml:"name"`
	Type    domain.CheckType  `json:"type" yaml:"type"`
	Scope   domain.CheckScope `json:"scope" yaml:"scope"`
	Timeout Duration          `json:"timeout" yaml:"timeout"`
	// Command (type command) is an argv run on the host; exit 0 passes.
	Command []string `json:"command" yaml:"command"`
	// URL and ExpectStatus (type http).
	URL          string `json:"url" yaml:"url"`
	ExpectStatus int    `json:"expect_status" yaml:"expect_status"`
	// Address (type tcp) is host:port; a connection passes.
	Address string `json:"address" yaml:"address"`
	// Prometheus, Query, Threshold and BeforeAfter (type promql).
	Prometheus  string       `json:"prometheus" yaml:"prometheus"`
	Query       string       `json:"query" yaml:"query"`
	Threshold   *Threshold   `json:"threshold" yaml:"threshold"`
	BeforeAfter *BeforeAfter `json:"before_after" yaml:"before_after"`
}

// Threshold passes when `<query value> <Op> <Value>` holds.
type Threshold struct {
	Op    string  `json:"op" yaml:"op"`
	Value float64 `json:"value" yaml:"value"`
}

// BeforeAfter compares the query's value after a wave with its value before
// it; the check fails when it grew by more than either limit.
type BeforeAfter struct {
	MaxIncrease        float64 `json:"max_increase" yaml:"max_increase"`
	MaxIncreasePercent float64 `json:"max_increase_percent" yaml:"max_increase_percent"`
}

// Rollback says what happens to a host whose patch fails.
type Rollback struct {
	// OnHostFailure returns a failed host to its snapshot versions.
	OnHostFailure bool `json:"on_host_failure" yaml:"on_host_failure"`
	// DecisionTimeout is how long a failed host waits for retry or skip.
	DecisionTimeout   Duration                     `json:"decision_timeout" yaml:"decision_timeout"`
	OnDecisionTimeout domain.DecisionTimeoutAction `json:"on_decision_timeout" yaml:"on_decision_timeout"`
}

// SLA is the time to remediate per severity (0 = none).
type SLA struct {
	Critical Duration `json:"critical" yaml:"critical"`
	High     Duration `json:"high" yaml:"high"`
	Medium   Duration `json:"medium" yaml:"medium"`
	Low      Duration `json:"low" yaml:"low"`
	Unknown  Duration `json:"unknown" yaml:"unknown"`
	// KEVDueDate makes the due date CISA sets for a KEV-listed CVE its
	// deadline when that is sooner than the severity's.
	KEVDueDate bool `json:"kev_due_date" yaml:"kev_due_date"`
}

// Notifications lists where events are sent.
type Notifications struct {
	Webhooks []Webhook `json:"webhooks" yaml:"webhooks"`
}

// Webhook is one receiver of the policy's events: where it is (url, or
// url_file / url_env for URLs that are themselves credentials), the body
// format, where the worker finds the signing secret, which events, and
// how long one attempt may take. It names secrets' places, never a secret.
type Webhook struct {
	URL        string   `json:"url" yaml:"url"`
	URLFile    string   `json:"url_file" yaml:"url_file"`
	URLEnv     string   `json:"url_env" yaml:"url_env"`
	Format     string   `json:"format" yaml:"format"`
	SecretFile string   `json:"secret_file" yaml:"secret_file"`
	SecretEnv  string   `json:"secret_env" yaml:"secret_env"`
	Events     []string `json:"events" yaml:"events"`
	Timeout    Duration `json:"timeout" yaml:"timeout"`
}
