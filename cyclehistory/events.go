// Package cyclehistory reads what patch cycles did from Temporal, after
// the fact: the first and last events of their wave workflows, found
// through visibility, turned into the host runs patchflow learns its
// history risk from (docs/vulnerabilities.md, "History risk"). It is
// client-side code (activities and the CLI call it), never workflow code.
package cyclehistory

import (
	"context"
	"errors"
	"fmt"

	commonpb "go.temporal.io/api/common/v1"
	enumspb "go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
)

// ErrNoResult: the execution ended without a result to read (terminated,
// timed out, or failed before it could say).
var ErrNoResult = errors.New("the execution ended without a result")

var dataConverter = converter.GetDefaultDataConverter()

// CloseEvent returns the last event of a closed execution (runID "" is
// the latest run).
func CloseEvent(ctx context.Context, c client.Client, id, runID string) (*historypb.HistoryEvent, error) {
	it := c.GetWorkflowHistory(ctx, id, runID, false, enumspb.HISTORY_EVENT_FILTER_TYPE_CLOSE_EVENT)
	if !it.HasNext() {
		return nil, fmt.Errorf("read the close event of %s: the execution has not closed", id)
	}
	ev, err := it.Next()
	if err != nil {
		return nil, fmt.Errorf("read the close event of %s: %w", id, err)
	}
	return ev, nil
}

// FirstEvent returns the WorkflowExecutionStarted event of a run: one
// event, however long the history (the SDK's iterator would fetch a page).
func FirstEvent(ctx context.Context, c client.Client, namespace, id, runID string) (*historypb.HistoryEvent, error) {
	resp, err := c.WorkflowService().GetWorkflowExecutionHistory(ctx, &workflowservice.GetWorkflowExecutionHistoryRequest{
		Namespace: namespace, Execution: &commonpb.WorkflowExecution{WorkflowId: id, RunId: runID}, MaximumPageSize: 1})
	if err != nil {
		return nil, fmt.Errorf("read the start of %s: %w", id, err)
	}
	evs := resp.GetHistory().GetEvents()
	if len(evs) == 0 || evs[0].GetWorkflowExecutionStartedEventAttributes() == nil {
		return nil, fmt.Errorf("read the start of %s: no start event", id)
	}
	return evs[0], nil
}

// DecodeInput decodes the first argument of a WorkflowExecutionStarted
// event into v.
func DecodeInput(ev *historypb.HistoryEvent, v any) error {
	a := ev.GetWorkflowExecutionStartedEventAttributes()
	if a == nil {
		return fmt.Errorf("event %d is not a workflow start", ev.GetEventId())
	}
	return decodeFirst(a.GetInput(), v)
}

// DecodeResult decodes what a close event carries into v: the result of
// a completed execution, or the details a failed or canceled one ended
// with (a patchflow workflow that did not succeed returns its result
// there). ErrNoResult when there is none.
func DecodeResult(ev *historypb.HistoryEvent, v any) error {
	switch {
	case ev.GetWorkflowExecutionCompletedEventAttributes() != nil:
		return decodeFirst(ev.GetWorkflowExecutionCompletedEventAttributes().GetResult(), v)
	case ev.GetWorkflowExecutionFailedEventAttributes() != nil:
		f := ev.GetWorkflowExecutionFailedEventAttributes().GetFailure()
		if d := f.GetApplicationFailureInfo().GetDetails(); len(d.GetPayloads()) > 0 {
			return decodeFirst(d, v)
		}
	case ev.GetWorkflowExecutionCanceledEventAttributes() != nil:
		if d := ev.GetWorkflowExecutionCanceledEventAttributes().GetDetails(); len(d.GetPayloads()) > 0 {
			return decodeFirst(d, v)
		}
	}
	return ErrNoResult
}

// DecodeChildResult decodes what a child's end, as its parent's history
// records it, carries into v: the result of a completed child, or the
// details of a failed or canceled one. ErrNoResult when there is none.
func DecodeChildResult(ev *historypb.HistoryEvent, v any) error {
	switch {
	case ev.GetChildWorkflowExecutionCompletedEventAttributes() != nil:
		return decodeFirst(ev.GetChildWorkflowExecutionCompletedEventAttributes().GetResult(), v)
	case ev.GetChildWorkflowExecutionFailedEventAttributes() != nil:
		f := ev.GetChildWorkflowExecutionFailedEventAttributes().GetFailure()
		for f != nil {
			if d := f.GetApplicationFailureInfo().GetDetails(); len(d.GetPayloads()) > 0 {
				return decodeFirst(d, v)
			}
			f = f.GetCause()
		}
	case ev.GetChildWorkflowExecutionCanceledEventAttributes() != nil:
		if d := ev.GetChildWorkflowExecutionCanceledEventAttributes().GetDetails(); len(d.GetPayloads()) > 0 {
			return decodeFirst(d, v)
		}
	}
	return ErrNoResult
}

// DecodePayloads decodes the first payload into v.
func DecodePayloads(p *commonpb.Payloads, v any) error { return decodeFirst(p, v) }

func decodeFirst(p *commonpb.Payloads, v any) error {
	ps := p.GetPayloads()
	if len(ps) == 0 {
		return ErrNoResult
	}
	if err := dataConverter.FromPayload(ps[0], v); err != nil {
		return fmt.Errorf("decode %T: %w", v, err)
	}
	return nil
}

// Keyword reads a Keyword search attribute of a listed execution ("" when
// it has none).
func Keyword(attrs *commonpb.SearchAttributes, name string) string {
	p := attrs.GetIndexedFields()[name]
	if p == nil {
		return ""
	}
	var s string
	if err := dataConverter.FromPayload(p, &s); err != nil {
		return ""
	}
	return s
}

// Quote quotes a value for a visibility query: single quotes, with a
// single quote or backslash inside escaped.
func Quote(s string) string {
	out := []byte{'\''}
	for i := 0; i < len(s); i++ {
		if s[i] == '\'' || s[i] == '\\' {
			out = append(out, '\\')
		}
		out = append(out, s[i])
	}
	return string(append(out, '\''))
}
