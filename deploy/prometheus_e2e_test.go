package deploy

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/patchflow/patchflow/domain"
	"github.com/patchflow/patchflow/worker"
	"github.com/patchflow/patchflow/workflows"
)

// TestPrometheusScrapesWorker runs the real thing end to end on loopback:
// a worker's /metrics endpoint (worker.NewMetrics + ServeMetrics) with the
// series a failed cycle and a host needing repair leave behind, scraped
// by a real Prometheus that loads rules.yaml under the job name
// "patchflow". The alerts must fire from what the worker serves.
func TestPrometheusScrapesWorker(t *testing.T) {
	promBin := requireBinary(t, "prometheus")

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
	// What the workflows record when a cycle of policy web fails after one
	// of its hosts ended in needs_repair (workflows/metrics.go).
	m.SDK.WithTags(map[string]string{"policy": "web", "result": string(domain.CycleFailed)}).Counter(workflows.MetricCycles).Inc(1)
	m.SDK.WithTags(map[string]string{"policy": "web", "wave": "1", "result": string(domain.HostNeedsRepair)}).Counter(workflows.MetricHosts).Inc(1)
	m.SDK.WithTags(map[string]string{"policy": "web", "wave": "1", "result": string(domain.HostNeedsRepair)}).Timer(workflows.MetricHostDuration).Record(3 * time.Minute)

	dir := t.TempDir()
	rules, err := os.ReadFile(filepath.Join("prometheus", "rules.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "rules.yaml"), rules, 0o644); err != nil {
		t.Fatal(err)
	}
	// One-second scrapes and evaluations so the test takes seconds; the
	// groups without their own interval (events, alerts) follow it.
	config := fmt.Sprintf(`global:
  scrape_interval: 1s
  evaluation_interval: 1s
rule_files: [rules.yaml]
scrape_configs:
  - job_name: patchflow
    static_configs:
      - targets: [%q]
`, srv.Addr.String())
	if err := os.WriteFile(filepath.Join(dir, "prometheus.yml"), []byte(config), 0o644); err != nil {
		t.Fatal(err)
	}
	addr := freeLoopbackAddr(t)
	cmd := exec.Command(promBin,
		"--config.file="+filepath.Join(dir, "prometheus.yml"),
		"--storage.tsdb.path="+filepath.Join(dir, "data"),
		"--web.listen-address="+addr,
	)
	log, err := os.Create(filepath.Join(dir, "prometheus.log"))
	if err != nil {
		t.Fatal(err)
	}
	defer log.Close()
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

	want := []string{"PatchflowCycleFailureRateHigh", "PatchflowHostsNeedRepair"}
	deadline := time.Now().Add(60 * time.Second)
	var firing []string
	for time.Now().Before(deadline) {
		firing = queryAlerts(addr)
		if len(firing) > 0 && !slices.ContainsFunc(want, func(a string) bool { return !slices.Contains(firing, a) }) {
			break
		}
		time.Sleep(200 * time.Millisecond) // polling Prometheus' API, with a deadline
	}
	logText, _ := os.ReadFile(log.Name())
	for _, a := range want {
		if !slices.Contains(firing, a) {
			t.Fatalf("alert %s not firing within 60s; firing: %v\nprometheus log:\n%s", a, firing, logText)
		}
	}
	for _, a := range firing {
		if a == "PatchflowNoWorkers" || a == "PatchflowWorkerDown" {
			t.Errorf("alert %s fires although Prometheus scrapes the worker", a)
		}
	}

	// The recorded series carry what the worker served.
	v := queryValue(t, addr, `patchflow:cycles:increase1d{policy="web",result="failed"}`)
	if v != "1" {
		t.Errorf("patchflow:cycles:increase1d{policy=web,result=failed} = %s, want 1 (the first failed cycle counts)", v)
	}
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

// queryAlerts returns the names of the firing alerts, none while
// Prometheus is not up yet.
func queryAlerts(addr string) []string {
	r, err := promQuery(addr, `ALERTS{alertstate="firing"}`)
	if err != nil {
		return nil
	}
	var names []string
	for _, s := range r.Data.Result {
		names = append(names, s.Metric["alertname"])
	}
	return names
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
