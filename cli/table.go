package cli

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/patchflow/patchflow/internal/safetext"
)

// table writes aligned columns with a header, the output of every read
// command without --json.
type table struct{ tw *tabwriter.Writer }

func newTable(w io.Writer, header ...string) *table {
	t := &table{tw: tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)}
	t.row(header...)
	return t
}

func (t *table) row(cols ...string) {
	for i, c := range cols {
		// A tab, newline or escape sequence inside a value would break the
		// columns or the screen: every cell is escaped (see termText).
		cols[i] = safetext.Terminal(c)
	}
	fmt.Fprintln(t.tw, strings.Join(cols, "\t"))
}

func (t *table) flush() { _ = t.tw.Flush() }
