package notify

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// testSecret is the Standard Webhooks reference secret (24 bytes).
const testSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"

// fastBackoff keeps retries in milliseconds.
var fastBackoff = Backoff{Initial: 5 * time.Millisecond, Max: 40 * time.Millisecond, MaxElapsed: 20 * time.Second, MaxRetryAfter: 2 * time.Second}

func quietLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func newTestSender(o Options) *Sender {
	if o.Backoff == (Backoff{}) {
		o.Backoff = fastBackoff
	}
	if o.Logger == nil {
		o.Logger = quietLogger()
	}
	if o.Links == (Links{}) {
		o.Links = sampleLinks
	}
	return NewSender(o)
}

func secretFile(t testing.TB, content string) string {
	p := filepath.Join(t.TempDir(), "webhook.secret")
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestDeliverSignedCloudEvent(t *testing.T) {
	rc := newReceiver(t, specKey(t, testSecret))
	s := newTestSender(Options{})
	hook := Webhook{URL: rc.url, SecretFile: secretFile(t, testSecret+"\n")}
	ev := sampleEvents()[0]

	res, err := s.Deliver(context.Background(), hook, ev)
	if err != nil {
		t.Fatalf("Deliver: %v", err)
	}
	if !res.Delivered || res.Attempts != 1 || res.Status != http.StatusNoContent {
		t.Errorf("result %+v; want delivered on the first attempt with 204", res)
	}
	reqs := rc.allRequests()
	if len(reqs) != 1 {
		t.Fatalf("receiver saw %d requests, want 1", len(reqs))
	}
	r := reqs[0]
	if r.id != ev.ID() || !r.signed {
		t.Errorf("webhook-id %q signed %v; want %q, signed", r.id, r.signed, ev.ID())
	}
	if ct := r.header.Get("Content-Type"); ct != ContentTypeCloudEvents {
		t.Errorf("Content-Type %q, want %q", ct, ContentTypeCloudEvents)
	}
	want, _ := CloudEvent(ev, sampleLinks)
	if string(r.body) != string(want) {
		t.Errorf("body\n%s\nwant\n%s", r.body, want)
	}
	// The package's own Verify accepts what it sent, too.
	if err := Verify(testSecret, r.header, r.body, 0); err != nil {
		t.Errorf("Verify: %v", err)
	}
}

func TestDeliverUnsignedWithoutSecret(t *testing.T) {
	rc := newReceiver(t, nil)
	s := newTestSender(Options{})
	if _, err := s.Deliver(context.Background(), Webhook{URL: rc.url}, sampleEvents()[1]); err != nil {
		t.Fatal(err)
	}
	r := rc.allRequests()[0]
	if r.signed || r.id == "" || r.timestamp == "" {
		t.Errorf("signed %v, id %q, timestamp %q; want unsigned with id and timestamp", r.signed, r.id, r.timestamp)
	}
}

func TestDeliverSecretFromEnvRaw(t *testing.T) {
	raw := "correct-horse-battery-staple-0123456789" // a raw (not whsec_) secret
	rc := newReceiver(t, []byte(raw))
	t.Setenv("PATCHFLOW_TEST_WEBHOOK_SECRET", raw)
	s := newTestSender(Options{})
	hook := Webhook{URL: rc.url, SecretEnv: "PATCHFLOW_TEST_WEBHOOK_SECRET"}
	if _, err := s.Deliver(context.Background(), hook, sampleEvents()[2]); err != nil {
		t.Fatal(err)
	}
	if got := rc.processedIDs(); len(got) != 1 {
		t.Errorf("processed %v, want one event", got)
	}
}

func TestDeliverRotatedSecretsBothSign(t *testing.T) {
	// The receiver still has the old key; the file lists new then old.
	old := "whsec_" + strings.Repeat("b2xkLWtleS0", 4)
	rc := newReceiver(t, specKey(t, old))
	s := newTestSender(Options{})
	hook := Webhook{URL: rc.url, SecretFile: secretFile(t, testSecret+"\n"+old+"\n")}
	if _, err := s.Deliver(context.Background(), hook, sampleEvents()[3]); err != nil {
		t.Fatal(err)
	}
	if sig := rc.allRequests()[0].header.Get(HeaderSignature); strings.Count(sig, "v1,") != 2 {
		t.Errorf("webhook-signature %q, want two v1 signatures", sig)
	}
}

func TestDeliverMissingSecretFileSendsNothing(t *testing.T) {
	rc := newReceiver(t, nil)
	s := newTestSender(Options{})
	missing := filepath.Join(t.TempDir(), "no-such.secret")
	_, err := s.Deliver(context.Background(), Webhook{URL: rc.url, SecretFile: missing}, sampleEvents()[0])
	var e *Error
	if !errors.As(err, &e) || e.Kind != Invalid || !strings.Contains(err.Error(), missing) {
		t.Fatalf("error %v; want an Invalid error naming %s", err, missing)
	}
	if n := rc.requestCount(); n != 0 {
		t.Errorf("receiver got %d requests; an event must never go out unsigned when its secret is missing", n)
	}
}

func TestDeliverBadSecretNeverQuoted(t *testing.T) {
	rc := newReceiver(t, nil)
	s := newTestSender(Options{})
	for name, content := range map[string]string{
		"bad base64": "whsec_!!!SECRETMARKER!!!SECRETMARKER",
		"too short":  "SECRETMARKER",
		"empty":      " \n\t\n",
	} {
		file := secretFile(t, content)
		_, err := s.Deliver(context.Background(), Webhook{URL: rc.url, SecretFile: file}, sampleEvents()[0])
		if err == nil || !strings.Contains(err.Error(), file) || strings.Contains(err.Error(), "SECRETMARKER") {
			t.Errorf("%s: error %v; want one naming %s without the content", name, err, file)
		}
	}
	t.Setenv("PATCHFLOW_TEST_EMPTY", "")
	_, err := s.Deliver(context.Background(), Webhook{URL: rc.url, SecretEnv: "PATCHFLOW_TEST_EMPTY"}, sampleEvents()[0])
	if err == nil || !strings.Contains(err.Error(), "secret_env PATCHFLOW_TEST_EMPTY is not set") {
		t.Errorf("empty secret_env: error %v", err)
	}
	if n := rc.requestCount(); n != 0 {
		t.Errorf("receiver got %d requests with a broken secret, want 0", n)
	}
}

func TestDeliverSlackForm(t *testing.T) {
	rc := newReceiver(t, nil)
	s := newTestSender(Options{})
	ev := sampleEvents()[1] // approval needed
	if _, err := s.Deliver(context.Background(), Webhook{URL: rc.url, Format: FormatSlack}, ev); err != nil {
		t.Fatal(err)
	}
	r := rc.allRequests()[0]
	if ct := r.header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type %q, want application/json (Slack and Mattermost)", ct)
	}
	msg := decodeSlack(t, r.body)
	checkSlackShape(t, ev.Type, msg)
	if !strings.Contains(msg.Text, "patchflow cycle approve "+sampleCycle) {
		t.Errorf("text %q lacks the approve command", msg.Text)
	}
}

