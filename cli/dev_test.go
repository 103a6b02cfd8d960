package cli

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

func freeLocalPort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func get(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s", url, resp.Status)
	}
	return string(body)
}

// TestDevServesUIAndMetrics runs `patchflow dev` as a user would and checks
// what the README promises: the UI answers and /metrics carries the SDK's
// temporal_ metrics from the embedded worker.
func TestDevServesUIAndMetrics(t *testing.T) {
	var errOut bytes.Buffer
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	uiPort := freeLocalPort(t)
	opts := &DevOptions{
		IO: IOStreams{Out: io.Discard, ErrOut: &errOut}, IP: "127.0.0.1",
		Port: freeLocalPort(t), UIPort: uiPort, MetricsAddress: "127.0.0.1:0",
		DBFile: filepath.Join(t.TempDir(), "temporal.db"), LogLevel: "warn", Context: ctx,
	}
	var ui, metrics string
	opts.Ready = func(s *DevStack) {
		defer cancel()
		ui = get(t, "http://127.0.0.1:"+strconv.Itoa(uiPort))
		metrics = pollMetrics(t, s.MetricsURL, "temporal_")
	}
	if err := devRun(opts); err != nil {
		t.Fatalf("dev: %v\n%s", err, errOut.String())
	}
	if !strings.Contains(ui, "<html") {
		t.Fatalf("UI did not serve a page: %.200q", ui)
	}
	if !strings.Contains(metrics, "temporal_") {
		t.Fatalf("metrics lack temporal_ series")
	}
	if !strings.Contains(errOut.String(), "Temporal UI        http://127.0.0.1:"+strconv.Itoa(uiPort)) {
		t.Fatalf("banner does not show the UI link:\n%s", errOut.String())
	}
}

// pollMetrics scrapes until want appears: the SDK reports its first poll
// metrics a moment after the worker starts.
func pollMetrics(t *testing.T, url, want string) string {
	t.Helper()
	var body string
	for i := 0; i < 100; i++ {
		body = get(t, url)
		if strings.Contains(body, want) {
			return body
		}
		waitABit()
	}
	return body
}

func TestDevBusyPortNamesFlag(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	port := l.Addr().(*net.TCPAddr).Port
	code, _, errOut := run(t, "dev", "--ephemeral", "--port", strconv.Itoa(port), "--metrics-address", "127.0.0.1:0")
	if code != ExitFailure || !strings.Contains(errOut, strconv.Itoa(port)) || !strings.Contains(errOut, "--port") {
		t.Fatalf("dev on busy port: exit %d, %q; want the port and --port", code, errOut)
	}
	code, _, errOut = run(t, "dev", "--ephemeral", "--port", strconv.Itoa(freeLocalPort(t)), "--ui-port", strconv.Itoa(port), "--metrics-address", "127.0.0.1:0")
	if code != ExitFailure || !strings.Contains(errOut, "--ui-port") {
		t.Fatalf("dev on busy UI port: exit %d, %q; want --ui-port", code, errOut)
	}
	code, _, errOut = run(t, "dev", "--ephemeral", "--metrics-address", l.Addr().String())
	if code != ExitFailure || !strings.Contains(errOut, "--metrics-address") {
		t.Fatalf("dev on busy metrics address: exit %d, %q; want --metrics-address", code, errOut)
	}
}
