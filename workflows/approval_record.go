package workflows

import (
	"time"

	"go.temporal.io/sdk/workflow"
)

// Approval modes of an ApprovalRecord.
const (
	// ApprovedAuto: no person had to approve; the policy did.
	ApprovedAuto = "auto"
	// ApprovedByOperator: an operator sent approve.
	ApprovedByOperator = "operator"
	// ApprovedByPlan: an approve named the sha256 of the reviewed plan the
	// cycle applies.
	ApprovedByPlan = "plan"
	// ApprovedOnTimeout: no approval came within the timeout and the
	// policy proceeds (approval.on_timeout: proceed).
	ApprovedOnTimeout = "timeout"
	// ApprovalPending: the cycle waits for approval, or stopped waiting.
	ApprovalPending = "pending"
)

// ApprovalRecord is how a cycle's approval gate opened: who or what
// approved, when, and why a person had to. The approver's identity is not
// known to the workflow: it is on the approve signal's or update's event
// in the cycle's history, which Signal and UpdateID point at (`patchflow
// report cycle` reads it there).
type ApprovalRecord struct {
	Mode string `json:"mode"`
	// Required says why a person had to approve; empty for auto.
	Required    string    `json:"required,omitempty"`
	RequestedAt time.Time `json:"requested_at,omitzero"`
	At          time.Time `json:"at,omitzero"`
	// Via is "signal" or "update"; Signal is the approving signal's
	// position (1-based) among the approve signals the cycle received,
	// UpdateID the approving update's ID.
	Via        string `json:"via,omitempty"`
	Signal     int    `json:"signal,omitempty"`
	UpdateID   string `json:"update_id,omitempty"`
	PlanSHA256 string `json:"plan_sha256,omitempty"`
	Comment    string `json:"comment,omitempty"`
}

// approval is the approve message that opened the gate.
type approval struct {
	at         time.Time
	via        string
	signal     int
	updateID   string
	planSHA256 string
	comment    string
}

// noteApproval records which message approved: an update (its ID) or the
// n-th approve signal.
func (c *cycleRun) noteApproval(ctx workflow.Context, r ApproveRequest) {
	a := approval{at: workflow.Now(ctx), via: "signal", signal: c.ctl.approveSignals, planSHA256: r.PlanSHA256, comment: r.Comment}
	if id := c.ctl.approvingUpdate; id != "" {
		a.via, a.signal, a.updateID = "update", 0, id
	}
	c.ctl.approval = a
}

// approvedRecord is the record of an approval by message.
func (c *cycleRun) approvedRecord(required string, requested time.Time) *ApprovalRecord {
	a := c.ctl.approval
	mode := ApprovedByOperator
	if a.planSHA256 != "" {
		mode = ApprovedByPlan
	}
	return &ApprovalRecord{Mode: mode, Required: required, RequestedAt: requested, At: a.at, Via: a.via,
		Signal: a.signal, UpdateID: a.updateID, PlanSHA256: a.planSHA256, Comment: a.comment}
}
