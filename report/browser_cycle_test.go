package report

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/patchflow/patchflow/internal/browsertest"
	"golang.org/x/net/html"
)

// TestCycleEvidenceOutcomesInHeadlessChromium opens an evidence pack in
// Chromium and checks what an auditor reads there: who approved by which
// plan and why a person had to, each update's history risk with its
// earlier runs, the final verify, the hosts that did not end patched, and
// which hosts' fixes the re-assessment verified, unverified ones first.
func TestCycleEvidenceOutcomesInHeadlessChromium(t *testing.T) {
	browsertest.Chromium(t)
	in := sampleCycleInput()
	in.Hosts[0].Reason = "\u202egnp.exe rolled back"
	e, err := BuildCycleEvidence(in)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	file := filepath.Join(dir, "cycle.html")
	var src bytes.Buffer
	if err := WriteCycleEvidenceHTML(&src, e, HTMLOptions{MaxHosts: 3}); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(file, src.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	run := browsertest.Open(t, file, "--dump-dom")
	doc := browsertest.ParseDOM(t, run.Stdout)

	approval := browsertest.Text(browsertest.One(t, doc, "approval", browsertest.ByID("approval")))
	for _, want := range []string{"by alice@example.org", "naming reviewed plan sha256:9f2c4e0d", "CAB-1142",
		"required: history risk 75 of libexpat1 2.5.0-1+deb12u5 is above the policy's 50"} {
		if !strings.Contains(approval, want) {
			t.Errorf("approval %q lacks %q", approval, want)
		}
	}
	if h := browsertest.Text(browsertest.One(t, doc, "history source", browsertest.ByID("history-from"))); !strings.Contains(h, "from 4 earlier cycles (11 waves) since 2026-08-22") {
		t.Errorf("history source %q", h)
	}
	risks := map[string]string{}
	runs := map[string]string{}
	for _, tr := range browsertest.FindAll(browsertest.One(t, doc, "plan", browsertest.ByID("plan")), browsertest.ByTag("tr")) {
		var pkg string
		for _, td := range browsertest.FindAll(tr, browsertest.ByTag("td")) {
			switch {
			case browsertest.HasClass(td, "pkg"):
				pkg = browsertest.Text(td)
			case browsertest.HasClass(td, "history-risk"):
				risks[pkg] = browsertest.Text(td)
			case browsertest.HasClass(td, "history"):
				runs[pkg] = browsertest.Text(td)
			}
		}
	}
	if risks["libexpat1"] != "75" || risks["libc6"] != "-" {
		t.Errorf("history risks shown %v, want libexpat1 75 and libc6 -", risks)
	}
	if !strings.Contains(runs["libexpat1"], "2 of 3 runs failed, 2 rolled back (this upgrade, 2 cycles): 2.5.0-1+deb12u4 -> 2.5.0-1+deb12u5") ||
		runs["libc6"] != "no earlier run" {
		t.Errorf("earlier runs shown %v", runs)
	}
	if v := browsertest.Text(browsertest.One(t, doc, "verify", browsertest.ByID("verify"))); !strings.Contains(v, "3 patched hosts checked at the plan's versions, 1 failed") {
		t.Errorf("final verify %q", v)
	}
	if f := browsertest.Text(browsertest.One(t, doc, "verify failures", browsertest.ByID("verify-failed"))); !strings.Contains(f, "web-005") {
		t.Errorf("verify failures %q", f)
	}
	// Four hosts did not end patched; the page shows three and says so.
	notPatched := browsertest.FindAll(browsertest.One(t, doc, "not patched", browsertest.ByID("not-patched")), func(n *html.Node) bool { return n.Data == "td" && browsertest.HasClass(n, "host") })
	if len(notPatched) != 3 || browsertest.Text(notPatched[0]) != "web-002" {
		t.Errorf("hosts not patched: %d rows", len(notPatched))
	}
	if !strings.Contains(browsertest.Text(doc), "Hosts not patched (3, 1 more in the JSON)") {
		t.Error("the cut of the not-patched hosts is not said")
	}
	if !strings.Contains(browsertest.Text(doc), `\u202egnp.exe rolled back`) {
		t.Error("a bidi override in a reason is not made visible")
	}
	if s := browsertest.Text(browsertest.One(t, doc, "remediation summary", browsertest.ByID("remediation-summary"))); !strings.Contains(s, "assess/web/2026-11-20T04:45:00Z") ||
		!strings.Contains(s, "verified 2, still_missing 1, not_reassessed 1") {
		t.Errorf("remediation summary %q", s)
	}
	var rem []string
	for _, tr := range browsertest.FindAll(browsertest.One(t, doc, "remediation", browsertest.ByID("remediation")), browsertest.ByTag("tr"))[1:] {
		var cells []string
		for _, td := range browsertest.FindAll(tr, browsertest.ByTag("td")) {
			if c := browsertest.Text(td); c != "" {
				cells = append(cells, c)
			}
		}
		rem = append(rem, strings.Join(cells, " "))
	}
	if len(rem) != 3 || rem[0] != "web-002 still_missing libc6, libexpat1" || rem[1] != "web-004 not_reassessed" {
		t.Errorf("remediation rows %q, want the unverified hosts first, at most 3", rem)
	}
	if reqs := browsertest.PageRequests(t, run.NetLog); len(reqs) > 0 {
		t.Errorf("the page made requests: %v", reqs)
	}
	if d := os.Getenv("PATCHFLOW_SCREENSHOT_DIR"); d != "" {
		shot := filepath.Join(d, "cycle.png")
		browsertest.Open(t, file, "--window-size=1280,3000", "--screenshot="+shot)
		_ = os.WriteFile(filepath.Join(d, "cycle.html"), src.Bytes(), 0o644)
	}
}
