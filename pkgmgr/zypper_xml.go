package pkgmgr

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// zypperOutput is what one `zypper --xmlout` run printed, as far as it
// parsed. zypper writes one <stream> element whose children appear as the
// run goes: messages, progress, prompts it answered itself (with
// --non-interactive) and the result of the command (update-status,
// install-summary, search-result, repo-list).
type zypperOutput struct {
	Messages []zypperMessage
	// Updates: list-updates and list-patches. Blocked marks patches zypper
	// holds back until the package stack patches are installed.
	Updates   []zypperUpdate
	Summary   *zypperSummary   // install, remove, verify (also with --dry-run)
	Solvables []zypperSolvable // search
	Repos     []zypperRepo     // repos
	// Problems are the solver's problem descriptions ("Problem: nothing
	// provides x needed by y ...") from the prompts zypper answered.
	Problems []string
}

// zypperMessage is a <message type="info|warning|error">.
type zypperMessage struct {
	Type string `xml:"type,attr"`
	Text string `xml:",chardata"`
}

// zypperUpdate is one <update> of list-updates (kind package) or
// list-patches (kind patch).
type zypperUpdate struct {
	Kind       string `xml:"kind,attr"`
	Name       string `xml:"name,attr"`
	Edition    string `xml:"edition,attr"`
	EditionOld string `xml:"edition-old,attr"`
	Arch       string `xml:"arch,attr"`
	// Patches only: status (needed, optional, applied, not-needed,
	// unwanted), category (security, recommended, optional, feature, yast,
	// document), severity (critical, important, moderate, low,
	// unspecified) and flags. pkgmanager: the patch updates the package
	// stack (updateinfo restart_suggested); restart: a reboot is suggested
	// (reboot_suggested); interactive: zypper would ask before installing.
	Status      string        `xml:"status,attr"`
	Category    string        `xml:"category,attr"`
	Severity    string        `xml:"severity,attr"`
	PkgManager  bool          `xml:"pkgmanager,attr"`
	Restart     bool          `xml:"restart,attr"`
	Interactive bool          `xml:"interactive,attr"`
	Source      zypperSource  `xml:"source"`
	Issues      []zypperIssue `xml:"issue-list>issue"`
	IssueDate   zypperTime    `xml:"issue-date"`
	Blocked     bool          `xml:"-"`
}

type zypperSource struct {
	URL   string `xml:"url,attr"`
	Alias string `xml:"alias,attr"`
}

// zypperIssue is an issue a patch fixes: type cve, bugzilla, jira, ...
type zypperIssue struct {
	Type string `xml:"type,attr"`
	ID   string `xml:"id,attr"`
}

type zypperTime struct {
	Unix int64 `xml:"time_t,attr"`
}

// zypperSummary is an <install-summary>: what the transaction changes.
type zypperSummary struct {
	PackagesToChange int              `xml:"packages-to-change,attr"`
	Install          []zypperSolvable `xml:"to-install>solvable"`
	Upgrade          []zypperSolvable `xml:"to-upgrade>solvable"`
	Downgrade        []zypperSolvable `xml:"to-downgrade>solvable"`
	Reinstall        []zypperSolvable `xml:"to-reinstall>solvable"`
	Remove           []zypperSolvable `xml:"to-remove>solvable"`
}

// changes is every solvable the transaction touches.
func (s *zypperSummary) changes() []zypperSolvable {
	if s == nil {
		return nil
	}
	var out []zypperSolvable
	for _, l := range [][]zypperSolvable{s.Install, s.Upgrade, s.Downgrade, s.Reinstall, s.Remove} {
		out = append(out, l...)
	}
	return out
}

// zypperSolvable is a <solvable> of a summary or a search result. Summaries
// name the kind "type", search results "kind".
type zypperSolvable struct {
	Type       string `xml:"type,attr"`
	Kind       string `xml:"kind,attr"`
	Name       string `xml:"name,attr"`
	Edition    string `xml:"edition,attr"`
	EditionOld string `xml:"edition-old,attr"`
	Arch       string `xml:"arch,attr"`
	Status     string `xml:"status,attr"` // search: installed, other-version, not-installed
	Repository string `xml:"repository,attr"`
}

// kind is the solvable's kind, "package" when zypper does not say.
func (s zypperSolvable) kind() string {
	switch {
	case s.Type != "":
		return s.Type
	case s.Kind != "":
		return s.Kind
	}
	return "package"
}

// zypperRepo is a <repo> of `zypper repos`.
type zypperRepo struct {
	Alias   string `xml:"alias,attr"`
	Name    string `xml:"name,attr"`
	Type    string `xml:"type,attr"`
	Enabled bool   `xml:"enabled,attr"`
	URL     string `xml:"url"`
}

