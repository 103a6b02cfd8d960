package activities

import (
	"context"
	"sync"
	"time"

	"go.temporal.io/sdk/activity"

	"github.com/patchflow/patchflow/pkgmgr"
)

// heartbeatEvery is how often a running activity tells Temporal it is
// alive. The workflows give every activity a heartbeat timeout of 10s, so a
// worker that dies mid-step costs its host about that long before another
// worker takes the step over, instead of the step's whole timeout.
const heartbeatEvery = 2 * time.Second

type noteKey struct{}

// notes holds the latest progress note of an activity, which every
// heartbeat carries so the Temporal UI shows what the step is doing.
type notes struct {
	mu   sync.Mutex
	last string
}

// beat keeps the activity alive: it heartbeats every heartbeatEvery with
// the latest progress note (the package managers report theirs through the
// returned context) until done is called. Outside an activity (tests,
// the CLI) it does nothing.
func (a *Activities) beat(ctx context.Context) (context.Context, func()) {
	if !activity.IsActivity(ctx) {
		return ctx, func() {}
	}
	n := &notes{}
	ctx = context.WithValue(ctx, noteKey{}, n)
	ctx = pkgmgr.WithProgress(ctx, func(note string) { progress(ctx, note) })
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(heartbeatEvery)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-ctx.Done():
				return
			case <-t.C:
				n.mu.Lock()
				note := n.last
				n.mu.Unlock()
				activity.RecordHeartbeat(ctx, note)
			}
		}
	}()
	return ctx, func() { close(stop); wg.Wait() }
}

// progress records a progress note for the next heartbeat.
func progress(ctx context.Context, note string) {
	if n, ok := ctx.Value(noteKey{}).(*notes); ok {
		n.mu.Lock()
		n.last = note
		n.mu.Unlock()
	}
}