func TestDeliverFilter(t *testing.T) {
	rc := newReceiver(t, nil)
	s := newTestSender(Options{})
	hook := Webhook{URL: rc.url, Events: []string{"host.*", "cycle_finished"}}
	var sent []string
	for _, ev := range sampleEvents() {
		res, err := s.Deliver(context.Background(), hook, ev)
		if err != nil {
			t.Fatal(err)
		}
		if !res.Filtered {
			sent = append(sent, ev.Type)
		}
	}
	want := []string{HostFailed, HostRolledBack, HostFailed, CycleFinished}
	if strings.Join(sent, " ") != strings.Join(want, " ") || rc.requestCount() != len(want) {
		t.Errorf("sent %v (%d requests), want %v", sent, rc.requestCount(), want)
	}
}

func TestDeliverRetriesServerErrorsThenDelivers(t *testing.T) {
	rc := newReceiver(t, specKey(t, testSecret))
	rc.setAnswer(func(n int, w http.ResponseWriter, _ *http.Request) bool {
		if n <= 3 {
			http.Error(w, "upstream connect error or disconnect/reset before headers", http.StatusServiceUnavailable)
			return false
		}
		return true
	})
	s := newTestSender(Options{})
	hook := Webhook{URL: rc.url, SecretFile: secretFile(t, testSecret)}
	res, err := s.Deliver(context.Background(), hook, sampleEvents()[7])
	if err != nil {
		t.Fatal(err)
	}
	if res.Attempts != 4 || len(rc.processedIDs()) != 1 {
		t.Errorf("attempts %d, processed %v; want 4 attempts and the event processed once", res.Attempts, rc.processedIDs())
	}
	reqs := rc.allRequests()
	for _, r := range reqs[1:] {
		if r.id != reqs[0].id || string(r.body) != string(reqs[0].body) {
			t.Errorf("a retry changed the webhook-id or body: %q vs %q", r.id, reqs[0].id)
		}
	}
}

