package report

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
)

// TableOptions shape the terminal renderings.
type TableOptions struct {
	// MaxHosts bounds the host rows printed (0: all); a note says how many
	// were left out.
	MaxHosts int
	// Fixes lists each printed host's missing fixes under it (compliance).
	Fixes bool
}

// textTable writes aligned columns; every cell goes through TerminalSafe,
// so no value can move the cursor, recolour or clear the terminal, or
// break the columns.
type textTable struct {
	tw  *tabwriter.Writer
	err error
}

func newTextTable(w io.Writer, header ...string) *textTable {
	t := &textTable{tw: tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)}
	t.row(header...)
	return t
}

func (t *textTable) row(cells ...string) {
	if t.err != nil {
		return
	}
	for i, c := range cells {
		cells[i] = TerminalSafe(c)
	}
	_, t.err = fmt.Fprintln(t.tw, strings.Join(cells, "\t"))
}

func (t *textTable) flush() error {
	if t.err != nil {
		return t.err
	}
	return t.tw.Flush()
}

// lines writes free text lines (headings, notes), each made terminal-safe.
type lines struct {
	w   io.Writer
	err error
}

func (l *lines) printf(format string, args ...any) {
	if l.err != nil {
		return
	}
	_, l.err = fmt.Fprintln(l.w, TerminalSafe(fmt.Sprintf(format, args...)))
}

func (l *lines) blank() {
	if l.err == nil {
		_, l.err = fmt.Fprintln(l.w)
	}
}

// sourceLine says one source's freshness in a line.
func sourceLine(c clock, s SourceFreshness) string {
	line := fmt.Sprintf("%s as of %s", s.Name, c.At(s.AsOf))
	if s.AsOf.IsZero() {
		line = s.Name + " as of unknown"
	}
	if s.Stale {
		line += fmt.Sprintf("  STALE (older than %s)", humanDuration(durSeconds(s.MaxAgeSeconds)))
	}
	return line
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

// joinMax joins at most n values, then says how many more there are.
func joinMax(v []string, n int) string {
	if len(v) <= n {
		return strings.Join(v, ",")
	}
	return strings.Join(v[:n], ",") + fmt.Sprintf(",+%d", len(v)-n)
}