// parseZypperXML reads zypper's --xmlout stream. Output cut short (a
// killed run, the transport's output limit) keeps what parsed before the
// cut and returns it with the error, so a failed run's messages still
// explain it. Bytes that are not UTF-8 (a scriptlet's output) become U+FFFD.
func parseZypperXML(data []byte) (zypperOutput, error) {
	var out zypperOutput
	data = xmlSafe(bytes.ToValidUTF8(data, []byte("\uFFFD")))
	d := xml.NewDecoder(bytes.NewReader(data))
	// zypper escapes its text, but a scriptlet's stray "&" or control
	// character must not hide the rest of the run.
	d.Strict = false
	d.Entity = xml.HTMLEntity
	inStream := false
	for {
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			if !inStream {
				return out, errors.New("no <stream> element: not zypper --xmlout output")
			}
			return out, nil
		}
		if err != nil {
			return out, fmt.Errorf("zypper XML: %w", err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if !inStream {
				if t.Name.Local != "stream" {
					return out, fmt.Errorf("zypper XML starts with <%s>, want <stream>", excerpt(t.Name.Local))
				}
				inStream = true
				continue
			}
			if err := out.decodeChild(d, t); err != nil {
				return out, fmt.Errorf("zypper XML <%s>: %w", t.Name.Local, err)
			}
		case xml.EndElement:
			if inStream && t.Name.Local == "stream" {
				return out, nil
			}
		}
	}
}

// xmlSafe replaces the control characters XML 1.0 forbids (a scriptlet
// may print them) with spaces; they are single bytes in UTF-8.
func xmlSafe(data []byte) []byte {
	return bytes.Map(func(r rune) rune {
		if r < 0x20 && r != '\t' && r != '\n' && r != '\r' {
			return ' '
		}
		return r
	}, data)
}

// decodeChild decodes one child element of <stream> into out.
func (out *zypperOutput) decodeChild(d *xml.Decoder, start xml.StartElement) error {
	switch start.Name.Local {
	case "message":
		var m zypperMessage
		if err := d.DecodeElement(&m, &start); err != nil {
			return err
		}
		out.Messages = append(out.Messages, m)
	case "update-status":
		var s struct {
			Updates []zypperUpdate `xml:"update-list>update"`
			Blocked []zypperUpdate `xml:"blocked-update-list>update"`
		}
		if err := d.DecodeElement(&s, &start); err != nil {
			return err
		}
		for i := range s.Blocked {
			s.Blocked[i].Blocked = true
		}
		out.Updates = append(append(out.Updates, s.Updates...), s.Blocked...)
	case "install-summary":
		var s zypperSummary
		if err := d.DecodeElement(&s, &start); err != nil {
			return err
		}
		out.Summary = &s
	case "search-result":
		var s struct {
			Solvables []zypperSolvable `xml:"solvable-list>solvable"`
		}
		if err := d.DecodeElement(&s, &start); err != nil {
			return err
		}
		out.Solvables = append(out.Solvables, s.Solvables...)
	case "repo-list":
		var s struct {
			Repos []zypperRepo `xml:"repo"`
		}
		if err := d.DecodeElement(&s, &start); err != nil {
			return err
		}
		out.Repos = append(out.Repos, s.Repos...)
	case "prompt":
		var p struct {
			Description string `xml:"description"`
		}
		if err := d.DecodeElement(&p, &start); err != nil {
			return err
		}
		if desc := strings.TrimSpace(p.Description); strings.HasPrefix(desc, "Problem") {
			out.Problems = append(out.Problems, desc)
		}
	case "fileconflict-summary":
		var s struct {
			Messages []zypperMessage `xml:"message"`
		}
		if err := d.DecodeElement(&s, &start); err != nil {
			return err
		}
		out.Messages = append(out.Messages, s.Messages...)
	default:
		return d.Skip()
	}
	return nil
}

// texts returns the text of every message of the given type ("" = all).
func (out zypperOutput) texts(typ string) []string {
	var s []string
	for _, m := range out.Messages {
		if typ == "" || m.Type == typ {
			s = append(s, m.Text)
		}
	}
	return s
}

// allText is every message and problem, for recognising failures.
func (out zypperOutput) allText() string {
	return strings.Join(append(out.texts(""), out.Problems...), "\n")
}

// excerptN returns s on one line, control characters escaped, at most
// max runes: what an error message may quote of a host's output.
func excerptN(s string, max int) string {
	s = strings.Join(strings.Fields(s), " ")
	var b strings.Builder
	n := 0
	for _, r := range s {
		if n == max {
			b.WriteString("...")
			break
		}
		n++
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) {
			q := strconv.QuoteRune(r)
			b.WriteString(q[1 : len(q)-1])
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// excerpt is excerptN for names and short values (40 runes).
func excerpt(s string) string { return excerptN(s, 40) }
