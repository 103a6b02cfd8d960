package inventory

import (
	"maps"
	"slices"
	"strings"
)

// Kinds of selector terms.
const (
	TermGroup = "group" // host is in the group or one of its child groups
	TermHost  = "host"  // host has this inventory name
	TermLabel = "label" // host has the label with this value
)

// Term is one key=value condition of a Selector.
type Term struct {
	Kind  string `json:"kind"`          // TermGroup, TermHost or TermLabel
	Key   string `json:"key,omitempty"` // label key (TermLabel only)
	Value string `json:"value"`
}

// Selector picks hosts: every term must match (AND). The zero Selector
// selects every host. It is a plain value, safe to pass to workflows.
type Selector struct {
	Terms []Term `json:"terms,omitempty"`
}

// ParseSelector reads --select arguments: each argument holds
// comma-separated key=value terms, and all terms of all arguments apply.
// "group=NAME" selects a group with its child groups, "host=NAME" one
// host, "KEY=VALUE" (or "label:KEY=VALUE" for a label named group or
// host) a label.
func ParseSelector(terms []string) (Selector, error) {
	var sel Selector
	for _, arg := range terms {
		for _, raw := range strings.Split(arg, ",") {
			t := strings.TrimSpace(raw)
			if t == "" {
				continue // tolerate "a=b," and empty flags
			}
			term, err := parseTerm(t)
			if err != nil {
				return Selector{}, err
			}
			sel.Terms = append(sel.Terms, term)
		}
	}
	return sel, nil
}

func parseTerm(t string) (Term, error) {
	k, v, ok := strings.Cut(t, "=")
	k, v = strings.TrimSpace(k), strings.TrimSpace(v)
	switch {
	case !ok:
		return Term{}, errorf("select %q: want key=value, such as group=web or env=prod", t)
	case k == "":
		return Term{}, errorf("select %q: the key before '=' is empty; want group=NAME, host=NAME or LABEL=VALUE", t)
	case v == "":
		return Term{}, errorf("select %q: the value after '=' is empty", t)
	}
	switch {
	case k == TermGroup:
		if err := ValidGroupName(v); err != nil {
			return Term{}, errorf("select %q: %v", t, err)
		}
		return Term{Kind: TermGroup, Value: v}, nil
	case k == TermHost:
		if err := ValidHostName(v); err != nil {
			return Term{}, errorf("select %q: %v", t, err)
		}
		return Term{Kind: TermHost, Value: v}, nil
	}
	k = strings.TrimPrefix(k, "label:")
	if err := validLabelKey(k); err != nil {
		return Term{}, errorf("select %q: %v", t, err)
	}
	return Term{Kind: TermLabel, Key: k, Value: v}, nil
}

// String renders the term as it is written on the command line.
func (t Term) String() string {
	switch t.Kind {
	case TermLabel:
		if t.Key == TermGroup || t.Key == TermHost {
			return "label:" + t.Key + "=" + t.Value
		}
		return t.Key + "=" + t.Value
	default:
		return t.Kind + "=" + t.Value
	}
}

// String renders the selector as one --select argument.
func (s Selector) String() string {
	parts := make([]string, len(s.Terms))
	for i, t := range s.Terms {
		parts[i] = t.String()
	}
	return strings.Join(parts, ",")
}

// Empty reports whether the selector selects every host.
func (s Selector) Empty() bool { return len(s.Terms) == 0 }

// Match reports whether the host satisfies every term.
func (s Selector) Match(h Host) bool {
	for _, t := range s.Terms {
		if !t.match(h) {
			return false
		}
	}
	return true
}

func (t Term) match(h Host) bool {
	switch t.Kind {
	case TermGroup:
		return h.InGroup(t.Value)
	case TermHost:
		return h.Name == t.Value
	case TermLabel:
		v, ok := h.Labels[t.Key]
		return ok && v == t.Value
	}
	return false
}

// Select returns the hosts matching sel, sorted by name. Unknown groups,
// hosts or labels simply match nothing; use SelectStrict to have them reported.
func (inv *Inventory) Select(sel Selector) []Host {
	var out []Host
	for _, h := range inv.Hosts {
		if sel.Match(h) {
			out = append(out, h)
		}
	}
	return out
}

// SelectStrict is Select that first checks every term names something the
// inventory has: an unknown group or host, or a label no host carries, is
// an error naming what exists (with a suggestion for a near miss). An empty
// result of a valid selector is not an error.
func (inv *Inventory) SelectStrict(sel Selector) ([]Host, error) {
	for _, t := range sel.Terms {
		if err := inv.check(t); err != nil {
			return nil, err
		}
	}
	return inv.Select(sel), nil
}

func (inv *Inventory) check(t Term) error {
	src := inv.Source
	if src == "" {
		src = "the inventory"
	}
	switch t.Kind {
	case TermGroup:
		if !inv.HasGroup(t.Value) {
			return errorf("select %s: no group %q in %s%s (groups: %s)", t, t.Value, src, suggest(t.Value, inv.GroupNames), quoteList(inv.GroupNames))
		}
	case TermHost:
		if _, ok := inv.Lookup(t.Value); !ok {
			names := Names(inv.Hosts)
			return errorf("select %s: no host %q in %s%s", t, t.Value, src, suggest(t.Value, names))
		}
	case TermLabel:
		keys := inv.LabelKeys()
		for _, k := range keys {
			if k == t.Key {
				return nil
			}
		}
		return errorf("select %s: no host has a label %q%s (labels: %s)", t, t.Key, suggest(t.Key, keys), quoteList(keys))
	default:
		return errorf("select: unknown term kind %q", t.Kind)
	}
	return nil
}

// LabelKeys returns every label key used by any host, sorted.
func (inv *Inventory) LabelKeys() []string {
	set := map[string]bool{}
	for _, h := range inv.Hosts {
		for k := range h.Labels {
			set[k] = true
		}
	}
	return slices.Sorted(maps.Keys(set))
}
