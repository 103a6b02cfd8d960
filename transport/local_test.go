package transport

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/patchflow/patchflow/inventory"
)

func openLocal(t *testing.T) Conn {
	t.Helper()
	c, err := LocalDialer().Dial(context.Background(), inventory.Host{Name: "self", Transport: "local"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func TestLocalRunArgvWithoutShell(t *testing.T) {
	c := openLocal(t)
	res, err := c.Run(context.Background(), Command{Args: []string{"printf", "%s|", "$(id)", "it's", "a b"}})
	if err != nil {
		t.Fatal(err)
	}
	if string(res.Stdout) != "$(id)|it's|a b|" || res.ExitCode != 0 {
		t.Errorf("got stdout %q exit %d", res.Stdout, res.ExitCode)
	}
}

func TestLocalExitCodeStderrEnvStdin(t *testing.T) {
	c := openLocal(t)
	cmd := Command{Args: []string{"sh", "-c", `cat; echo "$GREETING" >&2; exit 3`}, Stdin: []byte("in\n"), Env: map[string]string{"GREETING": "hi there"}}
	res, err := c.Run(context.Background(), cmd)
	if err != nil {
		t.Fatal(err)
	}
	if res.ExitCode != 3 || string(res.Stdout) != "in\n" || string(res.Stderr) != "hi there\n" {
		t.Errorf("got exit %d stdout %q stderr %q", res.ExitCode, res.Stdout, res.Stderr)
	}
	err = Check(res, nil, "self", cmd)
	if KindOf(err) != CommandFailed || !strings.Contains(err.Error(), "host self: sh -c") ||
		!strings.Contains(err.Error(), "status 3: hi there") {
		t.Errorf("Check = %v", err)
	}
}

func TestLocalTimeoutKillsProcessGroup(t *testing.T) {
	c := openLocal(t)
	start := time.Now()
	// The background sleep would outlive a kill of only the shell.
	res, err := c.Run(context.Background(), Command{
		Args:    []string{"sh", "-c", "sleep 30 & echo $!; wait"},
		Timeout: 300 * time.Millisecond,
	})
	if KindOf(err) != Timeout {
		t.Fatalf("err = %v, want Timeout", err)
	}
	if !strings.Contains(err.Error(), "host self") || !strings.Contains(err.Error(), "sleep 30") {
		t.Errorf("timeout error should name host and command: %v", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("timeout took %s", d)
	}
	pid := strings.TrimSpace(string(res.Stdout))
	if pid == "" {
		t.Fatalf("partial stdout lost: %q", res.Stdout)
	}
	waitGone(t, "/proc/"+pid)
}

// waitGone polls until path disappears, failing after a deadline.
func waitGone(t *testing.T, path string) {
	t.Helper()
	deadline := time.Now().Add(3 * time.Second)
	for {
		if _, err := os.Stat(path); err != nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s still exists: the command's child survived the timeout", path)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestLocalOutputLimit(t *testing.T) {
	c := openLocal(t)
	res, err := c.Run(context.Background(), Command{Args: []string{"head", "-c", "5000000", "/dev/zero"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Stdout) != DefaultOutputLimit || !res.Truncated {
		t.Errorf("stdout %d bytes truncated=%v, want %d true", len(res.Stdout), res.Truncated, DefaultOutputLimit)
	}
}

func TestLocalRejectsBadEnvAndClosed(t *testing.T) {
	c := openLocal(t)
	_, err := c.Run(context.Background(), Command{Args: []string{"true"}, Env: map[string]string{"X;id": "1"}})
	if KindOf(err) != Invalid {
		t.Errorf("bad env name: %v, want Invalid", err)
	}
	c.Close()
	_, err = c.Run(context.Background(), Command{Args: []string{"true"}})
	if KindOf(err) != Closed {
		t.Errorf("closed: %v", err)
	}
}

func TestLocalCallerCancel(t *testing.T) {
	c := openLocal(t)
	ctx, cancel := context.WithCancel(context.Background())
	go func() { time.Sleep(100 * time.Millisecond); cancel() }()
	_, err := c.Run(ctx, Command{Args: []string{"sleep", "5"}})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want context.Canceled", err)
	}
}

func TestPoolReusesLocal(t *testing.T) {
	d := &countingDialer{Dialer: LocalDialer()}
	p := NewPool(d)
	defer p.Close()
	h := inventory.Host{Name: "self"}
	for i := 0; i < 5; i++ {
		c, err := p.Get(context.Background(), h)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.Run(context.Background(), Command{Args: []string{"true"}}); err != nil {
			t.Fatal(err)
		}
	}
	if d.n != 1 {
		t.Errorf("dialed %d times for 5 commands, want 1", d.n)
	}
	p.Close()
	if _, err := p.Get(context.Background(), h); KindOf(err) != Closed {
		t.Errorf("Get after Close: %v", err)
	}
}

type countingDialer struct {
	Dialer
	n int
}

func (d *countingDialer) Dial(ctx context.Context, h inventory.Host) (Conn, error) {
	d.n++
	return d.Dialer.Dial(ctx, h)
}
