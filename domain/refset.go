package domain

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math/bits"
)

// RefSet is a set of small non-negative integers (positions in a plan)
// kept as a bitset: a host's pins by reference cost a few bytes per
// hundred plan entries, so a shard of thousands of hosts stays a small
// payload. In JSON it is the bitset in base64 (little-endian bytes).
type RefSet []byte

// NewRefSet makes a set of refs.
func NewRefSet(refs []int) RefSet {
	var s RefSet
	for _, r := range refs {
		if r < 0 {
			continue
		}
		for r/8 >= len(s) {
			s = append(s, 0)
		}
		s[r/8] |= 1 << (r % 8)
	}
	return s
}

// Refs lists the set's members in increasing order.
func (s RefSet) Refs() []int {
	var out []int
	for i, b := range s {
		for b != 0 {
			j := bits.TrailingZeros8(b)
			out = append(out, i*8+j)
			b &^= 1 << j
		}
	}
	return out
}

// Len is the number of members.
func (s RefSet) Len() int {
	n := 0
	for _, b := range s {
		n += bits.OnesCount8(b)
	}
	return n
}

// MarshalJSON writes the set as base64.
func (s RefSet) MarshalJSON() ([]byte, error) {
	return json.Marshal(base64.RawStdEncoding.EncodeToString(s))
}

// UnmarshalJSON reads the set from base64.
func (s *RefSet) UnmarshalJSON(b []byte) error {
	var str string
	if err := json.Unmarshal(b, &str); err != nil {
		return fmt.Errorf("ref set: %w", err)
	}
	d, err := base64.RawStdEncoding.DecodeString(str)
	if err != nil {
		return fmt.Errorf("ref set: %w", err)
	}
	*s = d
	return nil
}
