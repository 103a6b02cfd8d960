package inventory

import (
	"fmt"
	"strconv"
	"strings"
)

// letters is Ansible's order for alphabetic ranges (string.ascii_letters).
const letters = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"

// hostRange is one [beg:end(:stride)] part of a host pattern.
type hostRange struct {
	alpha          bool
	beg, end, step int
	width          int    // zero-padding width for numeric ranges like [01:20]
	literalBefore  string // text between the previous range and this one
}

func (r hostRange) count() int { return (r.end-r.beg)/r.step + 1 }

func (r hostRange) value(i int) string {
	v := r.beg + i*r.step
	if r.alpha {
		return letters[v : v+1]
	}
	return fmt.Sprintf("%0*d", r.width, v)
}

// expandHostPattern expands Ansible host ranges: web[01:20].example.com,
// db-[a:f], node[0:100:10]; several ranges multiply. The expansion is
// counted before anything is generated, so a pattern that would produce
// more than limit names is refused without allocating them.
func expandHostPattern(pattern string, limit int) ([]string, error) {
	if !strings.ContainsAny(pattern, "[]") {
		return []string{pattern}, nil
	}
	var ranges []hostRange
	rest := pattern
	for {
		open := strings.IndexByte(rest, '[')
		if open < 0 {
			if strings.IndexByte(rest, ']') >= 0 {
				return nil, errorf("host pattern %q has ']' without '['", pattern)
			}
			break
		}
		close := strings.IndexByte(rest[open:], ']')
		if close < 0 {
			return nil, errorf("host pattern %q has '[' without ']'", pattern)
		}
		if strings.IndexByte(rest[:open], ']') >= 0 {
			return nil, errorf("host pattern %q has ']' without '['", pattern)
		}
		r, err := parseHostRange(rest[open+1 : open+close])
		if err != nil {
			return nil, errorf("host pattern %q: %v", pattern, err)
		}
		r.literalBefore = rest[:open]
		ranges = append(ranges, r)
		rest = rest[open+close+1:]
	}
	tail := rest
	total := 1
	for _, r := range ranges {
		n := r.count()
		if n > limit || total > limit/n {
			return nil, errorf("host pattern %q expands to more than %d hosts", pattern, limit)
		}
		total *= n
	}
	names := make([]string, 0, total)
	idx := make([]int, len(ranges))
	for {
		var b strings.Builder
		for i, r := range ranges {
			b.WriteString(r.literalBefore)
			b.WriteString(r.value(idx[i]))
		}
		b.WriteString(tail)
		names = append(names, b.String())
		// Advance like an odometer, last range fastest.
		i := len(ranges) - 1
		for ; i >= 0; i-- {
			idx[i]++
			if idx[i] < ranges[i].count() {
				break
			}
			idx[i] = 0
		}
		if i < 0 {
			return names, nil
		}
	}
}

// parseHostRange reads "beg:end" or "beg:end:step" as Ansible does: an
// empty beginning is 0, letters give an alphabetic range, a leading zero
// sets the width.
func parseHostRange(s string) (hostRange, error) {
	parts := strings.Split(s, ":")
	if len(parts) < 2 || len(parts) > 3 {
		return hostRange{}, errorf("range [%s] must be [begin:end] or [begin:end:step]", s)
	}
	beg, end := parts[0], parts[1]
	r := hostRange{step: 1}
	if len(parts) == 3 {
		n, err := strconv.Atoi(parts[2])
		if err != nil || n < 1 {
			return hostRange{}, errorf("range [%s]: step must be a positive number, got %q", s, parts[2])
		}
		r.step = n
	}
	if end == "" {
		return hostRange{}, errorf("range [%s] has no end", s)
	}
	if beg == "" {
		beg = "0"
	}
	if strings.ContainsAny(beg[:1], letters) {
		b, e := strings.Index(letters, beg), strings.Index(letters, end)
		if len(beg) != 1 || len(end) != 1 || b < 0 || e < 0 {
			return hostRange{}, errorf("range [%s]: an alphabetic range takes single letters, like [a:f]", s)
		}
		r.alpha, r.beg, r.end = true, b, e
	} else {
		b, err1 := strconv.Atoi(beg)
		e, err2 := strconv.Atoi(end)
		if err1 != nil || err2 != nil || b < 0 || e < 0 || len(beg) > 9 || len(end) > 9 {
			return hostRange{}, errorf("range [%s]: want numbers of at most 9 digits or single letters", s)
		}
		if len(beg) > 1 && beg[0] == '0' {
			if len(beg) != len(end) {
				return hostRange{}, errorf("range [%s]: a zero-padded range needs begin and end of equal length", s)
			}
			r.width = len(beg)
		}
		r.beg, r.end = b, e
	}
	if r.beg > r.end {
		return hostRange{}, errorf("range [%s]: begin must not be after end", s)
	}
	return r, nil
}
