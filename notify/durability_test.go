package notify

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

// noteLog collects Deliver's heartbeat notes and signals each one.
type noteLog struct {
	mu    sync.Mutex
	notes []string
	ch    chan string
}

func newNoteLog() *noteLog { return &noteLog{ch: make(chan string, 1000)} }

func (n *noteLog) beat(_ context.Context, note string) {
	n.mu.Lock()
	n.notes = append(n.notes, note)
	n.mu.Unlock()
	select {
	case n.ch <- note:
	default:
	}
}

// waitFailures blocks until k distinct attempts have failed (a periodic
// heartbeat repeats the last note).
func (n *noteLog) waitFailures(k int) {
	seen := map[string]bool{}
	for note := range n.ch {
		if strings.Contains(note, "failed") {
			seen[note] = true
			if len(seen) == k {
				return
			}
		}
	}
}

// A cycle's events go out one after another (as the workflow sends them);
// the receiver goes down in the middle for several attempts, then comes
// back where it was. Every event arrives, once, in order, signed.
func TestReceiverDownThenUpLosesNothing(t *testing.T) {
	key := specKey(t, testSecret)
	rc := newReceiver(t, key)
	addr := rc.srv.Listener.Addr().String()
	url := rc.url
	notes := newNoteLog()
	reg := prometheus.NewRegistry()
	m, err := NewMetrics(reg)
	if err != nil {
		t.Fatal(err)
	}
	s := newTestSender(Options{Heartbeat: notes.beat, Metrics: m})
	hook := Webhook{URL: url, SecretFile: secretFile(t, testSecret)}
	events := sampleEvents()

	var want []string
	for _, ev := range events[:5] {
		if _, err := s.Deliver(context.Background(), hook, ev); err != nil {
			t.Fatal(err)
		}
		want = append(want, ev.ID())
	}
	before := rc.processedIDs()
	rc.srv.Close() // down: connections refused

	done := make(chan error, 1)
	go func() {
		_, err := s.Deliver(context.Background(), hook, events[5])
		done <- err
	}()
	notes.waitFailures(5)
	back := newReceiverAt(t, addr, key) // up again, same address
	if err := <-done; err != nil {
		t.Fatalf("event delivered across the outage: %v", err)
	}
	want = append(want, events[5].ID())
	for _, ev := range events[6:] {
		if _, err := s.Deliver(context.Background(), hook, ev); err != nil {
			t.Fatal(err)
		}
		want = append(want, ev.ID())
	}

	got := append(before, back.processedIDs()...)
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("processed\n%v\nwant every event once, in order\n%v", got, want)
	}
	if n := testutil.ToFloat64(m.attempts.WithLabelValues("json", "network_error")); n < 5 {
		t.Errorf("%s{outcome=network_error} = %v, want >= 5", MetricNotificationAttempts, n)
	}
	if n := testutil.ToFloat64(m.total.WithLabelValues("json", CycleResumed, "delivered")); n != 1 {
		t.Errorf("%s{event=cycle.resumed,result=delivered} = %v, want 1", MetricNotifications, n)
	}
	checkBoundedLabels(t, reg, addr)
}

// checkBoundedLabels fails when a metric label carries the receiver's
// address, a URL or anything outside the documented values.
func checkBoundedLabels(t *testing.T, reg *prometheus.Registry, addr string) {
	t.Helper()
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	allowed := map[string]bool{"json": true, "slack": true, "delivered": true, "rejected": true, "gave_up": true,
		"invalid": true, "interrupted": true, "ok": true, "timeout": true, "network_error": true,
		"http_3xx": true, "http_4xx": true, "http_429": true, "http_5xx": true}
	for _, e := range Events {
		allowed[e] = true
	}
	for _, f := range families {
		for _, metric := range f.GetMetric() {
			for _, l := range metric.GetLabel() {
				if !allowed[l.GetValue()] || strings.Contains(l.GetValue(), addr) {
					t.Errorf("%s has label %s=%q outside the bounded set", f.GetName(), l.GetName(), l.GetValue())
				}
			}
		}
	}
}

