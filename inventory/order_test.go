package inventory

import (
	"slices"
	"testing"
)

func TestCompareNames(t *testing.T) {
	names := []string{"web-10", "web-2", "db", "web-1", "web-02", "web-1a", "web-", "web-100000000000000000000", "a10b2", "a10b10", "a9b99"}
	slices.SortFunc(names, CompareNames)
	want := []string{"a9b99", "a10b2", "a10b10", "db", "web-", "web-1", "web-1a", "web-02", "web-2", "web-10", "web-100000000000000000000"}
	if !slices.Equal(names, want) {
		t.Fatalf("sorted = %q\nwant     %q", names, want)
	}
	for _, n := range want {
		if CompareNames(n, n) != 0 {
			t.Errorf("CompareNames(%q, %q) != 0", n, n)
		}
	}
}

func FuzzCompareNames(f *testing.F) {
	f.Add("web-2", "web-10")
	f.Add("a01", "a1")
	f.Fuzz(func(t *testing.T, a, b string) {
		ab, ba := CompareNames(a, b), CompareNames(b, a)
		if ab != -ba {
			t.Fatalf("CompareNames(%q,%q)=%d but reversed %d", a, b, ab, ba)
		}
		if (ab == 0) != (a == b) {
			t.Fatalf("CompareNames(%q,%q)=%d for different strings", a, b, ab)
		}
	})
}
