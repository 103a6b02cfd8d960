package report

import (
	"bytes"
	"io"
	"regexp"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"
)

// assertSelfContained checks the HTML source itself, token by token:
// nothing in it can make a browser fetch or run anything.
func assertSelfContained(t *testing.T, src string) {
	t.Helper()
	lower := strings.ToLower(src)
	for _, bad := range []string{"http:", "https:", "javascript:"} {
		if i := strings.Index(lower, bad); i >= 0 {
			t.Errorf("the HTML holds %q: %q", bad, src[max(0, i-60):min(len(src), i+60)])
		}
	}
	z := html.NewTokenizer(strings.NewReader(src))
	csp := false
	inStyle := false
	for {
		tt := z.Next()
		if tt == html.ErrorToken {
			if z.Err() != io.EOF {
				t.Fatalf("tokenize: %v", z.Err())
			}
			break
		}
		tok := z.Token()
		switch tt {
		case html.StartTagToken, html.SelfClosingTagToken:
			switch tok.Data {
			case "script", "link", "img", "iframe", "object", "embed", "base", "image", "use", "audio", "video", "source", "form":
				t.Errorf("the HTML has a <%s> element", tok.Data)
			case "style":
				inStyle = true
			case "meta":
				attrs := map[string]string{}
				for _, a := range tok.Attr {
					attrs[a.Key] = a.Val
				}
				if attrs["http-equiv"] == "Content-Security-Policy" &&
					attrs["content"] == "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'" {
					csp = true
				}
				if strings.EqualFold(attrs["http-equiv"], "refresh") {
					t.Error("the HTML has a meta refresh")
				}
			}
			for _, a := range tok.Attr {
				k := strings.ToLower(a.Key)
				if k == "src" || k == "href" || k == "xlink:href" || k == "srcset" || k == "action" || k == "poster" || strings.HasPrefix(k, "on") ||
					strings.Contains(strings.ToLower(a.Val), "url(") {
					t.Errorf("<%s> has attribute %s=%q", tok.Data, a.Key, a.Val)
				}
			}
		case html.EndTagToken:
			if tok.Data == "style" {
				inStyle = false
			}
		case html.TextToken:
			if inStyle && (strings.Contains(tok.Data, "url(") || strings.Contains(tok.Data, "@import")) {
				t.Error("the inline CSS fetches something")
			}
		}
	}
	if !csp {
		t.Error("the HTML lacks its Content-Security-Policy")
	}
	for i, r := range src {
		if (r < 0x20 && r != '\n' && r != '\t') || r == 0x7f || unsafeRune(r) {
			t.Fatalf("raw control %U at %d: %q", r, i, src[max(0, i-40):min(len(src), i+40)])
		}
	}
}

func TestComplianceHTMLIsSelfContainedAndEscaped(t *testing.T) {
	r := buildEstate(t, 60)
	var b bytes.Buffer
	if err := WriteComplianceHTML(&b, r, HTMLOptions{}); err != nil {
		t.Fatal(err)
	}
	src := b.String()
	assertSelfContained(t, src)
	for _, want := range []string{
		`&lt;script&gt;document.title=&#39;pwned&#39;&lt;/script&gt;web-666`, // the hostile name as text
		"web-\\x1b[31mred\\x1b[0m-\\r\nfake",                                 // the ANSI name made visible (a newline is white space in HTML)
		`<span class="stale">STALE</span>`,
		`id="trend-chart"`,
		`EXC-2026-0042`,
		`<title>Compliance report: db, web, 2026-11-24</title>`,
	} {
		if !strings.Contains(src, want) {
			t.Errorf("the HTML lacks %q", want)
		}
	}
	if n := strings.Count(src, `<circle class="pt"`); n != len(r.Trend) {
		t.Errorf("%d chart points, want one per trend sample (%d)", n, len(r.Trend))
	}
}

