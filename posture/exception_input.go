package posture

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"
	"unicode"

	"github.com/patchflow/patchflow/internal/safetext"
	"github.com/patchflow/patchflow/inventory"
	"github.com/patchflow/patchflow/report"
	"github.com/patchflow/patchflow/workflows"
)

// MaxExceptionTerm is the longest a risk may be accepted for in one
// exception: auditors want every accepted risk looked at again, so a
// longer one is renewed, not written once for ever.
const MaxExceptionTerm = 366 * 24 * time.Hour

// MaxReasonLength bounds an exception's reason (bytes).
const MaxReasonLength = 500

const dateLayout = "2006-01-02"

var exceptionIDPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)

// ParseUntil reads when an exception ends: a date (YYYY-MM-DD: the
// exception covers that whole day and ends when it ends, UTC) or an RFC
// 3339 time. It must lie after now and at most MaxExceptionTerm ahead.
func ParseUntil(s string, now time.Time) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, errors.New("--until is empty: give the date the exception ends, YYYY-MM-DD (end of that day, UTC) or an RFC 3339 time such as 2026-12-31T18:00:00Z")
	}
	var until time.Time
	if d, err := time.Parse(dateLayout, s); err == nil {
		until = d.AddDate(0, 0, 1)
	} else if t, err := time.Parse(time.RFC3339, s); err == nil {
		until = t.UTC()
	} else {
		return time.Time{}, fmt.Errorf("--until %s is not a date: want YYYY-MM-DD (end of that day, UTC) or an RFC 3339 time such as 2026-12-31T18:00:00Z", safetext.Excerpt(s))
	}
	switch {
	case !until.After(now):
		return time.Time{}, fmt.Errorf("--until %s is in the past (now %s): an exception ends in the future", safetext.Excerpt(s), now.UTC().Format(time.RFC3339))
	case until.Sub(now) > MaxExceptionTerm:
		return time.Time{}, fmt.Errorf("--until %s is more than a year ahead: accept the risk for at most a year and renew the exception then", safetext.Excerpt(s))
	}
	return until, nil
}

// ExceptionRequest is what `exception add` was given.
type ExceptionRequest struct {
	ID     string
	CVEs   []string
	Hosts  []string // selector terms
	Until  string
	Reason string
	By     string
}

// NewException checks a request and returns the exception it makes, or
// every problem of the request at once.
func NewException(req ExceptionRequest, now time.Time) (workflows.Exception, error) {
	var errs []error
	e := workflows.Exception{ID: req.ID, By: strings.TrimSpace(req.By), CreatedAt: now.UTC()}
	if !exceptionIDPattern.MatchString(req.ID) {
		errs = append(errs, fmt.Errorf("exception id %s: want 1-64 letters, digits, '.', '_' or '-'", safetext.Excerpt(req.ID)))
	}
	if len(req.CVEs) == 0 {
		errs = append(errs, errors.New("name at least one CVE: patchflow exception add CVE-YYYY-NNNN"))
	}
	seen := map[string]bool{}
	for _, c := range req.CVEs {
		id, err := report.NormalizeCVEID(c)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if !seen[id] {
			seen[id] = true
			e.CVEs = append(e.CVEs, id)
		}
	}
	if len(req.Hosts) == 0 {
		errs = append(errs, errors.New("--hosts is required: the hosts the risk is accepted on, such as host=db1 or group=web"))
	} else if sel, err := inventory.ParseSelector(req.Hosts); err != nil {
		errs = append(errs, fmt.Errorf("--hosts: %w", err))
	} else if len(sel.Terms) == 0 {
		errs = append(errs, errors.New("--hosts selects every host: name them, such as host=db1 or group=web"))
	} else {
		for _, t := range req.Hosts {
			if t = strings.TrimSpace(t); t != "" {
				e.Select = append(e.Select, t)
			}
		}
	}
	until, err := ParseUntil(req.Until, now)
	if err != nil {
		errs = append(errs, err)
	}
	e.Until = until
	if err := checkReason(req.Reason); err != nil {
		errs = append(errs, err)
	}
	e.Reason = strings.TrimSpace(req.Reason)
	if e.By == "" {
		errs = append(errs, errors.New("who accepts the risk is unknown: give --by NAME"))
	}
	if len(errs) > 0 {
		return workflows.Exception{}, errors.Join(errs...)
	}
	return e, nil
}

// checkReason refuses an empty, overlong or unprintable reason.
func checkReason(reason string) error {
	r := strings.TrimSpace(reason)
	switch {
	case r == "":
		return errors.New("--reason is empty: say why the risk is accepted (auditors read it), such as \"vendor fix due in March; port closed at the firewall\"")
	case len(r) > MaxReasonLength:
		return fmt.Errorf("--reason is %d bytes: keep it to %d and link the ticket with the details", len(r), MaxReasonLength)
	case strings.ContainsFunc(r, func(c rune) bool { return unicode.IsControl(c) || c == unicode.ReplacementChar }):
		return fmt.Errorf("--reason %s holds control characters or invalid UTF-8: write it on one line of plain text", safetext.Excerpt(r))
	}
	return nil
}

// NewExceptionID makes a readable, unique exception id:
// EXC-<YYYYMMDD>-<6 hex digits>.
func NewExceptionID(now time.Time) string {
	b := make([]byte, 3)
	_, _ = rand.Read(b)
	return "EXC-" + now.UTC().Format("20060102") + "-" + hex.EncodeToString(b)
}
