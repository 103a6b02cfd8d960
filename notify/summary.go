package notify

import (
	"fmt"
	"strings"
	"time"
)

// summary is an event in words, for people (the Slack form). Text is
// plain: the renderer escapes it.
type summary struct {
	title    string
	text     string
	commands []string // shell commands an operator may want next
	fields   [][2]string
	link     string // a UI page
	linkText string
}

// command is a patchflow command line with the links' namespace.
func (l Links) command(args ...string) string {
	q := make([]string, len(args))
	for i, a := range args {
		q[i] = shellQuote(a)
	}
	cmd := "patchflow " + strings.Join(q, " ")
	if l.namespace() != "default" {
		cmd += " --namespace " + shellQuote(l.namespace())
	}
	return cmd
}

// summarize describes a valid event.
func summarize(e Event, l Links) summary {
	d := render(e, l)
	s := summary{link: d.CycleURL, linkText: "Open the cycle in Temporal"}
	cycle := "Cycle " + e.CycleID
	because := ""
	if d.Reason != "" {
		because = ": " + d.Reason
	}
	switch e.Type {
	case CycleStarted:
		c := e.Cycle
		s.title = "Cycle started: " + e.Policy
		s.text = fmt.Sprintf("%s started: %d hosts (%d in staging), %d waves.", cycle, c.Targets, c.Staging, c.Waves)
		if c.DryRun {
			s.text += " Dry run: no host is changed."
		}
	case CycleApprovalNeeded:
		a := d.Approval
		s.title = "Approval needed: " + e.Policy
		s.text = fmt.Sprintf("%s waits for approval: %d updates on %d hosts.", cycle, a.Updates, a.Hosts)
		if a.Deadline != "" {
			s.text += fmt.Sprintf(" Without approval by %s it will %s.", a.Deadline, orDefault(a.OnTimeout, "abort"))
		}
		s.commands = []string{a.Command}
		s.linkText = "Review and approve in Temporal"
	case CycleApproved:
		s.title = "Cycle approved: " + e.Policy
		s.text = fmt.Sprintf("%s was approved (%s); the rollout starts.", cycle, map[string]string{
			"operator": "by an operator", "auto": "automatically", "timeout": "the approval timed out and the policy proceeds", "plan": "by its reviewed plan",
		}[e.Approval.By])
	case CyclePaused:
		s.title = "Cycle paused: " + e.Policy
		s.text = cycle + " paused" + because + "."
		s.commands = []string{l.command("cycle", "resume", e.CycleID), l.command("cycle", "abort", e.CycleID)}
	case CycleResumed:
		s.title = "Cycle resumed: " + e.Policy
		s.text = cycle + " resumed" + because + "."
	case CycleFinished, CycleFailed, CycleAborted:
		o := d.Outcome
		s.title = map[string]string{CycleFinished: "Cycle finished: ", CycleFailed: "Cycle failed: ", CycleAborted: "Cycle aborted: "}[e.Type] + e.Policy
		s.text = fmt.Sprintf("%s %s after %s%s.", cycle, o.State, roundDuration(e.Outcome.Duration), because)
		s.fields = countFields(o.Counts)
	case WaveStarted, WaveFinished:
		w := e.Wave
		name := waveName(w)
		if e.Type == WaveStarted {
			s.title = "Wave started: " + name
			s.text = fmt.Sprintf("%s: %s started with %d hosts.", cycle, name, w.Hosts)
		} else {
			s.title = "Wave finished: " + name
			s.text = fmt.Sprintf("%s: %s %s after %s.", cycle, name, d.Outcome.State, roundDuration(e.Outcome.Duration))
			s.fields = countFields(d.Outcome.Counts)
		}
	case HostFailed:
		h := e.Host
		s.title = "Host failed: " + h.Name
		at := ""
		if h.Step != "" {
			at = " at " + h.Step
		}
		s.text = fmt.Sprintf("Host %s (%s) failed%s%s. State: %s.", h.Name, waveName(&WaveInfo{Number: h.Wave}), at, because, h.State)
		s.commands = []string{l.command("host", "retry", h.Name), l.command("host", "skip", h.Name)}
		s.link, s.linkText = d.Host.URL, "Open the host in Temporal"
	case HostRolledBack:
		h := e.Host
		s.title = "Host rolled back: " + h.Name
		s.text = fmt.Sprintf("Host %s (%s) was returned to its snapshot%s.", h.Name, waveName(&WaveInfo{Number: h.Wave}), because)
		s.link, s.linkText = d.Host.URL, "Open the host in Temporal"
	case BudgetBreached:
		b := e.Budget
		s.title = "Failure budget breached: " + e.Policy
		s.text = fmt.Sprintf("%s: %d hosts failed, %d tolerated (%s). The policy says: %s.",
			cycle, b.Failed, b.Tolerated, waveName(&WaveInfo{Number: b.Wave}), b.Action)
	case SLABreached:
		v := d.SLA
		s.title = fmt.Sprintf("SLA breached: %s (%s)", e.Policy, v.Severity)
		s.text = fmt.Sprintf("%s: %d %s updates are past the SLA of %s on %d hosts: %s",
			cycle, v.Updates, v.Severity, roundDuration(e.SLA.SLA), len(e.SLA.Hosts), strings.Join(v.Hosts, ", "))
		if v.MoreHosts > 0 {
			s.text += fmt.Sprintf(" and %d more", v.MoreHosts)
		}
		s.text += "."
	}
	return s
}

func waveName(w *WaveInfo) string {
	if w.Number == 0 {
		return "staging"
	}
	if w.Name != "" {
		return fmt.Sprintf("wave %d (%s)", w.Number, w.Name)
	}
	return fmt.Sprintf("wave %d", w.Number)
}

func countFields(c Counts) [][2]string {
	return [][2]string{
		{"Patched", fmt.Sprint(c.Patched)}, {"Failed", fmt.Sprint(c.Failed)},
		{"Rolled back", fmt.Sprint(c.RolledBack)}, {"Skipped", fmt.Sprint(c.Skipped)},
		{"Needs repair", fmt.Sprint(c.NeedsRepair)}, {"Total", fmt.Sprint(c.Total)},
	}
}

func roundDuration(d time.Duration) string {
	if d >= time.Minute {
		d = d.Round(time.Second)
	} else {
		d = d.Round(time.Millisecond)
	}
	return d.String()
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
