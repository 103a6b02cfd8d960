package topology_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"go.temporal.io/sdk/client"

	"github.com/patchflow/patchflow/topology"
)

// binDir holds the patchflow binary every test of this run shares.
var binDir string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "patchflow-topology-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binDir = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// requireTopology skips when this machine cannot run the topology (no
// PostgreSQL server binaries, no go command); under CI=true it fails, as
// CI installs PostgreSQL (.ci/install-deps) and must run this test.
func requireTopology(t testing.TB) {
	t.Helper()
	reason := ""
	if _, err := exec.LookPath("go"); err != nil {
		reason = "the go command is not on PATH (the script builds the Temporal server with it)"
	} else if !pgInstalled() {
		reason = "PostgreSQL server binaries are missing: apt-get install postgresql-15 (or set TOPOLOGY_PG_BIN)"
	} else if os.Geteuid() == 0 {
		if _, err := exec.Command("id", "postgres").Output(); err != nil {
			reason = "running as root needs the user postgres (created by the postgresql-15 package)"
		}
	}
	if reason == "" {
		return
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("topology: cannot run under CI=true: %s", reason)
	}
	t.Skipf("topology: skipped: %s", reason)
}

func pgInstalled() bool {
	if d := os.Getenv("TOPOLOGY_PG_BIN"); d != "" {
		_, err := os.Stat(filepath.Join(d, "initdb"))
		return err == nil
	}
	m, _ := filepath.Glob("/usr/lib/postgresql/*/bin/initdb")
	return len(m) > 0
}

var (
	buildOnce sync.Once
	buildErr  error
	buildTime time.Duration
)

// patchflowBinary builds ./cmd/patchflow of this checkout once per test run.
func patchflowBinary(t testing.TB) string {
	t.Helper()
	bin := filepath.Join(binDir, "patchflow")
	buildOnce.Do(func() {
		start := time.Now()
		buildErr = topology.BuildPatchflow(context.Background(), filepath.Join("..", "."), bin)
		buildTime = time.Since(start)
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return bin
}

// stateDir is a state directory the user postgres can enter when the
// test runs as root (t.TempDir's parents are private to root).
func stateDir(t testing.TB) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "patchflow-topology-")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := os.RemoveAll(dir); err != nil {
			t.Errorf("remove %s: %v", dir, err)
		}
	})
	return dir
}

// startTopology starts a topology with free ports in a new state
// directory and stops it when the test ends; it returns it with the time
// the bring-up took.
func startTopology(t *testing.T, workers int) (*topology.Topology, time.Duration) {
	t.Helper()
	requireTopology(t)
	bin := patchflowBinary(t)
	topo, err := topology.New(topology.Options{
		Dir: stateDir(t), Patchflow: bin, Workers: workers, Log: testWriter{t},
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()
	start := time.Now()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
		defer cancel()
		if err := topo.Stop(ctx); err != nil {
			t.Errorf("stop topology: %v", err)
		}
	})
	if err := topo.Start(ctx); err != nil {
		t.Fatalf("start topology: %v", err)
	}
	return topo, time.Since(start)
}

// dial connects an SDK client to the topology's frontend.
func dial(t *testing.T, topo *topology.Topology) client.Client {
	t.Helper()
	c, err := client.Dial(client.Options{HostPort: topo.Address(), Namespace: topo.Namespace()})
	if err != nil {
		t.Fatalf("dial %s: %v", topo.Address(), err)
	}
	t.Cleanup(c.Close)
	return c
}

// patchflow runs the patchflow CLI against the topology, as a user would
// after `eval "$(deploy/local/topology env)"`.
func patchflow(t *testing.T, topo *topology.Topology, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, patchflowBinary(t), args...)
	cmd.Env = append(withoutTemporalEnv(os.Environ()),
		"TEMPORAL_ADDRESS="+topo.Address(), "TEMPORAL_NAMESPACE="+topo.Namespace())
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err = cmd.Run()
	return out.String(), errOut.String(), err
}

func withoutTemporalEnv(env []string) []string {
	var out []string
	for _, e := range env {
		if !strings.HasPrefix(e, "TEMPORAL_") {
			out = append(out, e)
		}
	}
	return out
}

// testWriter sends the script's output to the test log.
type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Helper()
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}
