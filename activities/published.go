package activities

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/patchflow/patchflow/transport"
	"github.com/patchflow/patchflow/workflows"
)

// publishedTimeout bounds the updateinfo query: dnf reads its metadata
// cache, which the scan's refresh has just renewed.
const publishedTimeout = 2 * time.Minute

// recordPublished sets Published on dnf updates from their advisories'
// dates (dnf updateinfo info): the earliest date of the advisories that
// name the update. apt has no such date, so apt updates keep zero. A
// failed query costs the dates, not the scan: it is logged.
func (a *Activities) recordPublished(ctx context.Context, s *session, ups []workflows.Update) {
	if s.mgr.Kind() != "dnf" || !anyAdvisory(ups) {
		return
	}
	// Privileged like the scan itself: dnf keeps a metadata cache per
	// user, and the system's is the one the refresh renewed.
	cmd := transport.Command{Args: []string{"dnf", "-q", "updateinfo", "info", "--available"}, Sudo: s.host.Become,
		Timeout: publishedTimeout, Env: map[string]string{"LC_ALL": "C"}}
	res, err := s.conn.Run(ctx, cmd)
	if err == nil && res.ExitCode != 0 {
		err = fmt.Errorf("%s exited %d: %s", cmd, res.ExitCode, strings.TrimSpace(string(res.Stderr)))
	}
	if err != nil {
		a.d.Logger.Warn("advisory dates unavailable, time to patch counts from first seen", "host", s.conn.Host(), "error", err)
		return
	}
	dates := parseAdvisoryDates(res.Stdout)
	for i := range ups {
		for _, id := range ups[i].Advisories {
			if d, ok := dates[id]; ok && (ups[i].Published.IsZero() || d.Before(ups[i].Published)) {
				ups[i].Published = d
			}
		}
	}
}

func anyAdvisory(ups []workflows.Update) bool {
	for _, u := range ups {
		if len(u.Advisories) > 0 {
			return true
		}
	}
	return false
}

// parseAdvisoryDates reads `dnf updateinfo info` blocks: "Update ID: X"
// followed by "Issued: 2006-01-02 15:04:05" and/or "Updated: ...". The
// issue date wins; dnf 4 prints only Updated, which is the issue date
// unless the advisory was revised. dnf prints the host's local time; hosts
// here run in UTC, so the dates are read as UTC.
func parseAdvisoryDates(out []byte) map[string]time.Time {
	dates := map[string]time.Time{}
	issued := map[string]bool{}
	id := ""
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		key, val, ok := strings.Cut(sc.Text(), ":")
		if !ok {
			continue
		}
		key, val = strings.TrimSpace(key), strings.TrimSpace(val)
		switch key {
		case "Update ID":
			id = val
		case "Issued", "Updated":
			t, err := time.Parse(time.DateTime, val)
			if id == "" || err != nil || issued[id] {
				continue
			}
			dates[id] = t
			issued[id] = key == "Issued"
		}
	}
	return dates
}
