package posture

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/patchflow/patchflow/inventory"
	"github.com/patchflow/patchflow/report"
	"github.com/patchflow/patchflow/workflows"
)

// Exception states as `exception list` shows them.
const (
	ExceptionActive  = "active"
	ExceptionExpired = "expired"
	ExceptionRevoked = "revoked"
	// ExceptionEnded: the workflow ended otherwise (terminated, failed):
	// the exception covers nothing any more.
	ExceptionEnded = "ended"
)

// ExceptionRecord is one risk exception with where it stands.
type ExceptionRecord struct {
	workflows.Exception
	WorkflowID string `json:"workflow_id"`
	State      string `json:"state"`
	// Ended is when it stopped covering anything (expiry, revocation);
	// EndedHow says how ("revoked by ana: fixed early").
	Ended    time.Time `json:"ended,omitzero"`
	EndedHow string    `json:"ended_how,omitempty"`
}

// Exceptions lists the risk exceptions: the running ones, and with closed
// also those that ended within the namespace's retention. Sorted by
// expiry, the soonest first.
func (r *Reader) Exceptions(ctx context.Context, closed bool) ([]ExceptionRecord, error) {
	q := "WorkflowType = '" + typeException + "'"
	if !closed {
		q += " AND ExecutionStatus = 'Running'"
	}
	now := r.now()
	var out []ExceptionRecord
	err := r.list(ctx, q, func(e Execution) error {
		var raw json.RawMessage
		var ex workflows.Exception
		if !e.memo(workflows.ExceptionMemo, &raw) || json.Unmarshal(raw, &ex) != nil || ex.ID == "" {
			return nil // not made by patchflow exception add
		}
		rec := ExceptionRecord{Exception: ex, WorkflowID: e.ID, State: ExceptionActive}
		switch {
		case e.Open() && !now.Before(ex.Until):
			rec.State, rec.Ended, rec.EndedHow = ExceptionExpired, ex.Until, "expired"
		case e.Open():
		case e.Completed():
			var res workflows.ExceptionResult
			if err := r.result(ctx, e.ID, e.RunID, &res); err != nil {
				rec.State, rec.Ended, rec.EndedHow = ExceptionEnded, e.Close, "result unreadable: "+shortText(err.Error())
				break
			}
			rec.Ended, rec.EndedHow = res.At, shortText(res.Ended)
			rec.State = ExceptionExpired
			if strings.HasPrefix(res.Ended, "revoked") {
				rec.State = ExceptionRevoked
			}
		default:
			rec.State, rec.Ended, rec.EndedHow = ExceptionEnded, e.Close, "workflow "+e.StatusText()
		}
		out = append(out, rec)
		return nil
	})
	slices.SortStableFunc(out, func(a, b ExceptionRecord) int {
		if c := a.Until.Compare(b.Until); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	return out, err
}

// forReport turns exception records into the report's exceptions over the
// hosts in scope: each selector resolved against the given inventories
// (hosts named by host= terms also without one), kept to hosts, and
// dropped when it covers none of them. An exception that ended early
// (revoked) ends at its revocation.
func forReport(recs []ExceptionRecord, invs []*inventory.Inventory, hosts map[string]bool) []report.Exception {
	var out []report.Exception
	for _, rec := range recs {
		names := resolveSelector(rec.Select, invs)
		var in []string
		for _, h := range names {
			if hosts[h] {
				in = append(in, h)
			}
		}
		if len(in) == 0 {
			continue
		}
		e := report.Exception{ID: rec.ID, CVEs: rec.CVEs, Hosts: in, Until: rec.Until, Reason: rec.Reason,
			By: rec.By, CreatedAt: rec.CreatedAt}
		if rec.State == ExceptionRevoked || rec.State == ExceptionEnded {
			if !rec.Ended.IsZero() && rec.Ended.Before(e.Until) {
				e.Until = rec.Ended
			}
			e.Reason = fmt.Sprintf("%s (%s)", e.Reason, rec.EndedHow)
		}
		out = append(out, e)
	}
	return out
}

// resolveSelector lists the hosts a selector selects in any of invs; with
// no inventory, the hosts its host= terms name when it has no other term.
func resolveSelector(terms []string, invs []*inventory.Inventory) []string {
	sel, err := inventory.ParseSelector(terms)
	if err != nil || len(sel.Terms) == 0 {
		return nil
	}
	seen := map[string]bool{}
	var out []string
	add := func(h string) {
		if !seen[h] {
			seen[h] = true
			out = append(out, h)
		}
	}
	for _, inv := range invs {
		for _, h := range inv.Select(sel) {
			add(h.Name)
		}
	}
	if len(invs) == 0 && len(sel.Terms) == 1 && sel.Terms[0].Kind == inventory.TermHost {
		add(sel.Terms[0].Value)
	}
	return out
}
