package policies

import (
	"fmt"
	"regexp"
	"strings"
	"unicode/utf8"
)

// checkPromQL checks the syntax a PromQL query must have without the
// Prometheus parser (not a dependency of patchflow): balanced (), {} and
// [], terminated strings, label matchers inside {} (name, one of = != =~
// !~, a quoted value; a lone quoted metric name), and durations inside []
// (5m, 1h30m, 5m:1m). What it cannot judge (unknown functions, operator
// types) the Prometheus server reports when the check first runs.
func checkPromQL(q string) error {
	if strings.TrimSpace(q) == "" {
		return fmt.Errorf("query is empty")
	}
	type open struct {
		c   byte
		col int
	}
	var stack []open
	col := func(i int) int { return utf8.RuneCountInString(q[:i]) + 1 }
	for i := 0; i < len(q); i++ {
		switch c := q[i]; c {
		case '#':
			for i < len(q) && q[i] != '\n' {
				i++
			}
		case '"', '\'', '`':
			end, err := skipString(q, i)
			if err != nil {
				return fmt.Errorf("%v at column %d", err, col(i))
			}
			i = end
		case '(', '[':
			stack = append(stack, open{c, col(i)})
			if c == '[' {
				j := strings.IndexByte(q[i:], ']')
				if j < 0 {
					return fmt.Errorf("'[' at column %d is never closed", col(i))
				}
				if inner := q[i+1 : i+j]; !rangeRe.MatchString(inner) {
					return fmt.Errorf("range [%s] at column %d is not a duration such as [5m] or a subquery such as [1h:1m]", inner, col(i))
				}
				i += j - 1
			}
		case '{':
			end, err := matchers(q, i+1)
			if err != nil {
				return err
			}
			i = end
		case ')', ']', '}':
			want := map[byte]byte{')': '(', ']': '[', '}': '{'}[c]
			if len(stack) == 0 || stack[len(stack)-1].c != want {
				return fmt.Errorf("'%c' at column %d closes nothing", c, col(i))
			}
			stack = stack[:len(stack)-1]
		}
	}
	if len(stack) > 0 {
		o := stack[len(stack)-1]
		return fmt.Errorf("'%c' at column %d is never closed", o.c, o.col)
	}
	return nil
}

var (
	durationRe = `([0-9]+(ms|s|m|h|d|w|y))+|[0-9]+(\.[0-9]+)?`
	rangeRe    = regexp.MustCompile(`^\s*(` + durationRe + `)?\s*(:\s*(` + durationRe + `)?\s*)?$`)
	labelRe    = regexp.MustCompile(`^[a-zA-Z_][a-zA-Z0-9_]*`)
	matchOpRe  = regexp.MustCompile(`^(=~|!~|!=|=)`)
)

// skipString returns the index of the quote closing the string at q[i].
func skipString(q string, i int) (int, error) {
	quote := q[i]
	for j := i + 1; j < len(q); j++ {
		switch {
		case q[j] == '\\' && quote != '`':
			j++
		case q[j] == quote:
			return j, nil
		case q[j] == '\n' && quote != '`':
			return 0, fmt.Errorf("string ends at the line's end")
		}
	}
	return 0, fmt.Errorf("string is never closed")
}

// matchers checks the label matchers after a '{' at q[i:] and returns the
// index of the closing '}'.
func matchers(q string, i int) (int, error) {
	col := func(i int) int { return utf8.RuneCountInString(q[:min(i, len(q))]) + 1 }
	start := i - 1
	skip := func() {
		for i < len(q) && strings.IndexByte(" \t\r\n", q[i]) >= 0 {
			i++
		}
	}
	for {
		skip()
		if i >= len(q) {
			return 0, fmt.Errorf("'{' at column %d is never closed", col(start))
		}
		if q[i] == '}' {
			return i, nil
		}
		quotedName := false
		if q[i] == '"' || q[i] == '\'' || q[i] == '`' {
			end, err := skipString(q, i)
			if err != nil {
				return 0, fmt.Errorf("%v at column %d", err, col(i))
			}
			i, quotedName = end+1, true
		} else if name := labelRe.FindString(q[i:]); name != "" {
			i += len(name)
		} else {
			return 0, fmt.Errorf("label matcher at column %d must start with a label name, as in {job=\"node\"}", col(i))
		}
		skip()
		if op := matchOpRe.FindString(q[i:]); op != "" {
			i += len(op)
			skip()
			if i >= len(q) || (q[i] != '"' && q[i] != '\'' && q[i] != '`') {
				return 0, fmt.Errorf("label matcher at column %d needs a quoted value after %s", col(i), op)
			}
			end, err := skipString(q, i)
			if err != nil {
				return 0, fmt.Errorf("%v at column %d", err, col(i))
			}
			i = end + 1
		} else if !quotedName {
			return 0, fmt.Errorf("label matcher at column %d needs one of = != =~ !~", col(i))
		}
		skip()
		switch {
		case i >= len(q):
			return 0, fmt.Errorf("'{' at column %d is never closed", col(start))
		case q[i] == ',':
			i++
		case q[i] != '}':
			return 0, fmt.Errorf("label matchers are separated by ',' (column %d)", col(i))
		}
	}
}
