package inventory

import (
	"fmt"
	"strings"

	"github.com/patchflow/patchflow/internal/safetext"
	"github.com/patchflow/patchflow/internal/yamldiag"
)

// pos is a position in the source file.
type pos = yamldiag.Pos

func hostObj(name string) string  { return "host " + safetext.Excerpt(name) }
func groupObj(name string) string { return "group " + safetext.Excerpt(name) }

// errorf is fmt.Errorf for messages that quote input: %q of a string is
// a short escaped excerpt (safetext.Errorf), so an error never carries a
// file's content (a key read by mistake, a URL's body) beyond a few words.
func errorf(format string, args ...any) error {
	return safetext.Errorf(format, args...)
}

// suggest returns `, did you mean "x"?` when one of known is a near miss
// for s (yamldiag.Suggest), else "".
func suggest(s string, known []string) string {
	if near := yamldiag.Suggest(s, known); near != "" {
		return fmt.Sprintf(", did you mean %q?", near)
	}
	return ""
}

// quoteList renders names for an error message, shortened when long.
func quoteList(names []string) string {
	const show = 20
	var b strings.Builder
	for i, n := range names {
		if i == show {
			fmt.Fprintf(&b, ", ... (%d more)", len(names)-show)
			break
		}
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(n)
	}
	return b.String()
}
