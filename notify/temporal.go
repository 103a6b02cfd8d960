package notify

import (
	"context"
	"errors"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"
)

// Application error types of ActivityError, for a workflow that branches
// on appErr.Type().
const (
	ErrTypeInvalid     = "NotificationInvalid"
	ErrTypeRejected    = "NotificationRejected"
	ErrTypeGaveUp      = "NotificationGaveUp"
	ErrTypeInterrupted = "NotificationInterrupted"
)

// ActivityError turns Deliver's error into what a Temporal activity
// returns: non-retryable application errors for Invalid, Rejected and
// GaveUp (Deliver has already spent the event's retry budget), a
// retryable one for Interrupted (the next activity attempt, perhaps on
// another worker, sends the event again with the same webhook-id). The
// message is the Error's, which holds no secret.
func ActivityError(err error) error {
	if err == nil {
		return nil
	}
	var e *Error
	if !errors.As(err, &e) {
		return temporal.NewApplicationError(err.Error(), ErrTypeInterrupted)
	}
	switch e.Kind {
	case Invalid:
		return temporal.NewNonRetryableApplicationError(e.Error(), ErrTypeInvalid, nil)
	case Rejected:
		return temporal.NewNonRetryableApplicationError(e.Error(), ErrTypeRejected, nil)
	case GaveUp:
		return temporal.NewNonRetryableApplicationError(e.Error(), ErrTypeGaveUp, nil)
	}
	return temporal.NewApplicationError(e.Error(), ErrTypeInterrupted)
}

// ActivityHeartbeat is an Options.Heartbeat that records a Temporal
// activity heartbeat with the note; outside an activity it does nothing.
func ActivityHeartbeat(ctx context.Context, note string) {
	if activity.IsActivity(ctx) {
		activity.RecordHeartbeat(ctx, note)
	}
}
