package workflows

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"
)

// Default limits used when a spec leaves them zero.
const (
	defaultCommandTimeout  = 5 * time.Minute
	defaultApplyTimeout    = 30 * time.Minute
	defaultRebootTimeout   = 15 * time.Minute
	defaultDecisionTimeout = time.Hour
	defaultBusyTimeout     = 10 * time.Minute
	defaultScanParallel    = 20
	busyRetryInterval      = 30 * time.Second
	// hostsPerBatch hosts share one scan or final-verify activity;
	// batchParallel of them are worked on at once inside it.
	hostsPerBatch = 20
	batchParallel = 10
	// hostsPerWaveRun bounds the hosts one Wave run starts before it
	// continues as new; each host costs the wave about 6-8 history events,
	// so 500 stays well below the ~10k events a history should keep under.
	hostsPerWaveRun = 500
)

// heartbeatTimeout is how long a package operation may go without a
// heartbeat (the drivers send one every few seconds) before Temporal
// retries it on another worker: the command timeout, kept within 15s..1m,
// so a killed worker costs seconds, not the whole apply timeout.
func heartbeatTimeout(cmd time.Duration) time.Duration {
	return min(max(cmd, 15*time.Second), time.Minute)
}

// nonRetryable lists the application error types the activities mark as
// permanent; the retry policies repeat them so that a retry never runs
// even if an activity forgets the flag.
var nonRetryable = []string{
	ErrInvalidInput, ErrUnknownHost, ErrPackageNotFound, ErrHostKey, ErrAuth,
	ErrPackageManager, ErrScriptFailed, ErrDiskFull, ErrMismatch, ErrHookFailed,
}

// actOptions describes one activity call.
type actOptions struct {
	timeout   time.Duration // StartToClose
	heartbeat time.Duration // 0 = no heartbeat expected
	attempts  int32         // 0 = 3
	summary   string
}

func withActivity(ctx workflow.Context, o actOptions) workflow.Context {
	attempts := o.attempts
	if attempts == 0 {
		attempts = 3
	}
	return workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: o.timeout,
		HeartbeatTimeout:    o.heartbeat,
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

// pinsSummary renders pins for summaries: "demo-app 1.0.1, libssl3 3.0.15-1"
// cut to a UI-friendly length.
func pinsSummary(pins []Pin) string {
	var parts []string
	for _, p := range pins {
		v := p.Version
		if v == "" {
			v = "(absent)"
		}
		parts = append(parts, p.Name+" "+v)
	}
	s := strings.Join(parts, ", ")
	if len(s) > 160 {
		s = s[:157] + "..."
	}
	if s == "" {
		s = "nothing"
	}
	return s
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