func TestDeliverRetryAfterAnswerLostIsProcessedOnce(t *testing.T) {
	// The receiver processes the event, then its answer times out: the
	// retry carries the same webhook-id, so it is not processed twice.
	rc := newReceiver(t, nil)
	release := make(chan struct{})
	rc.setAnswer(func(n int, _ http.ResponseWriter, r *http.Request) bool {
		if n == 1 {
			rc.mu.Lock()
			rc.seen[r.Header.Get(HeaderID)] = true
			rc.processed = append(rc.processed, received{id: r.Header.Get(HeaderID)})
			rc.mu.Unlock()
			select { // hold the answer until the sender gave up on it
			case <-r.Context().Done():
			case <-release:
			}
			return false
		}
		return true
	})
	defer close(release)
	s := newTestSender(Options{})
	res, err := s.Deliver(context.Background(), Webhook{URL: rc.url, Timeout: 200 * time.Millisecond}, sampleEvents()[0])
	if err != nil {
		t.Fatal(err)
	}
	if res.Attempts != 2 || len(rc.processedIDs()) != 1 || rc.requestCount() != 2 {
		t.Errorf("attempts %d, requests %d, processed %v; want 2, 2, once", res.Attempts, rc.requestCount(), rc.processedIDs())
	}
}

func TestDeliverTooManyRequestsWaitsRetryAfter(t *testing.T) {
	rc := newReceiver(t, nil)
	rc.setAnswer(func(n int, w http.ResponseWriter, _ *http.Request) bool {
		if n == 1 {
			w.Header().Set("Retry-After", "1")
			http.Error(w, "slow down", http.StatusTooManyRequests)
			return false
		}
		return true
	})
	s := newTestSender(Options{})
	res, err := s.Deliver(context.Background(), Webhook{URL: rc.url}, sampleEvents()[0])
	if err != nil {
		t.Fatal(err)
	}
	reqs := rc.allRequests()
	if res.Attempts != 2 || len(reqs) != 2 {
		t.Fatalf("attempts %d, requests %d; want 2", res.Attempts, len(reqs))
	}
	// Without Retry-After the backoff would wait milliseconds.
	if gap := reqs[1].at.Sub(reqs[0].at); gap < time.Second {
		t.Errorf("second attempt %s after the 429, want at least the 1s Retry-After asked", gap)
	}
}

func TestDeliverRetryAfterCappedAndBeyondBudget(t *testing.T) {
	rc := newReceiver(t, nil)
	rc.setAnswer(func(n int, w http.ResponseWriter, _ *http.Request) bool {
		if n == 1 {
			w.Header().Set("Retry-After", "3600")
			w.WriteHeader(http.StatusServiceUnavailable)
			return false
		}
		return true
	})
	// MaxRetryAfter caps the hour to 5ms: delivered on the next attempt.
	b := fastBackoff
	b.MaxRetryAfter = 5 * time.Millisecond
	if res, err := newTestSender(Options{Backoff: b}).Deliver(context.Background(), Webhook{URL: rc.url}, sampleEvents()[0]); err != nil || res.Attempts != 2 {
		t.Fatalf("capped Retry-After: %+v, %v; want delivered on attempt 2", res, err)
	}

	// A Retry-After longer than what is left of the budget: give up now.
	rc2 := newReceiver(t, nil)
	rc2.setAnswer(func(_ int, w http.ResponseWriter, _ *http.Request) bool {
		w.Header().Set("Retry-After", "3600")
		w.WriteHeader(http.StatusTooManyRequests)
		return false
	})
	b.MaxRetryAfter, b.MaxElapsed = 2*time.Hour, 30*time.Second
	res, err := newTestSender(Options{Backoff: b}).Deliver(context.Background(), Webhook{URL: rc2.url}, sampleEvents()[0])
	var e *Error
	if !errors.As(err, &e) || e.Kind != GaveUp || res.Attempts != 1 || !strings.Contains(err.Error(), "status 429") {
		t.Errorf("Retry-After beyond the budget: %+v, %v; want GaveUp after 1 attempt naming the 429", res, err)
	}
}

func TestDeliverClientErrorIsPermanent(t *testing.T) {
	rc := newReceiver(t, nil)
	rc.setAnswer(func(_ int, w http.ResponseWriter, _ *http.Request) bool {
		w.WriteHeader(http.StatusBadRequest)
		io.WriteString(w, "invalid payload\x1b[31m: "+strings.Repeat("x", 5000))
		return false
	})
	s := newTestSender(Options{})
	hook := Webhook{URL: rc.url + "?token=QUERYSECRET"}
	res, err := s.Deliver(context.Background(), hook, sampleEvents()[0])
	var e *Error
	if !errors.As(err, &e) || e.Kind != Rejected || !IsPermanent(err) || res.Attempts != 1 || rc.requestCount() != 1 {
		t.Fatalf("%+v, %v; want Rejected after one request", res, err)
	}
	msg := err.Error()
	for _, want := range []string{"status 400", strings.TrimPrefix(rc.url, ""), `\x1b`} {
		if !strings.Contains(msg, want) {
			t.Errorf("error %q lacks %q", msg, want)
		}
	}
	if strings.Contains(msg, "QUERYSECRET") || strings.Contains(msg, "\x1b") || strings.Contains(msg, strings.Repeat("x", 60)) {
		t.Errorf("error %q leaks the query, a raw control character or more than an excerpt of the body", msg)
	}
}

