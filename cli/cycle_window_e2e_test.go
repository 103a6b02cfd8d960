package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/patchflow/patchflow/domain"
	"github.com/patchflow/patchflow/localfleet"
)

// TestParkedCycleOnTheRealServer: a cycle started by hand outside its
// policy's window scans and plans, then parks without touching a host;
// `cycle status`, `cycle list --state parked` and the query show it;
// `cycle extend-window` lets it go on, and it patches every host once.
func TestParkedCycleOnTheRealServer(t *testing.T) {
	localfleet.Require(t)
	fleet := localfleet.Start(t, localfleet.Config{Name: "sc", Subnet: 8, Hosts: 2, Logf: t.Logf})
	addr := startDev(t)
	const name = "parked-e2e"
	// A daily window twelve hours from now: closed while this test runs.
	opens := time.Now().UTC().Add(12 * time.Hour).Hour()
	policy := writeCyclePolicy(t, name, fleet.InventoryPath, fmt.Sprintf("window: {cron: \"0 %d * * *\", duration: 1h, timezone: UTC}\n", opens))
	code, out, errOut := run(t, "cycle", "start", "-p", policy, "--json", "--address", addr)
	var started struct {
		CycleID string `json:"cycle_id"`
	}
	if code != 0 || json.Unmarshal([]byte(out), &started) != nil {
		t.Fatalf("cycle start: exit %d\n%s%s", code, out, errOut)
	}
	id := started.CycleID
	st := waitCycleState(t, addr, id, domain.CycleParked)
	if st.Window == nil || st.Window.ParkedUntil.UTC().Hour() != opens || time.Until(st.Window.ParkedUntil) < 10*time.Hour || len(st.Plan.Entries) == 0 {
		t.Fatalf("parked status: window %+v, %d plan entries", st.Window, len(st.Plan.Entries))
	}
	t.Logf("parked: %s", st.Reason)
	for _, h := range fleet.Hosts {
		if v := installed(t, fleet, h.Name, "demo-app"); v != "1.0.0" {
			t.Fatalf("%s changed while parked: demo-app %s", h.Name, v)
		}
	}
	code, out, _ = run(t, "cycle", "status", id, "--address", addr)
	if code != 0 || !strings.Contains(out, "parked") || !strings.Contains(out, "PARKED until") {
		t.Fatalf("cycle status of a parked cycle: exit %d\n%s", code, out)
	}
	deadline := time.Now().Add(15 * time.Second)
	for {
		code, out, _ = run(t, "cycle", "list", "--state", "parked", "--policy", name, "--address", addr)
		if code == 0 && strings.Contains(out, id) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("cycle list --state parked does not show %s:\n%s", id, out)
		}
		waitABit()
	}

	code, out, errOut = run(t, "cycle", "extend-window", id, "--duration", "1h", "--address", addr)
	if code != 0 || !strings.Contains(out, "window extended by 1h0m0s") {
		t.Fatalf("extend-window: exit %d\n%s%s", code, out, errOut)
	}
	st = waitCycleState(t, addr, id, domain.CycleCompleted)
	if st.Counts.Patched != len(fleet.Hosts) || st.Window.Parks != 1 {
		t.Fatalf("after extend-window: %+v, parks %d", st.Counts, st.Window.Parks)
	}
	for _, h := range fleet.Hosts {
		if v := installed(t, fleet, h.Name, "demo-app"); v != "1.0.1" {
			t.Errorf("%s: demo-app %s after the cycle, want 1.0.1", h.Name, v)
		}
	}
	recordHistory(t, addr, id, "cycle_parked.json")
	code, _, errOut = run(t, "cycle", "extend-window", id, "--duration", "1h", "--address", addr)
	if code != ExitFailure || !strings.Contains(errOut, "extend-window "+id) || !strings.Contains(errOut, "completed") {
		t.Fatalf("extend-window on a finished cycle: exit %d %q", code, errOut)
	}
}

// recordHistory writes a workflow's history to workflows/testdata when
// PATCHFLOW_RECORD=1, for the replay test there (TestReplayRecordedHistories):
// the parked cycle's history guards the window gate (side effects, the
// park timer, the extend-window update) against non-deterministic changes.
func recordHistory(t *testing.T, addr, workflowID, file string) {
	t.Helper()
	if os.Getenv("PATCHFLOW_RECORD") != "1" {
		return
	}
	f := &Factory{Temporal: TemporalFlags{Address: addr}}
	c, err := f.Client(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	iter := c.GetWorkflowHistory(context.Background(), workflowID, "", false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	var events []json.RawMessage
	for iter.HasNext() {
		ev, err := iter.Next()
		if err != nil {
			t.Fatalf("history of %s: %v", workflowID, err)
		}
		b, err := protojson.Marshal(ev)
		if err != nil {
			t.Fatal(err)
		}
		events = append(events, b)
	}
	data, err := json.MarshalIndent(map[string]any{"workflowId": workflowID, "events": events}, "", " ")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join("..", "workflows", "testdata", file)
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("recorded %d events of %s in %s", len(events), workflowID, path)
}
