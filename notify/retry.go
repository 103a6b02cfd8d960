package notify

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/cenkalti/backoff/v5"
)

// delivery is one event on its way to one webhook.
type delivery struct {
	s     *Sender
	w     Webhook
	e     Event
	start time.Time
	res   Result

	// Set by prepare: where, what and with which keys.
	tgt         target
	body        []byte
	contentType string
	keys        [][]byte

	budget time.Duration // for all attempts and waits
	last   error         // the latest attempt's failure
	hb     *heartbeater
}

// prepare reads the URL and the secrets (both may live in files or the
// environment) and renders the body once, for every attempt.
func (d *delivery) prepare() error {
	var err error
	if d.tgt, err = d.w.resolve(d.s.o.Getenv); err != nil {
		return err
	}
	d.res.Webhook = d.tgt.name
	if d.body, d.contentType, err = d.s.body(d.w, d.e); err != nil {
		return err
	}
	d.keys, err = d.w.secrets(d.s.o.Getenv)
	return err
}

// fail records and returns a failed delivery.
func (d *delivery) fail(kind Kind, err error) (Result, error) {
	d.res.Elapsed = time.Since(d.start)
	d.s.o.Metrics.observe(d.w.Format, d.e.Type, string(kind), d.res.Elapsed)
	e := &Error{Kind: kind, Webhook: d.res.Webhook, Event: d.e.Type, EventID: d.res.EventID,
		Attempts: d.res.Attempts, Status: d.res.Status, Elapsed: d.res.Elapsed, Err: err}
	if kind != Interrupted {
		d.s.o.Logger.Error("webhook delivery failed", "error", e)
	}
	return d.res, e
}

// run makes attempts until one succeeds, one is refused for good, the
// budget runs out or ctx ends.
func (d *delivery) run(ctx context.Context) error {
	b := d.s.backoff
	exp := &backoff.ExponentialBackOff{InitialInterval: b.Initial, RandomizationFactor: 0.5, Multiplier: 2, MaxInterval: b.Max}
	notify := func(err error, next time.Duration) {
		next = next.Round(time.Millisecond)
		d.hb.note("attempt %d failed (%v); next in %s", d.res.Attempts, err, next)
		d.s.o.Logger.Warn("webhook attempt failed; retrying", "webhook", d.res.Webhook, "event", d.e.Type,
			"id", d.res.EventID, "attempt", d.res.Attempts, "retry_in", next, "error", err)
	}
	_, err := backoff.Retry(ctx, func() (int, error) { return d.attempt(ctx) },
		backoff.WithBackOff(exp), backoff.WithMaxElapsedTime(max(d.budget, time.Millisecond)), backoff.WithNotify(notify))
	return err
}

// attempt is one POST, its failure classified for the backoff library:
// permanent for a final answer (or no time left), with a delay for a
// Retry-After.
func (d *delivery) attempt(ctx context.Context) (int, error) {
	left := d.budget - time.Since(d.start)
	if d.res.Attempts > 0 && left < minAttempt {
		return 0, backoff.Permanent(d.last) // no time left for a real attempt
	}
	d.res.Attempts++
	d.hb.note("attempt %d", d.res.Attempts)
	p := post{url: d.tgt.url.String(), contentType: d.contentType, body: d.body, id: d.res.EventID, keys: d.keys,
		timeout: d.w.timeout(), limit: "the webhook's timeout"}
	if left < p.timeout {
		p.timeout, p.limit = max(left, minAttempt), "what was left of the event's time budget"
	}
	status, err := d.s.post(ctx, p)
	d.res.Status, d.last = status, err
	d.s.o.Metrics.attempt(d.w.Format, attemptOutcome(status, err))
	var se *statusError
	switch {
	case err == nil:
		return status, nil
	case errors.As(err, &se) && !se.retryable():
		return status, backoff.Permanent(err)
	case errors.As(err, &se) && se.retryAfter > 0:
		wait := max(min(se.retryAfter, d.s.backoff.MaxRetryAfter), d.s.backoff.Initial)
		return status, &retryLater{err: err, after: &backoff.RetryAfterError{Duration: wait}}
	}
	return status, err
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
