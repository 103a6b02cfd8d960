package notify

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// receiver is a real webhook endpoint on 127.0.0.1, written from the
// Standard Webhooks specification without this package's code: it checks
// every signature, processes each webhook-id once (answering 2xx to a
// repeat without processing it again) and records what it processed in
// arrival order.
type receiver struct {
	t   testing.TB
	srv *httptest.Server
	url string
	key []byte // signing key; nil = deliveries must be unsigned

	mu        sync.Mutex
	requests  []request  // every request, in arrival order
	processed []received // each event once, in order
	seen      map[string]bool
	// answer decides the reply to request n (1-based) before the event is
	// processed; nil or a 2xx status processes it.
	answer func(n int, w http.ResponseWriter, r *http.Request) bool

	arrived chan request // every request, for tests that wait on one
}

// request is one HTTP request as the receiver saw it.
type request struct {
	at        time.Time
	id        string
	timestamp string
	signed    bool
	body      []byte
	header    http.Header
}

// received is a processed event.
type received struct {
	id   string
	body []byte
}

func newReceiver(t testing.TB, key []byte) *receiver {
	rc := &receiver{t: t, key: key, seen: map[string]bool{}, arrived: make(chan request, 1000)}
	rc.srv = httptest.NewServer(http.HandlerFunc(rc.serve))
	rc.url = rc.srv.URL + "/hooks/patchflow"
	t.Cleanup(rc.srv.Close)
	return rc
}

// newReceiverAt starts a receiver on a given 127.0.0.1 address (to bring
// one back up where it was).
func newReceiverAt(t testing.TB, addr string, key []byte) *receiver {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatalf("listen again on %s: %v", addr, err)
	}
	rc := &receiver{t: t, key: key, seen: map[string]bool{}, arrived: make(chan request, 1000)}
	rc.srv = &httptest.Server{Listener: l, Config: &http.Server{Handler: http.HandlerFunc(rc.serve)}}
	rc.srv.Start()
	rc.url = rc.srv.URL + "/hooks/patchflow"
	t.Cleanup(rc.srv.Close)
	return rc
}

func (rc *receiver) serve(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, "read", http.StatusBadRequest)
		return
	}
	req := request{
		at: time.Now(), id: r.Header.Get("webhook-id"), timestamp: r.Header.Get("webhook-timestamp"),
		signed: r.Header.Get("webhook-signature") != "", body: body, header: r.Header.Clone(),
	}
	rc.mu.Lock()
	rc.requests = append(rc.requests, req)
	n := len(rc.requests)
	answer := rc.answer
	rc.mu.Unlock()
	rc.arrived <- req

	if r.Method != http.MethodPost || req.id == "" || req.timestamp == "" {
		rc.t.Errorf("request %d: method %s, webhook-id %q, webhook-timestamp %q; want POST with both", n, r.Method, req.id, req.timestamp)
		http.Error(w, "not a webhook", http.StatusBadRequest)
		return
	}
	if rc.key != nil && !specVerify(rc.key, r.Header, body, time.Now()) {
		rc.t.Errorf("request %d (%s): signature does not verify", n, req.id)
		http.Error(w, "bad signature", http.StatusUnauthorized)
		return
	}
	if rc.key == nil && req.signed {
		rc.t.Errorf("request %d: signed although the webhook has no secret", n)
	}
	if answer != nil && !answer(n, w, r) {
		return
	}
	rc.mu.Lock()
	defer rc.mu.Unlock()
	if !rc.seen[req.id] {
		rc.seen[req.id] = true
		rc.processed = append(rc.processed, received{id: req.id, body: body})
	}
	w.WriteHeader(http.StatusNoContent)
}

// specVerify is the receiver's own reading of the specification: sign
// "<webhook-id>.<webhook-timestamp>.<body>" with HMAC-SHA256, base64 it,
// and accept if any space-separated "v1,<sig>" matches and the timestamp
// is within five minutes.
func specVerify(key []byte, h http.Header, body []byte, now time.Time) bool {
	id, ts := h.Get("webhook-id"), h.Get("webhook-timestamp")
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || sec < now.Add(-5*time.Minute).Unix() || sec > now.Add(5*time.Minute).Unix() {
		return false
	}
	signed := make([]byte, 0, len(id)+len(ts)+len(body)+2)
	signed = append(append(append(append(append(signed, id...), '.'), ts...), '.'), body...)
	m := hmac.New(sha256.New, key)
	m.Write(signed)
	want := base64.StdEncoding.EncodeToString(m.Sum(nil))
	for _, part := range strings.Split(h.Get("webhook-signature"), " ") {
		if v, ok := strings.CutPrefix(part, "v1,"); ok && hmac.Equal([]byte(v), []byte(want)) {
			return true
		}
	}
	return false
}

// specKey decodes a whsec_ secret the way the specification says.
func specKey(t testing.TB, secret string) []byte {
	k, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_"))
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func (rc *receiver) setAnswer(f func(n int, w http.ResponseWriter, r *http.Request) bool) {
	rc.mu.Lock()
	rc.answer = f
	rc.mu.Unlock()
}

func (rc *receiver) processedIDs() []string {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	ids := make([]string, len(rc.processed))
	for i, p := range rc.processed {
		ids[i] = p.id
	}
	return ids
}

func (rc *receiver) requestCount() int {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return len(rc.requests)
}

func (rc *receiver) allRequests() []request {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]request(nil), rc.requests...)
}
