package activities

import (
	"context"

	"github.com/patchflow/patchflow/notify"
	"github.com/patchflow/patchflow/workflows"
)

// Notify delivers one event to one webhook, retrying inside the activity
// (notify.Sender.Deliver: backoff, Retry-After, a bounded budget). The
// worker reads the webhook's secret and any secret URL here, at send
// time: neither is in the workflow's history.
func (a *Activities) Notify(ctx context.Context, in workflows.NotifyInput) (notify.Result, error) {
	ctx, done := a.beat(ctx)
	defer done()
	res, err := a.d.Notifier.Deliver(ctx, in.Webhook, in.Event)
	return res, notify.ActivityError(err)
}
