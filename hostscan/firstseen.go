package hostscan

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"path"
	"strings"
	"time"

	"github.com/patchflow/patchflow/domain"
	"github.com/patchflow/patchflow/pkgmgr"
	"github.com/patchflow/patchflow/transport"
)

// FirstSeenPath is the file on each host where a scan records when
// patchflow first saw each pending update, so time-to-patch spans cycles
// and workers without a database of its own.
const FirstSeenPath = "/var/lib/patchflow/first-seen.json"

// firstSeenTimeout bounds the read and the write of the file: both are a
// few hundred bytes.
const firstSeenTimeout = 30 * time.Second

// firstSeenFile is the file's content: "name=candidate" -> when first seen.
type firstSeenFile struct {
	Version int                  `json:"version"`
	Updates map[string]time.Time `json:"updates"`
}

// firstSeenKey names one pending update: its package and candidate
// version, so a newer candidate of the same package starts its own clock.
func firstSeenKey(u domain.Update) string {
	return u.Name + "=" + u.Candidate
}

// mergeFirstSeen sets each update's FirstSeen from known, recording now
// for updates not seen before, and returns the records to keep: exactly
// the pending updates (others were installed or superseded) and whether
// they differ from known, i.e. whether the file needs writing. A new
// candidate that supersedes one never installed (still newer than the
// installed version) keeps the older clock: the host has been behind on
// that package since then, and a new release must not reset its SLA.
// kind ("apt", "dnf") orders versions.
func mergeFirstSeen(kind string, ups []domain.Update, known map[string]time.Time, now time.Time) (map[string]time.Time, bool) {
	keep := make(map[string]time.Time, len(ups))
	for i := range ups {
		k := firstSeenKey(ups[i])
		t, ok := known[k]
		if !ok || t.IsZero() {
			t = supersededSince(kind, ups[i], known, now)
		}
		keep[k] = t
		ups[i].FirstSeen = t
	}
	changed := !maps.EqualFunc(keep, known, func(a, b time.Time) bool { return a.Equal(b) })
	return keep, changed
}

// supersededSince is the earliest record of another candidate of u's
// package that was never installed, or now when there is none.
func supersededSince(kind string, u domain.Update, known map[string]time.Time, now time.Time) time.Time {
	t := now
	for k, seen := range known {
		name, version, _ := strings.Cut(k, "=")
		if name == u.Name && version != u.Candidate && !seen.IsZero() && seen.Before(t) &&
			(u.Installed == "" || pkgmgr.Compare(kind, version, u.Installed) > 0) {
			t = seen
		}
	}
	return t
}

// recordFirstSeen reads the host's first-seen file, stamps ups with their
// first-seen times and writes the file back only when an update appeared
// or went away: one read and at most one write per scan. A file that
// cannot be read or written costs the history, not the scan: the updates
// then count from now and the problem is logged.
func (s *Scanner) recordFirstSeen(ctx context.Context, t Target, ups []domain.Update) {
	now := s.now().UTC().Truncate(time.Second)
	known, err := readFirstSeen(ctx, t)
	if err != nil {
		s.Logger.Warn("first-seen records unreadable, counting pending updates from now", "host", t.Name, "file", FirstSeenPath, "error", err)
		known = nil
	}
	keep, changed := mergeFirstSeen(t.Mgr.Kind(), ups, known, now)
	if !changed || s.ReadOnly {
		return
	}
	if err := writeFirstSeen(ctx, t, keep); err != nil {
		s.Logger.Warn("first-seen records not saved", "host", t.Name, "file", FirstSeenPath, "error", err)
	}
}

// readFirstSeen returns the host's records; a missing file is none.
func readFirstSeen(ctx context.Context, t Target) (map[string]time.Time, error) {
	// test -e first, so "no file yet" is told apart from a failed read
	// without parsing cat's localised message.
	script := `test -e "$1" || exit 3; exec cat -- "$1"`
	cmd := transport.Command{Args: []string{"sh", "-c", script, "sh", FirstSeenPath}, Sudo: t.Sudo, Timeout: firstSeenTimeout}
	res, err := t.Conn.Run(ctx, cmd)
	if err != nil {
		return nil, err
	}
	switch res.ExitCode {
	case 0:
	case 3:
		return nil, nil
	default:
		return nil, fmt.Errorf("read %s on %s: %s exited %d: %s", FirstSeenPath, t.Name, cmd, res.ExitCode, strings.TrimSpace(string(res.Stderr)))
	}
	var f firstSeenFile
	if err := json.Unmarshal(res.Stdout, &f); err != nil {
		// A damaged file is replaced by the next write rather than
		// blocking every scan of the host.
		return nil, fmt.Errorf("parse %s on %s: %w (it will be rewritten)", FirstSeenPath, t.Name, err)
	}
	return f.Updates, nil
}

// writeFirstSeen replaces the file atomically: a temporary file in the
// same directory, renamed over the old one, so a reader never sees half a
// file and a crash leaves the old one.
func writeFirstSeen(ctx context.Context, t Target, recs map[string]time.Time) error {
	body, err := json.MarshalIndent(firstSeenFile{Version: 1, Updates: recs}, "", "  ")
	if err != nil {
		return fmt.Errorf("encode first-seen records: %w", err)
	}
	script := `umask 022 && mkdir -p -- "$1" && t="$2.tmp.$$" && cat > "$t" && mv -f -- "$t" "$2" || { rm -f -- "$t"; exit 1; }`
	cmd := transport.Command{Args: []string{"sh", "-c", script, "sh", path.Dir(FirstSeenPath), FirstSeenPath},
		Sudo: t.Sudo, Timeout: firstSeenTimeout, Stdin: append(body, '\n')}
	res, err := t.Conn.Run(ctx, cmd)
	if err != nil {
		return err
	}
	if res.ExitCode != 0 {
		return fmt.Errorf("write %s on %s: %s exited %d: %s", FirstSeenPath, t.Name, cmd, res.ExitCode, strings.TrimSpace(string(res.Stderr)))
	}
	return nil
}
