package notify

import (
	"fmt"
	"path"
	"slices"
	"strings"
)

// legacyNames maps the event names earlier policy references listed
// (snake case, no family) to today's names, so existing policies keep
// their meaning. Events added since have only their dotted name.
var legacyNames = map[string]string{
	"cycle_started":    CycleStarted,
	"approval_needed":  CycleApprovalNeeded,
	"cycle_approved":   CycleApproved,
	"cycle_paused":     CyclePaused,
	"cycle_finished":   CycleFinished,
	"cycle_failed":     CycleFailed,
	"wave_started":     WaveStarted,
	"wave_finished":    WaveFinished,
	"host_failed":      HostFailed,
	"host_rolled_back": HostRolledBack,
	"budget_breached":  BudgetBreached,
	"sla_breached":     SLABreached,
}

// maxPattern bounds one events entry; real ones are a few characters.
const maxPattern = 100

// Filter chooses the events a webhook receives. The zero Filter matches
// every event.
type Filter struct {
	patterns []string // globs over event names; nil = every event
}

// ParseFilter reads a webhook's events list: event names (cycle.finished),
// globs over them (cycle.*, *.failed, *) in path.Match syntax, or the
// older snake-case names (cycle_finished, approval_needed). An empty list
// means every event. Each entry must match at least one event, so a typo
// is an error rather than silence; errors name the entry by its index.
func ParseFilter(patterns []string) (Filter, error) {
	if len(patterns) == 0 {
		return Filter{}, nil
	}
	var errs FieldErrors
	out := make([]string, 0, len(patterns))
	for i, p := range patterns {
		field := fmt.Sprintf("events[%d]", i)
		if err := checkPattern(p); err != nil {
			errs = append(errs, FieldError{Field: field, Message: err.Error()})
			continue
		}
		if name, ok := legacyNames[p]; ok {
			p = name
		}
		if slices.Contains(out, p) {
			errs = append(errs, FieldError{Field: field, Message: fmt.Sprintf("event %s is listed twice", excerpt(p))})
			continue
		}
		out = append(out, p)
	}
	if len(errs) > 0 {
		return Filter{}, errs
	}
	return Filter{patterns: out}, nil
}

// checkPattern accepts a glob that is well formed and matches an event.
func checkPattern(p string) error {
	if p == "" {
		return fmt.Errorf("event name is empty; use an event such as %s or a glob such as cycle.*", CycleFinished)
	}
	if len(p) > maxPattern {
		return fmt.Errorf("event pattern %s is longer than %d characters", excerpt(p), maxPattern)
	}
	if _, ok := legacyNames[p]; ok {
		return nil
	}
	for _, r := range p {
		if !strings.ContainsRune("abcdefghijklmnopqrstuvwxyz0123456789._*?[]^-", r) {
			return fmt.Errorf("event pattern %s has %q; use lower-case event names, ., and the glob characters * ? [ ]", excerpt(p), r)
		}
	}
	for _, e := range Events {
		ok, err := path.Match(p, e)
		if err != nil {
			return fmt.Errorf("event pattern %s is not a valid glob: %v", excerpt(p), err)
		}
		if ok {
			return nil
		}
	}
	return fmt.Errorf("event pattern %s matches no event; events are %s", excerpt(p), strings.Join(Events, ", "))
}

// Match reports whether the filter lets event type through.
func (f Filter) Match(eventType string) bool {
	if len(f.patterns) == 0 {
		return true
	}
	for _, p := range f.patterns {
		if ok, _ := path.Match(p, eventType); ok {
			return true
		}
	}
	return false
}

// FieldError is one problem with a webhook's configuration; Field is the
// key below notifications.webhooks[i] ("url", "events[2]"), so a policy
// validator can point at the line.
type FieldError struct {
	Field   string
	Message string
}

func (e FieldError) Error() string { return e.Field + ": " + e.Message }

// FieldErrors are every problem found, in field order.
type FieldErrors []FieldError

func (es FieldErrors) Error() string {
	msgs := make([]string, len(es))
	for i, e := range es {
		msgs[i] = e.Error()
	}
	return strings.Join(msgs, "; ")
}
