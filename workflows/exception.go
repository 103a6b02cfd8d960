package workflows

import (
	"fmt"
	"strings"
	"time"

	"go.temporal.io/sdk/workflow"
)

// Exception is a risk accepted for some CVEs on some hosts until a time:
// a running Exception workflow (ID ExceptionID(id)) whose timer ends it at
// Until, when the findings count again. Assessments and reports read the
// running ones (their memo holds this value).
type Exception struct {
	ID   string   `json:"id"`
	CVEs []string `json:"cves"`
	// Select are inventory selector terms ("group=web", "host=db1"),
	// resolved against each assessment's inventory when it runs.
	Select []string  `json:"select"`
	Until  time.Time `json:"until"`
	Reason string    `json:"reason"`
	// By is who accepted the risk (the CLI user or the given name).
	By        string    `json:"by"`
	CreatedAt time.Time `json:"created_at"`
}

// ExceptionMemo is the memo key holding an Exception's value.
const ExceptionMemo = "exception"

// MsgRevoke ends an exception before its time (signal and update).
const MsgRevoke = "revoke"

// ExceptionID is the workflow ID of exception id.
func ExceptionID(id string) string { return "exception/" + id }

// ExceptionResult says how an exception ended.
type ExceptionResult struct {
	Exception
	Ended string    `json:"ended"` // expired or revoked
	At    time.Time `json:"at"`
}

// RevokeRequest is the payload of MsgRevoke.
type RevokeRequest struct {
	By     string `json:"by"`
	Reason string `json:"reason"`
}

// ExceptionWorkflow holds an exception open until it expires (a durable
// timer, so it expires on time through worker and server restarts) or is
// revoked.
func ExceptionWorkflow(ctx workflow.Context, e Exception) (ExceptionResult, error) {
	if e.ID == "" || len(e.CVEs) == 0 || len(e.Select) == 0 || e.Until.IsZero() || strings.TrimSpace(e.Reason) == "" {
		return ExceptionResult{}, fmt.Errorf("exception needs an id, CVEs, a host selector, an expiry and a reason")
	}
	var revoked *RevokeRequest
	apply := func(r RevokeRequest) { revoked = &r }
	ch := workflow.GetSignalChannel(ctx, MsgRevoke)
	workflow.Go(ctx, func(ctx workflow.Context) {
		var r RevokeRequest
		ch.Receive(ctx, &r)
		apply(r)
	})
	if err := workflow.SetUpdateHandler(ctx, MsgRevoke, func(ctx workflow.Context, r RevokeRequest) (string, error) {
		apply(r)
		return "revoked", nil
	}); err != nil {
		return ExceptionResult{}, err
	}
	if err := workflow.SetQueryHandler(ctx, QueryStatus, func() (Exception, error) { return e, nil }); err != nil {
		return ExceptionResult{}, err
	}
	workflow.SetCurrentDetails(ctx, fmt.Sprintf("risk of %s accepted on %s until %s: %s",
		strings.Join(e.CVEs, ", "), strings.Join(e.Select, ","), e.Until.UTC().Format(time.RFC3339), e.Reason))
	if d := e.Until.Sub(workflow.Now(ctx)); d > 0 {
		_, _ = workflow.AwaitWithTimeout(ctx, d, func() bool { return revoked != nil })
	}
	res := ExceptionResult{Exception: e, Ended: "expired", At: workflow.Now(ctx)}
	if revoked != nil {
		res.Ended = "revoked by " + revoked.By + ": " + revoked.Reason
	}
	return res, nil
}
