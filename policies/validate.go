package policies

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/patchflow/patchflow/domain"
	"github.com/patchflow/patchflow/internal/yamldiag"
)

// validator collects every semantic problem of a decoded policy.
type validator struct {
	p    *Policy
	errs *yamldiag.List
}

// errf records a problem with the value at path, inside object.
func (v *validator) errf(path, object, format string, args ...any) {
	v.errs.Append(v.p.ErrorAt(path, object, format, args...))
}

// validate records every semantic problem of a decoded policy in errs.
func validate(p *Policy, errs *yamldiag.List) {
	v := &validator{p: p, errs: errs}
	v.metadata()
	v.targets()
	v.patches()
	v.approval()
	v.window()
	v.rollout()
	v.host()
	v.checks()
	v.rollback()
	v.sla()
	v.notifications()
}

var policyName = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]*[a-z0-9])?$`)

func (v *validator) metadata() {
	name := v.p.Metadata.Name
	switch {
	case name == "":
		v.errf("metadata", "metadata", "name is required (it names the policy's cycles: cycle/<name>/...)")
	case len(name) > 63 || !policyName.MatchString(name):
		v.errf("metadata.name", "metadata", "name must be 1-63 characters of a-z, 0-9 and -, starting and ending alphanumeric, got %s", quote(name))
	}
}

func (v *validator) targets() {
	t := v.p.Targets
	switch inv := t.Inventory; {
	case inv == "":
		v.errf("targets", "targets", "inventory is required: a path relative to the policy file, or an http(s) URL")
	case strings.Contains(inv, "://"):
		if err := validHTTPURL(inv); err != nil {
			v.errf("targets.inventory", "targets", "inventory URL must be http:// or https:// with a host: %v, got %s", err, quote(inv))
		}
	case strings.ContainsRune(inv, 0):
		v.errf("targets.inventory", "targets", "inventory path contains a NUL byte, got %s", quote(inv))
	}
	v.selectTerms("targets.select", "targets", t.Select)
	v.selectTerms("targets.staging.select", "targets.staging", t.Staging.Select)
	s := t.Staging
	seen := map[string]int{}
	for i, h := range s.Hosts {
		path := fmt.Sprintf("targets.staging.hosts[%d]", i)
		if h == "" || strings.ContainsAny(h, " \t\n,=/") {
			v.errf(path, "targets.staging", "hosts[%d] must be an inventory host name, got %s", i, quote(h))
		}
		if j, dup := seen[h]; dup {
			v.errf(path, "targets.staging", "host %s is listed twice (also hosts[%d])", quote(h), j)
		}
		seen[h] = i
	}
	switch {
	case s.Count < 0 || s.Count > domain.MaxFleet:
		v.errf("targets.staging.count", "targets.staging", "count must be from 0 to %d, got %d", domain.MaxFleet, s.Count)
	case s.Count > 0 && len(s.Hosts) == 0 && len(s.Select) == 0:
		v.errf("targets.staging.count", "targets.staging", "count needs hosts or select to choose from, got count %d alone", s.Count)
	case s.Count > len(s.Hosts) && len(s.Select) == 0:
		v.errf("targets.staging.count", "targets.staging", "count is more than the %d listed hosts, got %d", len(s.Hosts), s.Count)
	}
	// Staging selected with exactly the target terms and no cap would take
	// the whole fleet, leaving nothing for the waves.
	if len(s.Select) > 0 && s.Count == 0 && len(s.Hosts) == 0 && sameTerms(s.Select, t.Select) {
		v.errf("targets.staging.select", "targets.staging", "select equals targets.select, so staging would be every target host and the waves empty; narrow it or set count, got %s", quote(strings.Join(s.Select, " ")))
	}
}

func (v *validator) selectTerms(path, object string, terms []string) {
	for i, term := range terms {
		if err := ValidSelectorTerm(term); err != nil {
			v.errf(fmt.Sprintf("%s[%d]", path, i), object, "select[%d]: %v", i, err)
		}
	}
}

// sameTerms compares selectors as sets of key=value pairs.
func sameTerms(a, b []string) bool {
	set := func(terms []string) []string {
		var out []string
		for _, t := range terms {
			out = append(out, strings.Split(t, ",")...)
		}
		slices.Sort(out)
		return slices.Compact(out)
	}
	return slices.Equal(set(a), set(b))
}

func (v *validator) patches() {
	pt := v.p.Patches
	if len(pt.Classifications) == 0 {
		v.errf("patches.classifications", "patches", "classifications must list at least one of %s, got an empty list", domain.Choices(domain.SelectableClasses))
	}
	seen := map[domain.Class]bool{}
	for i, c := range pt.Classifications {
		path := fmt.Sprintf("patches.classifications[%d]", i)
		switch {
		case !slices.Contains(domain.SelectableClasses, c):
			v.errf(path, "patches", "classifications[%d] must be %s, got %s", i, domain.Choices(domain.SelectableClasses), quote(string(c)))
		case seen[c]:
			v.errf(path, "patches", "classification %s is listed twice", quote(string(c)))
		}
		seen[c] = true
	}
	if !pt.MinSeverity.Known() {
		v.errf("patches.min_severity", "patches", "min_severity must be %s, got %s", domain.Choices(domain.KnownSeverities), quote(string(pt.MinSeverity)))
	}
	if _, ok := pt.unknownSeverity(); !ok {
		v.errf("patches.unknown_severity", "patches", "unknown_severity must be include, exclude or as:<critical|high|medium|low>, got %s", quote(pt.UnknownSeverity))
	}
	for _, list := range []struct {
		key   string
		globs []string
	}{{"include", pt.Include}, {"exclude", pt.Exclude}} {
		for i, g := range list.globs {
			if err := ValidPackageGlob(g); err != nil {
				v.errf(fmt.Sprintf("patches.%s[%d]", list.key, i), "patches", "%s[%d]: %v", list.key, i, err)
			}
		}
	}
	approved := map[string]int{}
	for i, s := range pt.Approve {
		if _, err := ParsePackageRef(s); err != nil {
			v.errf(fmt.Sprintf("patches.approve[%d]", i), "patches", "approve[%d]: %v; use name or name=version", i, err)
		}
		approved[s] = i
	}
	for i, s := range pt.Reject {
		path := fmt.Sprintf("patches.reject[%d]", i)
		if _, err := ParsePackageRef(s); err != nil {
			v.errf(path, "patches", "reject[%d]: %v; use name or name=version", i, err)
		}
		if j, both := approved[s]; both {
			v.errf(path, "patches", "%s is both approved (approve[%d]) and rejected, got %s", quote(s), j, quote(s))
		}
	}
	for i, c := range pt.CVEs {
		if _, err := domain.NormalizeCVEID(c); err != nil {
			v.errf(fmt.Sprintf("patches.cves[%d]", i), "patches", "cves[%d]: %v", i, err)
		}
	}
	if pt.MinEPSS < 0 || pt.MinEPSS > 1 {
		v.errf("patches.min_epss", "patches", "min_epss is a probability from 0 to 1, got %g", pt.MinEPSS)
	}
	listed := map[string]int{}
	for i, s := range pt.Interactive {
		path := fmt.Sprintf("patches.interactive[%d]", i)
		if err := ValidPatchName(s); err != nil {
			v.errf(path, "patches", "interactive[%d]: %v", i, err)
		} else if j, twice := listed[s]; twice {
			v.errf(path, "patches", "interactive[%d]: %s is listed twice (interactive[%d])", i, quote(s), j)
		}
		listed[s] = i
	}
}

func (v *validator) approval() {
	a := v.p.Approval
	switch a.Mode {
	case domain.ApprovalAuto:
		for _, key := range []string{"timeout", "on_timeout"} {
			if v.p.pos.has("approval." + key) {
				v.errf("approval."+key, "approval", "%s applies to manual approval only, got it with mode auto", key)
			}
		}
	case domain.ApprovalManual, domain.ApprovalPlan:
		if a.Timeout < MinApprovalTimeout {
			v.errf("approval.timeout", "approval", "timeout must be at least %s for manual approval (an operator has to answer in time), got %s", MinApprovalTimeout, a.Timeout)
		}
	default:
		v.errf("approval.mode", "approval", "mode must be %s, got %s", domain.Choices(domain.ApprovalModes), quote(string(a.Mode)))
	}
	if a.Mode != domain.ApprovalAuto && !slices.Contains(domain.ApprovalTimeoutActions, a.OnTimeout) {
		v.errf("approval.on_timeout", "approval", "on_timeout must be %s, got %s", domain.Choices(domain.ApprovalTimeoutActions), quote(string(a.OnTimeout)))
	}
	if a.Mode == domain.ApprovalPlan && a.OnTimeout == domain.ApprovalTimeoutProceed {
		v.errf("approval.on_timeout", "approval", "on_timeout proceed would roll out a plan nobody approved; approval by plan aborts on timeout, got proceed")
	}
	if a.RiskAbove < 0 || a.RiskAbove > 100 {
		v.errf("approval.risk_above", "approval", "risk_above is a risk score from 0 (off) to 100, got %d", a.RiskAbove)
	}
}

func (v *validator) window() {
	w := &v.p.Window
	if _, err := (&domain.Window{Timezone: w.Timezone}).Location(); err != nil {
		v.errf("window.timezone", "window", "timezone must be an IANA zone such as Europe/Berlin or UTC, got %s", quote(w.Timezone))
	}
	blackouts := map[string]int{}
	for i, d := range w.BlackoutDates {
		path := fmt.Sprintf("window.blackout_dates[%d]", i)
		if t, err := time.Parse(time.DateOnly, d); err != nil || t.Format(time.DateOnly) != d {
			v.errf(path, "window", "blackout_dates[%d] must be a date YYYY-MM-DD, got %s", i, quote(d))
		} else if j, dup := blackouts[d]; dup {
			v.errf(path, "window", "blackout date %s is listed twice (also blackout_dates[%d])", d, j)
		}
		blackouts[d] = i
	}
	if w.Cron != "" && w.Calendar != nil {
		v.errf("window.calendar", "window", "set cron or calendar, not both, got both")
		return
	}
	if !w.Scheduled() {
		for _, key := range []string{"duration", "jitter", "catchup_window", "blackout_dates"} {
			if v.p.pos.has("window." + key) {
				v.errf("window."+key, "window", "%s needs a schedule: add cron or calendar, got %s without one", key, key)
			}
		}
		return
	}
	if _, err := w.schedule(); err != nil {
		path := "window.cron"
		if w.Calendar != nil {
			path = "window.calendar"
			if strings.HasPrefix(err.Error(), "start") {
				path = "window.calendar.start"
			} else if v.p.pos.has("window.calendar.days") {
				path = "window.calendar.days"
			}
		}
		got := w.Cron
		switch path {
		case "window.calendar.start":
			got = w.Calendar.Start
		case "window.calendar.days", "window.calendar":
			got = strings.Join(w.Calendar.Days, ",")
		}
		v.errf(path, "window", "%v, got %s", err, quote(got))
	}
	if w.Duration <= 0 {
		v.errf("window.duration", "window", "duration is required with a schedule and must be > 0, got %s", w.Duration)
		return
	}
	if w.Jitter >= w.Duration {
		v.errf("window.jitter", "window", "jitter must be shorter than the window duration %s, got %s", w.Duration, w.Jitter)
		return
	}
	v.windowOpens()
	steps := v.p.hostSteps()
	worst := steps.WorstCase()
	if usable := (w.Duration - w.Jitter).Std(); usable < worst {
		l := steps.Limits()
		detail := fmt.Sprintf("precheck %s + apply %s + verify %s", Duration(l.Precheck), Duration(l.Apply), Duration(l.Verify))
		if steps.Reboot != domain.RebootNever {
			detail += fmt.Sprintf(" + reboot %s", Duration(l.Reboot))
		}
		if n := len(steps.PreHooks) + len(steps.PostHooks); n > 0 {
			detail += fmt.Sprintf(" + %d hooks x %s", n, Duration(steps.HookTimeout))
		}
		jit := ""
		if w.Jitter > 0 {
			jit = fmt.Sprintf(" (after jitter %s)", w.Jitter)
		}
		v.errf("window.duration", "window", "duration%s is shorter than one host's worst case %s (%s), got %s", jit, Duration(worst), detail, w.Duration)
	}
}
