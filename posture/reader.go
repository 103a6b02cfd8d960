package posture

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	workflowpb "go.temporal.io/api/workflow/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"

	"github.com/patchflow/patchflow/internal/safetext"
	"github.com/patchflow/patchflow/workflows"
)

// pageSize is how many executions one visibility page holds.
const pageSize = 500

// Reader reads posture facts from one Temporal namespace.
type Reader struct {
	C client.Client
	// Now is the report's "now"; time.Now when nil.
	Now func() time.Time
	// LoadInventory reads a policy's inventory (a path on this machine or
	// a URL), to list hosts never assessed and resolve exception
	// selectors; nil uses activities.LoadInventory.
	LoadInventory InventoryLoader
}

// Execution is one workflow run as visibility lists it.
type Execution struct {
	ID     string
	RunID  string
	Type   string
	Status enumspb.WorkflowExecutionStatus
	Start  time.Time
	// Close is zero while the run is open.
	Close time.Time
	// Policy, Host and HostState are the search attributes, when set.
	Policy    string
	Host      string
	HostState string
	Cycle     string
	Wave      string
	info      *workflowpb.WorkflowExecutionInfo
}

// Completed reports whether the run closed successfully.
func (e Execution) Completed() bool {
	return e.Status == enumspb.WORKFLOW_EXECUTION_STATUS_COMPLETED
}

// Open reports whether the run still runs.
func (e Execution) Open() bool { return e.Status == enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING }

// StatusText is the run's status in lower case ("failed", "terminated").
func (e Execution) StatusText() string {
	return strings.ToLower(strings.TrimPrefix(e.Status.String(), "WORKFLOW_EXECUTION_STATUS_"))
}

func (r *Reader) now() time.Time {
	if r.Now == nil {
		return time.Now()
	}
	return r.Now()
}

// list pages through the executions matching query, calling fn for each.
func (r *Reader) list(ctx context.Context, query string, fn func(Execution) error) error {
	var token []byte
	for {
		resp, err := r.C.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{
			Query: query, PageSize: pageSize, NextPageToken: token})
		if err != nil {
			return fmt.Errorf("list workflows (%s): %w", query, err)
		}
		for _, info := range resp.GetExecutions() {
			if err := fn(executionOf(info)); err != nil {
				return err
			}
		}
		if token = resp.GetNextPageToken(); len(token) == 0 {
			return nil
		}
	}
}

func executionOf(info *workflowpb.WorkflowExecutionInfo) Execution {
	e := Execution{ID: info.GetExecution().GetWorkflowId(), RunID: info.GetExecution().GetRunId(),
		Type: info.GetType().GetName(), Status: info.GetStatus(), info: info}
	if t := info.GetStartTime(); t != nil {
		e.Start = t.AsTime()
	}
	if t := info.GetCloseTime(); t != nil && e.Status != enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING {
		e.Close = t.AsTime()
	}
	fields := info.GetSearchAttributes().GetIndexedFields()
	read := func(name string, into *string) {
		if p, ok := fields[name]; ok {
			_ = converter.GetDefaultDataConverter().FromPayload(p, into)
		}
	}
	read(workflows.AttrPolicy.GetName(), &e.Policy)
	read(workflows.AttrHost.GetName(), &e.Host)
	read(workflows.AttrHostState.GetName(), &e.HostState)
	read(workflows.AttrCycle.GetName(), &e.Cycle)
	read(workflows.AttrWave.GetName(), &e.Wave)
	return e
}

// memo decodes a memo field of a listed execution into v.
func (e Execution) memo(key string, v any) bool {
	p, ok := e.info.GetMemo().GetFields()[key]
	if !ok {
		return false
	}
	return converter.GetDefaultDataConverter().FromPayload(p, v) == nil
}

// result reads a closed run's result into v.
func (r *Reader) result(ctx context.Context, id, runID string, v any) error {
	if err := r.C.GetWorkflow(ctx, id, runID).Get(ctx, v); err != nil {
		return fmt.Errorf("read the result of %s: %w", id, err)
	}
	return nil
}

// input reads a run's input (its first argument) from the first event of
// its history; only the first page of the history is fetched.
func (r *Reader) input(ctx context.Context, id, runID string, v any) error {
	it := r.C.GetWorkflowHistory(ctx, id, runID, false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	if !it.HasNext() {
		return fmt.Errorf("read the input of %s: no history", id)
	}
	ev, err := it.Next()
	if err != nil {
		return fmt.Errorf("read the input of %s: %w", id, err)
	}
	attrs := ev.GetWorkflowExecutionStartedEventAttributes()
	if attrs == nil {
		return fmt.Errorf("read the input of %s: its first event is %s, not the start", id, ev.GetEventType())
	}
	if err := converter.GetDefaultDataConverter().FromPayloads(attrs.GetInput(), v); err != nil {
		return fmt.Errorf("decode the input of %s: %w", id, err)
	}
	return nil
}

// failureText is how a closed, unsuccessful run ended: its status and
// the start of its failure message.
func (r *Reader) failureText(ctx context.Context, e Execution) string {
	text := e.StatusText()
	err := r.C.GetWorkflow(ctx, e.ID, e.RunID).Get(ctx, nil)
	if err != nil {
		var app interface{ Message() string }
		msg := err.Error()
		if errors.As(err, &app) {
			msg = app.Message()
		}
		text += ": " + shortText(msg)
	}
	return text
}

// quote makes a value safe inside a visibility query: single-quoted, and
// refused when it holds a quote or a backslash (no patchflow name does).
func quote(v string) (string, error) {
	if strings.ContainsAny(v, `'"\`) {
		return "", fmt.Errorf("%s cannot be searched for: it holds a quote or a backslash", safetext.Excerpt(v))
	}
	return "'" + v + "'", nil
}

// timeLiteral is a time in a visibility query.
func timeLiteral(t time.Time) string { return "'" + t.UTC().Format(time.RFC3339Nano) + "'" }

// shortText cuts a message from Temporal or a host to what a report line
// holds, with control characters escaped.
func shortText(s string) string {
	s = safetext.Terminal(strings.TrimSpace(s))
	const limit = 200
	if len(s) > limit {
		cut := limit
		for cut > 0 && s[cut]&0xc0 == 0x80 {
			cut--
		}
		s = s[:cut] + "..."
	}
	return s
}
