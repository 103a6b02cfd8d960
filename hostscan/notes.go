package hostscan

import (
	"fmt"
	"strings"

	"github.com/patchflow/patchflow/advisories"
	"github.com/patchflow/patchflow/domain"
)

// notesNamed is how many package names a grouped note lists before it
// counts the rest.
const notesNamed = 3

// assessmentNotes are what the assessments could not say, as host notes:
// a source older than the package ("27 CVEs not in KEV as of 2025-08-25
// (older than this package, dated 2026-10-22)"), a version the library
// rejected. The same note of several updates is one line naming them
// ("EPSS unknown: no EPSS source loaded: libexpat1, liblzma5 and 3
// more"), so a host with a hundred updates gets a few lines, not hundreds.
// Without any synced source there is nothing to be stale, and every note
// would only repeat that no feed is loaded: none is added.
func assessmentNotes(db *advisories.DB, ups []domain.Update, as []advisories.UpdateAssessment) []string {
	if len(db.Sources()) == 0 {
		return nil
	}
	var order []string
	names := map[string][]string{}
	for i, a := range as {
		for _, n := range a.Notes {
			if _, ok := names[n]; !ok {
				order = append(order, n)
			}
			names[n] = append(names[n], ups[i].Name+" "+ups[i].Candidate)
		}
	}
	out := make([]string, 0, len(order))
	for _, n := range order {
		out = append(out, n+": "+listed(names[n]))
	}
	return out
}

// listed names the first notesNamed and counts the others.
func listed(names []string) string {
	if len(names) <= notesNamed {
		return strings.Join(names, ", ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(names[:notesNamed], ", "), len(names)-notesNamed)
}