// A replayed workflow or a retried activity sends the same events again:
// a second run, from a new Sender and freshly built events, has the same
// ids and bodies, and the receiver processes nothing twice.
func TestEventIDsStableAcrossRuns(t *testing.T) {
	rc := newReceiver(t, nil)
	run := func() []string {
		s := newTestSender(Options{})
		var ids []string
		for _, ev := range sampleEvents() {
			res, err := s.Deliver(context.Background(), Webhook{URL: rc.url}, ev)
			if err != nil {
				t.Fatal(err)
			}
			ids = append(ids, res.EventID)
		}
		return ids
	}
	first, second := run(), run()
	if strings.Join(first, ",") != strings.Join(second, ",") {
		t.Fatalf("ids differ between runs:\n%v\n%v", first, second)
	}
	seen := map[string]bool{}
	for _, id := range first {
		if seen[id] {
			t.Errorf("two different events share id %s", id)
		}
		seen[id] = true
	}
	if got := rc.processedIDs(); len(got) != len(first) || rc.requestCount() != 2*len(first) {
		t.Errorf("processed %d of %d requests; want %d processed once each", len(got), rc.requestCount(), len(first))
	}
	reqs := rc.allRequests()
	for i := range first {
		if string(reqs[i].body) != string(reqs[i+len(first)].body) {
			t.Errorf("event %d: body differs between runs", i)
		}
	}
}

// The metrics of a rejected delivery: one rejected event, one 4xx attempt.
func TestMetricsCountRejected(t *testing.T) {
	rc := newReceiver(t, nil)
	rc.setAnswer(func(_ int, w http.ResponseWriter, _ *http.Request) bool {
		w.WriteHeader(http.StatusGone)
		return false
	})
	reg := prometheus.NewRegistry()
	m, err := NewMetrics(reg)
	if err != nil {
		t.Fatal(err)
	}
	s := newTestSender(Options{Metrics: m})
	if _, err := s.Deliver(context.Background(), Webhook{URL: rc.url, Format: FormatSlack}, sampleEvents()[0]); err == nil {
		t.Fatal("410 Gone delivered; want rejected")
	}
	if n := testutil.ToFloat64(m.total.WithLabelValues("slack", CycleStarted, "rejected")); n != 1 {
		t.Errorf("rejected count %v, want 1", n)
	}
	if n := testutil.ToFloat64(m.attempts.WithLabelValues("slack", "http_4xx")); n != 1 {
		t.Errorf("4xx attempts %v, want 1", n)
	}
	if n := testutil.CollectAndCount(m.duration); n != 1 {
		t.Errorf("%d duration series, want 1", n)
	}
	checkBoundedLabels(t, reg, rc.srv.Listener.Addr().String())
}

// One Sender serves many activities at once: three webhooks (one JSON
// signed, one Slack, one failing twice per event first) each get every
// event once, in order within each webhook.
func TestConcurrentWebhooks(t *testing.T) {
	key := specKey(t, testSecret)
	signed, slack, flaky := newReceiver(t, key), newReceiver(t, nil), newReceiver(t, nil)
	var mu sync.Mutex
	tries := map[string]int{}
	flaky.setAnswer(func(_ int, w http.ResponseWriter, r *http.Request) bool {
		mu.Lock()
		defer mu.Unlock()
		tries[r.Header.Get(HeaderID)]++
		if tries[r.Header.Get(HeaderID)] <= 2 {
			w.WriteHeader(http.StatusBadGateway)
			return false
		}
		return true
	})
	s := newTestSender(Options{})
	hooks := []Webhook{
		{URL: signed.url, SecretFile: secretFile(t, testSecret)},
		{URL: slack.url, Format: FormatSlack},
		{URL: flaky.url},
	}
	var want []string
	for _, ev := range sampleEvents() {
		want = append(want, ev.ID())
	}
	var wg sync.WaitGroup
	for _, h := range hooks {
		wg.Go(func() {
			for _, ev := range sampleEvents() {
				if _, err := s.Deliver(context.Background(), h, ev); err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
	for i, rc := range []*receiver{signed, slack, flaky} {
		if got := rc.processedIDs(); strings.Join(got, ",") != strings.Join(want, ",") {
			t.Errorf("webhook %d processed %v, want %v", i, got, want)
		}
	}
}
