package policies

import (
	"fmt"
	"slices"
	"strings"

	"github.com/patchflow/patchflow/domain"
)

// MaxParallel is the most hosts a wave may patch at once: each is a
// workflow with its own connection, and beyond this a fleet is better split
// into waves.
const MaxParallel = 1000

// rollout checks the waves, parallelism and failure budget.
func (v *validator) rollout() {
	r := v.p.Rollout
	if r.MaxParallel < 1 || r.MaxParallel > MaxParallel {
		v.errf("rollout.max_parallel", "rollout", "max_parallel must be from 1 to %d, got %d", MaxParallel, r.MaxParallel)
	}
	if v.p.pos.has("rollout.waves") && len(r.Waves) == 0 {
		v.errf("rollout.waves", "rollout", "waves must list at least one wave (or leave the key out for one wave of 100%%), got an empty list")
	}
	names := map[string]int{}
	var prev *Wave
	for i := range r.Waves {
		w := &r.Waves[i]
		path, obj := fmt.Sprintf("rollout.waves[%d]", i), v.p.WaveObject(i)
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
		case hasCount && (w.Count < 1 || w.Count > domain.MaxFleet):
			v.errf(path+".count", obj, "count must be from 1 to %d, got %d", domain.MaxFleet, w.Count)
		case hasPercent && (w.Percent <= 0 || w.Percent > 100):
			v.errf(path+".percent", obj, "percent must be > 0 and <= 100, got %g", w.Percent)
		}
		// An inherited rollout.max_parallel is reported once, at the rollout.
		if (w.MaxParallel < 1 || w.MaxParallel > MaxParallel) && v.p.pos.has(path+".max_parallel") {
			v.errf(path+".max_parallel", obj, "max_parallel must be from 1 to %d, got %d", MaxParallel, w.MaxParallel)
		}
		// Sizes of the same kind can be compared without the fleet; mixed
		// count/percent waves are checked by domain.CheckWaves once the
		// fleet is known.
		valid := hasCount != hasPercent && (w.Count > 0 && w.Count <= domain.MaxFleet || (w.Percent > 0 && w.Percent <= 100))
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
	if b.Count < 0 || b.Count > domain.MaxFleet {
		v.errf("rollout.failure_budget.count", "rollout.failure_budget", "count must be from 0 to %d, got %d", domain.MaxFleet, b.Count)
	}
	if b.Percent < 0 || b.Percent > 100 {
		v.errf("rollout.failure_budget.percent", "rollout.failure_budget", "percent must be between 0 and 100, got %g", b.Percent)
	}
	if !slices.Contains(domain.BreachActions, r.OnBudgetBreach) {
		v.errf("rollout.on_budget_breach", "rollout", "on_budget_breach must be %s, got %s", domain.Choices(domain.BreachActions), quote(string(r.OnBudgetBreach)))
	}
}

// host checks hooks, the reboot policy and step timeouts.
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
	if !slices.Contains(domain.RebootPolicies, h.Reboot) {
		v.errf("host.reboot", "host", "reboot must be %s, got %s", domain.Choices(domain.RebootPolicies), quote(string(h.Reboot)))
	}
	t := h.Timeouts
	for _, f := range []struct {
		key string
		d   Duration
	}{{"precheck", t.Precheck}, {"apply", t.Apply}, {"reboot", t.Reboot}, {"verify", t.Verify}, {"hook", t.Hook}} {
		if f.d < MinStepTimeout {
			v.errf("host.timeouts."+f.key, "host.timeouts", "%s must be at least %s, got %s", f.key, MinStepTimeout, f.d)
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
	case strings.HasPrefix(argv[0], "-"):
		v.errf(path+"[0]", object, "%s: the program name must not start with '-' (it would be read as an option), got %s", label, quote(argv[0]))
	case len(argv) == 1 && strings.ContainsAny(argv[0], " \t"):
		v.errf(path+"[0]", object, "%s is one string with spaces; give an argv list such as [systemctl, stop, nginx] (no shell runs it), got %s", label, quote(argv[0]))
	}
	for i, a := range argv {
		if strings.ContainsRune(a, 0) {
			v.errf(fmt.Sprintf("%s[%d]", path, i), object, "%s[%d] contains a NUL byte", label, i)
		}
	}
}

// WaveObject names wave i in errors the way the schema walk does: by the
// name the file gives it, else by index.
func (p *Policy) WaveObject(i int) string {
	if i < len(p.Rollout.Waves) && p.Rollout.Waves[i].Name != "" && (p.pos.at == nil || p.pos.has(fmt.Sprintf("rollout.waves[%d].name", i))) {
		return "wave " + quote(p.Rollout.Waves[i].Name)
	}
	return fmt.Sprintf("rollout.waves[%d]", i)
}
