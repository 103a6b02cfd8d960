package planfile

import (
	"fmt"
	"strings"

	"github.com/patchflow/patchflow/internal/safetext"
)

// maxDiffLines bounds the policies PolicyDiff compares line by line (its
// table is lines x lines) and the changed lines it lists.
const (
	maxDiffLines  = 2000
	maxDiffListed = 40
)

// PolicyDiff lists how the policy file changed since the plan was made, as
// changed lines ("-12: old" and "+12: new", numbered in their own file),
// at most maxDiffListed of them, escaped for a terminal.
func PolicyDiff(planned, now string) []string {
	a, b := strings.Split(planned, "\n"), strings.Split(now, "\n")
	if len(a) > maxDiffLines || len(b) > maxDiffLines {
		return []string{fmt.Sprintf("the policy changed (%d lines then, %d now; too long to compare line by line)", len(a), len(b))}
	}
	// lcs[i][j] is the longest common subsequence of a[i:] and b[j:].
	lcs := make([][]uint16, len(a)+1)
	for i := range lcs {
		lcs[i] = make([]uint16, len(b)+1)
	}
	for i := len(a) - 1; i >= 0; i-- {
		for j := len(b) - 1; j >= 0; j-- {
			switch {
			case a[i] == b[j]:
				lcs[i][j] = lcs[i+1][j+1] + 1
			case lcs[i+1][j] >= lcs[i][j+1]:
				lcs[i][j] = lcs[i+1][j]
			default:
				lcs[i][j] = lcs[i][j+1]
			}
		}
	}
	var out []string
	add := func(sign string, n int, line string) {
		if len(out) < maxDiffListed {
			out = append(out, fmt.Sprintf("%s%d: %s", sign, n, safetext.Terminal(line)))
		} else if len(out) == maxDiffListed {
			out = append(out, "... (more changes)")
		}
	}
	i, j := 0, 0
	for i < len(a) || j < len(b) {
		switch {
		case i < len(a) && j < len(b) && a[i] == b[j]:
			i++
			j++
		case i < len(a) && (j == len(b) || lcs[i+1][j] >= lcs[i][j+1]):
			add("-", i+1, a[i])
			i++
		default:
			add("+", j+1, b[j])
			j++
		}
	}
	return out
}

// CheckPolicy refuses to apply the plan under another policy, or under its
// policy changed since the plan was made, listing what changed.
func (f *File) CheckPolicy(name string, text []byte) error {
	if name != f.Policy {
		return fmt.Errorf("the plan is for policy %s, not %s", safetext.Excerpt(f.Policy), safetext.Excerpt(name))
	}
	if sum := PolicySHA256(text); sum != f.PolicySHA256 {
		return fmt.Errorf("policy %s changed since the plan was made (plan %s, file %s); make a new plan. What changed: %s",
			name, f.PolicySHA256, sum, strings.Join(PolicyDiff(f.PolicyText, string(text)), " | "))
	}
	return nil
}
