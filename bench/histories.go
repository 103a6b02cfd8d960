package bench

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	commonpb "go.temporal.io/api/common/v1"
	enumspb "go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/api/proxy"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"google.golang.org/protobuf/proto"
)

// Temporal's limits (server dynamic configuration defaults): a payload
// above PayloadWarnBytes is logged, one above PayloadErrorBytes fails the
// workflow task or request; a history above the warning sizes is logged,
// one above the error sizes terminates the workflow.
const (
	PayloadWarnBytes         = 512 << 10
	PayloadErrorBytes        = 2 << 20
	HistoryWarnEvents        = 10240
	HistoryErrorEvents       = 51200
	HistoryWarnBytes   int64 = 10 << 20
	HistoryErrorBytes  int64 = 50 << 20
)

// Kinds of a cycle's workflow runs.
const (
	KindCycle    = "cycle"
	KindStaging  = "staging"
	KindWave     = "wave part"
	KindRollback = "rollback wave"
	KindHost     = "host"
)

// RunSize is one workflow run's history as the server stores it.
type RunSize struct {
	WorkflowID, RunID string
	Kind              string
	Status            string
	Events            int
	// Bytes is the sum of the events' encoded sizes; ServerBytes the
	// history size the server's visibility records (0 while running).
	Bytes, ServerBytes int64
	// Start and Close are the run's times as visibility records them.
	Start, Close time.Time
	// byClass sums the payloads by what they are: count and bytes.
	byClass map[string][2]int64
}

// Payload is one payloads field of one history event, measured as the
// server and SDK measure it against their limits (the encoded
// common.Payloads).
type Payload struct {
	WorkflowID, RunID string
	Kind              string
	EventID           int64
	Event             string // event type
	What              string // which input or result
	Bytes             int
}

// KindSummary sums the runs of one kind.
type KindSummary struct {
	Kind           string
	Runs           int
	MaxEvents      int
	MaxEventsOf    string
	MaxBytes       int64
	MaxBytesOf     string
	TotalEvents    int
	TotalBytes     int64
	LargestPayload Payload
	// Classes are the kinds of payload (a result of an activity type, the
	// input of a child type, ...) by their total bytes, largest first.
	Classes                    []PayloadClass
	PayloadsOverWarn, OverErr  int
	HistoriesOverWarn, OverEvt int
}

// PayloadClass sums the payloads of one kind over the runs of one kind.
type PayloadClass struct {
	What  string
	Count int64
	Bytes int64
}

// HistoryReport is every workflow run of a cycle measured from the
// histories the server returns (GetWorkflowHistory).
type HistoryReport struct {
	CycleID string
	Runs    int
	Kinds   []*KindSummary // cycle, staging, wave parts, rollback waves, hosts
	// Largest are the largest payloads, at most one per run, largest
	// first; LongestRuns the longest histories by events.
	Largest     []Payload
	LongestRuns []RunSize
	// Flags lists every payload and history past a Temporal limit.
	Flags   []string
	Elapsed time.Duration
	// Hosts is how the host workflows (patch and rollback) used the
	// rollout's time: see HostTimes.
	Hosts HostTimes
}

// HostTimes relates the host workflows' own run times to the time they
// span: Busy/Span is the mean number of hosts in flight, to set against
// max_parallel (the window drains at the end of every wave part).
type HostTimes struct {
	Runs       int
	Span, Busy time.Duration
	Mean       time.Duration // mean host workflow run time
	// Parts, and the time between one part's close and the next one's
	// start, summed.
	Parts int
	Gaps  time.Duration
}

// InFlight is the mean number of hosts in flight over the span.
func (h HostTimes) InFlight() float64 {
	if h.Span <= 0 {
		return 0
	}
	return h.Busy.Seconds() / h.Span.Seconds()
}

