package report

import (
	"bytes"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestTerminalSafe(t *testing.T) {
	cases := map[string]string{
		"web-01":                    "web-01",
		"münchen-01":                "münchen-01",
		"web\x1b[2J":                `web\x1b[2J`,
		"a\r\nb\tc":                 `a\r\nb\tc`,
		"bell\x07del\x7f":           `bell\x07del\x7f`,
		"c1\u009b31m":               `c1\u009b31m`,
		"evil\u202egnp.exe":         `evil\u202egnp.exe`,
		"iso\u2066x\u2069":          `iso\u2066x\u2069`,
		"bad\xffutf8":               `bad\xffutf8`,
		"nul\x00":                   `nul\x00`,
		"\u200fmark":                `\u200fmark`,
		"ok \u00e9\u4e2d\U0001F600": "ok \u00e9\u4e2d\U0001F600",
	}
	for in, want := range cases {
		if got := TerminalSafe(in); got != want {
			t.Errorf("TerminalSafe(%q) = %q, want %q", in, got, want)
		}
	}
}

// assertTerminalClean fails when out holds anything a terminal would
// interpret, other than the newlines that end rows.
func assertTerminalClean(t *testing.T, out string) {
	t.Helper()
	if !utf8.ValidString(out) {
		t.Fatal("output is not UTF-8")
	}
	for i, r := range out {
		if (r < 0x20 && r != '\n') || r == 0x7f || unsafeRune(r) {
			t.Fatalf("raw control %U at byte %d: %q", r, i, out[max(0, i-30):min(len(out), i+30)])
		}
	}
}

func TestTablesNeverPassControlCharactersToTheTerminal(t *testing.T) {
	r := buildEstate(t, 60)
	var b bytes.Buffer
	if err := WriteComplianceTable(&b, r, TableOptions{Fixes: true}); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	assertTerminalClean(t, out)
	if !strings.Contains(out, `web-\x1b[31mred\x1b[0m-\r\nfake`) {
		t.Error("the ANSI host name is not shown escaped")
	}
	if !strings.Contains(out, hostileScript) {
		t.Error("the <script> host name is not shown as it is")
	}
	// The worst host is the first row under the header.
	lines := strings.Split(out, "\n")
	for i, l := range lines {
		if strings.HasPrefix(l, "RANK") {
			if f := strings.Fields(lines[i+1]); len(f) < 2 || f[0] != "1" || f[1] != worstHost {
				t.Errorf("first host row %q, want rank 1 %s", lines[i+1], worstHost)
			}
			break
		}
	}
	for _, want := range []string{"cisa-kev as of 2025-08-25 00:00 UTC (02:00 CEST)  STALE", "never_assessed", "assessment_failed", "EXC-2026-0042", "expired", "KEV due 2023-12-12", "overdue"} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q", want)
		}
	}

	b.Reset()
	if err := WriteComplianceTable(&b, r, TableOptions{MaxHosts: 5}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "55 more hosts not shown") {
		t.Error("a bounded table does not say how many hosts it left out")
	}

	hostile := sampleCVEAuditInput()
	hostile.CVEs[0].Hosts[0].Host = "web\x1b]0;owned\x07"
	hostile.CVEs[0].Hosts[0].Evidence.Note = "line1\nline2\u202e"
	a, err := BuildCVEAudit(hostile)
	if err != nil {
		t.Fatal(err)
	}
	b.Reset()
	if err := WriteCVEAuditTable(&b, a, TableOptions{}); err != nil {
		t.Fatal(err)
	}
	assertTerminalClean(t, b.String())
	if !strings.Contains(b.String(), `web\x1b]0;owned\x07`) {
		t.Error("cve audit: the hostile host is not shown escaped")
	}

	cyc := sampleCycleInput()
	cyc.Waves[0].Hosts[0].Reason = "reboot\r\x1b[1A"
	cyc.Approval.Comment = "ok\x1b[8m"
	e, err := BuildCycleEvidence(cyc)
	if err != nil {
		t.Fatal(err)
	}
	b.Reset()
	if err := WriteCycleEvidenceTable(&b, e, TableOptions{}); err != nil {
		t.Fatal(err)
	}
	assertTerminalClean(t, b.String())
}
