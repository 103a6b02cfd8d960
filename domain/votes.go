package domain

import (
	"cmp"
	"slices"
	"time"
)

// Vote is what a scan tells the plan about one distinct pending update:
// how many listings named it, and the first (host, position) that did, in
// host name order, which breaks ties between candidate versions. Votes of
// disjoint sets of hosts merge, so a fleet scanned in shards plans exactly
// as one scan of every host would.
type Vote struct {
	Pending
	Listings  int    `json:"listings"`
	FirstHost string `json:"first_host"`
	FirstPos  int    `json:"first_pos"`
}

// VotesOf counts a table's listings per distinct update.
func VotesOf(t *PendingTable) []Vote {
	votes := make([]Vote, len(t.Updates))
	for i, u := range t.Updates {
		votes[i] = Vote{Pending: u, FirstPos: -1}
	}
	for _, h := range t.SortedHosts() {
		for pos, i := range h.Updates {
			v := &votes[i]
			v.Listings++
			if v.FirstPos < 0 {
				v.FirstHost, v.FirstPos = h.Host, pos
			}
		}
	}
	out := votes[:0]
	for _, v := range votes {
		if v.Listings > 0 {
			out = append(out, v)
		}
	}
	return out
}

// CompactVotes merges the votes of one candidate (manager, package,
// version) into one, as BuildPlanFromVotes would: listings add up, the
// first listing wins, the stronger class, the merged advisories and the
// earliest Since are kept. Hosts first see an update at different times,
// so a fleet's votes differ in Since alone; compacted, a shard's votes
// are bounded by the distinct candidates, not by hosts x updates.
func CompactVotes(votes []Vote) []Vote {
	sorted := byFirstListing(votes)
	idx := map[string]int{}
	var out []Vote
	for _, v := range sorted {
		k := v.Manager + "\x00" + v.Name + "\x00" + v.Candidate
		i, ok := idx[k]
		if !ok {
			idx[k] = len(out)
			out = append(out, v)
			continue
		}
		o := &out[i]
		o.Listings += v.Listings
		o.Class = StrongerClass(o.Class, v.Class)
		o.Vulns = o.Vulns.merge(v.Vulns)
		o.Since = EarliestKnown(o.Since, v.Since)
		if o.Interactive == "" {
			o.Interactive = v.Interactive
		}
		if o.Installed != v.Installed {
			o.Installed = ""
		}
	}
	return out
}

// MergeVotes adds the votes of other hosts: listings add up, the first
// listing in host name order wins.
func MergeVotes(a, b []Vote) []Vote {
	idx := make(map[string]int, len(a))
	out := slices.Clone(a)
	for i, v := range out {
		idx[v.key()] = i
	}
	for _, v := range b {
		i, ok := idx[v.key()]
		if !ok {
			idx[v.key()] = len(out)
			out = append(out, v)
			continue
		}
		o := &out[i]
		o.Listings += v.Listings
		if firstListing(v, *o) {
			o.FirstHost, o.FirstPos = v.FirstHost, v.FirstPos
		}
	}
	return out
}

// byFirstListing returns the votes ordered by their first listing (host
// name, then position in its scan): the order plans are made in.
func byFirstListing(votes []Vote) []Vote {
	sorted := slices.Clone(votes)
	slices.SortStableFunc(sorted, func(a, b Vote) int {
		return cmp.Or(cmp.Compare(a.FirstHost, b.FirstHost), cmp.Compare(a.FirstPos, b.FirstPos))
	})
	return sorted
}

// EarliestKnown is the earlier of two times, a zero time meaning unknown.
func EarliestKnown(a, b time.Time) time.Time {
	if a.IsZero() || (!b.IsZero() && b.Before(a)) {
		return b
	}
	return a
}

func firstListing(a, b Vote) bool {
	return cmp.Or(cmp.Compare(a.FirstHost, b.FirstHost), cmp.Compare(a.FirstPos, b.FirstPos)) < 0
}

// BuildPlanFromVotes is BuildPlan over votes: the plan of the hosts whose
// scans the votes count, at now (for min_age).
func BuildPlanFromVotes(votes []Vote, rules PatchRules, now time.Time) Plan {
	sorted := withoutHeldWhereOffered(byFirstListing(votes))
	type cand struct {
		entry PlanEntry
		votes map[string]int
		order []string // candidate versions in first-seen order
		held  string   // the interactive patch holding the package back
	}
	byKey := map[string]*cand{}
	var keys []string
	for _, v := range sorted {
		k := v.Manager + "\x00" + v.Name
		c := byKey[k]
		if c == nil {
			c = &cand{entry: PlanEntry{Manager: v.Manager, Name: v.Name, Class: v.Class}, votes: map[string]int{}}
			byKey[k] = c
			keys = append(keys, k)
		}
		if c.held == "" {
			c.held = v.Interactive
		}
		c.entry.Class = StrongerClass(c.entry.Class, v.Class)
		c.entry.Vulns = c.entry.Vulns.merge(v.Vulns)
		c.entry.Since = EarliestKnown(c.entry.Since, v.Since)
		if c.votes[v.Candidate] == 0 {
			c.order = append(c.order, v.Candidate)
		}
		// Every listing votes: dnf lists a package once per advisory
		// version, and each counts.
		c.votes[v.Candidate] += v.Listings
		c.entry.Hosts += v.Listings
	}
	slices.Sort(keys)
	var p Plan
	for _, k := range keys {
		c := byKey[k]
		best := c.order[0]
		for _, ver := range c.order[1:] {
			if c.votes[ver] > c.votes[best] {
				best = ver
			}
		}
		e := c.entry
		e.Version = best
		if ver, ok := rules.ApprovedVersion(e.Name); ok {
			// An approved exact version wins over the newest candidate:
			// it is how a policy holds back a newer, untested release.
			e.Version = ver
		}
		reason := rules.Admit(e)
		if reason == "" && c.held != "" {
			reason = heldInteractive(c.held, e.Name)
		}
		if reason == "" {
			reason = rules.Matured(e, now)
		}
		if reason != "" {
			p.Left = append(p.Left, PlanSkip{Manager: e.Manager, Name: e.Name, Version: e.Version, Reason: reason})
			continue
		}
		p.Entries = append(p.Entries, e)
	}
	return p
}

// withoutHeldWhereOffered drops the votes of versions an interactive patch
// holds back (Pending.Interactive) for packages some host also offers
// without one: those are planned from the offered versions alone, as if
// the held ones were not pending. A package only held back keeps its
// votes, so the plan can say why it is left out.
func withoutHeldWhereOffered(votes []Vote) []Vote {
	offered := map[string]bool{}
	held := false
	for _, v := range votes {
		if v.Interactive == "" {
			offered[v.Manager+"\x00"+v.Name] = true
		} else {
			held = true
		}
	}
	if !held {
		return votes
	}
	out := votes[:0:0]
	for _, v := range votes {
		if v.Interactive == "" || !offered[v.Manager+"\x00"+v.Name] {
			out = append(out, v)
		}
	}
	return out
}

// heldInteractive is why a package only an interactive zypper patch brings
// is left out of the plan.
func heldInteractive(patch, name string) string {
	return "zypper patch " + patch + " is flagged interactive (it asks before installing: a reboot, a message or a licence); " +
		"list " + patch + " or " + name + " in patches.interactive to plan it"
}
