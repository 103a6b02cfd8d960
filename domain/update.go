package domain

import "time"

// Update is one pending update of one host, as a scan reports it: what the
// package manager says (versions, origin, class, severity) and what the
// update fixes (CVEs and other advisory ids, KEV, EPSS, a risk score).
// `inventory scan --json`, plans and cycle status share these field names.
type Update struct {
	Name      string `json:"name"`
	Arch      string `json:"arch,omitempty"`
	Installed string `json:"installed"`
	Candidate string `json:"candidate"`
	// Source is where the candidate comes from: apt origin/suite, the dnf
	// or zypper repository.
	Source string `json:"source,omitempty"`
	Class  Class  `json:"class"`
	Vulns
	// FirstSeen is when patchflow first saw this candidate pending on the
	// host (the host's first-seen file).
	FirstSeen time.Time `json:"first_seen,omitzero"`
	// Published is the advisory's issue date when known (dnf and zypper
	// updateinfo); zero otherwise.
	Published time.Time `json:"published,omitzero"`
	// Interactive names the zypper patch flagged interactive that brings
	// this version when the policy's patches.interactive does not list
	// it: pending, but never planned.
	Interactive string `json:"interactive,omitempty"`
}

// Vulns is what an update fixes, as far as the package manager and the
// advisory data know. Unknown stays unknown: no CVE is invented, a
// severity nothing states is SeverityUnknown, an EPSS score no source has
// is nil.
type Vulns struct {
	Severity Severity `json:"severity"`
	// SeveritySource names what decided the severity ("updateinfo",
	// "debian-tracker:urgency", "cvss:osv", "changelog:expat", ...).
	SeveritySource string `json:"severity_source,omitempty"`
	// CVEs the update fixes; Advisories the other ids (DSA, DLA, RHSA,
	// ALSA, SUSE-SU, GHSA, ...) naming its fixes.
	CVEs       []string `json:"cves,omitempty"`
	Advisories []string `json:"advisories,omitempty"`
	// KEV: a fixed CVE is in CISA's Known Exploited Vulnerabilities
	// catalogue, since KEVDateAdded.
	KEV          bool   `json:"kev,omitempty"`
	KEVDateAdded string `json:"kev_date_added,omitempty"`
	// KEVDueDate is CISA's due date (YYYY-MM-DD) of the KEV-listed CVE.
	KEVDueDate string `json:"kev_due_date,omitempty"`
	// EPSS is the highest EPSS score of the fixed CVEs (nil: none has one).
	EPSS *float64 `json:"epss,omitempty"`
	// Risk is 0-100 by the documented formula (docs/vulnerabilities.md).
	Risk int `json:"risk,omitempty"`
}

// Since is when the update became due: the earlier of its publication and
// the time patchflow first saw it, zero when neither is known.
func (u Update) Since() time.Time {
	switch {
	case u.Published.IsZero():
		return u.FirstSeen
	case u.FirstSeen.IsZero() || u.Published.Before(u.FirstSeen):
		return u.Published
	}
	return u.FirstSeen
}

// Pending is the update as the plan counts it.
func (u Update) Pending(manager string) Pending {
	return Pending{Manager: manager, Name: u.Name, Candidate: u.Candidate, Class: u.Class, Vulns: u.Vulns, Since: u.Since(),
		Interactive: u.Interactive}
}

// PendingWithInstalled is Pending keeping the host's installed version,
// as an assessment reports it.
func (u Update) PendingWithInstalled(manager string) Pending {
	p := u.Pending(manager)
	p.Installed = u.Installed
	return p
}

// merge folds the identification of another listing of the same package
// into v: the most severe rating, every id, KEV if any, the highest EPSS
// and risk.
func (v Vulns) merge(o Vulns) Vulns {
	if o.Severity.Rank() > v.Severity.Rank() {
		v.Severity, v.SeveritySource = o.Severity, o.SeveritySource
	} else if v.Severity == "" {
		v.Severity = o.Severity
	}
	v.CVEs = mergeSorted(v.CVEs, o.CVEs)
	v.Advisories = mergeSorted(v.Advisories, o.Advisories)
	if o.KEV && !v.KEV {
		v.KEV, v.KEVDateAdded, v.KEVDueDate = true, o.KEVDateAdded, o.KEVDueDate
	}
	if o.EPSS != nil && (v.EPSS == nil || *o.EPSS > *v.EPSS) {
		e := *o.EPSS
		v.EPSS = &e
	}
	v.Risk = max(v.Risk, o.Risk)
	return v
}
