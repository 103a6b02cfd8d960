package hostscan

import (
	"slices"
	"testing"

	"github.com/patchflow/patchflow/advisories"
	"github.com/patchflow/patchflow/domain"
)

// TestAssessmentNotesAreGrouped: the same note of many updates is one
// host note naming a few of them; with no source synced there is none.
func TestAssessmentNotesAreGrouped(t *testing.T) {
	var ups []domain.Update
	var as []advisories.UpdateAssessment
	for _, n := range []string{"a", "b", "c", "d", "e"} {
		ups = append(ups, domain.Update{Name: "lib" + n, Candidate: "1.1"})
		as = append(as, advisories.UpdateAssessment{Notes: []string{"EPSS unknown: no EPSS source loaded"}})
	}
	as[1].Notes = append(as[1].Notes, "2 CVEs not in KEV as of 2025-08-25 (older than this package, dated 2026-10-22)")
	b := advisories.NewBuilder()
	b.AddSource(advisories.SourceInfo{Name: "kev", Kind: advisories.KindKEV})
	got := assessmentNotes(b.Build(), ups, as)
	want := []string{
		"EPSS unknown: no EPSS source loaded: liba 1.1, libb 1.1, libc 1.1 and 2 more",
		"2 CVEs not in KEV as of 2025-08-25 (older than this package, dated 2026-10-22): libb 1.1",
	}
	if !slices.Equal(got, want) {
		t.Errorf("notes %q, want %q", got, want)
	}
	if got := assessmentNotes(advisories.NewBuilder().Build(), ups, as); len(got) != 0 {
		t.Errorf("notes without any synced source: %q, want none", got)
	}
}
