package posture

import (
	"time"

	"github.com/patchflow/patchflow/report"
)

// hostSet holds one policy's report hosts, each once, in the order first
// seen.
type hostSet struct {
	policy string
	list   []report.HostInput
	index  map[string]int
}

func newHostSet(policy string) *hostSet {
	return &hostSet{policy: policy, index: map[string]int{}}
}

func (s *hostSet) has(host string) bool {
	_, ok := s.index[host]
	return ok
}

// add records a host; a host seen before keeps its first record.
func (s *hostSet) add(h report.HostInput) {
	if s.has(h.Host) {
		return
	}
	s.index[h.Host] = len(s.list)
	s.list = append(s.list, h)
}

// failAll records a failed attempt at every host, where it is newer than
// the host's last failure.
func (s *hostSet) failAll(at time.Time, why string) {
	for i := range s.list {
		h := &s.list[i]
		if h.Failure == nil || at.After(h.Failure.At) {
			h.Failure = &report.AssessmentFailure{At: at, Error: shortText(why)}
		}
	}
}

// failedNeverComplete lists the hosts whose latest attempt failed and
// whose last complete assessment is not known yet.
func (s *hostSet) failedNeverComplete() map[string]bool {
	out := map[string]bool{}
	for _, h := range s.list {
		if h.Failure != nil && h.LastAssessed.IsZero() {
			out[h.Host] = true
		}
	}
	return out
}

// completeFrom takes a host's facts from an earlier complete assessment,
// keeping its later failure.
func (s *hostSet) completeFrom(h report.HostInput) {
	i, ok := s.index[h.Host]
	if !ok {
		return
	}
	cur := &s.list[i]
	cur.LastAssessed, cur.RebootPending, cur.Missing = h.LastAssessed, h.RebootPending, h.Missing
}
