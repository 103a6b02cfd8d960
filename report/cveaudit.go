package report

import (
	"github.com/patchflow/patchflow/domain"

	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
)

// CVEState is where one host stands for one CVE (docs/reports.md gives
// what each rests on).
type CVEState string

// CVE states, in report order: what needs action first.
const (
	// CVEAffectedPatchable: the host runs a vulnerable version and its
	// repositories offer the fix.
	CVEAffectedPatchable CVEState = "affected_patchable"
	// CVEFixNotInRepos: a fixed version is known but the host's
	// repositories do not offer it yet.
	CVEFixNotInRepos CVEState = "fix_not_in_repos"
	// CVEAffectedNoFix: vulnerable, and no fix is released for the host's
	// release.
	CVEAffectedNoFix CVEState = "affected_no_fix"
	// CVERebootPending: the fixed version is installed but the running
	// kernel (or process) is still the vulnerable one.
	CVERebootPending CVEState = "reboot_pending"
	// CVEScheduled: affected, and a schedule or a parked cycle will patch
	// it in a known window.
	CVEScheduled CVEState = "scheduled"
	// CVEUnknown: the host has not been assessed since the advisory appeared.
	CVEUnknown CVEState = "unknown"
	// CVEPatched: a cycle installed the fix and a later assessment verified it.
	CVEPatched CVEState = "patched"
	// CVENotAffected: an assessment found no vulnerable package.
	CVENotAffected CVEState = "not_affected"
)

// CVEStates lists every CVE state in report order.
var CVEStates = []CVEState{CVEAffectedPatchable, CVEFixNotInRepos, CVEAffectedNoFix, CVERebootPending, CVEScheduled, CVEUnknown, CVEPatched, CVENotAffected}

// Valid reports whether s is one of CVEStates.
func (s CVEState) Valid() bool { return slices.Contains(CVEStates, s) }

// MarshalText implements encoding.TextMarshaler; it refuses invalid values.
func (s CVEState) MarshalText() ([]byte, error) { return marshalEnum("cve state", s, s.Valid()) }

// UnmarshalText implements encoding.TextUnmarshaler; it refuses invalid values.
func (s *CVEState) UnmarshalText(b []byte) error { return unmarshalEnum("cve state", b, s, CVEStates) }

// CVEAudit is every asked CVE with every host's state for it: built by
// BuildCVEAudit, rendered by WriteJSON and WriteCVEAuditTable.
type CVEAudit struct {
	Kind          string            `json:"kind"`
	SchemaVersion int               `json:"schema_version"`
	GeneratedAt   time.Time         `json:"generated_at"`
	TimeZone      string            `json:"time_zone"`
	Generator     string            `json:"generator"`
	Sources       []SourceFreshness `json:"sources"`
	// CVEs are sorted by id (year, then number).
	CVEs []CVEEntry `json:"cves"`
}

// CVEEntry is one CVE: what is known of it and each host's state.
type CVEEntry struct {
	CVE      string   `json:"cve"`
	Severity Severity `json:"severity"`
	KEV      bool     `json:"kev"`
	// KEVDueDate is CISA's due date (YYYY-MM-DD).
	KEVDueDate string   `json:"kev_due_date,omitempty"`
	EPSS       *float64 `json:"epss,omitempty"`
	// Published is when the advisory appeared in patchflow's sources: a
	// host assessed before it is unknown.
	Published time.Time `json:"published,omitzero"`
	// Totals has one entry per state, in CVEStates order.
	Totals []CVEStateCount `json:"totals"`
	// Hosts are in CVEStates order, then by host and policy name.
	Hosts []CVEHost `json:"hosts"`
}

// CVEStateCount is the number of hosts in one CVE state.
type CVEStateCount struct {
	State CVEState `json:"state"`
	Hosts int      `json:"hosts"`
}

// CVEHost is one host's state for one CVE and what the state rests on.
type CVEHost struct {
	Host     string      `json:"host"`
	Policy   string      `json:"policy"`
	State    CVEState    `json:"state"`
	Evidence CVEEvidence `json:"evidence"`
}

// CVEEvidence is what a CVE state rests on; which fields a state needs is
// checked by BuildCVEAudit (docs/reports.md, "CVE audit").
type CVEEvidence struct {
	// AssessedAt is the assessment the state rests on (for patched: the
	// re-assessment that verified the fix).
	AssessedAt time.Time `json:"assessed_at,omitzero"`
	// Packages are the host's packages the CVE concerns.
	Packages []PackageEvidence `json:"packages,omitempty"`
	// RunningKernel is the kernel release running at AssessedAt
	// (reboot_pending on a kernel).
	RunningKernel string `json:"running_kernel,omitempty"`
	// CycleID is the cycle that patched the host, or the parked cycle that
	// will; ScheduleID the schedule that will start one.
	CycleID    string    `json:"cycle_id,omitempty"`
	ScheduleID string    `json:"schedule_id,omitempty"`
	PatchedAt  time.Time `json:"patched_at,omitzero"`
	// Wave is the wave that patched or will patch the host (0 = staging).
	Wave *int `json:"wave,omitempty"`
	// WindowOpens is when the maintenance window of a scheduled patch opens.
	WindowOpens time.Time `json:"window_opens,omitzero"`
	// DecidedBy names the advisory source whose statement decided.
	DecidedBy string `json:"decided_by,omitempty"`
	Note      string `json:"note,omitempty"`
}

