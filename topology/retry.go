package topology

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// errRetry asks retry for another attempt without it being a failure
// (another process changed what the step looked at).
var errRetry = errors.New("changed meanwhile, trying again")

type permanentError struct{ err error }

func (p permanentError) Error() string { return p.err.Error() }
func (p permanentError) Unwrap() error { return p.err }

// permanent marks an error that no retry can fix.
func permanent(err error) error { return permanentError{err} }

// retry runs do until it succeeds, fails permanently or ctx ends; the
// error then is the last attempt's, so the caller sees why, not only that
// time ran out. The server answers "unavailable" or "namespace not found"
// for a few seconds after it starts or registers a namespace.
func retry(ctx context.Context, do func(context.Context) error) error {
	wait := 100 * time.Millisecond
	for {
		attemptCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
		err := do(attemptCtx)
		cancel()
		var p permanentError
		switch {
		case err == nil:
			return nil
		case errors.As(err, &p):
			return p.err
		}
		select {
		case <-ctx.Done():
			if errors.Is(err, errRetry) {
				return ctx.Err()
			}
			return fmt.Errorf("%w (gave up: %v)", err, context.Cause(ctx))
		case <-time.After(wait):
		}
		wait = min(2*wait, 2*time.Second)
	}
}
