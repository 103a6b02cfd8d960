package notify

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"sync"
	"time"

	"github.com/cenkalti/backoff/v5"
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

// Sender delivers events to webhooks. It is safe for concurrent use; a
// worker keeps one.
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
	start := time.Now()
	res := Result{EventID: e.ID(), Event: e.Type, Webhook: w.name()}
	fail := func(kind Kind, err error) (Result, error) {
		res.Elapsed = time.Since(start)
		s.o.Metrics.observe(w.format(), e.Type, string(kind), res.Elapsed)
		return res, &Error{Kind: kind, Webhook: res.Webhook, Event: e.Type, EventID: res.EventID,
			Attempts: res.Attempts, Status: res.Status, Elapsed: res.Elapsed, Err: err}
	}
	if errs := w.Validate(); errs != nil {
		return fail(Invalid, errs)
	}
	if !w.Wants(e.Type) {
		res.Filtered = true
		return res, nil
	}
	tgt, err := w.resolve(s.o.Getenv)
	if err != nil {
		return fail(Invalid, err)
	}
	res.Webhook = tgt.name
	body, contentType, err := s.body(w, e)
	if err != nil {
		return fail(Invalid, err)
	}
	keys, err := w.secrets(s.o.Getenv)
	if err != nil {
		return fail(Invalid, err)
	}

	budget := s.backoff.MaxElapsed
	if dl, ok := ctx.Deadline(); ok {
		// Stop a little before the activity's deadline, so the caller gets
		// this package's error rather than Temporal's timeout.
		budget = min(budget, time.Until(dl)-time.Second)
	}
	hb := s.heartbeats(ctx)
	defer hb.stop()

	var last error
	op := func() (int, error) {
		left := budget - time.Since(start)
		if res.Attempts > 0 && left < minAttempt {
			return 0, backoff.Permanent(last) // no time left for a real attempt
		}
		res.Attempts++
		hb.note("attempt %d", res.Attempts)
		p := post{url: tgt.url.String(), contentType: contentType, body: body, id: res.EventID, keys: keys,
			timeout: w.timeout(), limit: "the webhook's timeout"}
		if left < p.timeout {
			p.timeout, p.limit = max(left, minAttempt), "what was left of the event's time budget"
		}
		status, err := s.post(ctx, p)
		res.Status = status
		s.o.Metrics.attempt(w.format(), attemptOutcome(status, err))
		last = err
		var se *statusError
		switch {
		case err == nil:
			return status, nil
		case errors.As(err, &se) && !se.retryable():
			return status, backoff.Permanent(err)
		case errors.As(err, &se) && se.retryAfter > 0:
			return status, &retryLater{err: err, after: &backoff.RetryAfterError{Duration: max(min(se.retryAfter, s.backoff.MaxRetryAfter), s.backoff.Initial)}}
		}
		return status, err
	}
	exp := &backoff.ExponentialBackOff{
		InitialInterval: s.backoff.Initial, RandomizationFactor: 0.5, Multiplier: 2, MaxInterval: s.backoff.Max,
	}
	notify := func(err error, next time.Duration) {
		hb.note("attempt %d failed (%v); next in %s", res.Attempts, err, next.Round(time.Millisecond))
		s.o.Logger.Warn("webhook attempt failed; retrying", "webhook", tgt.name, "event", e.Type, "id", res.EventID,
			"attempt", res.Attempts, "retry_in", next.Round(time.Millisecond), "error", err)
	}
	_, err = backoff.Retry(ctx, op, backoff.WithBackOff(exp), backoff.WithMaxElapsedTime(max(budget, time.Millisecond)), backoff.WithNotify(notify))
	var se *statusError
	switch {
	case err == nil:
		res.Delivered, res.Elapsed = true, time.Since(start)
		s.o.Metrics.observe(w.format(), e.Type, "delivered", res.Elapsed)
		s.o.Logger.Debug("webhook delivered", "webhook", tgt.name, "event", e.Type, "id", res.EventID, "attempts", res.Attempts)
		return res, nil
	case ctx.Err() != nil:
		return fail(Interrupted, errors.Join(context.Cause(ctx), last))
	case errors.As(last, &se) && !se.retryable():
		r, err := fail(Rejected, last)
		s.o.Logger.Error("webhook refused the event", "error", err)
		return r, err
	}
	r, err := fail(GaveUp, last)
	s.o.Logger.Error("webhook delivery given up", "error", err)
	return r, err
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

// retryLater is a retryable answer that asked for a delay: the backoff
// library reads the delay, Deliver reads the answer.
type retryLater struct {
	err   error
	after *backoff.RetryAfterError
}

func (r *retryLater) Error() string   { return r.err.Error() }
func (r *retryLater) Unwrap() []error { return []error{r.err, r.after} }

// heartbeater reports progress while Deliver runs.
type heartbeater struct {
	mu   sync.Mutex
	last string
	beat func(string)
	done chan struct{}
	wg   sync.WaitGroup
}

func (s *Sender) heartbeats(ctx context.Context) *heartbeater {
	h := &heartbeater{done: make(chan struct{})}
	if s.o.Heartbeat == nil {
		return h
	}
	h.beat = func(note string) { s.o.Heartbeat(ctx, note) }
	h.wg.Go(func() {
		t := time.NewTicker(heartbeatEvery)
		defer t.Stop()
		for {
			select {
			case <-t.C:
				h.mu.Lock()
				note := h.last
				h.mu.Unlock()
				h.beat(note)
			case <-h.done:
				return
			case <-ctx.Done():
				return
			}
		}
	})
	return h
}

func (h *heartbeater) note(format string, args ...any) {
	if h.beat == nil {
		return
	}
	note := fmt.Sprintf(format, args...)
	h.mu.Lock()
	h.last = note
	h.mu.Unlock()
	h.beat(note)
}

func (h *heartbeater) stop() {
	close(h.done)
	h.wg.Wait()
}
