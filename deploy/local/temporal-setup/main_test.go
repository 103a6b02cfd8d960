package main

import (
	"slices"
	"strings"
	"testing"
)

func TestParsePIDs(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []int
		err  string
	}{
		{"", nil, ""},
		{"12", []int{12}, ""},
		{" 12, 34 ,", []int{12, 34}, ""},
		{"12,x", nil, `"x" is not a process ID`},
		{"0", nil, `"0" is not a process ID`},
		{"-3", nil, `"-3" is not a process ID`},
	} {
		got, err := parsePIDs(tc.in)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("parsePIDs(%q) = %v, %v; want error %q", tc.in, got, err, tc.err)
			}
			continue
		}
		if err != nil || !slices.Equal(got, tc.want) {
			t.Errorf("parsePIDs(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
		}
	}
}

// FuzzParsePIDs: any --wait-workers value gives positive process IDs or an
// error that quotes the bad entry; nothing panics.
func FuzzParsePIDs(f *testing.F) {
	f.Fuzz(func(t *testing.T, s string) {
		pids, err := parsePIDs(s)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "--wait-workers: ") {
				t.Fatalf("error %q does not name the flag", err)
			}
			if len(err.Error()) > 160 {
				t.Fatalf("error quotes too much of the input: %q", err)
			}
			return
		}
		for _, p := range pids {
			if p <= 0 {
				t.Fatalf("parsePIDs(%q) returned %d", s, p)
			}
		}
	})
}
