package workflows

import (
	"time"

	"go.temporal.io/sdk/workflow"

	"github.com/patchflow/patchflow/domain"
)

// MsgExtendWindow extends the current maintenance window of a cycle by
// ExtendWindowRequest.Duration (from now when the cycle is parked), so an
// operator can let a rollout go on past the window's end. Both a signal and
// an update, like the other operator messages.
const MsgExtendWindow = "extend-window"

// ExtendWindowRequest is the payload of MsgExtendWindow.
type ExtendWindowRequest struct {
	Duration time.Duration `json:"duration"`
}

// WindowStatus is the window part of the cycle's status query.
type WindowStatus struct {
	Timezone string `json:"timezone"`
	// Open reports whether a window (or an operator's extension) is open
	// at the last check; Closes is when it closes.
	Open   bool      `json:"open"`
	Closes time.Time `json:"closes,omitzero"`
	// NextOpens is the next window start after the current one.
	NextOpens time.Time `json:"next_opens,omitzero"`
	// ParkedUntil is set while the cycle is parked: when it goes on.
	ParkedUntil time.Time `json:"parked_until,omitzero"`
	// ExtendedUntil is the end of an operator's extend-window.
	ExtendedUntil time.Time `json:"extended_until,omitzero"`
	// HostEstimate is the expected duration of one host: the mean measured
	// in this cycle, or the policy's worst case before any measurement.
	HostEstimate time.Duration `json:"host_estimate"`
	// Overridden: an operator resumed the parked cycle, which then keeps
	// no window for the rest of its run.
	Overridden bool `json:"overridden,omitempty"`
	// Parks counts how often the cycle parked.
	Parks int `json:"parks"`
}

// windowGate is the cycle's window bookkeeping.
type windowGate struct {
	parked   bool
	woken    bool      // an operator message ends the park
	override bool      // resume while parked: no window gate for the rest of the cycle
	fresh    bool      // the window just opened after a park
	extended time.Time // extend-window end
}

// windowAt is the window seen at one instant.
type windowAt struct {
	Open      bool      `json:"open"`
	Closes    time.Time `json:"closes"`
	NextOpens time.Time `json:"next_opens"`
	Err       string    `json:"err,omitempty"`
}

// WindowAt computes the window at now (domain.Window.At): whether one is
// open, when it closes and when the next one opens.
func WindowAt(w *domain.Window, now time.Time) (open bool, closes, nextOpens time.Time, err error) {
	return w.At(now)
}

// windowNow evaluates the window in a side effect: the result is recorded
// in history, so time zone data never makes a replay diverge.
func (c *cycleRun) windowNow(ctx workflow.Context) windowAt {
	now := workflow.Now(ctx)
	var at windowAt
	err := workflow.SideEffect(ctx, func(workflow.Context) any {
		open, closes, next, err := WindowAt(c.spec.Window, now)
		r := windowAt{Open: open, Closes: closes, NextOpens: next}
		if err != nil {
			r.Err = err.Error()
		}
		return r
	}).Get(&at)
	if err != nil {
		at.Err = err.Error()
	}
	return at
}

// hostEstimate is the expected duration of one host: the mean of the hosts
// measured so far in this cycle, else the policy's worst case.
func (c *cycleRun) hostEstimate() time.Duration {
	if d, ok := c.hosts.meanDuration(); ok {
		return d
	}
	if w := c.spec.Window.HostWorstCase; w > 0 {
		return w
	}
	return c.spec.Host.WorstCase()
}
