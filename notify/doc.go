// Package notify delivers patchflow's cycle events to webhooks: signed,
// idempotent and retried, as a library that a Temporal activity calls.
//
// # Who does what
//
// Workflow code builds an Event (deterministically: Time from
// workflow.Now, Seq from counters kept in workflow state; nothing read
// from files, the clock or the environment) and passes it, with a
// Webhook from the policy, to a notification activity. The activity calls
// Sender.Deliver, which renders the body (CloudEvent or Slack), reads the
// webhook's secret and URL where the policy says they are, signs per
// Standard Webhooks and POSTs, retrying as Backoff says; it returns
// ActivityError(err). Event.ID depends only on what the event is about,
// so a retried activity or a replayed workflow sends the same webhook-id
// and receivers de-duplicate.
//
// # Which layer retries
//
// Deliver retries inside the activity: a Retry-After and jittered waits
// need the HTTP answer in hand, and the per-event budget
// (Backoff.MaxElapsed, cut to the context's deadline) holds in one place.
// The activity's own Temporal retries only cover an interrupted delivery
// (a worker that stopped mid-way: Kind Interrupted, retryable); Invalid,
// Rejected and GaveUp are final for the event and come back as
// non-retryable application errors, for the workflow to record and go on.
//
// # Secrets
//
// A Webhook names a secret file or environment variable, never a secret;
// both are read when sending, on the worker. No secret, secret URL or
// response body enters an error, a log, a metric label or a workflow
// payload; errors name the webhook by scheme, host and short path only.
package notify
