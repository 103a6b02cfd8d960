package notify

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// maxResponse is how much of a receiver's answer is read: enough for an
// excerpt, never a whole page.
const maxResponse = 1024

// userAgent names the sender to receivers.
const userAgent = "patchflow-webhook/1"

// post is one attempt's request.
type post struct {
	url         string
	contentType string
	body        []byte
	id          string
	keys        [][]byte
	timeout     time.Duration
	limit       string // what set the timeout, for the error
}

// errTimeout is an attempt that got no answer in time.
var errTimeout = errors.New("timeout")

// post sends one attempt and returns the status and nil for 2xx, a
// *statusError for any other answer, or a network error. Errors never
// repeat the URL: net/http puts the whole URL, query included, in its own.
func (s *Sender) post(ctx context.Context, p post) (int, error) {
	actx, cancel := context.WithTimeout(ctx, p.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(actx, http.MethodPost, p.url, bytes.NewReader(p.body))
	if err != nil {
		return 0, errors.New("build request: the URL does not form a request")
	}
	ts := time.Now().Unix()
	req.Header.Set("Content-Type", p.contentType)
	req.Header.Set("User-Agent", userAgent)
	req.Header.Set(HeaderID, p.id)
	req.Header.Set(HeaderTimestamp, strconv.FormatInt(ts, 10))
	if len(p.keys) > 0 {
		req.Header.Set(HeaderSignature, Sign(p.keys, p.id, ts, p.body))
	}
	resp, err := s.o.Client.Do(req)
	if err != nil {
		return 0, networkError(ctx, actx, err, p)
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		// Read a little so the connection can be reused; the answer's
		// content is not needed.
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxResponse))
		return resp.StatusCode, nil
	}
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, maxResponse))
	se := &statusError{
		status: resp.StatusCode,
		text:   http.StatusText(resp.StatusCode),
		body:   bodyExcerpt(raw),
	}
	if resp.StatusCode >= 300 && resp.StatusCode < 400 {
		se.location = "(none)"
		if loc, err := resp.Location(); err == nil {
			se.location = displayURL(loc)
		}
	}
	if se.retryable() {
		se.retryAfter, _ = parseRetryAfter(resp.Header.Get("Retry-After"), time.Now())
	}
	return resp.StatusCode, se
}

// networkError describes a failed request without the URL.
func networkError(ctx, actx context.Context, err error, p post) error {
	if ctx.Err() == nil && errors.Is(actx.Err(), context.DeadlineExceeded) {
		return fmt.Errorf("%w: no answer within %s (%s)", errTimeout, p.timeout, p.limit)
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return fmt.Errorf("%w: %v", errTimeout, err)
	}
	return fmt.Errorf("post: %v", err)
}

// bodyExcerpt quotes the start of a receiver's answer, control characters
// escaped; "" when it is empty.
func bodyExcerpt(raw []byte) string {
	s := strings.TrimSpace(string(raw))
	if s == "" {
		return ""
	}
	return excerpt(s)
}

// parseRetryAfter reads a Retry-After header: delay seconds or an HTTP
// date. Anything else, or a date in the past, gives false.
func parseRetryAfter(v string, now time.Time) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if secs, err := strconv.ParseUint(v, 10, 32); err == nil {
		return time.Duration(secs) * time.Second, true
	}
	t, err := http.ParseTime(v)
	if err != nil || !t.After(now) {
		return 0, false
	}
	return t.Sub(now), true
}

// attemptOutcome is the bounded label of one attempt.
func attemptOutcome(status int, err error) string {
	switch {
	case err == nil:
		return "ok"
	case errors.Is(err, errTimeout):
		return "timeout"
	case status == 0:
		return "network_error"
	case status == 429:
		return "http_429"
	case status >= 500:
		return "http_5xx"
	case status >= 400:
		return "http_4xx"
	}
	return "http_3xx"
}
