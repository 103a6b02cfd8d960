package domain

import (
	"path"
	"slices"
	"strconv"
	"strings"
	"time"
)

// PatchRules filter pending updates into the plan.
type PatchRules struct {
	// Classes admitted (SelectableClasses). Empty admits every class.
	Classes []Class `json:"classes,omitempty"`
	// MinSeverity admits updates at or above it. Empty admits every
	// severity.
	MinSeverity Severity `json:"min_severity,omitempty"`
	// UnknownSeverity says how an update of unknown severity counts
	// against MinSeverity: as one of the severities, or UnknownExcluded
	// to leave such updates out whenever MinSeverity is set. Empty counts
	// it as low.
	UnknownSeverity Severity `json:"unknown_severity,omitempty"`
	// Include and Exclude are package name globs (path.Match syntax); an
	// empty Include admits every name.
	Include []string `json:"include,omitempty"`
	Exclude []string `json:"exclude,omitempty"`
	// Approve lists packages admitted whatever the class and severity
	// rules say: "name", or "name=version", which also pins that exact
	// version in the plan instead of the newest candidate. Reject lists
	// packages ("name" or "name=version") never admitted.
	Approve []string `json:"approve,omitempty"`
	Reject  []string `json:"reject,omitempty"`
	// CVEs, when set, admits only updates that fix one of them (an
	// emergency policy: "patch CVE-X now").
	CVEs []string `json:"cves,omitempty"`
	// KEV admits only updates fixing a CVE in CISA's Known Exploited
	// Vulnerabilities catalogue.
	KEV bool `json:"kev,omitempty"`
	// MinEPSS admits only updates whose highest EPSS score is at least
	// this (0..1); an update with no EPSS score is left out.
	MinEPSS float64 `json:"min_epss,omitempty"`
	// MinAge holds back updates that became due (published, or first
	// seen pending) less than this long ago, so a broken release has time
	// to be pulled before it is planned. Approved packages bypass it.
	MinAge time.Duration `json:"min_age,omitempty"`
	// Interactive lists the zypper patches flagged interactive (they ask
	// a person something: a reboot, a message, a licence) the policy may
	// install, each by patch name or by a package the patch updates. The
	// scan hands it to the zypper driver (pkgmgr Zypper.WithInteractive);
	// the updates of other interactive patches come marked
	// (Pending.Interactive) and the plan leaves them out.
	Interactive []string `json:"interactive,omitempty"`
}

// Matured returns "" when the update is old enough for MinAge at now (or
// approved by name), else why not.
func (r PatchRules) Matured(e PlanEntry, now time.Time) string {
	if r.MinAge <= 0 || listed(r.Approve, e) {
		return ""
	}
	if e.Since.IsZero() {
		return "age unknown (never seen before), min_age " + r.MinAge.String()
	}
	if age := now.Sub(e.Since); age < r.MinAge {
		return "due for " + age.Round(time.Minute).String() + ", min_age " + r.MinAge.String()
	}
	return ""
}

// UnknownExcluded, as PatchRules.UnknownSeverity, leaves updates of
// unknown severity out whenever a minimum severity is set.
const UnknownExcluded Severity = "exclude"

// Admit returns "" when the rules admit the plan entry, else why not (the
// reason a dry run shows for a package left out). The reject list wins,
// then the approve list; every other rule narrows: an update must pass all
// of them.
func (r PatchRules) Admit(e PlanEntry) string {
	if listed(r.Reject, e) {
		return "rejected by the policy's reject list"
	}
	if listed(r.Approve, e) {
		return ""
	}
	if len(r.Include) > 0 && !anyGlob(r.Include, e.Name) {
		return "not matched by include"
	}
	if anyGlob(r.Exclude, e.Name) {
		return "matched by exclude"
	}
	if len(r.CVEs) > 0 && !anyOf(r.CVEs, e.CVEs) {
		return "fixes none of " + strings.Join(r.CVEs, ",")
	}
	if r.KEV && !e.KEV {
		return "fixes no CVE in the KEV catalogue"
	}
	if r.MinEPSS > 0 && (e.EPSS == nil || *e.EPSS < r.MinEPSS) {
		if e.EPSS == nil {
			return "no EPSS score, min_epss " + strconv.FormatFloat(r.MinEPSS, 'g', -1, 64)
		}
		return "EPSS " + strconv.FormatFloat(*e.EPSS, 'g', 3, 64) + " below " + strconv.FormatFloat(r.MinEPSS, 'g', -1, 64)
	}
	if len(r.Classes) > 0 && !r.classAdmitted(e) {
		names := make([]string, len(r.Classes))
		for i, c := range r.Classes {
			names[i] = string(c)
		}
		return "class " + string(e.Class) + "/" + string(e.Severity) + " not in " + strings.Join(names, ",")
	}
	if r.MinSeverity != "" {
		sev := e.Severity
		if !sev.Known() {
			if r.UnknownSeverity == UnknownExcluded {
				return "severity unknown, excluded by unknown_severity"
			}
			sev = r.UnknownSeverity
			if sev == "" {
				sev = SeverityLow
			}
		}
		if sev.Rank() < r.MinSeverity.Rank() {
			return "severity " + string(e.Severity) + " below " + string(r.MinSeverity)
		}
	}
	return ""
}

func (r PatchRules) classAdmitted(e PlanEntry) bool {
	for _, c := range r.Classes {
		if c.Admits(e.Class, e.Severity) {
			return true
		}
	}
	return false
}

// ApprovedVersion returns the version of a "name=version" approve entry.
func (r PatchRules) ApprovedVersion(name string) (string, bool) {
	for _, l := range r.Approve {
		if n, v, ok := strings.Cut(l, "="); ok && n == name && v != "" {
			return v, true
		}
	}
	return "", false
}

// listed matches "name" or "name=version" entries.
func listed(list []string, e PlanEntry) bool {
	for _, l := range list {
		name, version, pinned := strings.Cut(l, "=")
		if name == e.Name && (!pinned || version == e.Version) {
			return true
		}
	}
	return false
}

func anyOf(want, have []string) bool {
	for _, w := range want {
		if slices.Contains(have, w) {
			return true
		}
	}
	return false
}

func anyGlob(globs []string, name string) bool {
	for _, g := range globs {
		if ok, _ := path.Match(g, name); ok {
			return true
		}
	}
	return false
}
