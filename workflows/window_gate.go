package workflows

import (
	"fmt"
	"time"

	"go.temporal.io/sdk/workflow"

	"github.com/patchflow/patchflow/domain"
)

// windowFit waits (parked) until at least one batch of parallel hosts fits
// in the open window and returns how many of left hosts to start now; 0
// means the cycle is aborting.
func (c *cycleRun) windowFit(ctx workflow.Context, left, parallel int) int {
	state, reason := c.st.State, c.st.Reason
	for {
		if !c.awaitUnpaused(ctx) || c.ctl.aborting {
			return 0
		}
		if c.win.override {
			// resume while parked: the operator takes the window's place
			// for the rest of the cycle (extend-window is the bounded way).
			c.windowStatus().Overridden = true
			return left
		}
		now := workflow.Now(ctx)
		at := c.windowNow(ctx)
		per := c.hostEstimate()
		ws := c.windowStatus()
		ws.Open, ws.Closes, ws.NextOpens, ws.HostEstimate, ws.ParkedUntil = at.Open, at.Closes, at.NextOpens, per, time.Time{}
		if c.win.extended.After(now) && c.win.extended.After(at.Closes) {
			ws.Open, ws.Closes = true, c.win.extended
		}
		if ws.Open {
			if batches := int(ws.Closes.Sub(now) / per); batches >= 1 {
				c.win.fresh = false
				return min(left, batches*parallel)
			}
			if c.win.fresh {
				// A window that just opened cannot hold one batch (hosts
				// measured slower than the window is long): start one
				// batch rather than park forever.
				c.win.fresh = false
				return min(left, parallel)
			}
		}
		why := fmt.Sprintf("%s left; a batch of %d takes about %s", plural(left, "host"), min(left, parallel), durationText(per.Round(time.Second)))
		if ws.Open {
			why = "the window closes at " + c.localTime(ws.Closes) + " and " + why
		} else {
			why = "no maintenance window is open; " + why
		}
		if at.Err != "" {
			why = "window cannot be computed (" + at.Err + "); resume or extend-window to go on"
		}
		c.park(ctx, ws.NextOpens, why)
		if c.ctl.canceled {
			return 0
		}
		c.setState(ctx, state, reason)
	}
}

// park waits on a durable timer until the next window opens (or until an
// operator resumes the cycle, extends the window or aborts).
func (c *cycleRun) park(ctx workflow.Context, until time.Time, why string) {
	ws := c.windowStatus()
	ws.ParkedUntil = until
	ws.Parks++
	c.win.parked, c.win.woken = true, false
	if until.IsZero() {
		c.setState(ctx, domain.CycleParked, why+"; no later window: resume or extend-window to go on")
	} else {
		c.setState(ctx, domain.CycleParked, why+"; parked until the next window at "+c.localTime(until))
	}
	wake := func() bool { return c.win.woken || c.ctl.aborting }
	var err error
	if until.IsZero() {
		err = workflow.Await(ctx, wake)
	} else if d := until.Sub(workflow.Now(ctx)); d > 0 {
		_, err = workflow.AwaitWithTimeout(ctx, d, wake)
	}
	c.canceledBy(err)
	c.win.parked, c.win.fresh = false, true
	ws.ParkedUntil = time.Time{}
}

// windowStatus returns the status query's window part, creating it.
func (c *cycleRun) windowStatus() *WindowStatus {
	if c.st.Window == nil {
		c.st.Window = &WindowStatus{Timezone: c.spec.Window.Timezone}
	}
	return c.st.Window
}

// localTime renders t for the reason text: in UTC, with the window's zone
// named (the workflow loads no zone data; `cycle status` shows local time).
func (c *cycleRun) localTime(t time.Time) string {
	s := t.UTC().Format("2006-01-02 15:04 UTC")
	if tz := c.spec.Window.Timezone; tz != "" && tz != "UTC" {
		s += " (window zone " + tz + ")"
	}
	return s
}

// registerWindow installs extend-window (signal and update). Resume of a
// parked cycle goes through the existing resume message (resumeParked).
func (c *cycleRun) registerWindow(ctx workflow.Context) error {
	validate := func(r ExtendWindowRequest) error {
		if err := c.validateRunning(); err != nil {
			return err
		}
		if c.spec.Window == nil {
			return fmt.Errorf("cycle %s has no maintenance window to extend", c.st.CycleID)
		}
		if r.Duration <= 0 {
			return fmt.Errorf("extend-window needs a duration > 0, got %s", r.Duration)
		}
		return nil
	}
	apply := func(ctx workflow.Context, r ExtendWindowRequest) {
		now := workflow.Now(ctx)
		base := now
		if ws := c.st.Window; ws != nil && ws.Open && ws.Closes.After(base) && !c.win.parked {
			base = ws.Closes
		}
		if c.win.extended.After(base) {
			base = c.win.extended
		}
		c.win.extended = base.Add(r.Duration)
		c.windowStatus().ExtendedUntil = c.win.extended
		c.win.woken = true
	}
	ch := workflow.GetSignalChannel(ctx, MsgExtendWindow)
	workflow.Go(ctx, func(ctx workflow.Context) {
		for {
			var r ExtendWindowRequest
			ch.Receive(ctx, &r)
			if err := validate(r); err != nil {
				workflow.GetLogger(ctx).Warn("operator signal ignored", "signal", MsgExtendWindow, "reason", err.Error())
				continue
			}
			apply(ctx, r)
		}
	})
	return workflow.SetUpdateHandlerWithOptions(ctx, MsgExtendWindow,
		func(ctx workflow.Context, r ExtendWindowRequest) (CycleReply, error) {
			apply(ctx, r)
			return CycleReply{CycleID: c.st.CycleID, State: c.st.State, Paused: c.st.Paused}, nil
		},
		workflow.UpdateHandlerOptions{Validator: validate},
	)
}

// resumeParked makes resume end a park: the cycle goes on now and
// ignores the window for the rest of its run.
func (c *cycleRun) resumeParked() {
	if c.win.parked {
		c.win.override, c.win.woken = true, true
	}
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}
