package notify

import (
	"encoding/json"
	"strings"
	"unicode/utf16"
)

// Slack's limits (docs.slack.dev, Block Kit reference), counted here in
// UTF-16 code units, the larger count: the renderer cuts every text to
// fit, so Slack never refuses a message as too long. A message has at
// most six blocks (Slack allows 50). Mattermost shows the top-level text.
const (
	slackMaxText    = 3000 // top-level text, short enough for a Mattermost post too
	slackMaxHeader  = 150  // header block, plain_text
	slackMaxSection = 3000 // section block text
	slackMaxFields  = 10   // section fields
	slackMaxField   = 2000 // one field's text
	slackMaxButton  = 75   // button label
	slackMaxURL     = 3000 // button URL
)

// slackText is a text composition object (also a context element).
type slackText struct {
	Type string `json:"type"` // plain_text or mrkdwn
	Text string `json:"text"`
}

type slackButton struct {
	Type string    `json:"type"` // button
	Text slackText `json:"text"`
	URL  string    `json:"url"`
}

type slackBlock struct {
	Type     string      `json:"type"`
	Text     *slackText  `json:"text,omitempty"`
	Fields   []slackText `json:"fields,omitempty"`
	Elements []any       `json:"elements,omitempty"` // slackButton (actions) or slackText (context)
}

type slackMessage struct {
	Text   string       `json:"text"`
	Blocks []slackBlock `json:"blocks"`
}

// slackEscaper escapes the three characters Slack's text formatting gives
// meaning to, so no input becomes a link or a mention (<!channel>).
var slackEscaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")

// fit escapes s and cuts it to at most n UTF-16 code units, marking a cut
// with "…" (one unit) and never splitting an entity or a character.
func fit(s string, n int) string {
	e := slackEscaper.Replace(strings.ToValidUTF8(s, "\uFFFD"))
	if utf16Len(e) <= n {
		return e
	}
	var b strings.Builder
	used := 0
	for _, r := range e {
		k := utf16.RuneLen(r)
		if used+k > n-1 {
			break
		}
		b.WriteRune(r)
		used += k
	}
	return trimEntity(b.String()) + "…"
}

func utf16Len(s string) int {
	n := 0
	for _, r := range s {
		n += utf16.RuneLen(r)
	}
	return n
}

// trimEntity drops a trailing partial entity ("&am") left by a cut.
func trimEntity(s string) string {
	if i := strings.LastIndexByte(s, '&'); i >= 0 && !strings.Contains(s[i:], ";") {
		return s[:i]
	}
	return s
}

// Slack returns the Slack-compatible body of an event (format slack):
// {"text": ..., "blocks": [...]}, every user-controlled text escaped and
// cut to Slack's limits. Mattermost shows the text.
func Slack(e Event, l Links) ([]byte, error) {
	if err := e.Validate(); err != nil {
		return nil, err
	}
	s := summarize(e, l)
	text := s.title + ": " + s.text
	for _, c := range s.commands {
		text += " `" + c + "`"
	}
	if s.link != "" {
		text += " " + s.link
	}
	msg := slackMessage{Text: fit(text, slackMaxText)}
	msg.Blocks = append(msg.Blocks,
		slackBlock{Type: "header", Text: &slackText{Type: "plain_text", Text: fit(s.title, slackMaxHeader)}},
		slackBlock{Type: "section", Text: &slackText{Type: "mrkdwn", Text: fit(s.text, slackMaxSection)}},
	)
	if len(s.commands) > 0 {
		// The code block's fences count against the section's limit.
		code := fit(strings.Join(s.commands, "\n"), slackMaxSection-6)
		msg.Blocks = append(msg.Blocks, slackBlock{Type: "section", Text: &slackText{Type: "mrkdwn", Text: "```" + code + "```"}})
	}
	if len(s.fields) > 0 {
		b := slackBlock{Type: "section"}
		for _, f := range s.fields[:min(len(s.fields), slackMaxFields)] {
			b.Fields = append(b.Fields, slackText{Type: "mrkdwn", Text: fit(f[0], 100) + "\n" + fit(f[1], slackMaxField-102)})
		}
		msg.Blocks = append(msg.Blocks, b)
	}
	if s.link != "" && len(s.link) <= slackMaxURL {
		msg.Blocks = append(msg.Blocks, slackBlock{Type: "actions", Elements: []any{slackButton{
			Type: "button", Text: slackText{Type: "plain_text", Text: fit(s.linkText, slackMaxButton)}, URL: s.link,
		}}})
	}
	context := "patchflow · " + e.Type + " · " + rfc3339(e.Time) + " · " + e.ID()
	msg.Blocks = append(msg.Blocks, slackBlock{Type: "context", Elements: []any{slackText{Type: "mrkdwn", Text: fit(context, slackMaxField)}}})
	return json.Marshal(msg)
}
