package domain

import (
	"slices"
	"strconv"
	"strings"
	"time"
)

// Pin is one package at one exact version. In a snapshot, Version ""
// means the package was not installed.
type Pin struct {
	Name    string `json:"name"`
	Version string `json:"version"`
}

// Pending is one distinct pending update: a package of one package
// manager kind with one candidate version, as one or more hosts reported
// it.
type Pending struct {
	Manager   string `json:"manager"`
	Name      string `json:"name"`
	Candidate string `json:"candidate"`
	Class     Class  `json:"class"`
	Vulns
	// Since is when the update became due: the earliest of its advisory's
	// publication and the time patchflow first saw it pending on the
	// host; zero when neither is known.
	Since time.Time `json:"since,omitzero"`
}

func (p Pending) key() string {
	epss := ""
	if p.EPSS != nil {
		epss = strconv.FormatFloat(*p.EPSS, 'g', -1, 64)
	}
	return strings.Join([]string{p.Manager, p.Name, p.Candidate, string(p.Class), string(p.Severity), p.SeveritySource,
		p.Since.UTC().Format(time.RFC3339Nano), strings.Join(p.Advisories, ","), strings.Join(p.CVEs, ","),
		strconv.FormatBool(p.KEV), p.KEVDateAdded, epss, strconv.Itoa(p.Risk)}, "\x00")
}

// HostScan is one scanned host: its package manager and the pending
// updates it reported, as indices into PendingTable.Updates.
type HostScan struct {
	Host    string `json:"host"`
	Manager string `json:"manager"`
	Updates []int  `json:"updates,omitempty"`
}

// PendingTable is a scan of many hosts kept compact: each distinct pending
// update once, and every host pointing at its updates. A month-unpatched
// fleet has 50-150 pending updates per host but few distinct ones, so the
// table grows with the packages of the fleet, not with hosts x packages.
type PendingTable struct {
	Updates []Pending  `json:"updates,omitempty"`
	Hosts   []HostScan `json:"hosts,omitempty"`
	index   map[string]int
}

// Add records one host's pending updates.
func (t *PendingTable) Add(host, manager string, updates []Pending) {
	h := HostScan{Host: host, Manager: manager}
	for _, u := range updates {
		u.Manager = manager
		h.Updates = append(h.Updates, t.intern(u))
	}
	t.Hosts = append(t.Hosts, h)
}

// Merge adds every host of o, re-pointing its updates into t.
func (t *PendingTable) Merge(o PendingTable) {
	for _, h := range o.Hosts {
		refs := make([]int, 0, len(h.Updates))
		for _, i := range h.Updates {
			if i >= 0 && i < len(o.Updates) {
				refs = append(refs, t.intern(o.Updates[i]))
			}
		}
		t.Hosts = append(t.Hosts, HostScan{Host: h.Host, Manager: h.Manager, Updates: refs})
	}
}

func (t *PendingTable) intern(u Pending) int {
	if t.index == nil {
		t.index = make(map[string]int, len(t.Updates))
		for i, v := range t.Updates {
			t.index[v.key()] = i
		}
	}
	k := u.key()
	if i, ok := t.index[k]; ok {
		return i
	}
	t.Updates = append(t.Updates, u)
	t.index[k] = len(t.Updates) - 1
	return len(t.Updates) - 1
}

// Host returns the scan of one host.
func (t *PendingTable) Host(name string) (HostScan, bool) {
	for _, h := range t.Hosts {
		if h.Host == name {
			return h, true
		}
	}
	return HostScan{}, false
}

// SortedHosts returns the hosts in name order.
func (t *PendingTable) SortedHosts() []HostScan {
	hosts := slices.Clone(t.Hosts)
	slices.SortStableFunc(hosts, func(a, b HostScan) int { return strings.Compare(a.Host, b.Host) })
	return hosts
}
