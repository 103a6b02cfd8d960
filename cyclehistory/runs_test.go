package cyclehistory

import (
	"strings"
	"testing"
	"time"

	commonpb "go.temporal.io/api/common/v1"
	workflowpb "go.temporal.io/api/workflow/v1"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/patchflow/patchflow/domain"
	"github.com/patchflow/patchflow/workflows"
)

func TestWaveOfFindsItsCycle(t *testing.T) {
	at := time.Date(2026, 12, 1, 3, 0, 0, 0, time.UTC)
	for id, want := range map[string]string{
		"cycle/web/2026-12-01T02:00:00Z/wave/3":        "cycle/web/2026-12-01T02:00:00Z",
		"cycle/web/2026-12-01T02:00:00Z/wave/3/part/2": "cycle/web/2026-12-01T02:00:00Z",
		"cycle/web/2026-12-01T02:00:00Z/staging":       "cycle/web/2026-12-01T02:00:00Z",
		"cycle/web/plan-0123456789ab/staging/part/2":   "cycle/web/plan-0123456789ab",
		"not-a-wave": "",
	} {
		w := waveOf(&workflowpb.WorkflowExecutionInfo{Execution: &commonpb.WorkflowExecution{WorkflowId: id}, CloseTime: timestamppb.New(at)})
		if w.cycle != want || !w.closed.Equal(at) {
			t.Errorf("%s: cycle %q closed %v, want %q", id, w.cycle, w.closed, want)
		}
	}
}

func TestNewestCyclesKeepsTheLastEnded(t *testing.T) {
	t0 := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	waves := []waveRun{
		{cycle: "a", closed: t0.Add(1 * time.Hour)}, {cycle: "b", closed: t0.Add(5 * time.Hour)},
		{cycle: "a", closed: t0.Add(6 * time.Hour)}, {cycle: "c", closed: t0.Add(2 * time.Hour)},
	}
	if got := strings.Join(newestCycles(waves, 2), " "); got != "a b" {
		t.Errorf("newest 2 cycles %q, want a b", got)
	}
}

func TestManagerOfLinesUpThePlan(t *testing.T) {
	entries := []domain.PlanEntry{{Manager: "apt", Name: "curl"}, {Manager: "dnf", Name: "curl"}}
	pins := []domain.Pin{{Name: "curl", Version: "1"}, {Name: "curl", Version: "2"}}
	t1 := workflows.HostTarget{Host: "h", Refs: domain.NewRefSet([]int{1})}
	if got := managerOf(t1, pins, entries); got != "dnf" {
		t.Errorf("manager %q, want dnf", got)
	}
	if got := managerOf(t1, pins[:1], entries); got != "" {
		t.Errorf("a plan that does not line up with the pins gave %q", got)
	}
}

func TestQuote(t *testing.T) {
	if got := Quote(`it's a\b`); got != `'it\'s a\\b'` {
		t.Errorf("quote %s", got)
	}
}
