package deploy

import (
	"strings"
	"testing"
)

// selector is one metric selector of a PromQL expression: the metric name
// and the label names of its matchers.
type selector struct {
	Name   string
	Labels []string
}

// PromQL words that are never metric names when they stand alone.
var promqlKeywords = map[string]bool{
	"and": true, "or": true, "unless": true, "offset": true, "bool": true,
	"by": true, "without": true, "on": true, "ignoring": true,
	"group_left": true, "group_right": true, "inf": true, "nan": true, "atan2": true,
}

// Aggregation operators take `by (...)` or `without (...)` before their
// parentheses, so they are not always followed by "(".
var promqlAggregations = map[string]bool{
	"sum": true, "min": true, "max": true, "avg": true, "group": true, "stddev": true,
	"stdvar": true, "count": true, "count_values": true, "bottomk": true, "topk": true, "quantile": true,
}

// Keywords followed by a parenthesised list of label names.
var labelListKeywords = map[string]bool{
	"by": true, "without": true, "on": true, "ignoring": true, "group_left": true, "group_right": true,
}

// selectors lexes a PromQL expression just enough to find its metric
// selectors: identifiers that are not keywords, functions or aggregations,
// outside strings, label lists, matchers, ranges and Grafana variables.
// It does not validate the expression; promtool does that.
func selectors(expr string) []selector {
	var out []selector
	i := 0
	for i < len(expr) {
		c := expr[i]
		switch {
		case c == '"' || c == '\'' || c == '`':
			i = skipString(expr, i)
		case c == '#':
			for i < len(expr) && expr[i] != '\n' {
				i++
			}
		case c == '[':
			i = skipBalanced(expr, i, '[', ']')
		case c == '{':
			// A selector without a name: {__name__=...}; not used here.
			i = skipBalanced(expr, i, '{', '}')
		case c == '$':
			i++
			if i < len(expr) && expr[i] == '{' {
				i = skipBalanced(expr, i, '{', '}')
			}
			for i < len(expr) && isIdentChar(expr[i]) {
				i++
			}
		case isDigit(c) || (c == '.' && i+1 < len(expr) && isDigit(expr[i+1])):
			for i < len(expr) && (isIdentChar(expr[i]) || expr[i] == '.') {
				i++
			}
		case isIdentStart(c):
			start := i
			for i < len(expr) && isIdentChar(expr[i]) {
				i++
			}
			word := expr[start:i]
			next := nextNonSpace(expr, i)
			switch {
			case labelListKeywords[word] && next < len(expr) && expr[next] == '(':
				i = skipBalanced(expr, next, '(', ')')
			case promqlKeywords[word], promqlAggregations[word]:
			case next < len(expr) && expr[next] == '(':
				// a function call
			default:
				sel := selector{Name: word}
				if next < len(expr) && expr[next] == '{' {
					end := skipBalanced(expr, next, '{', '}')
					sel.Labels = matcherLabels(expr[next+1 : end-1])
					i = end
				}
				out = append(out, sel)
			}
		default:
			i++
		}
	}
	return out
}

// matcherLabels returns the label names of the matchers in body, the text
// between a selector's braces.
func matcherLabels(body string) []string {
	var labels []string
	for i := 0; i < len(body); {
		c := body[i]
		switch {
		case c == '"' || c == '\'' || c == '`':
			i = skipString(body, i)
		case isIdentStart(c):
			start := i
			for i < len(body) && isIdentChar(body[i]) {
				i++
			}
			if j := nextNonSpace(body, i); j < len(body) && strings.ContainsRune("=!", rune(body[j])) {
				labels = append(labels, body[start:i])
			}
		default:
			i++
		}
	}
	return labels
}

// skipString returns the index after the string literal starting at i.
func skipString(s string, i int) int {
	q := s[i]
	for i++; i < len(s); i++ {
		if s[i] == '\\' && q != '`' {
			i++
			continue
		}
		if s[i] == q {
			return i + 1
		}
	}
	return len(s)
}

// skipBalanced returns the index after the bracket that closes the one at
// i, skipping strings inside.
func skipBalanced(s string, i int, open, close byte) int {
	depth := 0
	for i < len(s) {
		switch s[i] {
		case '"', '\'', '`':
			i = skipString(s, i)
			continue
		case open:
			depth++
		case close:
			depth--
			if depth == 0 {
				return i + 1
			}
		}
		i++
	}
	return len(s)
}

func nextNonSpace(s string, i int) int {
	for i < len(s) && strings.ContainsRune(" \t\r\n", rune(s[i])) {
		i++
	}
	return i
}

func isDigit(c byte) bool      { return c >= '0' && c <= '9' }
func isIdentStart(c byte) bool { return c == '_' || c == ':' || (c|0x20 >= 'a' && c|0x20 <= 'z') }
func isIdentChar(c byte) bool  { return isIdentStart(c) || isDigit(c) }

// The lexer is what the metric name check stands on: show that it finds
// the selectors in the shapes rules.yaml and the dashboard use.
func TestSelectors(t *testing.T) {
	cases := []struct {
		expr string
		want string
	}{
		{`up{job="patchflow"} == 0`, `up{job}`},
		{`sum by (policy, result) ((last_over_time(patchflow_cycles_total[1h]) unless present_over_time(patchflow_cycles_total[15m] offset 1h)) or increase(patchflow_cycles_total[1h]))`,
			`patchflow_cycles_total patchflow_cycles_total patchflow_cycles_total`},
		{`histogram_quantile(0.95, sum by (le, wave) (rate(patchflow_host_patch_duration_seconds_bucket{policy=~"$policy"}[$window])))`,
			`patchflow_host_patch_duration_seconds_bucket{policy}`},
		{`patchflow:policy_cycles_seen:30d unless on (policy) patchflow:policy_cycle_succeeded:8d`,
			`patchflow:policy_cycles_seen:30d patchflow:policy_cycle_succeeded:8d`},
		{`count(x{a="}{", b!~'y'} offset $window) or vector(0) > bool 1e3`, `x{a,b}`},
		{`sum(rate(foo_total{job="patchflow"}[$__rate_interval])) / ignoring (instance) group_left (policy) bar`, `foo_total{job} bar`},
	}
	for _, c := range cases {
		var got []string
		for _, s := range selectors(c.expr) {
			g := s.Name
			if len(s.Labels) > 0 {
				g += "{" + strings.Join(s.Labels, ",") + "}"
			}
			got = append(got, g)
		}
		if strings.Join(got, " ") != c.want {
			t.Errorf("selectors(%q) = %q, want %q", c.expr, strings.Join(got, " "), c.want)
		}
	}
}
