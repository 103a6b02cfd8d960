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
	Manager string `json:"manager"`
	Name    string `json:"name"`
	// Installed is the version the host has; scans for cycles leave it
	// out (the plan needs only candidates), assessments keep it.
	Installed string `json:"installed,omitempty"`
	Candidate string `json:"candidate"`
	Class     Class  `json:"class"`
	Vulns
	// Since is when the update became due: the earliest of its advisory's
	// publication and the time patchflow first saw it pending on the
	// host; zero when neither is known.
	Since time.Time `json:"since,omitzero"`
	// Interactive names the interactive zypper patch holding this version
	// back (Update.Interactive); a plan leaves it out.
	Interactive string `json:"interactive,omitempty"`
}

func (p Pending) key() string {
	epss := ""
	if p.EPSS != nil {
		epss = strconv.FormatFloat(*p.EPSS, 'g', -1, 64)
	}
	return strings.Join([]string{p.Manager, p.Name, p.Installed, p.Candidate, string(p.Class), string(p.Severity), p.SeveritySource,
		p.Since.UTC().Format(time.RFC3339Nano), strings.Join(p.Advisories, ","), strings.Join(p.CVEs, ","),
		strconv.FormatBool(p.KEV), p.KEVDateAdded, p.KEVDueDate, epss, strconv.Itoa(p.Risk), p.Interactive}, "\x00")
}

// HostScan is one scanned host: its package manager and the pending
// updates it reported, as indices into PendingTable.Updates.
type HostScan struct {
	Host    string `json:"host"`
	Manager string `json:"manager"`
	Updates []int  `json:"updates,omitempty"`
	// An assessment also records, per host, the exposures of its
	// installed packages (positions in the batch's ExposureTable), its
	// release, the running kernel and whether it waits for a reboot.
	Exposed       []int  `json:"exposed,omitempty"`
	Release       string `json:"release,omitempty"`
	RunningKernel string `json:"running_kernel,omitempty"`
	RebootPending bool   `json:"reboot_pending,omitempty"`
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

// Merge adds every host of o, re-pointing its updates into t (and its
// exposures from oExp into exp, when both are given).
func (t *PendingTable) Merge(o PendingTable) { t.MergeWith(o, nil, nil) }

// MergeWith is Merge for an assessment: exposures are re-pointed from
// oExp into exp.
func (t *PendingTable) MergeWith(o PendingTable, exp, oExp *ExposureTable) {
	for _, h := range o.Hosts {
		refs := make([]int, 0, len(h.Updates))
		for _, i := range h.Updates {
			if i >= 0 && i < len(o.Updates) {
				refs = append(refs, t.intern(o.Updates[i]))
			}
		}
		nh := h
		nh.Updates, nh.Exposed = refs, nil
		if exp != nil && oExp != nil {
			for _, i := range h.Exposed {
				if i >= 0 && i < len(oExp.Rows) {
					nh.Exposed = append(nh.Exposed, exp.Intern(oExp.Rows[i]))
				}
			}
		}
		t.Hosts = append(t.Hosts, nh)
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
