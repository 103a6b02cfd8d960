package domain

import (
	"strings"
)

// Exposure is one vulnerability of one installed package version that no
// pending update fixes: no fix released yet (or one the distribution will
// not ship: no DSA, postponed, end of life, undetermined), or a fix in a
// newer kernel that is installed but not running (reboot pending). A scan
// keeps these apart from pending updates: they are what the estate is
// exposed to, not what a cycle can patch.
type Exposure struct {
	Package string `json:"package"`
	Version string `json:"version"`
	// ID is the CVE (or other id) the package is exposed to.
	ID string `json:"id"`
	// State is the distribution's word: no_fix_yet, no_dsa, postponed,
	// end_of_life, undetermined, or reboot_pending.
	State    string   `json:"state"`
	Severity Severity `json:"severity"`
	KEV      bool     `json:"kev,omitempty"`
	// Fixed is the version that fixes it when one is known (a fix that is
	// released but not yet in the host's repositories).
	Fixed string `json:"fixed,omitempty"`
}

func (e Exposure) key() string {
	return strings.Join([]string{e.Package, e.Version, e.ID, e.State, string(e.Severity), e.Fixed}, "\x00")
}

// RebootPending is the state of a vulnerability a newer, installed but
// not running kernel fixes.
const RebootPending = "reboot_pending"

// ExposureTable keeps each distinct exposure once; hosts point at theirs
// (HostScan.Exposed).
type ExposureTable struct {
	Rows  []Exposure `json:"rows,omitempty"`
	index map[string]int
}

// Intern stores an exposure once and returns its position.
func (t *ExposureTable) Intern(e Exposure) int {
	if t.index == nil {
		t.index = make(map[string]int, len(t.Rows))
		for i, r := range t.Rows {
			t.index[r.key()] = i
		}
	}
	k := e.key()
	if i, ok := t.index[k]; ok {
		return i
	}
	t.Rows = append(t.Rows, e)
	t.index[k] = len(t.Rows) - 1
	return len(t.Rows) - 1
}
