package domain

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/patchflow/patchflow/internal/safetext"
)

var cveIDPattern = regexp.MustCompile(`^CVE-[0-9]{4}-[0-9]{4,}$`)

// NormalizeCVEID upper-cases and checks a CVE id ("cve-2023-4911" ->
// "CVE-2023-4911"); the error says what a valid one looks like.
func NormalizeCVEID(s string) (string, error) {
	id := strings.ToUpper(strings.TrimSpace(s))
	if !cveIDPattern.MatchString(id) {
		return "", fmt.Errorf("%s is not a CVE id: want CVE-YYYY-NNNN (4 or more digits)", safetext.Excerpt(s))
	}
	return id, nil
}
