package topology

import "testing"

func TestIdentityPID(t *testing.T) {
	for _, tc := range []struct {
		identity string
		pid      int
		ok       bool
	}{
		{"4242@vm@", 4242, true},
		{"17@host.example.com@patchflow", 17, true},
		{"worker-a", 0, false},
		{"@vm@", 0, false},
		{"0@vm@", 0, false},
		{"x12@vm@", 0, false},
	} {
		pid, ok := identityPID(tc.identity)
		if pid != tc.pid || ok != tc.ok {
			t.Errorf("identityPID(%q) = %d, %v; want %d, %v", tc.identity, pid, ok, tc.pid, tc.ok)
		}
	}
}
