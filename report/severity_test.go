package report

import (
	"bytes"
	"strings"
	"testing"
)

// TestReadRefusesASeverityNotOnTheScale: a report file whose severity is
// not one of patchflow's (a hand edit, another tool's word) is refused
// when read, naming the value, for each kind of report.
func TestReadRefusesASeverityNotOnTheScale(t *testing.T) {
	encode := func(r Report) string {
		var b bytes.Buffer
		if err := WriteJSON(&b, r); err != nil {
			t.Fatal(err)
		}
		return b.String()
	}
	for _, c := range []struct {
		name string
		json string
		read func(string) error
	}{
		{"compliance", string(smallReportJSON(t)), func(s string) error { _, err := ReadCompliance(strings.NewReader(s)); return err }},
		{"cve audit", encode(buildSampleCVEAudit(t)), func(s string) error { _, err := ReadCVEAudit(strings.NewReader(s)); return err }},
		{"cycle evidence", encode(buildSampleCycle(t)), func(s string) error { _, err := ReadCycleEvidence(strings.NewReader(s)); return err }},
	} {
		t.Run(c.name, func(t *testing.T) {
			if err := c.read(c.json); err != nil {
				t.Fatalf("the report as written does not read: %v", err)
			}
			bad := strings.Replace(c.json, `"severity": "high"`, `"severity": "Important"`, 1)
			if bad == c.json {
				t.Fatal(`the sample has no "severity": "high" to corrupt`)
			}
			err := c.read(bad)
			if err == nil || !strings.Contains(err.Error(), "invalid severity") {
				t.Fatalf("a severity of Important: got %v, want an invalid severity error", err)
			}
		})
	}
}
