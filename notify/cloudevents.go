package notify

import (
	"encoding/json"
	"net/url"
	"strings"
	"time"
)

// CloudEvents attributes of the JSON form.
const (
	SpecVersion = "1.0"
	// TypePrefix makes an event name a reverse-DNS CloudEvents type:
	// io.patchflow.cycle.finished.v1.
	TypePrefix = "io.patchflow."
	// SchemaBaseURL is where the data schema of each event type is
	// published; the schema files are schemas/events/v1/<name>.schema.json
	// in the repository.
	SchemaBaseURL = "https://raw.githubusercontent.com/patchflow/patchflow/main/schemas/events/" + SchemaVersion
	// ContentTypeCloudEvents is the Content-Type of a structured-mode
	// CloudEvent over HTTP.
	ContentTypeCloudEvents = "application/cloudevents+json; charset=utf-8"
)

// CloudEventType is the CloudEvents type of an event name.
func CloudEventType(name string) string { return TypePrefix + name + "." + SchemaVersion }

// SchemaURL is the dataschema of an event name.
func SchemaURL(name string) string { return SchemaBaseURL + "/" + name + ".schema.json" }

// Links tells how people reach what an event is about: the Temporal UI's
// base URL (empty: no links) and the namespace the workflows run in.
type Links struct {
	UI        string // e.g. http://127.0.0.1:8233
	Namespace string // default "default"
}

func (l Links) namespace() string {
	if l.Namespace == "" {
		return "default"
	}
	return l.Namespace
}

// workflow is the UI page of a workflow ID, or "" without a UI.
func (l Links) workflow(id string) string {
	if l.UI == "" {
		return ""
	}
	return strings.TrimRight(l.UI, "/") + "/namespaces/" + url.PathEscape(l.namespace()) + "/workflows/" + url.PathEscape(id)
}

// ApproveCommand is the command that approves a cycle waiting at its gate.
func (l Links) ApproveCommand(cycleID string) string {
	return l.command("cycle", "approve", cycleID)
}

// envelope is a CloudEvents 1.0 event in structured JSON mode.
type envelope struct {
	SpecVersion     string `json:"specversion"`
	ID              string `json:"id"`
	Source          string `json:"source"`
	Type            string `json:"type"`
	Subject         string `json:"subject"`
	Time            string `json:"time"`
	DataContentType string `json:"datacontenttype"`
	DataSchema      string `json:"dataschema"`
	Data            data   `json:"data"`
}

// data is the versioned body of every event type; which detail objects
// are present depends on the type (the schema files say which).
type data struct {
	CycleID  string        `json:"cycle_id"`
	Policy   string        `json:"policy"`
	CycleURL string        `json:"cycle_url,omitempty"`
	Reason   string        `json:"reason,omitempty"`
	Cycle    *CycleInfo    `json:"cycle,omitempty"`
	Approval *approvalData `json:"approval,omitempty"`
	Outcome  *outcomeData  `json:"outcome,omitempty"`
	Wave     *WaveInfo     `json:"wave,omitempty"`
	Host     *hostData     `json:"host,omitempty"`
	Budget   *BudgetInfo   `json:"budget,omitempty"`
	SLA      *slaData      `json:"sla,omitempty"`
}

type approvalData struct {
	Hosts     int    `json:"hosts"`
	Updates   int    `json:"updates"`
	Deadline  string `json:"deadline,omitempty"`
	OnTimeout string `json:"on_timeout,omitempty"`
	Command   string `json:"command,omitempty"`
	By        string `json:"by,omitempty"`
}

type outcomeData struct {
	State           string  `json:"state"`
	Counts          Counts  `json:"counts"`
	DurationSeconds float64 `json:"duration_seconds"`
}

type hostData struct {
	HostInfo
	URL string `json:"url,omitempty"`
}

type slaData struct {
	Severity   string   `json:"severity"`
	SLASeconds float64  `json:"sla_seconds"`
	Updates    int      `json:"updates"`
	Hosts      []string `json:"hosts"`
	MoreHosts  int      `json:"more_hosts"`
}

// render builds the data of an event: only the details its type carries,
// free text cut to a bounded length.
func render(e Event, l Links) data {
	d := data{
		CycleID:  e.CycleID,
		Policy:   e.Policy,
		CycleURL: l.workflow(e.CycleID),
		Reason:   truncate(e.Reason, maxReason),
	}
	switch e.Type {
	case CycleStarted:
		d.Cycle = e.Cycle
	case CycleApprovalNeeded, CycleApproved:
		a := e.Approval
		d.Approval = &approvalData{Hosts: a.Hosts, Updates: a.Updates}
		if e.Type == CycleApproved {
			d.Approval.By = a.By
			break
		}
		d.Approval.Command = l.ApproveCommand(e.CycleID)
		if !a.Deadline.IsZero() {
			d.Approval.Deadline = rfc3339(a.Deadline)
			d.Approval.OnTimeout = a.OnTimeout
		}
	case CycleFinished, CycleFailed, CycleAborted:
		d.Outcome = outcome(e.Outcome)
	case WaveStarted:
		d.Wave = e.Wave
	case WaveFinished:
		d.Wave, d.Outcome = e.Wave, outcome(e.Outcome)
	case HostFailed, HostRolledBack:
		d.Host = &hostData{HostInfo: *e.Host, URL: l.workflow("host/" + e.Host.Name)}
	case BudgetBreached:
		d.Budget = e.Budget
	case SLABreached:
		s := e.SLA
		hosts := s.Hosts[:min(len(s.Hosts), MaxListedHosts)]
		d.SLA = &slaData{
			Severity: s.Severity, SLASeconds: s.SLA.Seconds(), Updates: s.Updates,
			Hosts: append([]string{}, hosts...), MoreHosts: len(s.Hosts) - len(hosts),
		}
	}
	return d
}

func outcome(o *Outcome) *outcomeData {
	return &outcomeData{State: o.State, Counts: o.Counts, DurationSeconds: o.Duration.Seconds()}
}

func rfc3339(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

// CloudEvent returns the JSON body of an event (format json): a
// CloudEvents 1.0 structured-mode event whose data follows the event
// type's schema. The same event always gives the same bytes.
func CloudEvent(e Event, l Links) ([]byte, error) {
	if err := e.Validate(); err != nil {
		return nil, err
	}
	return json.Marshal(envelope{
		SpecVersion:     SpecVersion,
		ID:              e.ID(),
		Source:          "patchflow/" + e.Policy,
		Type:            CloudEventType(e.Type),
		Subject:         e.Subject(),
		Time:            rfc3339(e.Time),
		DataContentType: "application/json",
		DataSchema:      SchemaURL(e.Type),
		Data:            render(e, l),
	})
}
