package topology_test

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/patchflow/patchflow/localfleet"
)

// What the hosts themselves recorded: dpkg runs with nanosecond times
// (localfleet's DPkg::Pre-Invoke/Post-Invoke hooks) and dpkg's own log of
// every package it configured.

// runsSince returns the host's dpkg runs that started at or after since.
func runsSince(t *testing.T, f *localfleet.Fleet, host string, since time.Time) []localfleet.Interval {
	t.Helper()
	ivs, err := f.PackageOpTimes(host)
	if err != nil {
		t.Fatal(err)
	}
	var out []localfleet.Interval
	for _, iv := range ivs {
		if !iv.Start.Before(since) {
			out = append(out, iv)
		}
	}
	return out
}

// openRun returns the dpkg run the host is in now, if any.
func openRun(t *testing.T, f *localfleet.Fleet, host string, since time.Time) (localfleet.Interval, bool) {
	runs := runsSince(t, f, host, since)
	if len(runs) == 0 || !runs[len(runs)-1].End.IsZero() {
		return localfleet.Interval{}, false
	}
	return runs[len(runs)-1], true
}

// runAt returns the host's dpkg run that was in progress at instant at:
// started before it and not ended before it (a run cut short, with no end
// record, counts until the host's next run starts).
func runAt(runs []localfleet.Interval, at time.Time) (localfleet.Interval, bool) {
	for i, iv := range runs {
		end := iv.End
		if end.IsZero() && i+1 < len(runs) {
			end = runs[i+1].Start
		}
		if iv.Start.Before(at) && (end.IsZero() || end.After(at)) {
			return iv, true
		}
	}
	return localfleet.Interval{}, false
}

// maxOverlap is the most hosts whose dpkg runs overlapped in time. A run
// without an end record (apt cut short) is taken to last until the host's
// next run starts, or until now: an upper bound, so the check is strict.
func maxOverlap(t *testing.T, f *localfleet.Fleet, hosts []string, since time.Time) int {
	t.Helper()
	type edge struct {
		at    time.Time
		delta int
	}
	var edges []edge
	for _, h := range hosts {
		runs := runsSince(t, f, h, since)
		for i, iv := range runs {
			end := iv.End
			if end.IsZero() {
				end = time.Now()
				if i+1 < len(runs) {
					end = runs[i+1].Start
				}
			}
			edges = append(edges, edge{iv.Start, 1}, edge{end, -1})
		}
	}
	// Ends sort before starts at the same instant: touching runs do not overlap.
	slices.SortFunc(edges, func(a, b edge) int {
		if c := a.at.Compare(b.at); c != 0 {
			return c
		}
		return a.delta - b.delta
	})
	cur, most := 0, 0
	for _, e := range edges {
		cur += e.delta
		most = max(most, cur)
	}
	return most
}

// configured counts how often dpkg configured pkg at version on the host:
// the lines "status installed <pkg>:<arch> <version>" of /var/log/dpkg.log.
// A package upgraded once has exactly one; an interrupted run that dpkg
// finished later still has one, a second installation has two.
func configured(t *testing.T, f *localfleet.Fleet, host, pkg, version string) int {
	t.Helper()
	out, err := f.Exec(context.Background(), host, "cat", "/var/log/dpkg.log")
	if err != nil {
		t.Fatalf("%s: read /var/log/dpkg.log: %v", host, err)
	}
	n := 0
	for _, line := range strings.Split(string(out), "\n") {
		w := strings.Fields(line)
		// 2026-12-06 21:40:01 status installed demo-app:all 1.0.1
		if len(w) == 6 && w[2] == "status" && w[3] == "installed" && strings.Split(w[4], ":")[0] == pkg && w[5] == version {
			n++
		}
	}
	return n
}

// installedVersion is dpkg's version of pkg on the host.
func installedVersion(t *testing.T, f *localfleet.Fleet, host, pkg string) string {
	t.Helper()
	out, err := f.Exec(context.Background(), host, "dpkg-query", "-W", "-f", "${Version}", pkg)
	if err != nil {
		t.Fatalf("%s: dpkg-query %s: %v: %s", host, pkg, err, out)
	}
	return strings.TrimSpace(string(out))
}

// slowInstalls makes every dpkg run on the hosts take d longer, inside
// the runs the hosts record (a hook after localfleet's start record), as a
// real library update does: a SIGKILL aimed at a worker while a host is
// applying then lands while apt runs, not after it.
func slowInstalls(t *testing.T, f *localfleet.Fleet, d time.Duration) {
	t.Helper()
	conf := fmt.Sprintf("// patchflow topology test: a dpkg run takes at least %v\nDPkg::Pre-Invoke { \"sleep %g\"; };\n", d, d.Seconds())
	for _, h := range f.Hosts {
		// Sorted after localfleet's 99patchflow-times, so the start record
		// comes first.
		path := filepath.Join("/etc/apt/apt.conf.d", "99zz-topology-slow")
		if out, err := f.Exec(context.Background(), h.Name, "sh", "-c", `printf '%s' "$1" > "$2"`, "sh", conf, path); err != nil {
			t.Fatalf("%s: write %s: %v: %s", h.Name, path, err, out)
		}
	}
}