func TestDeliverRedirectIsRefused(t *testing.T) {
	rc := newReceiver(t, nil)
	rc.setAnswer(func(_ int, w http.ResponseWriter, r *http.Request) bool {
		http.Redirect(w, r, "https://elsewhere.example/hook?sig=abc", http.StatusFound)
		return false
	})
	_, err := newTestSender(Options{}).Deliver(context.Background(), Webhook{URL: rc.url}, sampleEvents()[0])
	if !IsPermanent(err) || !strings.Contains(err.Error(), "redirect to https://elsewhere.example/hook") || strings.Contains(err.Error(), "sig=abc") {
		t.Errorf("error %v; want a permanent error naming the redirect without its query", err)
	}
	if rc.requestCount() != 1 {
		t.Errorf("%d requests; a redirect must not be followed or retried", rc.requestCount())
	}
}

func TestDeliverSlowReceiverTimesOut(t *testing.T) {
	rc := newReceiver(t, nil)
	rc.setAnswer(func(_ int, _ http.ResponseWriter, r *http.Request) bool {
		<-r.Context().Done() // never answers; the sender's timeout ends it
		return false
	})
	b := fastBackoff
	b.MaxElapsed = 1500 * time.Millisecond
	res, err := newTestSender(Options{Backoff: b}).Deliver(context.Background(), Webhook{URL: rc.url, Timeout: 150 * time.Millisecond}, sampleEvents()[0])
	var e *Error
	if !errors.As(err, &e) || e.Kind != GaveUp || !strings.Contains(err.Error(), "no answer within 150ms") {
		t.Fatalf("%+v, %v; want GaveUp with the attempt timeout", res, err)
	}
	if res.Attempts < 2 || len(rc.processedIDs()) != 0 {
		t.Errorf("attempts %d, processed %v; want several attempts, nothing processed", res.Attempts, rc.processedIDs())
	}
}

func TestDeliverInterruptedIsRetryable(t *testing.T) {
	rc := newReceiver(t, nil)
	rc.setAnswer(func(int, http.ResponseWriter, *http.Request) bool { panic(http.ErrAbortHandler) })
	ctx, cancel := context.WithCancel(context.Background())
	s := newTestSender(Options{})
	go func() {
		<-rc.arrived // cancel once the first attempt reached the receiver
		cancel()
	}()
	_, err := s.Deliver(ctx, Webhook{URL: rc.url}, sampleEvents()[0])
	var e *Error
	if !errors.As(err, &e) || e.Kind != Interrupted || IsPermanent(err) {
		t.Errorf("error %v; want Interrupted, not permanent", err)
	}
}

// Inside an activity with a deadline, Deliver gives up before it, so the
// caller gets a final GaveUp rather than Temporal's timeout.
func TestDeliverStopsBeforeContextDeadline(t *testing.T) {
	rc := newReceiver(t, nil)
	rc.srv.Close() // down for good
	ctx, cancel := context.WithTimeout(context.Background(), 1500*time.Millisecond)
	defer cancel()
	res, err := newTestSender(Options{}).Deliver(ctx, Webhook{URL: rc.url}, sampleEvents()[0])
	var e *Error
	if !errors.As(err, &e) || e.Kind != GaveUp || ctx.Err() != nil {
		t.Errorf("%+v, %v (ctx %v); want GaveUp before the context's deadline", res, err, ctx.Err())
	}
}

func TestDeliverURLFromFile(t *testing.T) {
	rc := newReceiver(t, nil)
	file := secretFile(t, rc.url+"\n")
	res, err := newTestSender(Options{}).Deliver(context.Background(), Webhook{URLFile: file}, sampleEvents()[0])
	if err != nil || !res.Delivered || rc.requestCount() != 1 {
		t.Fatalf("%+v, %v; want delivered to the URL in %s", res, err, file)
	}
	if strings.Contains(res.Webhook, "/hooks/patchflow") {
		t.Errorf("result names the secret URL's path: %q", res.Webhook)
	}
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 3, 10, 2, 0, 0, 0, time.UTC)
	for v, want := range map[string]time.Duration{
		"120":                           2 * time.Minute,
		" 0 ":                           0,
		"Tue, 10 Mar 2026 02:00:30 GMT": 30 * time.Second,
	} {
		if d, ok := parseRetryAfter(v, now); !ok || d != want {
			t.Errorf("parseRetryAfter(%q) = %s, %v; want %s", v, d, ok, want)
		}
	}
	for _, v := range []string{"", "-5", "soon", "1.5", "Mon, 09 Mar 2026 02:00:00 GMT"} {
		if d, ok := parseRetryAfter(v, now); ok {
			t.Errorf("parseRetryAfter(%q) = %s; want refused", v, d)
		}
	}
}
