package report

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/net/html"
)

// These tests open the rendered files in a real headless Chromium
// (Debian's chromium package) and check what a reader sees: the DOM after
// loading, a screenshot, and Chromium's own network log.

// chromiumPath finds the browser; under CI=true a missing one fails the
// test, elsewhere it skips with the fix.
func chromiumPath(t *testing.T) string {
	t.Helper()
	path := "/usr/bin/chromium"
	if p := os.Getenv("PATCHFLOW_CHROMIUM"); p != "" {
		path = p
	}
	if _, err := os.Stat(path); err != nil {
		msg := fmt.Sprintf("headless browser test needs %s: install the Debian packages chromium and chromium-driver (make deps)", path)
		if os.Getenv("CI") == "true" {
			t.Fatalf("cannot run under CI=true: %s", msg)
		}
		t.Skip(msg)
	}
	return path
}

// browserRun is one Chromium run on a local file.
type browserRun struct {
	stdout []byte
	netLog string // path of the network log
}

// runChromium runs headless Chromium once on file with extra flags. The
// flags keep it off the network: no background or component traffic, no
// QUIC, and a host resolver that resolves nothing, so even a request the
// page tried could not leave the machine; the net log records any attempt.
func runChromium(t *testing.T, file string, extra ...string) browserRun {
	t.Helper()
	bin := chromiumPath(t)
	dir := t.TempDir()
	netLog := filepath.Join(dir, "netlog.json")
	args := append([]string{
		"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--disable-default-apps", "--disable-extensions", "--no-default-browser-check",
		"--user-data-dir=" + filepath.Join(dir, "profile"),
		"--host-resolver-rules=MAP * ~NOTFOUND",
		"--log-net-log=" + netLog,
		"--hide-scrollbars",
	}, extra...)
	args = append(args, "file://"+file)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = append(os.Environ(), "HOME="+dir)
	// Chromium starts helper processes: end the whole group on a timeout.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("chromium %v: %v\n%s", extra, err, tail(stderr.String(), 2000))
	}
	return browserRun{stdout: stdout.Bytes(), netLog: netLog}
}

func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}

// pageRequests lists the URLs of requests the page started, from
// Chromium's net log. The browser's own background requests carry the
// initiator "not an origin"; anything a page asks for carries the page's
// origin ("null" for a file).
func pageRequests(t *testing.T, path string) []string {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read the net log: %v", err)
	}
	var log struct {
		Constants struct {
			LogEventTypes map[string]int `json:"logEventTypes"`
		} `json:"constants"`
		Events []struct {
			Type   int            `json:"type"`
			Params map[string]any `json:"params"`
		} `json:"events"`
	}
	if err := json.Unmarshal(raw, &log); err != nil {
		t.Fatalf("parse the net log: %v", err)
	}
	start, ok := log.Constants.LogEventTypes["URL_REQUEST_START_JOB"]
	if !ok {
		t.Fatal("the net log has no URL_REQUEST_START_JOB event type: is this Chromium's format?")
	}
	var out []string
	for _, e := range log.Events {
		if e.Type != start {
			continue
		}
		url, _ := e.Params["url"].(string)
		initiator, _ := e.Params["initiator"].(string)
		if url != "" && initiator != "not an origin" {
			out = append(out, fmt.Sprintf("%s (initiator %s)", url, initiator))
		}
	}
	return out
}

// dom helpers over golang.org/x/net/html.

func parseDOM(t *testing.T, b []byte) *html.Node {
	t.Helper()
	doc, err := html.Parse(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

func attr(n *html.Node, key string) string {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val
		}
	}
	return ""
}

func hasClass(n *html.Node, c string) bool {
	for _, f := range strings.Fields(attr(n, "class")) {
		if f == c {
			return true
		}
	}
	return false
}

// findAll returns the element nodes under n that match.
func findAll(n *html.Node, match func(*html.Node) bool) []*html.Node {
	var out []*html.Node
	for c := range n.Descendants() {
		if c.Type == html.ElementNode && match(c) {
			out = append(out, c)
		}
	}
	return out
}

func byTag(tag string) func(*html.Node) bool {
	return func(n *html.Node) bool { return n.Data == tag }
}

// docTitle matches the document's <title> (not the SVG's tooltips).
func docTitle(n *html.Node) bool {
	return n.Data == "title" && n.Parent != nil && n.Parent.Data == "head"
}

