package advisories

import (
	"errors"
	"fmt"
	"io"
	"strconv"
	"unicode/utf8"
)

// maxExcerpt bounds how much of an input an error message quotes.
const maxExcerpt = 40

// quote returns a short, escaped excerpt of s for error messages: at most
// maxExcerpt characters once escaped (between the quotes), control and
// invalid characters escaped, "..." when cut. The bound is on what is
// printed: an input of invalid bytes escapes to four characters each.
func quote(s string) string {
	if q := strconv.Quote(s); len(q) <= maxExcerpt+2 {
		return q
	}
	for cut := min(len(s), maxExcerpt); cut > 0; cut-- {
		if cut < len(s) && !utf8.RuneStart(s[cut]) {
			continue // never split a character
		}
		if q := strconv.Quote(s[:cut]); len(q) <= maxExcerpt+2 {
			return q + "..."
		}
	}
	return `""...`
}

// Sanitize escapes control and invalid characters of s for a terminal,
// keeping printable text as it is.
func Sanitize(s string) string {
	ok := true
	for _, r := range s {
		if r == utf8.RuneError || r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) {
			ok = false
			break
		}
	}
	if ok {
		return s
	}
	q := strconv.Quote(s)
	return q[1 : len(q)-1]
}

// ErrTooLarge is wrapped by errors for inputs over their size limit.
var ErrTooLarge = errors.New("input exceeds its size limit")

// limitReader reads at most n bytes and fails with ErrTooLarge past them,
// so a huge input is an error and not an unbounded read.
type limitReader struct {
	r    io.Reader
	left int64
	what string
	max  int64
}

func newLimitReader(r io.Reader, max int64, what string) *limitReader {
	return &limitReader{r: r, left: max, what: what, max: max}
}

func (l *limitReader) Read(p []byte) (int, error) {
	if l.left <= 0 {
		// Probe one byte: exactly max bytes is fine, more is not.
		var b [1]byte
		n, err := l.r.Read(b[:])
		if n > 0 {
			return 0, fmt.Errorf("%s: %w (%d bytes); raise max_bytes for this source if the file is genuine", l.what, ErrTooLarge, l.max)
		}
		return 0, err
	}
	if int64(len(p)) > l.left {
		p = p[:l.left]
	}
	n, err := l.r.Read(p)
	l.left -= int64(n)
	return n, err
}

// Skip is one input record a parser could not use, with why. Skips are
// counted, never fatal, and never silently dropped.
type Skip struct {
	// Where names the record: a record id, or file:line.
	Where  string `json:"where"`
	Reason string `json:"reason"`
}

func (s Skip) String() string { return s.Where + ": " + s.Reason }

// maxKeptSkips bounds how many skips are kept with their reason; the count
// goes on past it.
const maxKeptSkips = 100

// Skips counts skipped records and keeps the first maxKeptSkips of them.
type Skips struct {
	Count int    `json:"count"`
	First []Skip `json:"first,omitempty"`
}

// add records one skip.
func (s *Skips) add(where, format string, args ...any) {
	s.Count++
	if len(s.First) < maxKeptSkips {
		s.First = append(s.First, Skip{Where: where, Reason: fmt.Sprintf(format, args...)})
	}
}

// merge adds o's skips to s.
func (s *Skips) merge(o Skips) {
	s.Count += o.Count
	for _, k := range o.First {
		if len(s.First) < maxKeptSkips {
			s.First = append(s.First, k)
		}
	}
}
