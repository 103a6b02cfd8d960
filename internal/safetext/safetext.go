// Package safetext renders untrusted text (file contents, URL bodies, label
// values, remote error messages) for error messages and terminals.
//
// Two rules hold everywhere patchflow shows input back: an error quotes at
// most a short excerpt of it (Excerpt), and nothing reaches a terminal with
// its control characters intact (Terminal), because ESC, CR and LF in a
// value can rewrite the screen or forge table rows and log lines.
package safetext

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

// MaxExcerpt is how many characters of input an error may quote.
const MaxExcerpt = 40

// Excerpt returns s double-quoted for an error message: at most MaxExcerpt
// characters of it, control and other non-printing characters escaped as in
// Go string literals, and "..." plus the full length when it was cut.
func Excerpt(s string) string {
	i, count := 0, 0
	for i < len(s) && count < MaxExcerpt {
		_, size := utf8.DecodeRuneInString(s[i:])
		i += size
		count++
	}
	if i == len(s) {
		return strconv.Quote(s)
	}
	return strconv.Quote(s[:i]) + "... (" + strconv.Itoa(len(s)) + " bytes)"
}

// Terminal returns s with every character that could move the cursor,
// change colours, end a line or reorder text escaped in Go's notation
// (\x1b, \r, \n, \t, \u202e, and \xNN for bytes that are not UTF-8).
// Printable text, including non-ASCII letters, is left as it is.
func Terminal(s string) string {
	if isPlain(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 8)
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b.WriteString(`\x`)
			b.WriteString(strconv.FormatUint(uint64(s[i])|0x100, 16)[1:])
		case r == ' ' || strconv.IsPrint(r):
			b.WriteString(s[i : i+size])
		default:
			q := strconv.QuoteRune(r)
			b.WriteString(q[1 : len(q)-1])
		}
		i += size
	}
	return b.String()
}

// Lines is Terminal for multi-line messages: each line is escaped, the line
// breaks between them are kept.
func Lines(s string) string {
	if isPlain(strings.ReplaceAll(s, "\n", "")) {
		return s
	}
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = Terminal(l)
	}
	return strings.Join(lines, "\n")
}

// isPlain reports whether s is printable ASCII only, the common case.
func isPlain(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c > 0x7e {
			return false
		}
	}
	return true
}
