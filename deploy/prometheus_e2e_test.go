package deploy

import (
	"encoding/json"
	"fmt"
	"math"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/patchflow/patchflow/domain"
	"github.com/patchflow/patchflow/report"
	"github.com/patchflow/patchflow/worker"
	"github.com/patchflow/patchflow/workflows"
)

// TestPrometheusScrapesWorker runs the real thing end to end on loopback:
// two workers' /metrics endpoints (worker.NewMetrics + ServeMetrics) with
// the series real work leaves behind, scraped by a real Prometheus that
// loads rules.yaml under the job name "patchflow". The alerts must fire
// from what the workers serve, and the dashboard's posture and
// notifications panels must show it.
//
// Worker 1 ran a failed cycle of web (a host ended in needs_repair), a
// cycle of batch that completed with failed hosts, web's newest
// assessment (the real Assess workflow: KEV and critical fixes missing,
// fixes past their SLA, 60% compliant) and delivered two webhook events,
// one of them refused. Worker 2 still exports web's previous assessment,
// an hour older and clean, and db's only assessment, three days old.
func TestPrometheusScrapesWorker(t *testing.T) {
	promBin := requireBinary(t, "prometheus")
	now := time.Now().UTC().Truncate(time.Second)

	w1, w1Addr := serveWorkerMetrics(t)
	w2, w2Addr := serveWorkerMetrics(t)
	// What the workflows record when a cycle of policy web fails after one
	// of its hosts ended in needs_repair (workflows/metrics.go).
	w1.SDK.WithTags(map[string]string{"policy": "web", "result": string(domain.CycleFailed)}).Counter(workflows.MetricCycles).Inc(1)
	w1.SDK.WithTags(map[string]string{"policy": "web", "wave": "1", "result": string(domain.HostNeedsRepair)}).Counter(workflows.MetricHosts).Inc(1)
	w1.SDK.WithTags(map[string]string{"policy": "web", "wave": "1", "result": string(domain.HostNeedsRepair)}).Timer(workflows.MetricHostDuration).Record(3 * time.Minute)
	w1.SDK.WithTags(map[string]string{"policy": "batch", "result": string(domain.CycleCompletedWithFailures)}).Counter(workflows.MetricCycles).Inc(1)
	runAssessment(t, w1.SDK, webAssessment(now))
	runAssessment(t, w2.SDK, assessment{policy: "web", finished: now.Add(-time.Hour),
		point: report.TrendPoint{Hosts: 10, Compliant: 10, CompliantRatio: 1}})
	runAssessment(t, w2.SDK, assessment{policy: "db", finished: now.Add(-72 * time.Hour),
		point: report.TrendPoint{Hosts: 5, Compliant: 5, CompliantRatio: 1}})
	sender, receiver := notificationSender(t, w1.Registry), newWebhookReceiver(t)
	deliverCycleEvents(t, sender, receiver)

	addr, logFile := startPrometheus(t, promBin, w1Addr, w2Addr)

	// Deliver once more after Prometheus has seen the first deliveries, so
	// the latency histograms have an increase to take quantiles of.
	if !waitFor(t, 30*time.Second, "Prometheus scrapes the notification metrics", logFile, func() bool {
		r, err := promQuery(addr, `patchflow_notifications_total{result="rejected"}`)
		return err == nil && len(r.Data.Result) == 1
	}) {
		t.FailNow()
	}
	deliverCycleEvents(t, sender, receiver)

	want := []string{
		`PatchflowCycleFailureRateHigh{policy="web"}`, `PatchflowCycleFailureRateHigh{policy="batch"}`,
		`PatchflowHostsNeedRepair{policy="web"}`,
		`PatchflowKEVFixesMissing{policy="web"}`, `PatchflowCriticalFixOverdue{policy="web"}`,
		`PatchflowMissingFixesPastSLA{policy="web"}`, `PatchflowAssessedComplianceLow{policy="web"}`,
		`PatchflowAssessmentsStopped{policy="db"}`,
		`PatchflowNotificationsFailing{format="json"}`,
	}
	var firing []string
	if !waitFor(t, 60*time.Second, "the alerts fire", logFile, func() bool {
		firing = queryFiring(addr)
		return !slices.ContainsFunc(want, func(a string) bool { return !slices.Contains(firing, a) })
	}) {
		t.Fatalf("firing: %v, want at least %v", firing, want)
	}
	for _, a := range firing {
		if strings.HasPrefix(a, "PatchflowNoWorkers") || strings.HasPrefix(a, "PatchflowWorkerDown") {
			t.Errorf("alert %s fires although Prometheus scrapes the workers", a)
		}
		// The posture alerts speak of the newest assessment of each
		// policy: web's clean older one on worker 2 and db's clean one
		// fire nothing else.
		if strings.Contains(a, "Assess") || strings.Contains(a, "Fix") {
			if !slices.Contains(want, a) {
				t.Errorf("alert %s fires; want only %v among the posture alerts", a, want)
			}
		}
	}

	// The recorded series carry what the workers served.
	for q, v := range map[string]string{
		`patchflow:cycles:increase1d{policy="web",result="failed"}`:         "1", // the first failed cycle counts
		`patchflow:cycle_failure_ratio:1d{policy="batch"}`:                  "1",
		`patchflow:assessment_missing_kev_fixes:latest{policy="web"}`:       "2", // worker 1's, the newest
		`patchflow:assessment_compliance_ratio:latest{policy="web"}`:        "0.6",
		`patchflow:assessment_timestamp_seconds:latest{policy="web"}`:       strconv.FormatInt(now.Unix(), 10),
		`patchflow:assessment_oldest_critical_seconds:latest{policy="web"}`: "864000",
		`patchflow:notification_failure_ratio:10m{format="json"}`:           "0.5",
	} {
		if got := queryValue(t, addr, q); got != v {
			t.Errorf("%s = %s, want %s", q, got, v)
		}
	}

	// Every query of the posture and notifications rows of the dashboard
	// shows numbers from these series.
	d := loadDashboard(t)
	for _, row := range []string{postureRow, notificationsRow} {
		for where, q := range rowQueries(t, d, row) {
			var bad string
			ok := waitFor(t, 30*time.Second, "panel "+where+" shows data", logFile, func() bool {
				r, err := promQuery(addr, q)
				bad = fmt.Sprintf("%+v %v", r.Data.Result, err)
				if err != nil || len(r.Data.Result) == 0 {
					return false
				}
				for _, s := range r.Data.Result {
					v, _ := s.Value[1].(string)
					if f, err := strconv.ParseFloat(v, 64); err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
						return false
					}
				}
				return true
			})
			if !ok {
				t.Fatalf("dashboard row %q, panel %s: %s returns %s", row, where, q, bad)
			}
		}
	}
}

