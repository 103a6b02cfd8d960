package workflows

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestScanInputsWithoutInteractiveKeepTheirJSON: a policy without
// patches.interactive starts scans whose inputs are byte for byte what
// they were before the key existed; with it, the scan gets the list.
func TestScanInputsWithoutInteractiveKeepTheirJSON(t *testing.T) {
	for _, in := range []any{ScanBatchInput{Inventory: "hosts.yaml", Hosts: []string{"sles-01"}, Refresh: true},
		ScanShardInput{CycleID: "cycle/p/1", Hosts: []string{"sles-01"}}} {
		b, err := json.Marshal(in)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(b), "interactive") {
			t.Errorf("%T without interactive patches marshals to %s, want no interactive key", in, b)
		}
	}
	b, err := json.Marshal(ScanBatchInput{Interactive: []string{"demo-kernel"}})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), `"interactive":["demo-kernel"]`) {
		t.Errorf("ScanBatchInput with interactive patches marshals to %s, want them listed", b)
	}
}
