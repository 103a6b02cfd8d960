package domain

import (
	"fmt"
	"time"
)

// MaxReviewedHosts bounds a reviewed plan: beyond it a plan is no longer
// something a person reviews, and it no longer fits the one workflow
// input that carries it (its hosts' pins are hosts x packages).
const MaxReviewedHosts = 2000

// DefaultPlanMaxAge is how old a reviewed plan may be when it is applied,
// unless the policy says otherwise (approval.plan_max_age).
const DefaultPlanMaxAge = 24 * time.Hour

// StagingStage names the staging stage of a plan; production waves are
// named by their number ("1", "2", ...).
const StagingStage = "staging"

// ReviewedPlan is a plan made by a dry run to be reviewed and applied
// exactly: the pinned entries, each stage's hosts in order with their
// pins and the fingerprint of the state they were planned from.
type ReviewedPlan struct {
	Policy       string      `json:"policy"`
	PolicySHA256 string      `json:"policy_sha256"`
	Created      time.Time   `json:"created"`
	Source       string      `json:"source"` // the dry run's cycle ID
	Entries      []PlanEntry `json:"entries"`
	Stages       []PlanStage `json:"stages"`
}

// PlanStage is staging or one production wave of a reviewed plan.
type PlanStage struct {
	Name  string     `json:"name"`
	Hosts []PlanHost `json:"hosts"`
}

// PlanHost is one host of a reviewed plan.
type PlanHost struct {
	Host        string `json:"host"`
	Refs        RefSet `json:"refs"`
	Fingerprint string `json:"fingerprint"`
	Kernel      string `json:"kernel,omitempty"`
}

// Hosts counts the plan's hosts.
func (p ReviewedPlan) Hosts() int {
	n := 0
	for _, s := range p.Stages {
		n += len(s.Hosts)
	}
	return n
}

// PlanRequired says why a cycle of policy that applies no reviewed plan
// may not roll out under this approval (approval.mode: plan); empty when
// it may.
func (a ApprovalSpec) PlanRequired(policy string, applying bool) string {
	if a.Mode != ApprovalPlan || applying {
		return ""
	}
	return "policy " + policy + " approves by reviewed plan only (approval.mode: plan): make one with patchflow cycle plan, review it, and start the cycle with patchflow cycle start --plan"
}

// PlanExpired says why a plan made at created may no longer be applied at now
// under maxAge (DefaultPlanMaxAge when 0); empty when it may.
func PlanExpired(created, now time.Time, maxAge time.Duration) string {
	if maxAge <= 0 {
		maxAge = DefaultPlanMaxAge
	}
	if age := now.Sub(created); age > maxAge {
		return fmt.Sprintf("the plan was made %s ago, the policy allows %s (approval.plan_max_age): make a new plan",
			age.Round(time.Minute), maxAge)
	}
	return ""
}