func hostTimes(runs []RunSize) HostTimes {
	var h HostTimes
	var first, last time.Time
	var parts []RunSize
	for _, r := range runs {
		if r.Close.IsZero() || r.Close.Before(r.Start) {
			continue
		}
		switch r.Kind {
		case KindHost:
			h.Runs++
			h.Busy += r.Close.Sub(r.Start)
			if first.IsZero() || r.Start.Before(first) {
				first = r.Start
			}
			if r.Close.After(last) {
				last = r.Close
			}
		case KindWave, KindStaging, KindRollback:
			parts = append(parts, r)
		}
	}
	if h.Runs > 0 {
		h.Span, h.Mean = last.Sub(first), h.Busy/time.Duration(h.Runs)
	}
	// Runs of one part joined by continue-as-new are one part here.
	slices.SortFunc(parts, func(a, b RunSize) int { return a.Start.Compare(b.Start) })
	for i, p := range parts {
		if i > 0 && p.WorkflowID == parts[i-1].WorkflowID {
			continue
		}
		h.Parts++
		if i > 0 && p.Start.After(parts[i-1].Close) {
			h.Gaps += p.Start.Sub(parts[i-1].Close)
		}
	}
	return h
}

// Kind returns the summary of one kind (nil when the cycle had none).
func (r *HistoryReport) Kind(kind string) *KindSummary {
	for _, k := range r.Kinds {
		if k.Kind == kind {
			return k
		}
	}
	return nil
}

// MaxEvents is the longest history of any run, in events, and its run.
func (r *HistoryReport) MaxEvents() (int, string) {
	if len(r.LongestRuns) == 0 {
		return 0, ""
	}
	return r.LongestRuns[0].Events, r.LongestRuns[0].WorkflowID
}

// LargestPayload is the largest payload of any run.
func (r *HistoryReport) LargestPayload() Payload {
	if len(r.Largest) == 0 {
		return Payload{}
	}
	return r.Largest[0]
}

// kindOf classifies a run of a cycle by its type and workflow ID.
func kindOf(cycleID, workflowType, id string) string {
	switch {
	case workflowType == "HostPatch":
		return KindHost
	case workflowType == "PatchCycle":
		return KindCycle
	case strings.HasPrefix(id, cycleID+"/rollback/"):
		return KindRollback
	case strings.HasPrefix(id, cycleID+"/staging"):
		return KindStaging
	}
	return KindWave
}

// listRuns lists every run of the cycle (the cycle's own runs and every
// run with its PatchCycle search attribute), with the history size
// visibility recorded.
func listRuns(ctx context.Context, c client.Client, ns, cycleID string) ([]RunSize, error) {
	query := fmt.Sprintf("WorkflowId = %q OR PatchCycle = %q", cycleID, cycleID)
	var runs []RunSize
	var token []byte
	for {
		resp, err := c.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{
			Namespace: ns, Query: query, PageSize: 1000, NextPageToken: token})
		if err != nil {
			return nil, fmt.Errorf("list workflow runs of cycle %s: %w", cycleID, err)
		}
		for _, e := range resp.GetExecutions() {
			id := e.GetExecution().GetWorkflowId()
			runs = append(runs, RunSize{WorkflowID: id, RunID: e.GetExecution().GetRunId(),
				Kind: kindOf(cycleID, e.GetType().GetName(), id), Status: statusName(e.GetStatus()),
				ServerBytes: e.GetHistorySizeBytes(), Start: e.GetStartTime().AsTime(), Close: e.GetCloseTime().AsTime()})
		}
		if token = resp.GetNextPageToken(); len(token) == 0 {
			return runs, nil
		}
	}
}

func statusName(s enumspb.WorkflowExecutionStatus) string {
	return strings.ToLower(strings.TrimPrefix(s.String(), "WORKFLOW_EXECUTION_STATUS_"))
}