// PackageEvidence is one package of a host as the state's assessment saw it.
type PackageEvidence struct {
	Package   string `json:"package"`
	Installed string `json:"installed"`
	// FixedVersion is the advisory's fixed version, absent when none is released.
	FixedVersion string `json:"fixed_version,omitempty"`
	// Candidate is the version the host's repositories offer, if newer.
	Candidate string `json:"candidate,omitempty"`
}

// CVEAuditInput is what BuildCVEAudit needs.
type CVEAuditInput struct {
	GeneratedAt  time.Time
	TimeZone     string
	Generator    string
	SourceMaxAge time.Duration
	Sources      []SourceInput
	// CVEs are the asked CVEs, each with every host's state; their Totals
	// are computed.
	CVEs []CVEEntry
}

// NormalizeCVEID upper-cases and checks a CVE id ("cve-2023-4911" ->
// "CVE-2023-4911"); the error says what a valid one looks like.
func NormalizeCVEID(s string) (string, error) { return domain.NormalizeCVEID(s) }

// BuildCVEAudit checks every host's state against its evidence, sorts
// CVEs and hosts, and counts the states. It returns every problem at once.
func BuildCVEAudit(in CVEAuditInput) (*CVEAudit, error) {
	var p problems
	h := headOf(&p, in.GeneratedAt, "set the time the audit describes", in.TimeZone, in.Generator, in.Sources, in.SourceMaxAge)
	a := &CVEAudit{
		Kind:          KindCVEAudit,
		SchemaVersion: SchemaVersion,
		GeneratedAt:   h.now,
		TimeZone:      h.zone,
		Generator:     h.generator,
		Sources:       h.sources,
	}
	seen := map[string]bool{}
	for _, e := range in.CVEs {
		id, err := NormalizeCVEID(e.CVE)
		if err != nil {
			p.add("%v", err)
			continue
		}
		if seen[id] {
			p.add("%s listed twice", id)
			continue
		}
		seen[id] = true
		e.CVE = id
		if !e.Severity.Valid() {
			p.add("%s: severity %q: want one of %v", id, excerpt(string(e.Severity)), domain.Severities)
		}
		if e.KEVDueDate != "" {
			if _, err := time.Parse(dateLayout, e.KEVDueDate); err != nil || !e.KEV {
				p.add("%s: kev_due_date %q needs kev and the form YYYY-MM-DD", id, excerpt(e.KEVDueDate))
			}
		}
		e.Published = utc(e.Published)
		hosts := make([]CVEHost, 0, len(e.Hosts))
		hostSeen := map[string]bool{}
		for _, h := range e.Hosts {
			k := h.Host + "\x00" + h.Policy
			if hostSeen[k] {
				p.add("%s: host %q under policy %q listed twice", id, excerpt(h.Host), excerpt(h.Policy))
				continue
			}
			hostSeen[k] = true
			h.Evidence = normalizeEvidence(h.Evidence)
			if err := checkCVEHost(h, e.Published); err != nil {
				p.add("%s, host %q: %v", id, excerpt(h.Host), err)
				continue
			}
			hosts = append(hosts, h)
		}
		sort.Slice(hosts, func(i, j int) bool {
			a, b := hosts[i], hosts[j]
			if a.State != b.State {
				return slices.Index(CVEStates, a.State) < slices.Index(CVEStates, b.State)
			}
			return lessStrings([]string{a.Host, a.Policy}, []string{b.Host, b.Policy})
		})
		e.Hosts = hosts
		e.Totals = cveTotals(hosts)
		if e.EPSS != nil {
			v := *e.EPSS
			e.EPSS = &v
			if v < 0 || v > 1 {
				p.add("%s: epss %v is outside 0..1", id, v)
			}
		}
		a.CVEs = append(a.CVEs, e)
	}
	if err := p.err("build cve audit"); err != nil {
		return nil, err
	}
	sort.Slice(a.CVEs, func(i, j int) bool { return lessCVE(a.CVEs[i].CVE, a.CVEs[j].CVE) })
	if a.CVEs == nil {
		a.CVEs = []CVEEntry{}
	}
	return a, nil
}

