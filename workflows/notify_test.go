package workflows

import (
	"context"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"

	"github.com/patchflow/patchflow/domain"
	"github.com/patchflow/patchflow/notify"
)

// receiver records the events the Notify activity was asked to deliver,
// failing the first delivery of chosen event types for good.
type receiver struct {
	mu     sync.Mutex
	events []notify.Event
	ids    map[string]bool
	refuse map[string]bool
}

func (r *receiver) Notify(_ context.Context, in NotifyInput) (notify.Result, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if err := in.Event.Validate(); err != nil {
		return notify.Result{}, temporal.NewNonRetryableApplicationError("invalid event: "+err.Error(), notify.ErrTypeInvalid, nil)
	}
	if r.refuse[in.Event.Type] {
		delete(r.refuse, in.Event.Type)
		return notify.Result{}, temporal.NewNonRetryableApplicationError("webhook answered 400", notify.ErrTypeRejected, nil)
	}
	if r.ids[in.Event.ID()] {
		return notify.Result{EventID: in.Event.ID(), Delivered: true}, nil
	}
	r.ids[in.Event.ID()] = true
	r.events = append(r.events, in.Event)
	return notify.Result{EventID: in.Event.ID(), Delivered: true}, nil
}

func (r *receiver) types() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, e := range r.events {
		s := e.Type
		if e.Host != nil {
			s += ":" + e.Host.Name
		}
		if e.Wave != nil {
			s += ":" + waveLabel(e.Wave.Number)
		}
		out = append(out, s)
	}
	return out
}

func newNotifyEnv(t *testing.T, hosts ...string) (*cycleEnv, *receiver) {
	c := newCycleEnv(t, hosts...)
	r := &receiver{ids: map[string]bool{}, refuse: map[string]bool{}}
	c.env.RegisterActivityWithOptions(r.Notify, activity.RegisterOptions{Name: ActNotify})
	return c, r
}

func (c *cycleEnv) runNotify(t *testing.T, spec domain.CycleSpec, hooks ...notify.Webhook) CycleResult {
	t.Helper()
	return c.runInput(t, CycleInput{Spec: spec, Notify: hooks})
}

var hook = notify.Webhook{URL: "https://hooks.example.net/patchflow?token=x", SecretEnv: "PATCHFLOW_HOOK_SECRET"}

// TestNotificationsOfACycle: every event of a run reaches the webhook once,
// in order, failures included: the staging host fails and is rolled back,
// the cycle fails; each event is valid for its schema.
func TestNotificationsOfACycle(t *testing.T) {
	c, r := newNotifyEnv(t, hostNames(2)...)
	c.fleet.badPins["stg1:demo-app=1.0.1"] = true
	spec := testSpec()
	spec.Approval = domain.ApprovalSpec{Mode: domain.ApprovalManual, Timeout: time.Hour}
	c.env.RegisterDelayedCallback(func() { c.env.SignalWorkflow(MsgApprove, nil) }, 10*time.Minute)
	res := c.runNotify(t, spec, hook)
	if res.State != domain.CycleFailed {
		t.Fatalf("cycle %s (%s), want failed at staging", res.State, res.Reason)
	}
	// The cycle's events arrive in order; the host event comes from the
	// wave's own queue, so only its presence (once) is certain.
	want := []string{
		"cycle.started", "cycle.approval_needed", "cycle.approved", "wave.started:staging",
		"wave.finished:staging", "cycle.failed",
	}
	got := r.types()
	if cycleEvents := slices.DeleteFunc(slices.Clone(got), func(e string) bool { return strings.HasPrefix(e, "host.") }); !slices.Equal(cycleEvents, want) {
		t.Errorf("cycle events\n got %v\nwant %v", cycleEvents, want)
	}
	if n := len(got) - len(want); n != 1 || !slices.Contains(got, "host.failed:stg1") {
		t.Errorf("events %v, want host.failed:stg1 once besides the cycle's", got)
	}
	want = append(want, "host.failed:stg1")
	if res.Notifications == nil || res.Notifications.Sent != len(want) || res.Notifications.Failed != 0 || res.Notifications.Queued != 0 {
		t.Errorf("notification status %+v, want %d sent", res.Notifications, len(want))
	}
	for _, e := range r.events {
		if e.CycleID != "cycle/web/t" || e.Policy != "web" || e.Time.IsZero() {
			t.Errorf("event %s: cycle %q policy %q time %v", e.Type, e.CycleID, e.Policy, e.Time)
		}
	}
}

// TestNotificationFailureNeverBlocksTheRollout: a webhook that refuses an
// event is counted in the status, later events still go out, and the
// cycle completes.
func TestNotificationFailureNeverBlocksTheRollout(t *testing.T) {
	c, r := newNotifyEnv(t, hostNames(3)...)
	r.refuse[notify.CycleStarted] = true
	res := c.runNotify(t, testSpec(), hook)
	if res.State != domain.CycleCompleted || res.Counts.Patched != 4 {
		t.Fatalf("cycle %s %+v, want completed", res.State, res.Counts)
	}
	n := res.Notifications
	if n == nil || n.Failed != 1 || !strings.Contains(n.LastError, "cycle.started") || !strings.Contains(n.LastError, "400") {
		t.Errorf("notification status %+v, want the refused cycle.started counted with its reason", n)
	}
	if got := r.types(); len(got) == 0 || got[len(got)-1] != "cycle.finished" {
		t.Errorf("events %v, want the rest delivered up to cycle.finished", got)
	}
}

// TestNotificationFilterAndNoWebhook: a webhook's events filter applies in
// the workflow (no activity for a filtered event), and a cycle without
// webhooks sends nothing.
func TestNotificationFilterAndNoWebhook(t *testing.T) {
	c, r := newNotifyEnv(t, hostNames(2)...)
	only := hook
	only.Events = []string{"cycle.*"}
	c.runNotify(t, testSpec(), only)
	for _, e := range r.types() {
		if !strings.HasPrefix(e, "cycle.") {
			t.Errorf("filtered webhook got %s", e)
		}
	}
	c, r = newNotifyEnv(t, hostNames(2)...)
	c.runNotify(t, testSpec())
	if got := r.types(); len(got) != 0 {
		t.Errorf("no webhook, yet events %v", got)
	}
}
