package hostscan

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/patchflow/patchflow/advisories"
	"github.com/patchflow/patchflow/domain"
	"github.com/patchflow/patchflow/transport"
)

// updateinfoTimeout bounds the updateinfo query: dnf reads its metadata
// cache, which the scan's refresh has just renewed.
const updateinfoTimeout = 2 * time.Minute

// updateinfo reads the advisories dnf knows for the host's pending updates
// (`dnf updateinfo info`): their dates, CVEs and severities, by advisory
// id. Other package managers, and hosts whose updates name no advisory,
// have none. A failed query costs the dates and references, not the scan:
// it is logged.
func (s *Scanner) updateinfo(ctx context.Context, t Target, ups []domain.Update) map[string]advisories.UpdateinfoAdvisory {
	if t.Mgr.Kind() != "dnf" || !anyAdvisory(ups) {
		return nil
	}
	// Privileged like the scan itself: dnf keeps a metadata cache per
	// user, and the system's is the one the refresh renewed.
	cmd := transport.Command{Args: []string{"dnf", "-q", "updateinfo", "info", "--available"}, Sudo: t.Sudo,
		Timeout: updateinfoTimeout, Env: map[string]string{"LC_ALL": "C"}}
	res, err := t.Conn.Run(ctx, cmd)
	if err == nil && res.ExitCode != 0 {
		err = fmt.Errorf("%s exited %d: %s", cmd, res.ExitCode, strings.TrimSpace(string(res.Stderr)))
	}
	if err != nil {
		s.Logger.Warn("advisory dates and references unavailable", "host", t.Name, "error", err)
		return nil
	}
	list, skips, err := advisories.ParseUpdateinfoInfo(bytes.NewReader(res.Stdout))
	if err != nil {
		s.Logger.Warn("dnf updateinfo output not understood", "host", t.Name, "error", err)
		return nil
	}
	if skips.Count > 0 {
		s.Logger.Info("dnf updateinfo lines skipped", "host", t.Name, "count", skips.Count)
	}
	out := make(map[string]advisories.UpdateinfoAdvisory, len(list))
	for _, a := range list {
		out[a.ID] = a
	}
	return out
}

// stampPublished sets each update's Published to the earliest issue date
// of the advisories that name it. dnf 4 prints only an Updated date, which
// is the issue date unless the advisory was revised; dnf prints the
// host's local time and hosts run in UTC, so dates are read as UTC.
func stampPublished(ups []domain.Update, info map[string]advisories.UpdateinfoAdvisory) {
	for i := range ups {
		for _, id := range ups[i].Advisories {
			a, ok := info[id]
			if !ok {
				continue
			}
			d := a.Issued
			if d.IsZero() {
				d = a.Updated
			}
			if !d.IsZero() && (ups[i].Published.IsZero() || d.Before(ups[i].Published)) {
				ups[i].Published = d
			}
		}
	}
}

func anyAdvisory(ups []domain.Update) bool {
	for _, u := range ups {
		if len(u.Advisories) > 0 {
			return true
		}
	}
	return false
}