func normalizeEvidence(e CVEEvidence) CVEEvidence {
	e.AssessedAt = utc(e.AssessedAt)
	e.PatchedAt = utc(e.PatchedAt)
	e.WindowOpens = utc(e.WindowOpens)
	e.Packages = slices.Clone(e.Packages)
	sort.Slice(e.Packages, func(i, j int) bool {
		a, b := e.Packages[i], e.Packages[j]
		return lessStrings([]string{a.Package, a.Installed}, []string{b.Package, b.Installed})
	})
	if e.Wave != nil {
		w := *e.Wave
		e.Wave = &w
	}
	return e
}

// checkCVEHost checks that the evidence holds what the state rests on.
func checkCVEHost(h CVEHost, published time.Time) error {
	ev := h.Evidence
	if h.Host == "" || h.Policy == "" {
		return fmt.Errorf("host and policy names must not be empty")
	}
	if !h.State.Valid() {
		return fmt.Errorf("state %q: want one of %v", excerpt(string(h.State)), CVEStates)
	}
	for _, pk := range ev.Packages {
		if pk.Package == "" || pk.Installed == "" {
			return fmt.Errorf("%s: every package needs its name and installed version", h.State)
		}
	}
	if ev.Wave != nil && *ev.Wave < 0 {
		return fmt.Errorf("wave %d is negative", *ev.Wave)
	}
	needAssessed := func() error {
		if ev.AssessedAt.IsZero() {
			return fmt.Errorf("%s rests on an assessment: set assessed_at", h.State)
		}
		return nil
	}
	needPackage := func(ok func(PackageEvidence) bool, what string) error {
		if err := needAssessed(); err != nil {
			return err
		}
		for _, pk := range ev.Packages {
			if ok(pk) {
				return nil
			}
		}
		return fmt.Errorf("%s needs a package with %s", h.State, what)
	}
	switch h.State {
	case CVEAffectedPatchable:
		return needPackage(func(pk PackageEvidence) bool { return pk.Candidate != "" }, "the candidate that fixes it")
	case CVEFixNotInRepos:
		return needPackage(func(pk PackageEvidence) bool { return pk.FixedVersion != "" && pk.Candidate == "" },
			"a fixed_version and no candidate")
	case CVEAffectedNoFix:
		return needPackage(func(pk PackageEvidence) bool { return pk.FixedVersion == "" }, "no fixed_version")
	case CVERebootPending:
		if ev.RunningKernel == "" && ev.Note == "" {
			return fmt.Errorf("reboot_pending needs the running_kernel or a note naming what still runs the old version")
		}
		return needPackage(func(PackageEvidence) bool { return true }, "its installed (fixed) version")
	case CVEScheduled:
		if ev.CycleID == "" && ev.ScheduleID == "" {
			return fmt.Errorf("scheduled needs the cycle_id or schedule_id that will patch it")
		}
		if ev.WindowOpens.IsZero() {
			return fmt.Errorf("scheduled needs window_opens")
		}
	case CVEPatched:
		if ev.CycleID == "" || ev.PatchedAt.IsZero() {
			return fmt.Errorf("patched needs the cycle_id and patched_at of the cycle that patched it")
		}
		if ev.AssessedAt.IsZero() || ev.AssessedAt.Before(ev.PatchedAt) {
			return fmt.Errorf("patched counts only once a re-assessment verified it: assessed_at must be at or after patched_at")
		}
	case CVENotAffected:
		return needAssessed()
	case CVEUnknown:
		if !ev.AssessedAt.IsZero() && (published.IsZero() || !ev.AssessedAt.Before(published)) {
			return fmt.Errorf("unknown means not assessed since the advisory appeared, but assessed_at is not before published")
		}
	}
	return nil
}

func cveTotals(hosts []CVEHost) []CVEStateCount {
	n := map[CVEState]int{}
	for _, h := range hosts {
		n[h.State]++
	}
	out := make([]CVEStateCount, 0, len(CVEStates))
	for _, s := range CVEStates {
		out = append(out, CVEStateCount{State: s, Hosts: n[s]})
	}
	return out
}

// lessCVE orders CVE ids by year, then number (CVE-2024-9999 before
// CVE-2024-10000).
func lessCVE(a, b string) bool {
	ya, na := cveParts(a)
	yb, nb := cveParts(b)
	if ya != yb {
		return ya < yb
	}
	if na != nb {
		return na < nb
	}
	return a < b
}

func cveParts(id string) (year, num int) {
	parts := strings.SplitN(id, "-", 3)
	if len(parts) != 3 {
		return 0, 0
	}
	year, _ = strconv.Atoi(parts[1])
	num, _ = strconv.Atoi(parts[2])
	return year, num
}
