package domain

import (
	"math"
	"time"
)

// Default limits of the host steps, used where a spec leaves them zero.
const (
	DefaultCommandTimeout  = 5 * time.Minute
	DefaultApplyTimeout    = 30 * time.Minute
	DefaultRebootTimeout   = 15 * time.Minute
	DefaultDecisionTimeout = time.Hour
	DefaultBusyTimeout     = 10 * time.Minute
	DefaultScanParallel    = 20
)

// Limits are a host's step timeouts with the defaults filled in.
type Limits struct {
	// Command bounds each remote command of the short steps (scan,
	// snapshot, checks).
	Command time.Duration
	// Precheck bounds the precheck step.
	Precheck time.Duration
	// Apply bounds one install of the pinned versions (and one rollback).
	Apply time.Duration
	// Reboot bounds the wait for a rebooting host to come back.
	Reboot time.Duration
	// Verify bounds the verify step (package versions, package manager
	// audit and the host-scoped checks).
	Verify time.Duration
	// Decision is how long a failed host waits for an operator.
	Decision time.Duration
}

// Limits returns the step timeouts with the defaults filled in. Precheck
// and verify default to the command timeout, as cycles recorded before
// they had their own used it for them.
func (h HostSteps) Limits() Limits {
	cmd := orDefault(h.CommandTimeout, DefaultCommandTimeout)
	return Limits{
		Command:  cmd,
		Precheck: orDefault(h.PrecheckTimeout, cmd),
		Apply:    orDefault(h.ApplyTimeout, DefaultApplyTimeout),
		Reboot:   orDefault(h.RebootTimeout, DefaultRebootTimeout),
		Verify:   orDefault(h.VerifyTimeout, cmd),
		Decision: orDefault(h.DecisionTimeout, DefaultDecisionTimeout),
	}
}

// HookLimit bounds one hook: its own timeout, else the policy's hook
// timeout, else the command timeout.
func (h HostSteps) HookLimit(k Hook) time.Duration {
	return orDefault(k.Timeout, orDefault(h.HookTimeout, h.Limits().Command))
}

// WorstCase is the longest one host can take through its steps when every
// step runs to its timeout: precheck (with the snapshot), each pre hook, apply, the
// reboot (unless the policy never reboots), verify and each post hook.
// The sum saturates at the largest duration instead of overflowing, so
// absurd timeouts make the worst case longer than any window, never short.
// A window shorter than this could never finish one host.
func (h HostSteps) WorstCase() time.Duration {
	l := h.Limits()
	d := SaturatingSum(l.Precheck, l.Apply, l.Verify)
	if h.Reboot != RebootNever {
		d = SaturatingSum(d, l.Reboot)
	}
	for _, k := range h.PreHooks {
		d = SaturatingSum(d, h.HookLimit(k))
	}
	for _, k := range h.PostHooks {
		d = SaturatingSum(d, h.HookLimit(k))
	}
	return d
}

// SaturatingSum adds non-negative durations, stopping at the largest
// time.Duration instead of wrapping around to a negative or small value.
func SaturatingSum(ds ...time.Duration) time.Duration {
	var sum time.Duration
	for _, d := range ds {
		if d <= 0 {
			continue
		}
		if sum > math.MaxInt64-d {
			return math.MaxInt64
		}
		sum += d
	}
	return sum
}

// SaturatingMul multiplies a non-negative duration by n >= 0, stopping at
// the largest time.Duration.
func SaturatingMul(d time.Duration, n int) time.Duration {
	if d <= 0 || n <= 0 {
		return 0
	}
	if d > math.MaxInt64/time.Duration(n) {
		return math.MaxInt64
	}
	return d * time.Duration(n)
}

func orDefault(d, def time.Duration) time.Duration {
	if d <= 0 {
		return def
	}
	return d
}
