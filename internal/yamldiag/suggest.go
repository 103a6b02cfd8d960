package yamldiag

import "strings"

// Suggest returns the one of known that s most likely misspells, or ""
// when none is near: the same name in another case or separator style
// (timeZone, max-parallel), a name a short edit away (adress, wbe), or a
// name s cuts short (identity for identity_file). Near is one edit for
// names of four characters or less, two for longer ones; a swap of
// neighbours counts as one edit.
func Suggest(s string, known []string) string {
	best, bestD := "", 0
	ls := strings.ToLower(s)
	for _, k := range known {
		lk := strings.ToLower(k)
		if normalize(lk) == normalize(ls) {
			return k
		}
		limit := 2
		if len(k) <= 4 {
			limit = 1
		}
		d := distance(ls, lk)
		if d > limit && len(ls) >= 4 && len(lk) >= 4 && (strings.HasPrefix(lk, ls) || strings.HasPrefix(ls, lk)) {
			d = limit
		}
		if d <= limit && (best == "" || d < bestD) {
			best, bestD = k, d
		}
	}
	return best
}

func normalize(s string) string {
	return strings.NewReplacer("_", "", "-", "", " ", "").Replace(s)
}

// distance is the edit distance counting a swap of neighbours as one edit
// (optimal string alignment). Inputs are short keys and names; long ones
// are not compared, so a huge key cannot cost quadratic time.
func distance(a, b string) int {
	const maxLen = 64
	if len(a) > maxLen || len(b) > maxLen {
		if a == b {
			return 0
		}
		return maxLen
	}
	d := make([][]int, len(a)+1)
	for i := range d {
		d[i] = make([]int, len(b)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(a); i++ {
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(a)][len(b)]
}
