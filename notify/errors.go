package notify

import (
	"errors"
	"fmt"
	"time"
)

// Kind classifies a delivery failure for the caller, so the activity can
// tell Temporal whether to try again.
type Kind string

// Kinds of delivery failure.
const (
	// Invalid: the event or webhook cannot be sent as it is (an unknown
	// event type, a missing or unreadable secret, a bad URL). Permanent
	// until someone changes the configuration.
	Invalid Kind = "invalid"
	// Rejected: the receiver refused the event with a 4xx other than 429,
	// or redirected it. Permanent: sending it again gets the same answer.
	Rejected Kind = "rejected"
	// GaveUp: every attempt within the event's time budget failed on the
	// network, timed out or got a 5xx or 429. Permanent for this event.
	GaveUp Kind = "gave_up"
	// Interrupted: the context ended (the worker is shutting down or the
	// activity timed out) before the event was delivered or given up.
	// Retryable: another attempt of the activity sends it again, with the
	// same webhook-id.
	Interrupted Kind = "interrupted"
)

// Error is a failed delivery. Its message names the webhook by scheme,
// host and a short path (never the query, user info or a URL that is
// itself a secret), the event and the last answer, with at most a short
// sanitised excerpt of the receiver's body.
type Error struct {
	Kind     Kind
	Webhook  string // the webhook as messages may show it
	Event    string // event type
	EventID  string
	Attempts int
	Status   int // last HTTP status, 0 without an answer
	Elapsed  time.Duration
	Err      error // the last attempt's failure
}

func (e *Error) Error() string {
	msg := fmt.Sprintf("notify %s: %s %s", e.Webhook, e.Event, e.EventID)
	switch e.Kind {
	case Rejected:
		msg += fmt.Sprintf(": rejected on attempt %d", e.Attempts)
	case GaveUp:
		msg += fmt.Sprintf(": gave up after %d attempts in %s", e.Attempts, e.Elapsed.Round(time.Millisecond))
	case Interrupted:
		msg += fmt.Sprintf(": interrupted after %d attempts", e.Attempts)
	}
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return msg
}

func (e *Error) Unwrap() error { return e.Err }

// Permanent reports whether sending the same event again cannot help.
func (e *Error) Permanent() bool { return e.Kind != Interrupted }

// IsPermanent reports whether err is a delivery failure that a retry of
// the activity cannot fix; false for nil and for other errors.
func IsPermanent(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.Permanent()
}

// statusError is an answer other than 2xx.
type statusError struct {
	status     int
	text       string // status text, e.g. "Service Unavailable"
	body       string // sanitised excerpt of the response body
	retryAfter time.Duration
	location   string // for a redirect, its target (scheme, host, short path)
}

func (e *statusError) Error() string {
	msg := fmt.Sprintf("status %d %s", e.status, e.text)
	switch {
	case e.location != "":
		msg += " redirect to " + e.location + "; webhooks are not redirected: put the final URL in the policy"
	case e.status == 410:
		msg += ": the receiver says it wants no more events; remove the webhook from the policy"
	case e.status == 401 || e.status == 403:
		msg += ": check the receiver's secret against the webhook's secret_file / secret_env"
	}
	if e.body != "" {
		msg += " (body " + e.body + ")"
	}
	return msg
}

// retryable says whether an answer is worth another attempt: 5xx and 429.
func (e *statusError) retryable() bool { return e.status >= 500 || e.status == 429 }
