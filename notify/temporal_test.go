package notify

import (
	"context"
	"errors"
	"net/http"
	"testing"

	"go.temporal.io/sdk/log"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
)

// notifyInput is the shape of the activity input the wiring uses.
type notifyInput struct {
	Webhook Webhook
	Event   Event
}

// notifier is the activity as a worker registers it: Deliver, then
// ActivityError for Temporal.
type notifier struct{ s *Sender }

func (n *notifier) Notify(ctx context.Context, in notifyInput) (Result, error) {
	res, err := n.s.Deliver(ctx, in.Webhook, in.Event)
	return res, ActivityError(err)
}

// Inside an activity, a delivered event returns its Result through
// Temporal's payloads, and a refused one a non-retryable application
// error of type NotificationRejected that names the webhook and status.
func TestActivityWiring(t *testing.T) {
	rc := newReceiver(t, specKey(t, testSecret))
	var ts testsuite.WorkflowTestSuite
	ts.SetLogger(log.NewStructuredLogger(quietLogger()))
	env := ts.NewTestActivityEnvironment()
	notes := newNoteLog()
	n := &notifier{s: newTestSender(Options{Heartbeat: func(ctx context.Context, note string) {
		ActivityHeartbeat(ctx, note)
		notes.beat(ctx, note)
	}})}
	env.RegisterActivity(n)

	hook := Webhook{URL: rc.url, SecretFile: secretFile(t, testSecret)}
	val, err := env.ExecuteActivity(n.Notify, notifyInput{Webhook: hook, Event: sampleEvents()[13]})
	if err != nil {
		t.Fatalf("activity: %v", err)
	}
	var res Result
	if err := val.Get(&res); err != nil || !res.Delivered || res.EventID != sampleEvents()[13].ID() {
		t.Fatalf("result %+v, %v; want delivered", res, err)
	}
	if len(notes.notes) == 0 {
		t.Error("no heartbeat note was recorded")
	}

	rc.setAnswer(func(_ int, w http.ResponseWriter, _ *http.Request) bool {
		w.WriteHeader(http.StatusUnprocessableEntity)
		return false
	})
	_, err = env.ExecuteActivity(n.Notify, notifyInput{Webhook: hook, Event: sampleEvents()[14]})
	var app *temporal.ApplicationError
	if !errors.As(err, &app) || app.Type() != ErrTypeRejected || !app.NonRetryable() {
		t.Fatalf("error %v; want a non-retryable %s", err, ErrTypeRejected)
	}
}

func TestActivityErrorKinds(t *testing.T) {
	for kind, want := range map[Kind]struct {
		typ       string
		retryable bool
	}{
		Invalid: {ErrTypeInvalid, false}, Rejected: {ErrTypeRejected, false},
		GaveUp: {ErrTypeGaveUp, false}, Interrupted: {ErrTypeInterrupted, true},
	} {
		err := ActivityError(&Error{Kind: kind, Webhook: "https://h.example/x", Event: CycleStarted, Err: errors.New("boom")})
		var app *temporal.ApplicationError
		if !errors.As(err, &app) || app.Type() != want.typ || app.NonRetryable() == want.retryable {
			t.Errorf("%s: %v (type %s), want type %s retryable %v", kind, err, app.Type(), want.typ, want.retryable)
		}
	}
	if ActivityError(nil) != nil {
		t.Error("ActivityError(nil) != nil")
	}
}
