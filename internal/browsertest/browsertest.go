// Package browsertest opens a page in a real headless Chromium (Debian's
// chromium package) for tests and reads back what a reader sees: the DOM
// after loading, Chromium's own network log and a screenshot. It keeps the
// browser off the network: no background traffic, no QUIC, and a host
// resolver that resolves nothing. Under CI=true a missing Chromium fails
// the test; elsewhere it skips and says how to install it.
package browsertest

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

// Chromium finds the browser (PATCHFLOW_CHROMIUM, else /usr/bin/chromium).
func Chromium(t testing.TB) string {
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

// Run is one Chromium run on a local file.
type Run struct {
	Stdout []byte
	// NetLog is the path of Chromium's network log.
	NetLog string
}

// Open runs headless Chromium once on file with extra flags
// ("--dump-dom", "--screenshot=X", "--window-size=W,H").
func Open(t testing.TB, file string, extra ...string) Run {
	t.Helper()
	bin := Chromium(t)
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
	return Run{Stdout: stdout.Bytes(), NetLog: netLog}
}

func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}

// PageRequests lists the requests the page started, from the net log.
// The browser's own background requests carry the initiator "not an
// origin"; anything a page asks for carries the page's origin.
func PageRequests(t testing.TB, netLog string) []string {
	t.Helper()
	raw, err := os.ReadFile(netLog)
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

// ParseDOM parses a dumped DOM.
func ParseDOM(t testing.TB, b []byte) *html.Node {
	t.Helper()
	doc, err := html.Parse(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

// Attr is an element's attribute, "" when absent.
func Attr(n *html.Node, key string) string {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val
		}
	}
	return ""
}

// HasClass reports whether an element has class c.
func HasClass(n *html.Node, c string) bool {
	for _, f := range strings.Fields(Attr(n, "class")) {
		if f == c {
			return true
		}
	}
	return false
}

// FindAll returns the element nodes under n that match.
func FindAll(n *html.Node, match func(*html.Node) bool) []*html.Node {
	var out []*html.Node
	for c := range n.Descendants() {
		if c.Type == html.ElementNode && match(c) {
			out = append(out, c)
		}
	}
	return out
}

// ByTag matches elements by tag name.
func ByTag(tag string) func(*html.Node) bool {
	return func(n *html.Node) bool { return n.Data == tag }
}

// ByID matches the element with an id.
func ByID(id string) func(*html.Node) bool {
	return func(n *html.Node) bool { return Attr(n, "id") == id }
}

// Text is the text under n.
func Text(n *html.Node) string {
	var b strings.Builder
	for c := range n.Descendants() {
		if c.Type == html.TextNode {
			b.WriteString(c.Data)
		}
	}
	return b.String()
}

// One returns the one element under n that matches, failing the test
// when there is not exactly one.
func One(t testing.TB, n *html.Node, what string, match func(*html.Node) bool) *html.Node {
	t.Helper()
	got := FindAll(n, match)
	if len(got) != 1 {
		t.Fatalf("the page has %d %s, want 1", len(got), what)
	}
	return got[0]
}

// CheckScreenshot decodes a PNG screenshot and checks it shows a page,
// not a blank or error screen: the size asked for, at least 20 colours,
// and at least 200 sampled pixels of each wanted colour (#rrggbb).
func CheckScreenshot(t testing.TB, path string, w, h int, colours ...string) {
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
	want := map[[3]uint32]int{}
	for _, c := range colours {
		var r, g, bl uint32
		if _, err := fmt.Sscanf(c, "#%02x%02x%02x", &r, &g, &bl); err != nil {
			t.Fatalf("colour %q: want #rrggbb", c)
		}
		want[[3]uint32{r, g, bl}] = 0
	}
	seen := map[[3]uint32]bool{}
	for y := b.Min.Y; y < b.Max.Y; y += 2 {
		for x := b.Min.X; x < b.Max.X; x += 2 {
			r, g, bl, _ := img.At(x, y).RGBA()
			k := [3]uint32{r >> 8, g >> 8, bl >> 8}
			seen[k] = true
			if _, ok := want[k]; ok {
				want[k]++
			}
		}
	}
	for c, n := range want {
		if n < 200 {
			t.Errorf("the screenshot shows %d pixels of #%02x%02x%02x: not drawn?", n, c[0], c[1], c[2])
		}
	}
	if len(seen) < 20 {
		t.Errorf("the screenshot has %d colours: a blank page?", len(seen))
	}
}
