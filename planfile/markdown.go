package planfile

import (
	"fmt"
	"io"
	"strings"
)

// Markdown renders the plan for a pull request comment: what it pins,
// what each package fixes, the waves, and how to apply it. Text that comes
// from hosts or advisories is escaped so it cannot break the table or
// inject markup.
func (f *File) Markdown(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "### patchflow plan for policy `%s`\n\n", md(f.Policy))
	fmt.Fprintf(&b, "%d hosts in %d waves, %d packages pinned. Plan `%s`, made %s from `%s`.\n\n",
		len(f.Hosts), len(f.Waves), len(f.Entries), md(f.SHA256), f.Created.UTC().Format("2006-01-02 15:04 UTC"), md(f.Source))
	b.WriteString("| Package | Version | Manager | Class | Severity | CVEs | KEV | Risk | History risk | Hosts |\n")
	b.WriteString("|---|---|---|---|---|---|---|---|---|---|\n")
	for _, e := range f.Entries {
		kev := ""
		if e.KEV {
			kev = "**KEV**"
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s | %s | %d | %s | %d |\n", md(e.Name), md(e.Version), md(e.Manager),
			md(string(e.Class)), md(string(e.Severity)), md(cveList(e.CVEs)), kev, e.Risk, historyCell(e), e.Hosts)
	}
	b.WriteString("\n| Wave | Hosts |\n|---|---|\n")
	for _, wv := range f.Waves {
		fmt.Fprintf(&b, "| %s | %s |\n", md(wv.Name), md(hostList(wv.Hosts)))
	}
	fmt.Fprintf(&b, "\nApply exactly this plan (it refuses if the policy or a host changed since):\n\n```\npatchflow cycle start -p <policy file> --plan <this plan file>\n```\n")
	_, err := io.WriteString(w, b.String())
	return err
}

func cveList(c []string) string {
	switch {
	case len(c) == 0:
		return "-"
	case len(c) <= 5:
		return strings.Join(c, ", ")
	}
	return strings.Join(c[:5], ", ") + fmt.Sprintf(" and %d more", len(c)-5)
}

func hostList(h []string) string {
	if len(h) <= 20 {
		return strings.Join(h, ", ")
	}
	return strings.Join(h[:20], ", ") + fmt.Sprintf(" and %d more", len(h)-20)
}

// md escapes text for a Markdown table cell: control characters dropped,
// the characters that make markup inside a cell (emphasis, code,
// links, HTML) or end it escaped.
func md(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0):
			b.WriteRune(' ')
		case strings.ContainsRune("\\`*_[]|<>~", r):
			b.WriteRune('\\')
			b.WriteRune(r)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// historyCell is the history risk with its evidence ("75: 2 of 3 runs
// failed, 2 rolled back (this upgrade, 2 cycles)"), "-" without history.
func historyCell(e Entry) string {
	if e.History == nil || e.History.Runs == 0 {
		return "-"
	}
	s := md(fmt.Sprintf("%d: %s", e.HistoryRisk, e.History.Text()))
	if e.HistoryRisk >= 50 {
		s = "**" + s + "**"
	}
	return s
}