func byID(id string) func(*html.Node) bool {
	return func(n *html.Node) bool { return attr(n, "id") == id }
}

func text(n *html.Node) string {
	var b strings.Builder
	for c := range n.Descendants() {
		if c.Type == html.TextNode {
			b.WriteString(c.Data)
		}
	}
	return b.String()
}

func one(t *testing.T, n *html.Node, what string, match func(*html.Node) bool) *html.Node {
	t.Helper()
	got := findAll(n, match)
	if len(got) != 1 {
		t.Fatalf("the page has %d %s, want 1", len(got), what)
	}
	return got[0]
}

func TestComplianceReportInHeadlessChromium(t *testing.T) {
	chromiumPath(t)
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

	run := runChromium(t, file, "--dump-dom")
	doc := parseDOM(t, run.stdout)

	// No script ran: the hostile host name would have set the title.
	title := text(one(t, doc, "title", docTitle))
	if title != "Compliance report: db, web, 2026-11-24" {
		t.Errorf("title after load is %q: something rewrote it", title)
	}
	if s := findAll(doc, byTag("script")); len(s) != 0 {
		t.Errorf("the loaded page has %d script elements", len(s))
	}

	// The chart: one point per trend sample, and a ratio line through them.
	svg := one(t, doc, "trend chart", byID("trend-chart"))
	if svg.Data != "svg" {
		t.Fatalf("#trend-chart is <%s>, want <svg>", svg.Data)
	}
	points := findAll(svg, func(n *html.Node) bool { return n.Data == "circle" && hasClass(n, "pt") })
	if len(points) != len(r.Trend) || len(r.Trend) < 50 {
		t.Errorf("the chart has %d points for %d trend samples", len(points), len(r.Trend))
	}
	for i, p := range points {
		if want := r.Trend[i].At.Format(time.RFC3339); attr(p, "data-at") != want {
			t.Errorf("point %d is at %q, want %q", i, attr(p, "data-at"), want)
			break
		}
	}
	line := one(t, svg, "ratio line", byTag("polyline"))
	if n := len(strings.Fields(attr(line, "points"))); n != len(r.Trend) {
		t.Errorf("the ratio line has %d vertices, want %d", n, len(r.Trend))
	}

	// The host table: the most out-of-SLA host first, in ranking order.
	hosts := one(t, doc, "host table", byID("hosts"))
	cells := findAll(hosts, func(n *html.Node) bool { return n.Data == "td" && hasClass(n, "host") })
	if len(cells) != len(r.Hosts) {
		t.Fatalf("the host table has %d rows, want %d", len(cells), len(r.Hosts))
	}
	if got := text(cells[0]); got != worstHost {
		t.Errorf("first host %q, want %q (KEV fix due 2023-12-12, the most overdue)", got, worstHost)
	}
	for i := range 10 {
		if got := text(cells[i]); got != r.Hosts[i].Host {
			t.Errorf("row %d shows %q, want %q", i+1, got, r.Hosts[i].Host)
		}
	}

	// Hostile names are shown as text.
	var sawScript, sawANSI bool
	for _, c := range cells {
		switch text(c) {
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
	for _, tr := range findAll(one(t, doc, "sources table", func(n *html.Node) bool { return n.Data == "table" && hasClass(n, "sources") }), byTag("tr")) {
		if strings.Contains(text(tr), "cisa-kev") {
			staleRow = text(tr)
		}
	}
	if !strings.Contains(staleRow, "STALE") {
		t.Errorf("the KEV source row %q is not flagged stale", staleRow)
	}
	byState := text(one(t, doc, "state totals", byID("by-state")))
	for _, s := range []string{"never_assessed2", "assessment_failed1", "stale_assessment1", "exception1"} {
		if !strings.Contains(strings.ReplaceAll(byState, "\n", ""), s) {
			t.Errorf("state totals %q lack %q", byState, s)
		}
	}
	if ex := text(one(t, doc, "exceptions", byID("exceptions"))); !strings.Contains(ex, "EXC-2026-0042") || !strings.Contains(ex, "expired") {
		t.Errorf("exceptions table %q", ex)
	}

	// Nothing left the page.
	if reqs := pageRequests(t, run.netLog); len(reqs) > 0 {
		t.Errorf("the page made requests: %v", reqs)
	}

	// What a user sees: a screenshot of the top of the page.
	shot := filepath.Join(dir, "compliance.png")
	runChromium(t, file, "--window-size=1280,2400", "--screenshot="+shot)
	checkScreenshot(t, shot, 1280, 2400)
	if d := os.Getenv("PATCHFLOW_SCREENSHOT_DIR"); d != "" {
		raw, _ := os.ReadFile(shot)
		_ = os.WriteFile(filepath.Join(d, "compliance.png"), raw, 0o644)
		_ = os.WriteFile(filepath.Join(d, "compliance.html"), src.Bytes(), 0o644)
	}
}

// checkScreenshot decodes the PNG and checks it shows a page, not a blank
// or error screen: the size asked for, and the chart's colours.
func checkScreenshot(t *testing.T, path string, w, h int) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatalf("no screenshot: %v", err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	b := img.Bounds()
	if b.Dx() != w || b.Dy() != h {
		t.Errorf("screenshot is %dx%d, want %dx%d", b.Dx(), b.Dy(), w, h)
	}
	// The compliant (#a5d6a7) and noncompliant (#ef9a9a) bars.
	want := map[[3]uint32]int{{0xa5, 0xd6, 0xa7}: 0, {0xef, 0x9a, 0x9a}: 0}
	colours := map[[3]uint32]bool{}
	for y := b.Min.Y; y < b.Max.Y; y += 2 {
		for x := b.Min.X; x < b.Max.X; x += 2 {
			r, g, bl, _ := img.At(x, y).RGBA()
			k := [3]uint32{r >> 8, g >> 8, bl >> 8}
			colours[k] = true
			if _, ok := want[k]; ok {
				want[k]++
			}
		}
	}
	for c, n := range want {
		if n < 200 {
			t.Errorf("the screenshot shows %d pixels of the chart colour #%02x%02x%02x: no chart drawn?", n, c[0], c[1], c[2])
		}
	}
	if len(colours) < 20 {
		t.Errorf("the screenshot has %d colours: a blank page?", len(colours))
	}
}

// TestNetLogCheckSeesAPageRequest is the control of the network check: a
// page that does load an image must show up in pageRequests (the host
// resolver rule keeps the request on the machine).
func TestNetLogCheckSeesAPageRequest(t *testing.T) {
	chromiumPath(t)
	file := filepath.Join(t.TempDir(), "canary.html")
	page := `<!DOCTYPE html><html><head><title>canary</title></head><body><img src="http://report-canary.invalid/pixel.png"></body></html>`
	if err := os.WriteFile(file, []byte(page), 0o644); err != nil {
		t.Fatal(err)
	}
	run := runChromium(t, file, "--dump-dom")
	reqs := pageRequests(t, run.netLog)
	if len(reqs) == 0 || !strings.Contains(strings.Join(reqs, " "), "report-canary.invalid") {
		t.Fatalf("the canary image request is not in the net log (%v): the network check would see nothing", reqs)
	}
}

func TestCycleEvidenceInHeadlessChromium(t *testing.T) {
	chromiumPath(t)
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
	run := runChromium(t, file, "--dump-dom")
	doc := parseDOM(t, run.stdout)
	if title := text(one(t, doc, "title", docTitle)); title != "Cycle evidence: cycle/web/2026-11-20T02:00:00Z" {
		t.Errorf("title %q", title)
	}
	if len(findAll(doc, byTag("script"))) != 0 {
		t.Error("the loaded page has script elements")
	}
	plan := findAll(one(t, doc, "plan", byID("plan")), func(n *html.Node) bool { return n.Data == "td" && hasClass(n, "pkg") })
	if len(plan) != 2 || text(plan[0]) != "libc6" {
		t.Errorf("plan rows %d", len(plan))
	}
	if a := text(one(t, doc, "approval", byID("approval"))); !strings.Contains(a, "alice@example.org") || !strings.Contains(a, "CAB-1142") {
		t.Errorf("approval %q", a)
	}
	if !strings.Contains(text(doc), `<script>document.title='pwned'</script>web-002`) {
		t.Error("the hostile host name is not shown as text")
	}
	if reqs := pageRequests(t, run.netLog); len(reqs) > 0 {
		t.Errorf("the page made requests: %v", reqs)
	}
}
