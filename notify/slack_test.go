package notify

import (
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf16"
)

// slackMsg is the Slack message as a receiver decodes it.
type slackMsg struct {
	Text   string `json:"text"`
	Blocks []struct {
		Type string `json:"type"`
		Text *struct {
			Type string `json:"type"`
			Text string `json:"text"`
		} `json:"text"`
		Fields []struct {
			Type string `json:"type"`
			Text string `json:"text"`
		} `json:"fields"`
		Elements []struct {
			Type string `json:"type"`
			Text json.RawMessage
			URL  string `json:"url"`
		} `json:"elements"`
	} `json:"blocks"`
}

func decodeSlack(t *testing.T, body []byte) slackMsg {
	t.Helper()
	var m slackMsg
	dec := json.NewDecoder(strings.NewReader(string(body)))
	if err := dec.Decode(&m); err != nil {
		t.Fatalf("Slack body does not decode: %v\n%s", err, body)
	}
	return m
}

func units(s string) int { return len(utf16.Encode([]rune(s))) }

// checkSlackShape checks what Slack and Mattermost require: a non-empty
// text, known block types, every text within Slack's limits, and no
// unescaped <, > or stray & (which Slack would read as links, mentions or
// entities).
func checkSlackShape(t *testing.T, name string, m slackMsg) {
	t.Helper()
	texts := []string{m.Text}
	if m.Text == "" || units(m.Text) > 3000 {
		t.Errorf("%s: text of %d units; want 1..3000", name, units(m.Text))
	}
	if len(m.Blocks) == 0 || len(m.Blocks) > 50 {
		t.Errorf("%s: %d blocks, want 1..50", name, len(m.Blocks))
	}
	for i, b := range m.Blocks {
		switch b.Type {
		case "header":
			if b.Text == nil || b.Text.Type != "plain_text" || units(b.Text.Text) > 150 {
				t.Errorf("%s: block %d: header must be plain_text of at most 150", name, i)
			}
		case "section":
			if b.Text == nil && len(b.Fields) == 0 {
				t.Errorf("%s: block %d: section without text or fields", name, i)
			}
			if b.Text != nil && units(b.Text.Text) > 3000 {
				t.Errorf("%s: block %d: section text of %d units", name, i, units(b.Text.Text))
			}
			if len(b.Fields) > 10 {
				t.Errorf("%s: block %d: %d fields", name, i, len(b.Fields))
			}
			for _, f := range b.Fields {
				if units(f.Text) > 2000 {
					t.Errorf("%s: block %d: field of %d units", name, i, units(f.Text))
				}
				texts = append(texts, f.Text)
			}
		case "actions":
			for _, e := range b.Elements {
				var label struct{ Text string }
				if e.Type != "button" || json.Unmarshal(e.Text, &label) != nil || units(label.Text) > 75 || e.URL == "" || len(e.URL) > 3000 {
					t.Errorf("%s: block %d: bad button %+v", name, i, e)
				}
			}
		case "context":
			if len(b.Elements) == 0 || len(b.Elements) > 10 {
				t.Errorf("%s: block %d: %d context elements", name, i, len(b.Elements))
			}
			for _, e := range b.Elements {
				var s string
				if e.Type != "mrkdwn" || json.Unmarshal(e.Text, &s) != nil {
					t.Errorf("%s: block %d: bad context element %+v", name, i, e)
				}
				texts = append(texts, s)
			}
		default:
			t.Errorf("%s: block %d has unknown type %q", name, i, b.Type)
		}
		if b.Text != nil {
			texts = append(texts, b.Text.Text)
		}
	}
	for _, s := range texts {
		if strings.ContainsAny(s, "<>") {
			t.Errorf("%s: unescaped < or > in %q", name, s)
		}
		for i := strings.IndexByte(s, '&'); i >= 0; i = next(s, i) {
			if !strings.HasPrefix(s[i:], "&amp;") && !strings.HasPrefix(s[i:], "&lt;") && !strings.HasPrefix(s[i:], "&gt;") {
				t.Errorf("%s: stray & in %q", name, s)
				break
			}
		}
	}
}

