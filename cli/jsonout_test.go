package cli

import (
	"bytes"
	"encoding/json"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/patchflow/patchflow/domain"
	"github.com/patchflow/patchflow/policies"
	"github.com/patchflow/patchflow/workflows"
)

// TestPrintJSONListsAreNeverNull: every nil list and map of a --json
// output prints as [] or {}, at any depth and behind pointers, interfaces
// and embedded structs; nil pointers stay null, values that encode
// themselves (times, policy durations, ref sets) and unexported fields
// are untouched, and the value printed is not changed.
func TestPrintJSONListsAreNeverNull(t *testing.T) {
	started := time.Date(2026, 3, 1, 2, 0, 0, 0, time.UTC)
	res := &workflows.CycleResult{CycleStatus: workflows.CycleStatus{CycleID: "cycle/web/2026-03-01T02:00:00Z", Started: started,
		Stages: []workflows.StageStatus{{Stage: "1"}}}}
	var plan domain.PendingTable // omitempty lists stay left out
	type wrapper struct {
		Any      any               `json:"any"`
		Map      map[string]any    `json:"map"`
		Labels   map[string]string `json:"labels"`
		Refs     domain.RefSet     `json:"refs"`
		Bake     policies.Duration `json:"bake"`
		Window   *domain.Window    `json:"window"`
		Table    domain.PendingTable
		Result   *workflows.CycleResult
		Nested   [][]string `json:"nested"`
		internal []string
	}
	in := wrapper{Any: []string(nil), Map: map[string]any{"cycles": []CycleListEntry(nil)}, Bake: policies.Duration(90 * time.Minute),
		Table: plan, Result: res, Nested: [][]string{nil}, internal: nil}
	var out bytes.Buffer
	if err := printJSON(&out, in); err != nil {
		t.Fatal(err)
	}
	got := out.String()
	for _, want := range []string{
		`"any": []`, `"cycles": []`, `"labels": {}`, `"refs": ""`, `"bake": "1h30m"`, `"window": null`,
		`"Table": {}`, `"hosts": []`, `"entries": []`, `"started": "2026-03-01T02:00:00Z"`, `"finished": "0001-01-01T00:00:00Z"`,
		"\"nested\": [\n    []\n  ]",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("output lacks %s:\n%s", want, got)
		}
	}
	if strings.Count(got, ": null") != 1 {
		t.Errorf("only the nil pointer may print as null:\n%s", got)
	}
	if res.Hosts != nil || res.Plan.Entries != nil || res.Stages[0].Hosts != nil || in.Any.([]string) != nil {
		t.Error("printJSON changed the value it printed")
	}
}

func BenchmarkPrintJSONStatus(b *testing.B) {
	st := workflows.CycleStatus{CycleID: "cycle/web/2026-03-01T02:00:00Z", Policy: "web"}
	for i := range 200 {
		st.Hosts = append(st.Hosts, workflows.HostReport{Host: "web-" + string(rune('a'+i%26)), State: domain.HostFailed,
			Snapshot: []domain.Pin{{Name: "openssl", Version: "3.0.15-1~deb12u1"}}})
	}
	for range 150 {
		st.Plan.Entries = append(st.Plan.Entries, domain.PlanEntry{Manager: "apt", Name: "libssl3", Version: "3.0.16-1~deb12u1",
			Class: domain.ClassSecurity, Vulns: domain.Vulns{Severity: domain.SeverityHigh, CVEs: []string{"CVE-2024-12797"}}})
	}
	// printJSON against the plain encoder: the cost of the empty lists.
	for _, bc := range []struct {
		name  string
		print func(w io.Writer, v any) error
	}{
		{"printJSON", printJSON},
		{"encoder", func(w io.Writer, v any) error {
			enc := json.NewEncoder(w)
			enc.SetIndent("", "  ")
			return enc.Encode(v)
		}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			var out bytes.Buffer
			b.ReportAllocs()
			for b.Loop() {
				out.Reset()
				if err := bc.print(&out, st); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