// serveWorkerMetrics starts a worker's metrics registry and its /metrics
// endpoint on loopback.
func serveWorkerMetrics(t *testing.T) (*worker.Metrics, string) {
	t.Helper()
	m, err := worker.NewMetrics()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = m.Shutdown(t.Context()) })
	srv, err := worker.ServeMetrics("127.0.0.1:0", "--metrics-address", m)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Close() })
	return m, srv.Addr.String()
}

// startPrometheus runs Prometheus with rules.yaml, scraping the targets as
// the job "patchflow" every second, and returns its address and log file.
func startPrometheus(t *testing.T, promBin string, targets ...string) (addr, logFile string) {
	t.Helper()
	dir := t.TempDir()
	rules, err := os.ReadFile(filepath.Join("prometheus", "rules.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "rules.yaml"), rules, 0o644); err != nil {
		t.Fatal(err)
	}
	quoted := make([]string, len(targets))
	for i, tg := range targets {
		quoted[i] = strconv.Quote(tg)
	}
	// One-second scrapes and evaluations so the test takes seconds; the
	// groups without their own interval follow it.
	config := fmt.Sprintf(`global:
  scrape_interval: 1s
  evaluation_interval: 1s
rule_files: [rules.yaml]
scrape_configs:
  - job_name: patchflow
    static_configs:
      - targets: [%s]
`, strings.Join(quoted, ", "))
	if err := os.WriteFile(filepath.Join(dir, "prometheus.yml"), []byte(config), 0o644); err != nil {
		t.Fatal(err)
	}
	addr = freeLoopbackAddr(t)
	cmd := exec.Command(promBin,
		"--config.file="+filepath.Join(dir, "prometheus.yml"),
		"--storage.tsdb.path="+filepath.Join(dir, "data"),
		"--web.listen-address="+addr,
	)
	logFile = filepath.Join(dir, "prometheus.log")
	log, err := os.Create(logFile)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = log.Close() })
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		t.Fatalf("start prometheus: %v", err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
	})
	return addr, logFile
}

// waitFor polls cond (a query of Prometheus' API) until it holds; after
// timeout it fails the test with Prometheus' log and returns false.
func waitFor(t *testing.T, timeout time.Duration, what, logFile string, cond func() bool) bool {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			logText, _ := os.ReadFile(logFile)
			t.Errorf("%s: not within %s\nprometheus log:\n%s", what, timeout, logText)
			return false
		}
		time.Sleep(200 * time.Millisecond) // polling Prometheus' API, with a deadline
	}
	return true
}

// requireBinary finds a program, skipping without it except under CI=true.
func requireBinary(t *testing.T, name string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err == nil {
		return path
	}
	hint := name + " not found: install it with `apt-get install --no-install-recommends prometheus` (Debian package prometheus)"
	if os.Getenv("CI") == "true" {
		t.Fatal(hint)
	}
	t.Skip(hint)
	return ""
}

func freeLoopbackAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	_ = ln.Close()
	return addr
}

type promResult struct {
	Status string `json:"status"`
	Data   struct {
		Result []struct {
			Metric map[string]string `json:"metric"`
			Value  []any             `json:"value"`
		} `json:"result"`
	} `json:"data"`
}

func promQuery(addr, q string) (promResult, error) {
	var r promResult
	resp, err := http.Get("http://" + addr + "/api/v1/query?query=" + url.QueryEscape(q))
	if err != nil {
		return r, err
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(&r); err != nil {
		return r, err
	}
	if r.Status != "success" {
		return r, fmt.Errorf("query %s: status %s", q, r.Status)
	}
	return r, nil
}

// queryFiring returns the firing alerts as name{label="value"}, the label
// being the one that tells them apart (policy, or format for the
// notification alerts), none while Prometheus is not up yet.
func queryFiring(addr string) []string {
	r, err := promQuery(addr, `ALERTS{alertstate="firing"}`)
	if err != nil {
		return nil
	}
	var out []string
	for _, s := range r.Data.Result {
		key := s.Metric["alertname"]
		for _, l := range []string{"policy", "format"} {
			if v, ok := s.Metric[l]; ok {
				key += "{" + l + "=" + strconv.Quote(v) + "}"
			}
		}
		out = append(out, key)
	}
	return out
}

func queryValue(t *testing.T, addr, q string) string {
	t.Helper()
	r, err := promQuery(addr, q)
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Data.Result) != 1 || len(r.Data.Result[0].Value) != 2 {
		t.Fatalf("query %s: want one sample, got %+v", q, r.Data.Result)
	}
	s, _ := r.Data.Result[0].Value[1].(string)
	return strings.TrimSpace(s)
}
