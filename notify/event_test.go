package notify

import (
	"encoding/json"
	"os"
	"reflect"
	"strings"
	"testing"
)

// The ids of the sample events are pinned in testdata: a change to how
// ids are derived would make receivers process, a second time, events of
// a cycle that runs across an upgrade. Change the golden file only with a
// new id scheme (and say so in the release notes).
func TestEventIDsPinned(t *testing.T) {
	data, err := os.ReadFile("testdata/event_ids.golden")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, ev := range sampleEvents() {
		got = append(got, ev.Type+" "+ev.ID())
	}
	if want := strings.TrimSpace(string(data)); strings.Join(got, "\n") != want {
		t.Errorf("event ids changed:\n%s\nwant\n%s", strings.Join(got, "\n"), want)
	}
}

func TestEventIDDistinguishesRepeats(t *testing.T) {
	ev := sampleEvents()[4] // cycle.paused
	first := ev.ID()
	ev.Seq = 0
	if ev.ID() != first {
		t.Error("Seq 0 and 1 should both mean the first pause")
	}
	ev.Seq = 2
	if ev.ID() == first {
		t.Error("the second pause has the first one's id")
	}
	ev.Seq = 1
	ev.Reason = "another reason"
	ev.Time = ev.Time.Add(1)
	if ev.ID() != first {
		t.Error("the id depends on the reason or the time; it must not (replays, retries)")
	}
	sla := sampleEvents()[12]
	other := sla
	other.SLA = &SLAInfo{Severity: "high", SLA: sla.SLA.SLA, Hosts: sla.SLA.Hosts}
	if sla.ID() == other.ID() {
		t.Error("SLA breaches of two severities share an id")
	}
}

// An event survives the trip through Temporal's JSON payloads unchanged,
// and with it its id.
func TestEventRoundTripsJSON(t *testing.T) {
	for _, ev := range sampleEvents() {
		data, err := json.Marshal(ev)
		if err != nil {
			t.Fatal(err)
		}
		var back Event
		if err := json.Unmarshal(data, &back); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(back, ev) || back.ID() != ev.ID() {
			t.Errorf("%s changed on the way:\n%+v\n%+v", ev.Type, back, ev)
		}
	}
}

func TestEventValidate(t *testing.T) {
	for _, ev := range sampleEvents() {
		if err := ev.Validate(); err != nil {
			t.Errorf("%s: %v", ev.Type, err)
		}
	}
	cases := map[string]struct {
		ev   Event
		want string
	}{
		"unknown":  {Event{Type: "cycle.exploded", CycleID: "c", Policy: "p"}, `event type "cycle.exploded" is unknown`},
		"no cycle": {Event{Type: CycleResumed, Policy: "p", Time: sampleStart}, "cycle_id is required"},
		"no time":  {Event{Type: CycleResumed, CycleID: "c", Policy: "p"}, "time is required"},
		"no host": {Event{Type: HostFailed, CycleID: "c", Policy: "p", Time: sampleStart, Reason: "x"},
			"event host.failed: host with a name is required"},
		"bad by": {Event{Type: CycleApproved, CycleID: "c", Policy: "p", Time: sampleStart, Approval: &ApprovalInfo{By: "magic"}},
			`approval.by must be one of operator, auto, timeout, plan, got "magic"`},
	}
	for name, c := range cases {
		err := c.ev.Validate()
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: Validate = %v, want %q", name, err, c.want)
		}
	}
}

func TestSubject(t *testing.T) {
	ev := sampleEvents()
	for i, want := range map[int]string{0: sampleCycle, 3: sampleCycle + "/wave/0", 7: "host/web-061", 12: sampleCycle} {
		if got := ev[i].Subject(); got != want {
			t.Errorf("%s: Subject = %q, want %q", ev[i].Type, got, want)
		}
	}
}