// settledRuns lists the cycle's runs once visibility has caught up: at
// least want runs listed and none running, or, when the cycle has not
// ended, whatever is listed (visibility is updated asynchronously).
func settledRuns(ctx context.Context, c client.Client, ns, cycleID string, want int, ended bool) ([]RunSize, error) {
	deadline := time.Now().Add(2 * time.Minute)
	for {
		runs, err := listRuns(ctx, c, ns, cycleID)
		if err != nil || !ended {
			return runs, err
		}
		running := 0
		for _, r := range runs {
			running += b2i(r.Status == "running")
		}
		if len(runs) >= want && running == 0 {
			return runs, nil
		}
		if time.Now().After(deadline) {
			return runs, fmt.Errorf("visibility lists %d runs of cycle %s (%d running) two minutes after it ended, want at least %d closed", len(runs), cycleID, running, want)
		}
		select {
		case <-ctx.Done():
			return runs, ctx.Err()
		case <-time.After(time.Second):
		}
	}
}

// MeasureHistories fetches the history of every run of the cycle and
// measures it: events, bytes, every payload. want is how many runs a
// finished cycle has at least (its hosts with work, plus one); ended says
// whether the cycle has ended (a stuck cycle is measured as it stands).
func MeasureHistories(ctx context.Context, c client.Client, ns, cycleID string, want int, ended bool) (*HistoryReport, error) {
	start := time.Now()
	runs, err := settledRuns(ctx, c, ns, cycleID, want, ended)
	if err != nil && len(runs) == 0 {
		return nil, err
	}
	listErr := err
	largest := make([]Payload, len(runs))
	errs := make([]error, len(runs))
	var wg sync.WaitGroup
	sem := make(chan struct{}, 8)
	for i := range runs {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			largest[i], errs[i] = measureRun(ctx, c, &runs[i])
		}()
	}
	wg.Wait()
	for _, e := range errs {
		if e != nil {
			return nil, e
		}
	}
	rep := summarise(cycleID, runs, largest)
	rep.Elapsed = time.Since(start)
	return rep, listErr
}

