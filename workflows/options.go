package workflows

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"
)

// Limits of the orchestration itself.
const (
	busyRetryInterval = 30 * time.Second
	// hostsPerBatch hosts share one scan or final-verify activity;
	// batchParallel of them are worked on at once inside it.
	hostsPerBatch = 50
	batchParallel = 10
	// hostsPerPart bounds the hosts one wave workflow run patches: a wave
	// larger than this runs as several parts, one after the other, so no
	// wave input or history grows with the wave (each host costs a wave
	// 6-8 history events).
	hostsPerPart = 500
	// hostsPerWaveRun bounds the hosts one Wave run starts before it
	// continues as new; waves recorded before parts relied on it.
	hostsPerWaveRun = 500
	// activityHeartbeat is how long an activity may go without a
	// heartbeat before Temporal retries it on another worker: every
	// activity heartbeats every 2s (the activities' beat), so a
	// killed worker costs a host about this long, not the step's timeout.
	activityHeartbeat = 10 * time.Second
)

// nonRetryable lists the application error types the activities mark as
// permanent; the retry policies repeat them so that a retry never runs
// even if an activity forgets the flag.
var nonRetryable = []string{
	ErrInvalidInput, ErrUnknownHost, ErrPackageNotFound, ErrHostKey, ErrAuth,
	ErrPackageManager, ErrScriptFailed, ErrDiskFull, ErrMismatch, ErrHookFailed,
}

// actOptions describes one activity call.
type actOptions struct {
	timeout  time.Duration // StartToClose
	attempts int32         // 0 = 3
	summary  string
}

func withActivity(ctx workflow.Context, o actOptions) workflow.Context {
	attempts := o.attempts
	if attempts == 0 {
		attempts = 3
	}
	return workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: o.timeout,
		HeartbeatTimeout:    activityHeartbeat,
		Summary:             o.summary,
		RetryPolicy: &temporal.RetryPolicy{
			InitialInterval:        time.Second,
			BackoffCoefficient:     2,
			MaximumInterval:        30 * time.Second,
			MaximumAttempts:        attempts,
			NonRetryableErrorTypes: nonRetryable,
		},
	})
}

// reasonOf turns an activity or child error into the short reason an
// operator reads: the application error's own message without the SDK's
// wrapping ("activity error (type: X, scheduledEventID: ...)").
func reasonOf(err error) string {
	var app *temporal.ApplicationError
	if errors.As(err, &app) {
		msg := app.Message()
		if t := app.Type(); t != "" && !strings.Contains(msg, t) && isPermanentType(t) {
			msg = t + ": " + msg
		}
		return msg
	}
	var timeout *temporal.TimeoutError
	if errors.As(err, &timeout) {
		return "timed out (" + strings.ToLower(strings.TrimPrefix(timeout.TimeoutType().String(), "TIMEOUT_TYPE_")) + ")"
	}
	var canceled *temporal.CanceledError
	if errors.As(err, &canceled) {
		return "canceled"
	}
	return err.Error()
}

func isPermanentType(t string) bool {
	for _, n := range nonRetryable {
		if n == t {
			return true
		}
	}
	return false
}

func upsert(ctx workflow.Context, updates ...temporal.SearchAttributeUpdate) {
	// An upsert fails only on an unregistered attribute; the workflow must
	// go on patching, so the failure is logged rather than returned.
	if err := workflow.UpsertTypedSearchAttributes(ctx, updates...); err != nil {
		workflow.GetLogger(ctx).Warn("search attribute upsert failed", "error", err)
	}
}

func durationText(d time.Duration) string {
	if d%time.Hour == 0 && d >= time.Hour {
		return fmt.Sprintf("%dh", d/time.Hour)
	}
	if d%time.Minute == 0 && d >= time.Minute {
		return fmt.Sprintf("%dm", d/time.Minute)
	}
	return d.String()
}
