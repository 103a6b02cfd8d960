package localfleet

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// Interval is one dpkg run apt started on a host, from the host's own
// DPkg::Pre-Invoke and Post-Invoke hooks. End is zero when the run has not
// finished (or apt stopped before its Post-Invoke hook).
type Interval struct {
	Start, End time.Time
}

// PackageOpTimes returns the host's dpkg runs in the order they started,
// with nanosecond timestamps, so tests can prove how many hosts changed
// packages at the same time.
func (f *Fleet) PackageOpTimes(host string) ([]Interval, error) {
	h, err := f.host(host)
	if err != nil {
		return nil, err
	}
	path := filepath.Join(h.root, DpkgTimesFile)
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("localfleet: read dpkg times of %s: %w", host, err)
	}
	return parseOpTimes(string(data))
}

func parseOpTimes(data string) ([]Interval, error) {
	var out []Interval
	for n, line := range strings.Split(data, "\n") {
		w := strings.Fields(line)
		if len(w) == 0 {
			continue
		}
		if len(w) != 2 {
			return nil, fmt.Errorf("localfleet: %s line %d: want \"start|end <ns>\", got %q", DpkgTimesFile, n+1, line)
		}
		ns, err := strconv.ParseInt(w[1], 10, 64)
		if err != nil {
			return nil, fmt.Errorf("localfleet: %s line %d: %w", DpkgTimesFile, n+1, err)
		}
		t := time.Unix(0, ns)
		switch w[0] {
		case "start":
			out = append(out, Interval{Start: t})
		case "end":
			if len(out) == 0 || !out[len(out)-1].End.IsZero() {
				return nil, fmt.Errorf("localfleet: %s line %d: end without start", DpkgTimesFile, n+1)
			}
			out[len(out)-1].End = t
		default:
			return nil, fmt.Errorf("localfleet: %s line %d: want \"start|end <ns>\", got %q", DpkgTimesFile, n+1, line)
		}
	}
	return out, nil
}

// BootCount is how many times the host has booted in this fleet (1 after
// Up, +1 per reboot).
func (f *Fleet) BootCount(host string) (int, error) {
	h, err := f.host(host)
	if err != nil {
		return 0, err
	}
	data, err := os.ReadFile(filepath.Join(h.root, BootCountFile))
	if err != nil {
		return 0, fmt.Errorf("localfleet: read boot count of %s: %w", host, err)
	}
	n, err := strconv.Atoi(strings.TrimSpace(string(data)))
	if err != nil {
		return 0, fmt.Errorf("localfleet: read boot count of %s: %w", host, err)
	}
	return n, nil
}

// State is the host's state as the fixture sees it: "booting", "up",
// "rebooting", "halted", "crashed" or "stopped".
func (f *Fleet) State(host string) (string, error) {
	h, err := f.host(host)
	if err != nil {
		return "", err
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.state, nil
}

// WaitUp waits until the host's sshd answers (after a reboot, say).
func (f *Fleet) WaitUp(ctx context.Context, host string) error {
	h, err := f.host(host)
	if err != nil {
		return err
	}
	return waitSSH(ctx, h.Addr)
}