// measureRun reads one run's history, fills its event count and bytes, and
// returns its largest payload.
func measureRun(ctx context.Context, c client.Client, r *RunSize) (Payload, error) {
	var best Payload
	r.byClass = map[string][2]int64{}
	activityOf := map[int64]string{} // scheduled event ID -> activity type
	iter := c.GetWorkflowHistory(ctx, r.WorkflowID, r.RunID, false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	for iter.HasNext() {
		ev, err := iter.Next()
		if err != nil {
			return best, fmt.Errorf("history of %s (run %s): %w", r.WorkflowID, r.RunID, err)
		}
		r.Events++
		r.Bytes += int64(proto.Size(ev))
		if a := ev.GetActivityTaskScheduledEventAttributes(); a != nil {
			activityOf[ev.GetEventId()] = a.GetActivityType().GetName()
		}
		class, what := describeEvent(ev, activityOf)
		err = proxy.VisitPayloads(ctx, ev, proxy.VisitPayloadsOptions{
			Visitor: func(vc *proxy.VisitPayloadsContext, ps []*commonpb.Payload) ([]*commonpb.Payload, error) {
				size := (&commonpb.Payloads{Payloads: ps}).Size()
				if vc.SinglePayloadRequired && len(ps) > 0 {
					size = ps[0].Size()
				}
				c := class + partOf(vc.Parent)
				sums := r.byClass[c]
				r.byClass[c] = [2]int64{sums[0] + 1, sums[1] + int64(size)}
				if size > best.Bytes {
					best = Payload{WorkflowID: r.WorkflowID, RunID: r.RunID, Kind: r.Kind, EventID: ev.GetEventId(),
						Event: eventName(ev.GetEventType()), What: what + partOf(vc.Parent), Bytes: size}
				}
				return ps, nil
			},
		})
		if err != nil {
			return best, fmt.Errorf("measure payloads of %s event %d: %w", r.WorkflowID, ev.GetEventId(), err)
		}
	}
	return best, nil
}

// eventName is the event type as the Temporal UI shows it
// ("WorkflowExecutionCompleted").
func eventName(t enumspb.EventType) string { return t.String() }

// describeEvent says which input or result an event's payloads are: a
// class without workflow IDs (for sums over many events) and the class
// with the child or target workflow's ID.
func describeEvent(ev *historypb.HistoryEvent, activityOf map[int64]string) (class, detail string) {
	switch ev.GetEventType() {
	case enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED:
		class = "workflow input"
	case enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED:
		class = "workflow result"
	case enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED:
		class = "workflow failure (result as details)"
	case enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_CANCELED:
		class = "workflow canceled (details)"
	case enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW:
		class = "continue-as-new input"
	case enumspb.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
		class = "input of activity " + ev.GetActivityTaskScheduledEventAttributes().GetActivityType().GetName()
	case enumspb.EVENT_TYPE_ACTIVITY_TASK_COMPLETED:
		class = "result of activity " + activityOf[ev.GetActivityTaskCompletedEventAttributes().GetScheduledEventId()]
	case enumspb.EVENT_TYPE_ACTIVITY_TASK_FAILED:
		class = "failure of activity " + activityOf[ev.GetActivityTaskFailedEventAttributes().GetScheduledEventId()]
	case enumspb.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED:
		a := ev.GetStartChildWorkflowExecutionInitiatedEventAttributes()
		return "input of child " + a.GetWorkflowType().GetName(), "input of child " + a.GetWorkflowType().GetName() + " " + a.GetWorkflowId()
	case enumspb.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_COMPLETED:
		a := ev.GetChildWorkflowExecutionCompletedEventAttributes()
		return "result of child " + a.GetWorkflowType().GetName(), "result of child " + a.GetWorkflowExecution().GetWorkflowId()
	case enumspb.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_FAILED:
		a := ev.GetChildWorkflowExecutionFailedEventAttributes()
		return "failure of child " + a.GetWorkflowType().GetName(), "failure of child " + a.GetWorkflowExecution().GetWorkflowId()
	case enumspb.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_CANCELED:
		a := ev.GetChildWorkflowExecutionCanceledEventAttributes()
		return "cancellation of child " + a.GetWorkflowType().GetName(), "cancellation of child " + a.GetWorkflowExecution().GetWorkflowId()
	case enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED:
		class = "signal " + ev.GetWorkflowExecutionSignaledEventAttributes().GetSignalName()
	case enumspb.EVENT_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED:
		a := ev.GetSignalExternalWorkflowExecutionInitiatedEventAttributes()
		return "signal " + a.GetSignalName() + " sent", "signal " + a.GetSignalName() + " to " + a.GetWorkflowExecution().GetWorkflowId()
	case enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED:
		class = "update " + ev.GetWorkflowExecutionUpdateAcceptedEventAttributes().GetAcceptedRequest().GetInput().GetName()
	case enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_COMPLETED:
		class = "update result"
	case enumspb.EVENT_TYPE_MARKER_RECORDED:
		class = "marker " + ev.GetMarkerRecordedEventAttributes().GetMarkerName()
	case enumspb.EVENT_TYPE_WORKFLOW_TASK_FAILED:
		class = "workflow task failure"
	default:
		class = eventName(ev.GetEventType())
	}
	return class, class
}

// partOf names a payload's place when it is not the event's main input
// or result (a header, the memo, search attributes, failure details).
func partOf(parent proto.Message) string {
	name := string(proto.MessageName(parent).Name())
	switch name {
	case "Header":
		return " (header)"
	case "Memo":
		return " (memo)"
	case "SearchAttributes":
		return " (search attributes)"
	case "ApplicationFailureInfo", "CanceledFailureInfo", "TimeoutFailureInfo":
		return " (failure details)"
	case "UserMetadata":
		return " (summary/details)"
	}
	return ""
}

// summarise builds the report from the measured runs.
func summarise(cycleID string, runs []RunSize, largest []Payload) *HistoryReport {
	rep := &HistoryReport{CycleID: cycleID, Runs: len(runs), Hosts: hostTimes(runs)}
	order := []string{KindCycle, KindStaging, KindWave, KindRollback, KindHost}
	byKind := map[string]*KindSummary{}
	for _, k := range order {
		byKind[k] = &KindSummary{Kind: k}
	}
	for i, r := range runs {
		k := byKind[r.Kind]
		k.Runs++
		k.TotalEvents += r.Events
		k.TotalBytes += r.Bytes
		if r.Events > k.MaxEvents {
			k.MaxEvents, k.MaxEventsOf = r.Events, r.WorkflowID
		}
		if r.Bytes > k.MaxBytes {
			k.MaxBytes, k.MaxBytesOf = r.Bytes, r.WorkflowID
		}
		p := largest[i]
		if p.Bytes > k.LargestPayload.Bytes {
			k.LargestPayload = p
		}
		switch {
		case p.Bytes > PayloadErrorBytes:
			k.OverErr++
			rep.Flags = append(rep.Flags, fmt.Sprintf("payload above Temporal's 2 MiB error limit: %s", p))
		case p.Bytes > PayloadWarnBytes:
			k.PayloadsOverWarn++
			rep.Flags = append(rep.Flags, fmt.Sprintf("payload above Temporal's 512 KiB warning size: %s", p))
		}
		over := false
		if r.Events > HistoryWarnEvents {
			over = true
			rep.Flags = append(rep.Flags, fmt.Sprintf("history above %d events (error at %d): %s run %s: %d events", HistoryWarnEvents, HistoryErrorEvents, r.WorkflowID, r.RunID, r.Events))
		}
		if r.Bytes > HistoryWarnBytes {
			over = true
			rep.Flags = append(rep.Flags, fmt.Sprintf("history above %s (error at %s): %s run %s: %s", mib(HistoryWarnBytes), mib(HistoryErrorBytes), r.WorkflowID, r.RunID, mib(r.Bytes)))
		}
		if over {
			k.HistoriesOverWarn++
		}
		if r.Events > HistoryErrorEvents || r.Bytes > HistoryErrorBytes {
			k.OverEvt++
		}
	}
	classes := map[string]map[string][2]int64{}
	for _, r := range runs {
		if classes[r.Kind] == nil {
			classes[r.Kind] = map[string][2]int64{}
		}
		for c, v := range r.byClass {
			old := classes[r.Kind][c]
			classes[r.Kind][c] = [2]int64{old[0] + v[0], old[1] + v[1]}
		}
	}
	for _, k := range order {
		ks := byKind[k]
		if ks.Runs == 0 {
			continue
		}
		for c, v := range classes[k] {
			ks.Classes = append(ks.Classes, PayloadClass{What: c, Count: v[0], Bytes: v[1]})
		}
		slices.SortFunc(ks.Classes, func(a, b PayloadClass) int {
			if a.Bytes != b.Bytes {
				return int(b.Bytes - a.Bytes)
			}
			return strings.Compare(a.What, b.What)
		})
		rep.Kinds = append(rep.Kinds, ks)
	}
	sorted := slices.Clone(largest)
	slices.SortFunc(sorted, func(a, b Payload) int { return b.Bytes - a.Bytes })
	rep.Largest = sorted[:min(len(sorted), 8)]
	long := slices.Clone(runs)
	slices.SortFunc(long, func(a, b RunSize) int { return b.Events - a.Events })
	rep.LongestRuns = long[:min(len(long), 5)]
	return rep
}

func (p Payload) String() string {
	return fmt.Sprintf("%s (%s) event %d %s, %s: %s", p.WorkflowID, p.Kind, p.EventID, p.Event, p.What, kib(int64(p.Bytes)))
}

func kib(n int64) string {
	if n >= 1<<20 {
		return mib(n)
	}
	return fmt.Sprintf("%.1f KiB", float64(n)/1024)
}

func mib(n int64) string { return fmt.Sprintf("%.2f MiB", float64(n)/(1<<20)) }
