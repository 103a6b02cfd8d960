// Package evidence builds the evidence pack of one patch cycle (package
// report's CycleEvidence) from Temporal: the cycle's own history events
// (its input, the approve signals and updates with the identity that sent
// them, its children's inputs and results, its end), the hosts query for
// every host's final state, page by page, and the first assessment of the
// same policy after the cycle. It is client-side code: the CLI's `report
// cycle` calls it; nothing here runs in a workflow.
package evidence

import (
	"context"
	"fmt"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/sdk/client"

	"github.com/patchflow/patchflow/cyclehistory"
	"github.com/patchflow/patchflow/workflows"
)

// child is one child workflow of the cycle, as the cycle's history
// records it: its ID and type, its input, when it started and ended, and
// the event it ended with (nil while it runs).
type child struct {
	id, typ  string
	input    *historypb.StartChildWorkflowExecutionInitiatedEventAttributes
	started  time.Time
	closed   time.Time
	closeEv  *historypb.HistoryEvent
	startSeq int
}

// approveMsg is an approve signal or accepted update and who sent it.
type approveMsg struct {
	at       time.Time
	identity string
	updateID string
	req      workflows.ApproveRequest
}

// cycleHistory is what the cycle's own history says.
type cycleHistory struct {
	id       string
	input    workflows.CycleInput
	started  time.Time
	closed   time.Time
	closeEv  *historypb.HistoryEvent
	signals  []approveMsg // approve signals in event order
	updates  []approveMsg // accepted approve updates
	children []*child     // in initiation order
	// scanBatches are ScanHosts results of cycles recorded before scan
	// shards, with when each ended.
	scanBatches []scanBatch
}

type scanBatch struct {
	at  time.Time
	res workflows.ScanBatchResult
}

