package workflows

import (
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/patchflow/patchflow/notify"
)

// NotifyInput is one event for one webhook (the Notify activity).
type NotifyInput struct {
	Webhook notify.Webhook `json:"webhook"`
	Event   notify.Event   `json:"event"`
}

// NotificationStatus is how a workflow's notifications fare, for its
// status: delivered, failed for good (the receiver refused or never
// answered within the event's retry budget) and still queued.
type NotificationStatus struct {
	Sent      int    `json:"sent"`
	Failed    int    `json:"failed"`
	Queued    int    `json:"queued"`
	LastError string `json:"last_error,omitempty"`
}

func (s *NotificationStatus) add(o NotificationStatus) {
	s.Sent += o.Sent
	s.Failed += o.Failed
	if o.LastError != "" {
		s.LastError = o.LastError
	}
}

// notifyDrainTimeout bounds how long a finishing workflow waits for its
// queued notifications: the final event must go out, but a receiver that
// is down for good must not keep a finished cycle open.
const notifyDrainTimeout = 15 * time.Minute

// notifier sends a workflow's events to the policy's webhooks from
// activities, never from workflow code: one queue and one coroutine per
// webhook, so each receiver gets its events in order and a slow or dead
// receiver never holds up the rollout. It runs on a context cancellation
// does not reach, so a canceled cycle still says so.
type notifier struct {
	cycleID, policy string
	hooks           []notify.Webhook
	queues          [][]notify.Event
	inFlight        []bool
	seq             map[string]int
	status          NotificationStatus
}

// newNotifier starts the senders; with no webhooks it does nothing.
func newNotifier(ctx workflow.Context, cycleID, policy string, hooks []notify.Webhook) *notifier {
	n := &notifier{cycleID: cycleID, policy: policy, hooks: hooks, queues: make([][]notify.Event, len(hooks)),
		inFlight: make([]bool, len(hooks)), seq: map[string]int{}}
	dctx := detached(ctx)
	for i := range hooks {
		workflow.Go(dctx, func(ctx workflow.Context) { n.send(ctx, i) })
	}
	return n
}

// emit queues an event for every webhook that wants it. Time and the
// cycle's names are filled in; Seq, when zero, numbers repeats of the
// same event about the same subject (the nth pause, a host's nth
// failure), so a replay or a retry carries the same event ID.
func (n *notifier) emit(ctx workflow.Context, ev notify.Event) {
	if n == nil || len(n.hooks) == 0 {
		return
	}
	ev.CycleID, ev.Policy, ev.Time = n.cycleID, n.policy, workflow.Now(ctx)
	if ev.Seq == 0 {
		k := ev.Type + "\x00" + ev.Subject()
		n.seq[k]++
		ev.Seq = n.seq[k]
	}
	for i, h := range n.hooks {
		if h.Wants(ev.Type) {
			n.queues[i] = append(n.queues[i], ev)
			n.status.Queued++
		}
	}
}

// send delivers webhook i's events one at a time, in order.
func (n *notifier) send(ctx workflow.Context, i int) {
	actx := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: 11 * time.Minute, // the sender's own retry budget is 10m
		HeartbeatTimeout:    activityHeartbeat,
		Summary:             "notify webhook " + n.hooks[i].Name(),
		RetryPolicy: &temporal.RetryPolicy{InitialInterval: time.Second, BackoffCoefficient: 2, MaximumInterval: 30 * time.Second,
			MaximumAttempts: 5, NonRetryableErrorTypes: []string{notify.ErrTypeInvalid, notify.ErrTypeRejected, notify.ErrTypeGaveUp}},
	})
	for {
		_ = workflow.Await(ctx, func() bool { return len(n.queues[i]) > 0 })
		ev := n.queues[i][0]
		n.inFlight[i] = true
		var res notify.Result
		err := workflow.ExecuteActivity(actx, ActNotify, NotifyInput{Webhook: n.hooks[i], Event: ev}).Get(ctx, &res)
		n.queues[i] = n.queues[i][1:]
		n.inFlight[i] = false
		n.status.Queued--
		if err != nil {
			n.status.Failed++
			n.status.LastError = ev.Type + ": " + reasonOf(err)
			workflow.GetLogger(ctx).Warn("notification not delivered", "event", ev.Type, "webhook", n.hooks[i].Name(), "error", err)
			continue
		}
		if res.Delivered {
			n.status.Sent++
		}
	}
}

// drain waits, at most notifyDrainTimeout, for every queued event to be
// delivered or given up.
func (n *notifier) drain(ctx workflow.Context) {
	if n == nil || len(n.hooks) == 0 {
		return
	}
	_, _ = workflow.AwaitWithTimeout(detached(ctx), notifyDrainTimeout, func() bool { return n.status.Queued == 0 })
}

func notifyCounts(c Counts) notify.Counts {
	return notify.Counts{Total: c.Total, Patched: c.Patched, Failed: c.Failed, RolledBack: c.RolledBack,
		Skipped: c.Skipped, NeedsRepair: c.NeedsRepair, Canceled: c.Canceled, Pending: c.Pending}
}
