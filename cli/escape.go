package cli

import (
	"fmt"
	"io"

	"github.com/patchflow/patchflow/internal/safetext"
)

// termText is a value printed for a human: its control characters (ESC,
// CR, LF, tab, bidi overrides, ...) are escaped, so a label, a reason from
// a remote host or a name in an error cannot move the cursor, clear the
// screen or forge a table row. Width and flags of the verb are kept.
type termText string

func (s termText) Format(f fmt.State, verb rune) {
	fmt.Fprintf(f, fmt.FormatString(f, verb), safetext.Terminal(string(s)))
}

// termArgs makes every string and error argument a termText; numbers,
// durations and times format as usual.
func termArgs(args []any) []any {
	out := make([]any, len(args))
	for i, a := range args {
		switch v := a.(type) {
		case string:
			a = termText(v)
		case error:
			a = termText(v.Error())
		}
		out[i] = a
	}
	return out
}

// termf is fmt.Fprintf for everything the CLI prints for humans (tables,
// progress, summaries, errors): the format is patchflow's, the arguments
// are escaped (termText). --json output is JSON-escaped instead.
func termf(w io.Writer, format string, args ...any) (int, error) {
	return fmt.Fprintf(w, format, termArgs(args)...)
}
