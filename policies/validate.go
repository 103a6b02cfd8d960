package policies

import (
	"fmt"
	"net"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// validator collects every semantic problem of a decoded policy.
type validator struct {
	p    *Policy
	errs Errors
}

// errf records a problem with the value at path, inside object.
func (v *validator) errf(path, object, format string, args ...any) {
	v.errs = append(v.errs, v.p.ErrorAt(path, object, format, args...))
}

func validate(p *Policy) Errors {
	v := &validator{p: p}
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
	return v.errs
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
		if u, err := url.Parse(inv); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			v.errf("targets.inventory", "targets", "inventory URL must be http:// or https:// with a host, got %s", quote(inv))
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
	case s.Count < 0:
		v.errf("targets.staging.count", "targets.staging", "count must be >= 0, got %d", s.Count)
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

var severityRank = map[string]int{SeverityCritical: 4, SeverityHigh: 3, SeverityMedium: 2, SeverityLow: 1}

func (v *validator) patches() {
	pt := v.p.Patches
	if len(pt.Classifications) == 0 {
		v.errf("patches.classifications", "patches", "classifications must list at least one of security, critical, bugfix, feature, got an empty list")
	}
	seen := map[string]bool{}
	for i, c := range pt.Classifications {
		path := fmt.Sprintf("patches.classifications[%d]", i)
		switch {
		case !slices.Contains([]string{ClassSecurity, ClassCritical, ClassBugfix, ClassFeature}, c):
			v.errf(path, "patches", "classifications[%d] must be security, critical, bugfix or feature, got %s", i, quote(c))
		case seen[c]:
			v.errf(path, "patches", "classification %s is listed twice", quote(c))
		}
		seen[c] = true
	}
	if _, ok := severityRank[pt.MinSeverity]; !ok {
		v.errf("patches.min_severity", "patches", "min_severity must be critical, high, medium or low, got %s", quote(pt.MinSeverity))
	}
	if u := pt.UnknownSeverity; u != "include" && u != "exclude" {
		if level, ok := strings.CutPrefix(u, "as:"); !ok || severityRank[level] == 0 {
			v.errf("patches.unknown_severity", "patches", "unknown_severity must be include, exclude or as:<critical|high|medium|low>, got %s", quote(u))
		}
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
}

func (v *validator) approval() {
	a := v.p.Approval
	switch a.Mode {
	case ApprovalAuto:
		for _, key := range []string{"timeout", "on_timeout"} {
			if v.p.pos.has("approval." + key) {
				v.errf("approval."+key, "approval", "%s applies to manual approval only, got it with mode auto", key)
			}
		}
	case ApprovalManual:
		if a.Timeout <= 0 {
			v.errf("approval.timeout", "approval", "timeout must be > 0 for manual approval, got %s", a.Timeout)
		}
	default:
		v.errf("approval.mode", "approval", "mode must be auto or manual, got %s", quote(a.Mode))
	}
	if a.Mode == ApprovalManual && a.OnTimeout != OnTimeoutProceed && a.OnTimeout != OnTimeoutAbort {
		v.errf("approval.on_timeout", "approval", "on_timeout must be proceed or abort, got %s", quote(a.OnTimeout))
	}
}

func (v *validator) window() {
	w := &v.p.Window
	if _, err := w.Location(); err != nil {
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
	worst := v.p.Host.WorstCase()
	if usable := (w.Duration - w.Jitter).Std(); usable < worst {
		t := v.p.Host.Timeouts
		detail := fmt.Sprintf("precheck %s + apply %s + verify %s", t.Precheck, t.Apply, t.Verify)
		if v.p.Host.Reboot != RebootNever {
			detail += fmt.Sprintf(" + reboot %s", t.Reboot)
		}
		if n := len(v.p.Host.PreHooks) + len(v.p.Host.PostHooks); n > 0 {
			detail += fmt.Sprintf(" + %d hooks x %s", n, t.Hook)
		}
		jit := ""
		if w.Jitter > 0 {
			jit = fmt.Sprintf(" (after jitter %s)", w.Jitter)
		}
		v.errf("window.duration", "window", "duration%s is shorter than one host's worst case %s (%s), got %s", jit, Duration(worst), detail, w.Duration)
	}
}

func (v *validator) rollout() {
	r := v.p.Rollout
	if r.MaxParallel < 1 {
		v.errf("rollout.max_parallel", "rollout", "max_parallel must be >= 1, got %d", r.MaxParallel)
	}
	if v.p.pos.has("rollout.waves") && len(r.Waves) == 0 {
		v.errf("rollout.waves", "rollout", "waves must list at least one wave (or leave the key out for one wave of 100%%), got an empty list")
	}
	names := map[string]int{}
	var prev *Wave
	for i := range r.Waves {
		w := &r.Waves[i]
		path, obj := fmt.Sprintf("rollout.waves[%d]", i), v.p.waveObject(i)
		if j, dup := names[w.Name]; dup {
			v.errf(path+".name", obj, "name is used by waves[%d] too; wave names must be unique, got %s", j, quote(w.Name))
		}
		names[w.Name] = i
		// A value or a key present in the file counts as set, so "count: 0"
		// is reported as zero rather than as missing.
		hasCount := w.Count != 0 || v.p.pos.has(path+".count")
		hasPercent := w.Percent != 0 || v.p.pos.has(path+".percent")
		switch {
		case hasCount && hasPercent:
			v.errf(path, obj, "set count or percent, not both, got count %d and percent %g", w.Count, w.Percent)
		case !hasCount && !hasPercent:
			v.errf(path, obj, "needs count or percent (its size), got neither")
		case hasCount && w.Count < 1:
			v.errf(path+".count", obj, "count must be > 0, got %d", w.Count)
		case hasPercent && (w.Percent <= 0 || w.Percent > 100):
			v.errf(path+".percent", obj, "percent must be > 0 and <= 100, got %g", w.Percent)
		}
		// An inherited rollout.max_parallel is reported once, at the rollout.
		if w.MaxParallel < 1 && v.p.pos.has(path+".max_parallel") {
			v.errf(path+".max_parallel", obj, "max_parallel must be >= 1, got %d", w.MaxParallel)
		}
		// Sizes of the same kind can be compared without the fleet; mixed
		// count/percent waves are checked by Plan once the fleet is known.
		valid := hasCount != hasPercent && (w.Count > 0 || (w.Percent > 0 && w.Percent <= 100))
		if prev != nil && valid {
			switch {
			case w.Count > 0 && prev.Count > 0 && w.Count < prev.Count:
				v.errf(path+".count", obj, "count is smaller than the previous wave's %d; waves should grow, got %d", prev.Count, w.Count)
			case w.Percent > 0 && prev.Percent > 0 && w.Percent < prev.Percent:
				v.errf(path+".percent", obj, "percent is smaller than the previous wave's %g; waves should grow, got %g", prev.Percent, w.Percent)
			}
		}
		if valid {
			prev = w // compare the next wave only with a valid one
		}
	}
	b := r.FailureBudget
	if b.Count < 0 {
		v.errf("rollout.failure_budget.count", "rollout.failure_budget", "count must be >= 0, got %d", b.Count)
	}
	if b.Percent < 0 || b.Percent > 100 {
		v.errf("rollout.failure_budget.percent", "rollout.failure_budget", "percent must be between 0 and 100, got %g", b.Percent)
	}
	if !slices.Contains([]string{BreachPause, BreachRollbackWave, BreachRollbackAll}, r.OnBudgetBreach) {
		v.errf("rollout.on_budget_breach", "rollout", "on_budget_breach must be pause, rollback_wave or rollback_all, got %s", quote(r.OnBudgetBreach))
	}
}

func (v *validator) host() {
	h := v.p.Host
	for _, list := range []struct {
		key   string
		hooks [][]string
	}{{"pre_hooks", h.PreHooks}, {"post_hooks", h.PostHooks}} {
		for i, argv := range list.hooks {
			v.argv(fmt.Sprintf("host.%s[%d]", list.key, i), "host", fmt.Sprintf("%s[%d]", list.key, i), argv)
		}
	}
	if !slices.Contains([]string{RebootIfRequired, RebootAlways, RebootNever}, h.Reboot) {
		v.errf("host.reboot", "host", "reboot must be if_required, always or never, got %s", quote(h.Reboot))
	}
	t := h.Timeouts
	for _, f := range []struct {
		key string
		d   Duration
	}{{"precheck", t.Precheck}, {"apply", t.Apply}, {"reboot", t.Reboot}, {"verify", t.Verify}, {"hook", t.Hook}} {
		if f.d <= 0 {
			v.errf("host.timeouts."+f.key, "host.timeouts", "%s must be > 0, got %s", f.key, f.d)
		}
	}
}

// argv checks a command given as an argument list.
func (v *validator) argv(path, object, label string, argv []string) {
	switch {
	case len(argv) == 0:
		v.errf(path, object, "%s must name a program and its arguments, got an empty list", label)
	case argv[0] == "":
		v.errf(path+"[0]", object, "%s: the program name is empty", label)
	case len(argv) == 1 && strings.ContainsAny(argv[0], " \t"):
		v.errf(path+"[0]", object, "%s is one string with spaces; give an argv list such as [systemctl, stop, nginx] (no shell runs it), got %s", label, quote(argv[0]))
	}
	for i, a := range argv {
		if strings.ContainsRune(a, 0) {
			v.errf(fmt.Sprintf("%s[%d]", path, i), object, "%s[%d] contains a NUL byte", label, i)
		}
	}
}

// checkObject names check i in errors.
func (p *Policy) checkObject(i int) string {
	if c := p.Checks[i]; c.Name != "" {
		return fmt.Sprintf("check %q", c.Name)
	}
	return fmt.Sprintf("checks[%d]", i)
}

var checkName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]*$`)

func (v *validator) checks() {
	names := map[string]int{}
	for i := range v.p.Checks {
		c := &v.p.Checks[i]
		path, obj := fmt.Sprintf("checks[%d]", i), v.p.checkObject(i)
		switch {
		case c.Name == "":
			v.errf(path, obj, "name is required")
		case !checkName.MatchString(c.Name) || len(c.Name) > 63:
			v.errf(path+".name", obj, "name must be letters, digits, - _ . (at most 63), got %s", quote(c.Name))
		}
		if j, dup := names[c.Name]; dup && c.Name != "" {
			v.errf(path+".name", obj, "name is used by checks[%d] too; check names must be unique, got %s", j, quote(c.Name))
		}
		names[c.Name] = i
		if c.Timeout <= 0 {
			v.errf(path+".timeout", obj, "timeout must be > 0, got %s", c.Timeout)
		}
		if c.Scope != ScopeHost && c.Scope != ScopeWave {
			v.errf(path+".scope", obj, "scope must be host or wave, got %s", quote(c.Scope))
		}
		// Fields that belong to another type are mistakes, not no-ops.
		owner := map[string]string{"command": CheckCommand, "url": CheckHTTP, "expect_status": CheckHTTP,
			"address": CheckTCP, "prometheus": CheckPromQL, "query": CheckPromQL, "threshold": CheckPromQL, "before_after": CheckPromQL}
		for _, key := range []string{"command", "url", "expect_status", "address", "prometheus", "query", "threshold", "before_after"} {
			if v.p.pos.has(path+"."+key) && owner[key] != c.Type && slices.Contains([]string{CheckCommand, CheckHTTP, CheckTCP, CheckPromQL}, c.Type) {
				v.errf(path+"."+key, obj, "%s applies to type %s only, got it on type %s", key, owner[key], c.Type)
			}
		}
		switch c.Type {
		case CheckCommand:
			v.argv(path+".command", obj, "command", c.Command)
			if c.Scope == ScopeWave {
				v.errf(path+".scope", obj, "a command check runs on each host, so scope must be host, got wave")
			}
		case CheckHTTP:
			if u, err := url.Parse(strings.ReplaceAll(c.URL, "{host}", "host.invalid")); c.URL == "" || err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
				v.errf(path+".url", obj, "url must be an http:// or https:// URL ({host} is replaced by the host address), got %s", quote(c.URL))
			}
			if c.ExpectStatus < 100 || c.ExpectStatus > 599 {
				v.errf(path+".expect_status", obj, "expect_status must be an HTTP status 100-599, got %d", c.ExpectStatus)
			}
		case CheckTCP:
			host, port, err := net.SplitHostPort(c.Address)
			if n, perr := strconv.Atoi(port); err != nil || host == "" || perr != nil || n < 1 || n > 65535 {
				v.errf(path+".address", obj, "address must be host:port with port 1-65535 ({host} is replaced by the host address), got %s", quote(c.Address))
			}
		case CheckPromQL:
			v.promql(path, obj, c)
		default:
			v.errf(path+".type", obj, "type must be command, http, tcp or promql, got %s", quote(c.Type))
		}
	}
}

var thresholdOps = []string{"<", "<=", ">", ">=", "==", "!="}

func (v *validator) promql(path, obj string, c *Check) {
	if u, err := url.Parse(c.Prometheus); c.Prometheus == "" || err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		v.errf(path+".prometheus", obj, "prometheus must be the server's http(s) base URL, e.g. http://prometheus:9090, got %s", quote(c.Prometheus))
	}
	if strings.TrimSpace(c.Query) == "" {
		v.errf(path+".query", obj, "query is required for a promql check")
	}
	if c.Scope != ScopeWave {
		v.errf(path+".scope", obj, "a promql check measures the fleet, so scope must be wave, got %s", quote(c.Scope))
	}
	if c.Threshold == nil && c.BeforeAfter == nil {
		v.errf(path, obj, "a promql check needs threshold or before_after (or both), got neither")
	}
	if t := c.Threshold; t != nil && !slices.Contains(thresholdOps, t.Op) {
		v.errf(path+".threshold.op", obj, "threshold op must be one of < <= > >= == !=, got %s", quote(t.Op))
	}
	if ba := c.BeforeAfter; ba != nil {
		if ba.MaxIncrease < 0 || ba.MaxIncreasePercent < 0 {
			v.errf(path+".before_after", obj, "before_after limits must be >= 0, got max_increase %g and max_increase_percent %g", ba.MaxIncrease, ba.MaxIncreasePercent)
		}
		if !v.p.pos.has(path+".before_after.max_increase") && !v.p.pos.has(path+".before_after.max_increase_percent") {
			v.errf(path+".before_after", obj, "before_after needs max_increase or max_increase_percent, got neither")
		}
	}
}

func (v *validator) rollback() {
	r := v.p.Rollback
	if r.DecisionTimeout <= 0 {
		v.errf("rollback.decision_timeout", "rollback", "decision_timeout must be > 0, got %s", r.DecisionTimeout)
	}
	if r.OnDecisionTimeout != DecisionSkip && r.OnDecisionTimeout != DecisionAbort {
		v.errf("rollback.on_decision_timeout", "rollback", "on_decision_timeout must be skip or abort, got %s", quote(r.OnDecisionTimeout))
	}
}

func (v *validator) sla() {
	s := v.p.SLA
	levels := []struct {
		key string
		d   Duration
	}{{"critical", s.Critical}, {"high", s.High}, {"medium", s.Medium}, {"low", s.Low}}
	// A more severe level must not allow longer to remediate.
	for j := range levels {
		for i := j + 1; i < len(levels); i++ {
			if levels[i].d == 0 {
				continue
			}
			if levels[j].d > levels[i].d {
				v.errf("sla."+levels[j].key, "sla", "%s must not be longer than %s (%s), got %s", levels[j].key, levels[i].key, levels[i].d, levels[j].d)
			}
			break
		}
	}
}

func (v *validator) notifications() {
	for i, h := range v.p.Notifications.Webhooks {
		path := fmt.Sprintf("notifications.webhooks[%d]", i)
		obj := path
		if u, err := url.Parse(h.URL); h.URL == "" || err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			v.errf(path+".url", obj, "url must be an http:// or https:// URL, got %s", quote(h.URL))
		}
		seen := map[string]bool{}
		for j, e := range h.Events {
			ep := fmt.Sprintf("%s.events[%d]", path, j)
			switch {
			case !slices.Contains(Events, e):
				v.errf(ep, obj, "events[%d] must be one of %s, got %s", j, strings.Join(Events, ", "), quote(e))
			case seen[e]:
				v.errf(ep, obj, "event %s is listed twice", quote(e))
			}
			seen[e] = true
		}
	}
}
