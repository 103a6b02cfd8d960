package planfile

import (
	"bytes"
	"reflect"
	"strings"
	"testing"

	"github.com/patchflow/patchflow/domain"
	"github.com/patchflow/patchflow/internal/schematest"
)

// historyPlan is testPlan where earlier cycles rolled libexpat1's upgrade
// back on two of three hosts.
func historyPlan() domain.ReviewedPlan {
	p := testPlan()
	h := domain.EntryHistory{Basis: domain.HistoryBasisPath, Runs: 3, Failed: 2, RolledBack: 2, Cycles: 2,
		Paths: []domain.UpgradePath{{From: "2.5.0-1+deb12u1", To: "2.5.0-1+deb12u2", Runs: 3, Failed: 2, RolledBack: 2}}}
	p.Entries[0].History, p.Entries[0].HistoryRisk = &h, h.Risk()
	return p
}

func TestPlanCarriesHistoryRisk(t *testing.T) {
	f, err := Build(historyPlan(), []byte(testPolicy))
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		t.Fatal(err)
	}
	schematest.Validate(t, "plan/v1/plan.schema.json", buf.Bytes())
	for _, want := range []string{`"history_risk": 75`, `"basis": "path"`, `"from": "2.5.0-1+deb12u1"`} {
		if !strings.Contains(buf.String(), want) {
			t.Errorf("plan file lacks %s", want)
		}
	}
	got, err := Read(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got.Reviewed(), historyPlan()) {
		t.Errorf("read back:\n%+v\nwant\n%+v", got.Reviewed().Entries, historyPlan().Entries)
	}
	// An entry without history (tzdata) writes no history fields, so plans
	// made before history risk existed keep their sha256.
	if strings.Count(buf.String(), `"history_risk"`) != 1 {
		t.Errorf("history_risk written for an entry without history:\n%s", buf.String())
	}
	var md bytes.Buffer
	if err := f.Markdown(&md); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"| Package | Version | Manager | Class | Severity | CVEs | KEV | Risk | History risk | Hosts |",
		"| libexpat1 | 2.5.0-1+deb12u2 | apt | security | high | CVE-2024-45490, CVE-2024-45491 | **KEV** | 80 | **75: 2 of 3 runs failed, 2 rolled back (this upgrade, 2 cycles)** | 2 |",
		"| tzdata | 2025b-0+deb12u1 | apt | bugfix | unknown | - |  | 0 | - | 1 |",
	} {
		if !strings.Contains(md.String(), want) {
			t.Errorf("markdown lacks %q:\n%s", want, md.String())
		}
	}
}
