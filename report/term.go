package report

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// TerminalSafe returns s with everything a terminal would interpret
// replaced by a visible escape: C0 controls (ESC, CR, LF, TAB, BEL...), DEL,
// C1 controls, the Unicode bidirectional overrides and isolates (which can
// reorder what a reader sees) and bytes that are not UTF-8. A host name
// "web\x1b[2J" prints as `web\x1b[2J`, never clears the screen. Printable
// text, including non-ASCII letters, is kept as it is.
func TerminalSafe(s string) string { return escapeControls(s, false) }

// escapeControls is TerminalSafe; keepLayout keeps newlines and tabs, for
// a whole HTML file, where they are only white space.
func escapeControls(s string, keepLayout bool) string {
	if !needsEscape(s, keepLayout) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 8)
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size <= 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case keepLayout && (r == '\t' || r == '\n'):
			b.WriteRune(r)
		case r == '\t':
			b.WriteString(`\t`)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(&b, `\x%02x`, r)
		case unsafeRune(r):
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}

// needsEscape is the fast path of TerminalSafe: most values are plain.
func needsEscape(s string, keepLayout bool) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if keepLayout && (c == '\n' || c == '\t') {
			continue
		}
		if c < 0x20 || c == 0x7f || c >= 0x80 {
			if c < 0x80 {
				return true
			}
			// Non-ASCII: decide rune by rune.
			for _, r := range s[i:] {
				if r == utf8.RuneError || r < 0x20 || r == 0x7f || unsafeRune(r) {
					return true
				}
			}
			return !utf8.ValidString(s[i:])
		}
	}
	return false
}

// unsafeRune reports the non-ASCII runes a terminal interprets or that
// change how the text around them reads: C1 controls and the bidi
// embeddings, overrides, isolates and marks.
func unsafeRune(r rune) bool {
	switch {
	case r >= 0x80 && r <= 0x9f: // C1, CSI (0x9b) among them
		return true
	case r == 0x061c, r == 0x200e, r == 0x200f: // ALM, LRM, RLM
		return true
	case r >= 0x202a && r <= 0x202e: // LRE, RLE, PDF, LRO, RLO
		return true
	case r >= 0x2066 && r <= 0x2069: // LRI, RLI, FSI, PDI
		return true
	}
	return false
}

// excerpt cuts user input to at most 40 bytes for an error message;
// callers quote it with %q, which escapes control characters and the
// invisible formatting runes (bidi overrides among them).
func excerpt(s string) string {
	const limit = 40
	if len(s) <= limit {
		return s
	}
	cut := limit
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "..."
}
