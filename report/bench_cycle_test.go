package report

import (
	"bytes"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/patchflow/patchflow/domain"
)

// bigCycleInput is a 10,000-host cycle: staging of 10, a canary of 100,
// then waves of 2,000; 40 planned updates, 20 of them pending per host
// before; 2 % of hosts failed and rolled back; a re-assessment of all.
func bigCycleInput() CycleEvidenceInput {
	in := sampleCycleInput()
	start := in.StartedAt
	at := func(m int) time.Time { return start.Add(time.Duration(m) * time.Minute) }
	in.Plan.Entries = nil
	for i := range 40 {
		in.Plan.Entries = append(in.Plan.Entries, PlanEntry{Manager: "apt", Package: fmt.Sprintf("lib%02d", i), Version: "2.0-1+deb12u1",
			CVEs: []string{fmt.Sprintf("CVE-2026-%05d", i)}, Severity: domain.SeverityHigh, Risk: 30, Hosts: 5000})
	}
	in.Before, in.After, in.Waves, in.Rollbacks, in.Hosts, in.Remediation = nil, nil, nil, nil, nil, nil
	sizes := []int{10, 100, 2000, 2000, 2000, 2000, 1890}
	names := []string{"staging", "canary", "ramp", "ramp-2", "ramp-3", "ramp-4", "ramp-5"}
	n := 0
	for w, size := range sizes {
		wv := WaveEvidence{Index: w, Name: names[w], StartedAt: at(10 + 20*w), FinishedAt: at(29 + 20*w)}
		for range size {
			host := fmt.Sprintf("web-%05d", n)
			res, reason := HostPatched, ""
			if n%50 == 7 {
				res, reason = HostFailed, "applying failed: lib03 postinst failed; rolled back to snapshot"
				in.Rollbacks = append(in.Rollbacks, Rollback{Host: host, Wave: w, At: at(15 + 20*w), Reason: reason, Result: HostRolledBack,
					To: []Pin{{Package: "lib03", Version: "2.0-1"}}})
			}
			wh := WaveHost{Host: host, Result: res, StartedAt: at(10 + 20*w), FinishedAt: at(18 + 20*w), Reason: reason, RebootedAt: at(17 + 20*w)}
			var before, after []Finding
			var planned []string
			for k := range 20 {
				e := in.Plan.Entries[(n+k)%40]
				f := Finding{Package: e.Package, Installed: "2.0-1", FixedVersion: e.Version, CVEs: e.CVEs, Severity: e.Severity, Risk: e.Risk, FirstSeen: start.Add(-72 * time.Hour)}
				before = append(before, f)
				planned = append(planned, e.Package)
				wh.Installed = append(wh.Installed, Pin{Package: e.Package, Version: e.Version})
				if res != HostPatched {
					after = append(after, f)
				}
			}
			wv.Hosts = append(wv.Hosts, wh)
			in.Before = append(in.Before, HostFindings{Host: host, AssessedAt: at(3), Findings: before})
			in.After = append(in.After, HostFindings{Host: host, AssessedAt: at(200), Findings: after})
			in.Hosts = append(in.Hosts, CycleHost{Host: host, Stage: fmt.Sprint(w), Result: res, Reason: reason})
			state := RemediationVerified
			if res != HostPatched {
				state = RemediationStillMissing
			}
			in.Remediation = append(in.Remediation, HostRemediation{Host: host, State: state, Missing: planned[:len(after)/20*20]})
			n++
		}
		in.Waves = append(in.Waves, wv)
	}
	in.FinishedAt, in.GeneratedAt = at(190), at(300)
	return in
}

func BenchmarkCycleEvidence10000(b *testing.B) {
	in := bigCycleInput()
	b.Run("build", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := BuildCycleEvidence(in); err != nil {
				b.Fatal(err)
			}
		}
	})
	e, err := BuildCycleEvidence(in)
	if err != nil {
		b.Fatal(err)
	}
	for _, r := range []struct {
		name  string
		write func(w *countingWriter) error
	}{
		{"json", func(w *countingWriter) error { return WriteJSON(w, e) }},
		{"html", func(w *countingWriter) error { return WriteCycleEvidenceHTML(w, e, HTMLOptions{}) }},
		{"table", func(w *countingWriter) error { return WriteCycleEvidenceTable(w, e, TableOptions{MaxHosts: 200}) }},
	} {
		b.Run(r.name, func(b *testing.B) {
			b.ReportAllocs()
			var w countingWriter
			for b.Loop() {
				w.n = 0
				if err := r.write(&w); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(w.n)/1e6, "MB")
		})
	}
}

// TestStreamedCycleJSONIsTheEncodersJSON: the evidence pack is written one
// host at a time; the bytes must be those of encoding/json's indenter,
// for a big pack, the sample, and one with empty lists.
func TestStreamedCycleJSONIsTheEncodersJSON(t *testing.T) {
	small := sampleCycleInput()
	small.Before, small.After, small.Hosts, small.Remediation, small.Waves, small.AfterAssessment = nil, nil, nil, nil, nil, ""
	for name, in := range map[string]CycleEvidenceInput{"big": bigCycleInput(), "sample": sampleCycleInput(), "empty lists": small} {
		e, err := BuildCycleEvidence(in)
		if err != nil {
			t.Fatal(err)
		}
		var want bytes.Buffer
		enc := json.NewEncoder(&want)
		enc.SetIndent("", "  ")
		if err := enc.Encode(e); err != nil {
			t.Fatal(err)
		}
		if got := renderJSON(t, e); !bytes.Equal(got, want.Bytes()) {
			t.Errorf("%s: streamed JSON differs from encoding/json's (%d vs %d bytes)", name, len(got), want.Len())
		}
	}
}
