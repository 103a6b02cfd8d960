package notify

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"os"
	"time"
)

// Backoff bounds the retries of one event to one webhook. Deliver retries
// network errors, timeouts, 5xx and 429 answers with exponential backoff
// (each wait drawn at random within ±50% of the nominal interval), waits
// what a Retry-After header asks (at most MaxRetryAfter), and gives up
// when the next wait would end after MaxElapsed.
type Backoff struct {
	Initial       time.Duration // first nominal wait; default 1s
	Max           time.Duration // longest nominal wait; default 1m
	MaxElapsed    time.Duration // the event's whole time budget; default 10m
	MaxRetryAfter time.Duration // cap on a Retry-After; default 5m
}

// DefaultBackoff is the schedule a Sender uses for fields left zero.
var DefaultBackoff = Backoff{Initial: time.Second, Max: time.Minute, MaxElapsed: 10 * time.Minute, MaxRetryAfter: 5 * time.Minute}

func (b Backoff) withDefaults() Backoff {
	d := DefaultBackoff
	if b.Initial > 0 {
		d.Initial = b.Initial
	}
	if b.Max > 0 {
		d.Max = b.Max
	}
	if b.MaxElapsed > 0 {
		d.MaxElapsed = b.MaxElapsed
	}
	if b.MaxRetryAfter > 0 {
		d.MaxRetryAfter = b.MaxRetryAfter
	}
	return d
}

// Options configure a Sender; every field may be left zero.
type Options struct {
	// Client sends the requests; default: proxies from the environment,
	// TLS verified, redirects not followed (a redirect is an answer).
	Client *http.Client
	// Metrics counts deliveries; nil counts nothing.
	Metrics *Metrics
	// Links fills the UI links and the approve command into events.
	Links Links
	// Backoff bounds retries; zero fields take DefaultBackoff's.
	Backoff Backoff
	// Heartbeat, when set, is called with Deliver's ctx and a progress
	// note at each attempt and every few seconds while Deliver waits; set
	// it to ActivityHeartbeat inside a Temporal worker.
	Heartbeat func(ctx context.Context, note string)
	// Logger defaults to slog.Default().
	Logger *slog.Logger
	// Getenv reads secret_env and url_env; default os.Getenv.
	Getenv func(string) string
}

// Sender delivers events to webhooks. Make one with NewSender; it is safe
// for concurrent use, and a worker keeps one for all its activities.
type Sender struct {
	o       Options
	backoff Backoff
}

// minAttempt is the shortest attempt worth making at the end of a budget.
const minAttempt = 100 * time.Millisecond

// heartbeatEvery is how often a waiting Deliver heartbeats; a heartbeat
// timeout of 30s or more leaves room for several.
const heartbeatEvery = 5 * time.Second

// NewSender returns a Sender with o's defaults filled in.
func NewSender(o Options) *Sender {
	if o.Client == nil {
		t := http.DefaultTransport.(*http.Transport).Clone()
		t.MaxIdleConnsPerHost = 4
		o.Client = &http.Client{
			Transport:     t,
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		}
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Getenv == nil {
		o.Getenv = os.Getenv
	}
	return &Sender{o: o, backoff: o.Backoff.withDefaults()}
}

// Result describes one event's delivery to one webhook.
type Result struct {
	EventID   string        `json:"event_id"`
	Event     string        `json:"event"`
	Webhook   string        `json:"webhook"` // as messages may show it
	Filtered  bool          `json:"filtered,omitempty"`
	Delivered bool          `json:"delivered"`
	Attempts  int           `json:"attempts"`
	Status    int           `json:"status,omitempty"` // last HTTP status
	Elapsed   time.Duration `json:"elapsed"`
}

// Deliver sends one event to one webhook and retries until the receiver
// answers 2xx, refuses it for good, or the event's time budget
// (Backoff.MaxElapsed, and ctx's deadline less a second) runs out. Every
// attempt carries the same body and webhook-id, with a fresh
// webhook-timestamp and signature. An event the webhook's filter leaves
// out returns Filtered and no error. A failure is an *Error whose Kind
// says whether trying the activity again can help (only Interrupted can).
func (s *Sender) Deliver(ctx context.Context, w Webhook, e Event) (Result, error) {
	d := &delivery{s: s, w: w, e: e, start: time.Now()}
	d.res = Result{EventID: e.ID(), Event: e.Type, Webhook: w.Name()}
	if errs := w.Validate(); errs != nil {
		return d.fail(Invalid, errs)
	}
	if err := e.Validate(); err != nil {
		return d.fail(Invalid, err)
	}
	if !w.Wants(e.Type) {
		d.res.Filtered = true
		return d.res, nil
	}
	if err := d.prepare(); err != nil {
		return d.fail(Invalid, err)
	}
	d.budget = s.backoff.MaxElapsed
	if dl, ok := ctx.Deadline(); ok {
		// Stop a little before the activity's deadline, so the caller gets
		// this package's error rather than Temporal's timeout.
		d.budget = min(d.budget, time.Until(dl)-time.Second)
	}
	d.hb = s.heartbeats(ctx)
	defer d.hb.stop()

	err := d.run(ctx)
	var se *statusError
	switch {
	case err == nil:
		d.res.Delivered, d.res.Elapsed = true, time.Since(d.start)
		s.o.Metrics.observe(w.Format, e.Type, "delivered", d.res.Elapsed)
		s.o.Logger.Debug("webhook delivered", "webhook", d.res.Webhook, "event", e.Type, "id", d.res.EventID, "attempts", d.res.Attempts)
		return d.res, nil
	case ctx.Err() != nil:
		return d.fail(Interrupted, errors.Join(context.Cause(ctx), d.last))
	case errors.As(d.last, &se) && !se.retryable():
		return d.fail(Rejected, d.last)
	}
	return d.fail(GaveUp, d.last)
}

// body renders the event in the webhook's format.
func (s *Sender) body(w Webhook, e Event) ([]byte, string, error) {
	if w.format() == FormatSlack {
		b, err := Slack(e, s.o.Links)
		return b, "application/json", err
	}
	b, err := CloudEvent(e, s.o.Links)
	return b, ContentTypeCloudEvents, err
}