// readHistory reads the cycle's history, page by page, keeping what the
// evidence needs: payloads of its children are kept undecoded until used.
func readHistory(ctx context.Context, c client.Client, id string) (*cycleHistory, error) {
	h := &cycleHistory{id: id}
	byInit := map[int64]*child{}
	scheduled := map[int64]string{} // activity scheduled event -> activity type
	it := c.GetWorkflowHistory(ctx, id, "", false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	for it.HasNext() {
		ev, err := it.Next()
		if err != nil {
			return nil, fmt.Errorf("read the history of cycle %s: %w", id, err)
		}
		at := ev.GetEventTime().AsTime()
		switch {
		case ev.GetWorkflowExecutionStartedEventAttributes() != nil:
			h.started = at
			if wt := ev.GetWorkflowExecutionStartedEventAttributes().GetWorkflowType().GetName(); wt != "PatchCycle" {
				return nil, fmt.Errorf("%s is a %s workflow, not a patch cycle", id, wt)
			}
			if err := cyclehistory.DecodeInput(ev, &h.input); err != nil {
				return nil, fmt.Errorf("cycle %s: %w", id, err)
			}
		case ev.GetWorkflowExecutionSignaledEventAttributes() != nil:
			a := ev.GetWorkflowExecutionSignaledEventAttributes()
			if a.GetSignalName() == workflows.MsgApprove {
				m := approveMsg{at: at, identity: a.GetIdentity()}
				_ = cyclehistory.DecodePayloads(a.GetInput(), &m.req)
				h.signals = append(h.signals, m)
			}
		case ev.GetWorkflowExecutionUpdateAcceptedEventAttributes() != nil:
			req := ev.GetWorkflowExecutionUpdateAcceptedEventAttributes().GetAcceptedRequest()
			if req.GetInput().GetName() == workflows.MsgApprove {
				m := approveMsg{at: at, identity: req.GetMeta().GetIdentity(), updateID: req.GetMeta().GetUpdateId()}
				_ = cyclehistory.DecodePayloads(req.GetInput().GetArgs(), &m.req)
				h.updates = append(h.updates, m)
			}
		case ev.GetStartChildWorkflowExecutionInitiatedEventAttributes() != nil:
			a := ev.GetStartChildWorkflowExecutionInitiatedEventAttributes()
			ch := &child{id: a.GetWorkflowId(), typ: a.GetWorkflowType().GetName(), input: a, startSeq: len(h.children)}
			byInit[ev.GetEventId()] = ch
			h.children = append(h.children, ch)
		case ev.GetChildWorkflowExecutionStartedEventAttributes() != nil:
			if ch := byInit[ev.GetChildWorkflowExecutionStartedEventAttributes().GetInitiatedEventId()]; ch != nil {
				ch.started = at
			}
		case ev.GetActivityTaskScheduledEventAttributes() != nil:
			scheduled[ev.GetEventId()] = ev.GetActivityTaskScheduledEventAttributes().GetActivityType().GetName()
		case ev.GetActivityTaskCompletedEventAttributes() != nil:
			a := ev.GetActivityTaskCompletedEventAttributes()
			if scheduled[a.GetScheduledEventId()] == workflows.ActScanHosts {
				var r workflows.ScanBatchResult
				if cyclehistory.DecodePayloads(a.GetResult(), &r) == nil {
					h.scanBatches = append(h.scanBatches, scanBatch{at: at, res: r})
				}
			}
		case isWorkflowClose(ev):
			h.closed, h.closeEv = at, ev
		default:
			if init, ok := childEnd(ev); ok {
				if ch := byInit[init]; ch != nil {
					ch.closed, ch.closeEv = at, ev
				}
			}
		}
	}
	if h.started.IsZero() {
		return nil, fmt.Errorf("cycle %s: its history has no start", id)
	}
	return h, nil
}

func isWorkflowClose(ev *historypb.HistoryEvent) bool {
	switch ev.GetEventType() {
	case enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED, enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED,
		enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_CANCELED, enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED,
		enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_TIMED_OUT, enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW:
		return true
	}
	return false
}

// childEnd returns the initiating event of a child's end event.
func childEnd(ev *historypb.HistoryEvent) (int64, bool) {
	switch {
	case ev.GetChildWorkflowExecutionCompletedEventAttributes() != nil:
		return ev.GetChildWorkflowExecutionCompletedEventAttributes().GetInitiatedEventId(), true
	case ev.GetChildWorkflowExecutionFailedEventAttributes() != nil:
		return ev.GetChildWorkflowExecutionFailedEventAttributes().GetInitiatedEventId(), true
	case ev.GetChildWorkflowExecutionCanceledEventAttributes() != nil:
		return ev.GetChildWorkflowExecutionCanceledEventAttributes().GetInitiatedEventId(), true
	case ev.GetChildWorkflowExecutionTerminatedEventAttributes() != nil:
		return ev.GetChildWorkflowExecutionTerminatedEventAttributes().GetInitiatedEventId(), true
	case ev.GetChildWorkflowExecutionTimedOutEventAttributes() != nil:
		return ev.GetChildWorkflowExecutionTimedOutEventAttributes().GetInitiatedEventId(), true
	case ev.GetStartChildWorkflowExecutionFailedEventAttributes() != nil:
		return ev.GetStartChildWorkflowExecutionFailedEventAttributes().GetInitiatedEventId(), true
	}
	return 0, false
}

// childInput decodes a child's input into v.
func (ch *child) decodeInput(v any) error {
	return cyclehistory.DecodePayloads(ch.input.GetInput(), v)
}

// decodeResult decodes a child's result (or the details it ended with).
func (ch *child) decodeResult(v any) error {
	if ch.closeEv == nil {
		return cyclehistory.ErrNoResult
	}
	return cyclehistory.DecodeChildResult(ch.closeEv, v)
}

// childrenOf returns the children of one workflow type, in start order.
func (h *cycleHistory) childrenOf(typ string) []*child {
	var out []*child
	for _, ch := range h.children {
		if ch.typ == typ {
			out = append(out, ch)
		}
	}
	return out
}