func TestCycleEvidenceHTMLIsSelfContained(t *testing.T) {
	in := sampleCycleInput()
	in.Waves[2].Hosts[0].Host = "<img src=x onerror=alert(1)>"
	e, err := BuildCycleEvidence(in)
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := WriteCycleEvidenceHTML(&b, e, HTMLOptions{}); err != nil {
		t.Fatal(err)
	}
	src := b.String()
	assertSelfContained(t, src)
	for _, want := range []string{"&lt;img src=x onerror=alert(1)&gt;", "alice@example.org", "CAB-1142", "needs_repair", "CVE-2023-4911", "re-assessment"} {
		if !strings.Contains(src, want) {
			t.Errorf("the evidence HTML lacks %q", want)
		}
	}
}

func TestRenderersRefuseInvalidReports(t *testing.T) {
	r := buildEstate(t, 10)
	r.Hosts[0].State = "fine"
	var b bytes.Buffer
	for name, err := range map[string]error{
		"json":  WriteJSON(&b, r),
		"html":  WriteComplianceHTML(&b, r, HTMLOptions{}),
		"table": WriteComplianceTable(&b, r, TableOptions{}),
	} {
		if err == nil || !strings.Contains(err.Error(), `invalid state "fine"`) {
			t.Errorf("%s: %v", name, err)
		}
	}
	if b.Len() != 0 {
		t.Errorf("an invalid report wrote %d bytes", b.Len())
	}
}

var hiddenHosts = regexp.MustCompile(`id="hosts-hidden">(\d+) more hosts not shown; see the JSON.`)

// TestHTMLOf10000HostsIsBounded renders the largest estate the docs
// promise and checks the limits hold: 2,000 host rows, 10,000 fix rows,
// an explicit note for the rest, and a file size far from the 600 MB of
// the full JSON. Its time is measured in BenchmarkWriteComplianceHTML.
func TestHTMLOf10000HostsIsBounded(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a 10,000-host estate")
	}
	r := buildEstate(t, 10000)
	var b bytes.Buffer
	if err := WriteComplianceHTML(&b, r, HTMLOptions{}); err != nil {
		t.Fatal(err)
	}
	src := b.String()
	rows := strings.Count(src[strings.Index(src, `<table id="hosts">`):strings.Index(src, `id="hosts-hidden"`)], "<tr>") - 1 // minus the header
	if rows != DefaultHTMLMaxHosts {
		t.Errorf("%d host rows, want %d", rows, DefaultHTMLMaxHosts)
	}
	if m := hiddenHosts.FindStringSubmatch(src); m == nil || m[1] != "8000" {
		t.Errorf("no or wrong note for the hosts left out: %v", m)
	}
	if n := strings.Count(src, `<td class="pkg">`); n > DefaultHTMLMaxFixRows {
		t.Errorf("%d fix rows, more than %d", n, DefaultHTMLMaxFixRows)
	}
	const limit = 12 << 20
	if b.Len() > limit {
		t.Errorf("HTML of 10,000 hosts is %d bytes, more than %d", b.Len(), limit)
	}
	t.Logf("10,000 hosts, %d missing fixes: HTML %d bytes", r.Totals.Missing+r.Totals.Excepted, b.Len())
	assertSelfContained(t, src)
}

func TestHTMLTrendBounds(t *testing.T) {
	in := estateInput(t, 60, 1)
	in.Trend = nil
	for i := range 500 {
		in.Trend = append(in.Trend, TrendPoint{At: estateNow.Add(-time.Duration(500-i) * time.Hour), Compliant: i % 60, Noncompliant: 60 - i%60})
	}
	r, err := BuildCompliance(in)
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := WriteComplianceHTML(&b, r, HTMLOptions{MaxTrendPoints: 100}); err != nil {
		t.Fatal(err)
	}
	src := b.String()
	if n := strings.Count(src, `<circle class="pt"`); n != 100 {
		t.Errorf("%d points drawn, want the latest 100", n)
	}
	if !strings.Contains(src, "The chart shows the latest 100 assessments; 400 older ones are in the JSON.") {
		t.Error("no note for the trend points left out")
	}
}
