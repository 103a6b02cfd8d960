package deploy

import (
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/patchflow/patchflow/notify"
)

// webhookReceiver is a real HTTP receiver on loopback: /ok answers 204,
// /refuse answers 400 (a final refusal: the sender does not retry it).
type webhookReceiver struct {
	URL      string
	received atomic.Int64
}

func newWebhookReceiver(t *testing.T) *webhookReceiver {
	t.Helper()
	r := &webhookReceiver{}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /ok", func(w http.ResponseWriter, _ *http.Request) {
		r.received.Add(1)
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("POST /refuse", func(w http.ResponseWriter, _ *http.Request) {
		r.received.Add(1)
		http.Error(w, "unknown webhook", http.StatusBadRequest)
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	r.URL = srv.URL
	return r
}

// notificationSender is the sender a worker builds (worker.DefaultDependencies),
// counting on reg.
func notificationSender(t *testing.T, reg prometheus.Registerer) *notify.Sender {
	t.Helper()
	m, err := notify.NewMetrics(reg)
	if err != nil {
		t.Fatal(err)
	}
	// The refusals deliverCycleEvents provokes are logged as errors.
	return notify.NewSender(notify.Options{Metrics: m, Logger: slog.New(slog.DiscardHandler)})
}

// deliverCycleEvents sends what a cycle of policy web sends: cycle.started
// to a webhook that accepts it, host.failed to one that refuses it. It
// returns after both reached their final result, so the metrics count
// both: json delivered 1, json rejected 1.
func deliverCycleEvents(t *testing.T, s *notify.Sender, rcv *webhookReceiver) {
	t.Helper()
	started := notify.Event{Type: notify.CycleStarted, CycleID: "cycle/web/2026-12-06T22:00:00Z", Policy: "web",
		Time: time.Now().UTC(), Cycle: &notify.CycleInfo{Targets: 120, Staging: 3, Waves: 3}}
	failed := notify.Event{Type: notify.HostFailed, CycleID: started.CycleID, Policy: "web", Time: time.Now().UTC(), Seq: 1,
		Reason: "apply: dpkg: error processing package nginx-common (--configure)",
		Host:   &notify.HostInfo{Name: "web-061", Wave: 2, State: "failed", Step: "apply"}}
	if _, err := s.Deliver(t.Context(), notify.Webhook{URL: rcv.URL + "/ok"}, started); err != nil {
		t.Fatalf("deliver %s to %s/ok: %v", started.Type, rcv.URL, err)
	}
	_, err := s.Deliver(t.Context(), notify.Webhook{URL: rcv.URL + "/refuse"}, failed)
	var ne *notify.Error
	if !errors.As(err, &ne) || ne.Kind != notify.Rejected {
		t.Fatalf("deliver %s to %s/refuse: want a rejection, got %v", failed.Type, rcv.URL, err)
	}
}
