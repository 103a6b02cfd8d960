package domain

// BreachAction is what a cycle does when its failed production hosts
// exceed the failure budget (rollout.on_budget_breach).
type BreachAction string

// Breach actions.
const (
	// BreachPause stops starting hosts and waits for an operator's resume
	// (accept the failures and go on) or abort.
	BreachPause BreachAction = "pause"
	// BreachRollbackWave rolls back the hosts the breaching wave changed,
	// then waits for an operator like BreachPause.
	BreachRollbackWave BreachAction = "rollback_wave"
	// BreachRollbackAll rolls back every host the cycle changed, newest
	// first, and ends the cycle failed.
	BreachRollbackAll BreachAction = "rollback_all"
)

// BreachActions lists the valid breach actions.
var BreachActions = []BreachAction{BreachPause, BreachRollbackWave, BreachRollbackAll}

// RollsBack reports whether the action rolls hosts back.
func (a BreachAction) RollsBack() bool { return a == BreachRollbackWave || a == BreachRollbackAll }

// DecisionTimeoutAction is what happens to a failed host when no operator
// decides (retry, skip, rollback) within the decision timeout
// (rollback.on_decision_timeout).
type DecisionTimeoutAction string

// Decision timeout actions, as the policy reference documents them. A host
// whose rollback failed always ends needs_repair, whatever the action; a
// spec without an action (one not made from a policy) ends the host failed.
const (
	// DecisionSkip ends the host skipped, left as it is.
	DecisionSkip DecisionTimeoutAction = "skip"
	// DecisionAbort ends the host failed and aborts the cycle.
	DecisionAbort DecisionTimeoutAction = "abort"
)

// DecisionTimeoutActions lists the valid decision timeout actions.
var DecisionTimeoutActions = []DecisionTimeoutAction{DecisionSkip, DecisionAbort}

// ApprovalMode says whether a person approves the plan.
type ApprovalMode string

// Approval modes.
const (
	ApprovalAuto   ApprovalMode = "auto"
	ApprovalManual ApprovalMode = "manual"
	// ApprovalPlan approves with a reviewed plan: the cycle must run one
	// (cycle start --plan) and only an approval naming that plan's sha256
	// opens the gate.
	ApprovalPlan ApprovalMode = "plan"
)

// ApprovalModes lists the valid approval modes.
var ApprovalModes = []ApprovalMode{ApprovalAuto, ApprovalManual, ApprovalPlan}

// ApprovalTimeoutAction is what a manual approval gate does when nobody
// approves in time.
type ApprovalTimeoutAction string

// Approval timeout actions.
const (
	// ApprovalTimeoutAbort fails the cycle with no host changed.
	ApprovalTimeoutAbort ApprovalTimeoutAction = "abort"
	// ApprovalTimeoutProceed starts the rollout as if approved.
	ApprovalTimeoutProceed ApprovalTimeoutAction = "proceed"
)

// ApprovalTimeoutActions lists the valid approval timeout actions.
var ApprovalTimeoutActions = []ApprovalTimeoutAction{ApprovalTimeoutProceed, ApprovalTimeoutAbort}

// RebootPolicy says when a patched host reboots.
type RebootPolicy string

// Reboot policies.
const (
	RebootIfRequired RebootPolicy = "if_required"
	RebootAlways     RebootPolicy = "always"
	RebootNever      RebootPolicy = "never"
)

// RebootPolicies lists the valid reboot policies.
var RebootPolicies = []RebootPolicy{RebootIfRequired, RebootAlways, RebootNever}

// Reboots reports whether a host reboots after its install, given whether
// its package manager asks for it.
func (r RebootPolicy) Reboots(required bool) bool {
	switch r {
	case RebootNever:
		return false
	case RebootAlways:
		return true
	}
	return required
}

// CheckType is how a health check probes.
type CheckType string

// Check types.
const (
	CheckCommand CheckType = "command"
	CheckTCP     CheckType = "tcp"
	CheckHTTP    CheckType = "http"
	CheckPromQL  CheckType = "promql"
)

// CheckTypes lists the valid check types.
var CheckTypes = []CheckType{CheckCommand, CheckHTTP, CheckTCP, CheckPromQL}

// CheckScope says when a check runs.
type CheckScope string

// Check scopes.
const (
	// ScopeHost runs the check for each host right after its patch, as
	// part of its verify step.
	ScopeHost CheckScope = "host"
	// ScopeWave runs the check after each wave's (and staging's) bake.
	ScopeWave CheckScope = "wave"
)

// CheckScopes lists the valid check scopes.
var CheckScopes = []CheckScope{ScopeHost, ScopeWave}

// Choices renders a vocabulary for an error message: "a, b or c".
func Choices[T ~string](values []T) string {
	s := ""
	for i, v := range values {
		switch {
		case i == 0:
		case i == len(values)-1:
			s += " or "
		default:
			s += ", "
		}
		s += string(v)
	}
	return s
}
