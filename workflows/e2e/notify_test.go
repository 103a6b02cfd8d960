package e2e

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/patchflow/patchflow/domain"
	"github.com/patchflow/patchflow/notify"
	"github.com/patchflow/patchflow/workflows"
)

// hookReceiver is a real HTTP receiver on loopback: it checks each
// request's Standard Webhooks signature, handles each webhook-id once and
// records the events in arrival order. It can go down and come back on
// the same port.
type hookReceiver struct {
	t      *testing.T
	secret string
	addr   string

	mu       sync.Mutex
	srv      *http.Server
	seen     map[string]bool
	events   []string // "type subject", in arrival order
	bad      []string
	downWhen string // event type that takes the receiver down
	down     chan struct{}
}

func startReceiver(t *testing.T, secret string) *hookReceiver {
	r := &hookReceiver{t: t, secret: secret, seen: map[string]bool{}, down: make(chan struct{})}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	r.addr = l.Addr().String()
	r.serve(l)
	t.Cleanup(r.stop)
	return r
}

func (r *hookReceiver) serve(l net.Listener) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.srv = &http.Server{Handler: http.HandlerFunc(r.handle), ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = r.srv.Serve(l) }()
}

func (r *hookReceiver) handle(w http.ResponseWriter, req *http.Request) {
	body, err := io.ReadAll(io.LimitReader(req.Body, 1<<20))
	if err != nil {
		http.Error(w, "read", http.StatusBadRequest)
		return
	}
	if err := notify.Verify(r.secret, req.Header, body, time.Minute); err != nil {
		r.mu.Lock()
		r.bad = append(r.bad, err.Error())
		r.mu.Unlock()
		http.Error(w, "bad signature", http.StatusUnauthorized)
		return
	}
	var ev struct {
		ID      string `json:"id"`
		Type    string `json:"type"`
		Subject string `json:"subject"`
	}
	if err := json.Unmarshal(body, &ev); err != nil || ev.ID != req.Header.Get(notify.HeaderID) {
		r.mu.Lock()
		r.bad = append(r.bad, "body id does not match webhook-id")
		r.mu.Unlock()
		http.Error(w, "bad body", http.StatusBadRequest)
		return
	}
	r.mu.Lock()
	first := !r.seen[ev.ID]
	r.seen[ev.ID] = true
	if first {
		r.events = append(r.events, ev.Type+" "+ev.Subject)
	}
	goDown := r.downWhen != "" && ev.Type == notify.CloudEventType(r.downWhen)
	if goDown {
		r.downWhen = ""
	}
	r.mu.Unlock()
	w.WriteHeader(http.StatusNoContent)
	if goDown {
		go func() {
			r.stop()
			close(r.down)
		}()
	}
}

func (r *hookReceiver) stop() {
	r.mu.Lock()
	srv := r.srv
	r.mu.Unlock()
	if srv != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
	}
}

// restart listens again on the same port.
func (r *hookReceiver) restart() {
	l, err := net.Listen("tcp", r.addr)
	if err != nil {
		r.t.Fatalf("listen again on %s: %v", r.addr, err)
	}
	r.serve(l)
}

func (r *hookReceiver) got() ([]string, []string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.events), slices.Clone(r.bad)
}

// TestWebhookDeliversEveryEventOnceSigned runs a cycle on real hosts with
// a webhook to a real local receiver that goes down as the first
// production wave starts and comes back only after every host is done:
// the rollout goes on meanwhile, the events of the outage are retried
// and delivered, each event arrives once, signed, in the order it
// happened.
func TestWebhookDeliversEveryEventOnceSigned(t *testing.T) {
	e := newEnv(t, 4)
	const secretEnv = "PATCHFLOW_E2E_HOOK_SECRET"
	secret := "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	t.Setenv(secretEnv, secret)
	r := startReceiver(t, secret)
	r.downWhen = notify.WaveStarted // the staging wave: the receiver goes down right after it

	spec := e.spec("hooks")
	spec.Patches = domain.PatchRules{Include: []string{"demo-lib"}, Approve: []string{"demo-lib=1.1"}}
	hook := notify.Webhook{URL: "http://" + r.addr + "/patchflow", SecretEnv: secretEnv}
	run := e.startInput(workflows.CycleInput{Spec: spec, Notify: []notify.Webhook{hook}}, time.Now())
	select {
	case <-r.down:
	case <-time.After(3 * time.Minute):
		t.Fatal("the receiver never saw the staging wave start")
	}
	// Every host finishes while nothing can be delivered.
	st := e.statusUntil(run.GetID(), 5*time.Minute, func(s workflows.CycleStatus) bool {
		return s.Counts.Total > 0 && s.Counts.Pending == 0 && s.State == domain.CycleVerifying || s.State.Final()
	})
	if st.Notifications == nil || st.Notifications.Queued == 0 {
		t.Errorf("status while the receiver is down: %+v, want events queued", st.Notifications)
	}
	downAt := len(mustGot(r))
	r.restart()
	res := e.wait(run)
	if res.State != domain.CycleCompleted || res.Counts.Patched != 4 {
		t.Fatalf("cycle %s %+v, want completed with 4 patched", res.State, res.Counts)
	}
	events, bad := r.got()
	if len(bad) > 0 {
		t.Errorf("receiver refused requests: %v", bad)
	}
	// Staging (one host), the canary (one) and the ramp (two): three stages.
	want := []string{"cycle.started", "wave.started", "wave.finished", "wave.started", "wave.finished",
		"wave.started", "wave.finished", "cycle.finished"}
	var types []string
	for _, ev := range events {
		typ, _, _ := strings.Cut(ev, " ")
		types = append(types, strings.TrimSuffix(strings.TrimPrefix(typ, notify.TypePrefix), "."+notify.SchemaVersion))
	}
	if !slices.Equal(types, want) {
		t.Errorf("events in arrival order\n got %v\nwant %v", events, want)
	}
	if downAt >= len(events) {
		t.Errorf("no event arrived after the receiver came back (%d before)", downAt)
	}
	if res.Notifications == nil || res.Notifications.Sent != len(want) || res.Notifications.Failed != 0 {
		t.Errorf("cycle's notification status %+v, want %d sent, none failed", res.Notifications, len(want))
	}
}

func mustGot(r *hookReceiver) []string {
	ev, _ := r.got()
	return ev
}
