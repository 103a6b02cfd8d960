package report

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/patchflow/patchflow/internal/browsertest"
	"golang.org/x/net/html"
)

// These tests open the rendered files in a real headless Chromium
// (Debian's chromium package) and check what a reader sees: the DOM after
// loading, a screenshot, and Chromium's own network log
// (internal/browsertest runs it off the network).

// The chart's compliant and noncompliant bars, which a screenshot of a
// compliance report must show.
const (
	compliantBar    = "#a5d6a7"
	noncompliantBar = "#ef9a9a"
)

// docTitle matches the document's <title> (not the SVG's tooltips).
func docTitle(n *html.Node) bool {
	return n.Data == "title" && n.Parent != nil && n.Parent.Data == "head"
}

func TestComplianceReportInHeadlessChromium(t *testing.T) {
	browsertest.Chromium(t)
	r := buildEstate(t, 60)
	dir := t.TempDir()
	file := filepath.Join(dir, "compliance.html")
	var src bytes.Buffer
	if err := WriteComplianceHTML(&src, r, HTMLOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(file, src.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	assertSelfContained(t, src.String())

	run := browsertest.Open(t, file, "--dump-dom")
	doc := browsertest.ParseDOM(t, run.Stdout)

	// No script ran: the hostile host name would have set the title.
	title := browsertest.Text(browsertest.One(t, doc, "title", docTitle))
	if title != "Compliance report: db, web, 2026-11-24" {
		t.Errorf("title after load is %q: something rewrote it", title)
	}
	if s := browsertest.FindAll(doc, browsertest.ByTag("script")); len(s) != 0 {
		t.Errorf("the loaded page has %d script elements", len(s))
	}

	// The chart: one point per trend sample, and a ratio line through them.
	svg := browsertest.One(t, doc, "trend chart", browsertest.ByID("trend-chart"))
	if svg.Data != "svg" {
		t.Fatalf("#trend-chart is <%s>, want <svg>", svg.Data)
	}
	points := browsertest.FindAll(svg, func(n *html.Node) bool { return n.Data == "circle" && browsertest.HasClass(n, "pt") })
	if len(points) != len(r.Trend) || len(r.Trend) < 50 {
		t.Errorf("the chart has %d points for %d trend samples", len(points), len(r.Trend))
	}
	for i, p := range points {
		if want := r.Trend[i].At.Format(time.RFC3339); browsertest.Attr(p, "data-at") != want {
			t.Errorf("point %d is at %q, want %q", i, browsertest.Attr(p, "data-at"), want)
			break
		}
	}
	line := browsertest.One(t, svg, "ratio line", browsertest.ByTag("polyline"))
	if n := len(strings.Fields(browsertest.Attr(line, "points"))); n != len(r.Trend) {
		t.Errorf("the ratio line has %d vertices, want %d", n, len(r.Trend))
	}

	// The host table: the most out-of-SLA host first, in ranking order.
	hosts := browsertest.One(t, doc, "host table", browsertest.ByID("hosts"))
	cells := browsertest.FindAll(hosts, func(n *html.Node) bool { return n.Data == "td" && browsertest.HasClass(n, "host") })
	if len(cells) != len(r.Hosts) {
		t.Fatalf("the host table has %d rows, want %d", len(cells), len(r.Hosts))
	}
	if got := browsertest.Text(cells[0]); got != worstHost {
		t.Errorf("first host %q, want %q (KEV fix due 2023-12-12, the most overdue)", got, worstHost)
	}
	for i := range 10 {
		if got := browsertest.Text(cells[i]); got != r.Hosts[i].Host {
			t.Errorf("row %d shows %q, want %q", i+1, got, r.Hosts[i].Host)
		}
	}

	// Hostile names are shown as text.
	var sawScript, sawANSI bool
	for _, c := range cells {
		switch browsertest.Text(c) {
		case hostileScript:
			sawScript = true
		case "web-\\x1b[31mred\\x1b[0m-\\r\nfake":
			sawANSI = true
		}
	}
	if !sawScript || !sawANSI {
		t.Errorf("hostile names shown as text: <script> %v, ANSI %v", sawScript, sawANSI)
	}

	// The stale source is flagged, and the states that are not compliant show.
	var staleRow string
	for _, tr := range browsertest.FindAll(browsertest.One(t, doc, "sources table", func(n *html.Node) bool { return n.Data == "table" && browsertest.HasClass(n, "sources") }), browsertest.ByTag("tr")) {
		if strings.Contains(browsertest.Text(tr), "cisa-kev") {
			staleRow = browsertest.Text(tr)
		}
	}
	if !strings.Contains(staleRow, "STALE") {
		t.Errorf("the KEV source row %q is not flagged stale", staleRow)
	}
	byState := browsertest.Text(browsertest.One(t, doc, "state totals", browsertest.ByID("by-state")))
	for _, s := range []string{"never_assessed2", "assessment_failed1", "stale_assessment1", "exception1"} {
		if !strings.Contains(strings.ReplaceAll(byState, "\n", ""), s) {
			t.Errorf("state totals %q lack %q", byState, s)
		}
	}
	if ex := browsertest.Text(browsertest.One(t, doc, "exceptions", browsertest.ByID("exceptions"))); !strings.Contains(ex, "EXC-2026-0042") || !strings.Contains(ex, "expired") {
		t.Errorf("exceptions table %q", ex)
	}

	// Nothing left the page.
	if reqs := browsertest.PageRequests(t, run.NetLog); len(reqs) > 0 {
		t.Errorf("the page made requests: %v", reqs)
	}

	// What a user sees: a screenshot of the top of the page.
	shot := filepath.Join(dir, "compliance.png")
	browsertest.Open(t, file, "--window-size=1280,2400", "--screenshot="+shot)
	browsertest.CheckScreenshot(t, shot, 1280, 2400, compliantBar, noncompliantBar)
	if d := os.Getenv("PATCHFLOW_SCREENSHOT_DIR"); d != "" {
		raw, _ := os.ReadFile(shot)
		_ = os.WriteFile(filepath.Join(d, "compliance.png"), raw, 0o644)
		_ = os.WriteFile(filepath.Join(d, "compliance.html"), src.Bytes(), 0o644)
	}
}

// TestNetLogCheckSeesAPageRequest is the control of the network check: a
// page that does load an image must show up in pageRequests (the host
// resolver rule keeps the request on the machine).
func TestNetLogCheckSeesAPageRequest(t *testing.T) {
	browsertest.Chromium(t)
	file := filepath.Join(t.TempDir(), "canary.html")
	page := `<!DOCTYPE html><html><head><title>canary</title></head><body><img src="http://report-canary.invalid/pixel.png"></body></html>`
	if err := os.WriteFile(file, []byte(page), 0o644); err != nil {
		t.Fatal(err)
	}
	run := browsertest.Open(t, file, "--dump-dom")
	reqs := browsertest.PageRequests(t, run.NetLog)
	if len(reqs) == 0 || !strings.Contains(strings.Join(reqs, " "), "report-canary.invalid") {
		t.Fatalf("the canary image request is not in the net log (%v): the network check would see nothing", reqs)
	}
}

func TestCycleEvidenceInHeadlessChromium(t *testing.T) {
	browsertest.Chromium(t)
	in := sampleCycleInput()
	in.Waves[2].Hosts[0].Host = `<script>document.title='pwned'</script>web-002`
	e, err := BuildCycleEvidence(in)
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "cycle.html")
	var src bytes.Buffer
	if err := WriteCycleEvidenceHTML(&src, e, HTMLOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(file, src.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	run := browsertest.Open(t, file, "--dump-dom")
	doc := browsertest.ParseDOM(t, run.Stdout)
	if title := browsertest.Text(browsertest.One(t, doc, "title", docTitle)); title != "Cycle evidence: cycle/web/2026-11-20T02:00:00Z" {
		t.Errorf("title %q", title)
	}
	if len(browsertest.FindAll(doc, browsertest.ByTag("script"))) != 0 {
		t.Error("the loaded page has script elements")
	}
	plan := browsertest.FindAll(browsertest.One(t, doc, "plan", browsertest.ByID("plan")), func(n *html.Node) bool { return n.Data == "td" && browsertest.HasClass(n, "pkg") })
	if len(plan) != 2 || browsertest.Text(plan[0]) != "libc6" {
		t.Errorf("plan rows %d", len(plan))
	}
	if a := browsertest.Text(browsertest.One(t, doc, "approval", browsertest.ByID("approval"))); !strings.Contains(a, "alice@example.org") || !strings.Contains(a, "CAB-1142") {
		t.Errorf("approval %q", a)
	}
	if !strings.Contains(browsertest.Text(doc), `<script>document.title='pwned'</script>web-002`) {
		t.Error("the hostile host name is not shown as text")
	}
	if reqs := browsertest.PageRequests(t, run.NetLog); len(reqs) > 0 {
		t.Errorf("the page made requests: %v", reqs)
	}
}