func next(s string, i int) int {
	j := strings.IndexByte(s[i+1:], '&')
	if j < 0 {
		return -1
	}
	return i + 1 + j
}

func TestSlackEveryEvent(t *testing.T) {
	for _, ev := range sampleEvents() {
		body, err := Slack(ev, sampleLinks)
		if err != nil {
			t.Fatalf("%s: %v", ev.Type, err)
		}
		m := decodeSlack(t, body)
		checkSlackShape(t, ev.Type, m)
		if !strings.Contains(m.Text, ev.Policy) && ev.Host == nil {
			t.Errorf("%s: text %q does not name the policy", ev.Type, m.Text)
		}
	}
}

func TestSlackApprovalNeeded(t *testing.T) {
	ev := sampleEvents()[1]
	m := decodeSlack(t, mustSlack(t, ev, Links{UI: "http://temporal.example:8233", Namespace: "patching"}))
	cmd := "patchflow cycle approve " + sampleCycle + " --namespace patching"
	var button string
	var code bool
	for _, b := range m.Blocks {
		if b.Type == "section" && b.Text != nil && strings.Contains(b.Text.Text, "```"+cmd+"```") {
			code = true
		}
		if b.Type == "actions" {
			button = b.Elements[0].URL
		}
	}
	if !code {
		t.Errorf("no code block with %q in %+v", cmd, m.Blocks)
	}
	if want := "http://temporal.example:8233/namespaces/patching/workflows/cycle%2Fweb-prod%2F2026-03-10T02:00:00Z"; button != want {
		t.Errorf("button URL %q, want %q", button, want)
	}
	// Without a UI address there is no link, and the message is still whole.
	m = decodeSlack(t, mustSlack(t, ev, Links{}))
	checkSlackShape(t, ev.Type, m)
	if strings.Contains(m.Text, "http") {
		t.Errorf("text %q has a link although no UI is known", m.Text)
	}
}

func TestSlackEscapesAndCutsUserText(t *testing.T) {
	ev := sampleEvents()[7] // host.failed
	ev.Host = &HostInfo{Name: "web-<!channel>&1", Wave: 2, State: "failed", Step: "apply"}
	ev.Reason = "<https://evil.example|click> & " + strings.Repeat("dpkg: 💥 error <x> & ", 800)
	m := decodeSlack(t, mustSlack(t, ev, sampleLinks))
	checkSlackShape(t, ev.Type, m)
	if !strings.Contains(m.Text, "web-&lt;!channel&gt;&amp;1") {
		t.Errorf("host name not escaped in %q", m.Text[:200])
	}
	if strings.Contains(m.Text, "https://evil") && !strings.Contains(m.Text, "&lt;https://evil.example|click&gt;") {
		t.Errorf("a link in the reason was not escaped: %q", m.Text)
	}

	// A host name far beyond every limit: each text is cut, marked with …
	ev.Host.Name = strings.Repeat("web-<&>", 2000)
	m = decodeSlack(t, mustSlack(t, ev, sampleLinks))
	checkSlackShape(t, ev.Type, m)
	if !strings.HasSuffix(m.Text, "…") || !strings.HasSuffix(m.Blocks[0].Text.Text, "…") {
		t.Errorf("texts cut to Slack's limits should end in …: %q / %q", m.Text[len(m.Text)-20:], m.Blocks[0].Text.Text)
	}
}

func TestFitNeverSplitsEntities(t *testing.T) {
	for n := 1; n < 30; n++ {
		got := fit("a&<b>&&c💥d", n)
		if units(got) > n {
			t.Errorf("fit(%d) = %q: %d units", n, got, units(got))
		}
		if i := strings.LastIndexByte(got, '&'); i >= 0 && !strings.Contains(got[i:], ";") {
			t.Errorf("fit(%d) = %q splits an entity", n, got)
		}
	}
}

func mustSlack(t *testing.T, ev Event, l Links) []byte {
	t.Helper()
	b, err := Slack(ev, l)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
