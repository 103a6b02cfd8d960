package workflows

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"
)

// TestReplayRecordedHistories replays histories recorded on the real server
// (workflows/e2e with PATCHFLOW_RECORD=1) against today's workflow code: a
// change that would break running cycles fails here with a
// non-determinism error. Re-record only for an intended, versioned change.
func TestReplayRecordedHistories(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no recorded histories in testdata; record them with PATCHFLOW_RECORD=1 go test ./workflows/e2e/")
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			// Child workflow IDs derive from the workflow's own ID, so the
			// replay must run under the recorded one.
			var meta struct {
				WorkflowID string `json:"workflowId"`
			}
			if err := json.Unmarshal(data, &meta); err != nil || meta.WorkflowID == "" {
				t.Fatalf("%s: no workflowId recorded (%v)", f, err)
			}
			hist, err := client.HistoryFromJSON(bytes.NewReader(data), client.HistoryJSONOptions{})
			if err != nil {
				t.Fatal(err)
			}
			r := worker.NewWorkflowReplayer()
			Register(r)
			err = r.ReplayWorkflowHistoryWithOptions(testLogger(t), hist, worker.ReplayWorkflowHistoryOptions{
				OriginalExecution: workflow.Execution{ID: meta.WorkflowID, RunID: "replay"},
			})
			if err != nil {
				t.Errorf("replay %s (%s, %d events): %v", f, meta.WorkflowID, len(hist.Events), err)
			}
		})
	}
}
