package domain

import (
	"encoding/json"
	"slices"
	"testing"
)

func TestRefSetRoundTrip(t *testing.T) {
	for _, refs := range [][]int{nil, {0}, {7, 8}, {3, 64, 299}, {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10}} {
		s := NewRefSet(refs)
		b, err := json.Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		var back RefSet
		if err := json.Unmarshal(b, &back); err != nil {
			t.Fatal(err)
		}
		if got := back.Refs(); !slices.Equal(got, refs) || back.Len() != len(refs) {
			t.Errorf("%v -> %s -> %v", refs, b, got)
		}
	}
	// 100 pins of a 300-entry plan: 38 bytes, not 400.
	var refs []int
	for i := 0; i < 300; i += 3 {
		refs = append(refs, i)
	}
	if b, _ := json.Marshal(NewRefSet(refs)); len(b) > 60 {
		t.Errorf("100 refs encode to %d bytes", len(b))
	}
}
