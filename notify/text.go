package notify

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

// maxExcerpt is how much of any input (a pattern, a response body) an
// error may quote.
const maxExcerpt = 40

// excerpt quotes at most maxExcerpt runes of s with control characters
// and invalid UTF-8 escaped, for error messages.
func excerpt(s string) string {
	cut := false
	if utf8.RuneCountInString(s) > maxExcerpt {
		s = string([]rune(s)[:maxExcerpt])
		cut = true
	}
	q := strconv.Quote(s)
	if cut {
		q += "…"
	}
	return q
}

// truncate cuts s to at most n runes, marking the cut with "…", and makes
// it valid UTF-8 (invalid bytes become U+FFFD).
func truncate(s string, n int) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n-1]) + "…"
}

// shellQuote quotes s for a POSIX shell unless every character is plainly
// safe, so a copied command runs as shown.
func shellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./:=+,@%") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
