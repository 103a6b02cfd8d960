package cli

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// Bad flags and arguments are usage errors (exit 2) that say what is
// wrong, found before anything is started, connected or created.
func TestFlagAndArgumentUsageErrors(t *testing.T) {
	dataDir := filepath.Join(t.TempDir(), "data")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"dev", "--port", "99999"}, "--port must be 1-65535, got 99999"},
		{[]string{"dev", "--ip", "999.1.1.1"}, `--ip "999.1.1.1" is not an IP address`},
		{[]string{"dev", "--ui-port", "70000"}, "--ui-port must be 1-65535, got 70000"},
		{[]string{"dev", "--port", "8233"}, "--ui-port and --port are both 8233"},
		{[]string{"dev", "--metrics-address", "localhost"}, `--metrics-address must be host:port with a port 0-65535, got "localhost"`},
		{[]string{"dev", "--retention", "-1h", "--db", filepath.Join(dataDir, "temporal.db")}, "--retention must be at least 1h0m0s, got -1h0m0s"},
		{[]string{"demo", "--subnet", "300"}, "--subnet must be 1..254"},
		{[]string{"demo", "--ip", "10.0.0.999"}, `--ip "10.0.0.999" is not an IP address`},
		{[]string{"inventory", "scan", "-i", "hosts.ini", "--timeout", "-1s"}, "inventory scan: --timeout must be a positive duration such as 30s or 10m, got -1s"},
		{[]string{"inventory", "scan", "-i", "hosts.ini", "--timeout", "0s"}, "--timeout must be a positive duration"},
		{[]string{"worker", "--max-concurrent-activities", "-1"}, "--max-concurrent-activities must be 0 (the SDK's default) or more, got -1"},
		{[]string{"cycle", "status", ""}, "patchflow cycle status: argument 1 is empty (usage: patchflow cycle status CYCLE_ID"},
		{[]string{"cycle", "status", "  "}, "argument 1 is empty"},
		{[]string{"cycle", "approve", ""}, "argument 1 is empty"},
		{[]string{"cycle", "extend-window", "", "--duration", "1h"}, "argument 1 is empty"},
		{[]string{"host", "retry", ""}, "argument 1 is empty"},
		{[]string{"policy", "explain", ""}, "argument 1 is empty"},
		{[]string{"policy", "validate", "ok.yaml", ""}, "argument 2 is empty"},
		{[]string{"schedule", "describe", ""}, "argument 1 is empty"},
		{[]string{"completion", "bogus"}, `completion: unknown shell "bogus"; want bash, zsh, fish or powershell`},
		{[]string{"completion"}, "completion: name a shell"},
		{[]string{"help", "bogus"}, `unknown help topic "bogus"`},
		{[]string{"help", "cycle", "bogus"}, `unknown help topic "cycle bogus"`},
	} {
		code, _, errOut := run(t, tc.args...)
		if code != ExitUsage || !strings.Contains(errOut, tc.want) {
			t.Errorf("%q: exit %d, %q; want exit 2 and %q", tc.args, code, errOut, tc.want)
		}
	}
	if _, err := os.Stat(dataDir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("dev --retention -1h created %s", dataDir)
	}
	for _, args := range [][]string{{"help", "cycle", "status"}, {"completion", "bash"}} {
		if code, out, errOut := run(t, args...); code != ExitOK || out == "" {
			t.Errorf("%q: exit %d, %q", args, code, errOut)
		}
	}
}

// devFlags parses dev's flags as a user's command line would, without
// running it.
func devFlags(t *testing.T, errOut io.Writer, args ...string) *DevOptions {
	t.Helper()
	var got *DevOptions
	cmd := NewCmdDev(&Factory{IO: IOStreams{Out: io.Discard, ErrOut: errOut}}, func(o *DevOptions) error { got = o; return nil })
	cmd.SetArgs(args)
	cmd.SetOut(io.Discard)
	cmd.SetErr(io.Discard)
	if err := cmd.Execute(); err != nil {
		t.Fatalf("dev %q: %v", args, err)
	}
	return got
}

// Any non-loopback --ip is warned about, loudly, before dev starts.
func TestDevWarnsWhenExposed(t *testing.T) {
	for ip, warned := range map[string]bool{"0.0.0.0": true, "::": true, "10.213.1.1": true, "127.0.0.1": false, "::1": false} {
		var errOut bytes.Buffer
		devFlags(t, &errOut, "--ip", ip)
		got := errOut.String()
		if warned != strings.Contains(got, "WARNING: --ip "+ip+" exposes") || warned && !strings.Contains(got, "reset or terminate workflows") {
			t.Errorf("--ip %s: warning = %q", ip, got)
		}
	}
}

// `patchflow dev --no-worker` followed by the worker command its banner
// prints, exactly: dev serves no worker metrics (the worker's default
// port stays free), the worker connects and serves them, and dev's stop
// message does not wait for a worker it does not have.
func TestDevNoWorkerThenBannerWorker(t *testing.T) {
	if l, err := net.Listen("tcp", ":9464"); err != nil {
		t.Skipf("port 9464, the worker's default, is held by another process here: %v", err)
	} else {
		l.Close()
	}
	var errOut bytes.Buffer
	opts := devFlags(t, &errOut, "--no-worker", "--ephemeral", "--port", strconv.Itoa(freeLocalPort(t)), "--ui-port", "0")
	if opts.MetricsAddress != "" {
		t.Fatalf("dev --no-worker serves metrics on %q", opts.MetricsAddress)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	opts.Context = ctx
	var workerErr error
	var metrics string
	opts.Ready = func(s *DevStack) {
		defer cancel()
		banner := errOut.String()
		_, after, ok := strings.Cut(banner, "run `")
		command, _, ok2 := strings.Cut(after, "`")
		if !ok || !ok2 || !strings.HasPrefix(command, "patchflow worker") || s.MetricsURL != "" || !strings.Contains(banner, "Metrics            none here") {
			t.Errorf("banner does not name the worker command or serves metrics:\n%s", banner)
			return
		}
		var wopts *WorkerOptions
		wcmd := NewCmdWorker(&Factory{IO: IOStreams{Out: io.Discard, ErrOut: io.Discard}}, func(o *WorkerOptions) error { wopts = o; return nil })
		wcmd.SetArgs(strings.Fields(command)[2:])
		if err := wcmd.Execute(); err != nil {
			t.Errorf("%s: %v", command, err)
			return
		}
		wctx, wcancel := context.WithCancel(ctx)
		wopts.Context = wctx
		done := make(chan error, 1)
		go func() { done <- workerRun(wopts) }()
		// The worker listens once it has started: retry until it answers
		// with the SDK's series (or gives up).
		for i := 0; i < 200 && !strings.Contains(metrics, "temporal_"); i++ {
			if resp, err := http.Get("http://127.0.0.1:9464/metrics"); err == nil {
				b, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				metrics = string(b)
			}
			if !strings.Contains(metrics, "temporal_") {
				waitABit()
			}
		}
		wcancel()
		workerErr = <-done
	}
	if err := devRun(opts); err != nil {
		t.Fatalf("dev: %v\n%s", err, errOut.String())
	}
	if workerErr != nil || !strings.Contains(metrics, "temporal_") {
		t.Errorf("banner's worker: %v; metrics have temporal_ series: %v", workerErr, strings.Contains(metrics, "temporal_"))
	}
	if out := errOut.String(); !strings.Contains(out, "\nstopping\n") || strings.Contains(out, "waiting for the worker") {
		t.Errorf("dev --no-worker stop message:\n%s", out)
	}
}
