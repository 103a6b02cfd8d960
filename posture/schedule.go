package posture

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/patchflow/patchflow/domain"
	"github.com/patchflow/patchflow/schedules"
	"github.com/patchflow/patchflow/workflows"
)

// AssessScheduleIDPrefix starts the ID of an assessment schedule:
// patchflow/assess/<policy>. It shares the schedules' prefix, so the
// schedule verbs (list, describe, pause, trigger, delete) take it as
// assess/<policy>.
const AssessScheduleIDPrefix = schedules.IDPrefix + AssessSchedulePolicyPrefix

// AssessSchedulePolicyPrefix is how the schedule verbs name an assessment
// schedule: assess/<policy>.
const AssessSchedulePolicyPrefix = "assess/"

// MinAssessInterval is the shortest interval between assessments: each
// one scans every host of the policy.
const MinAssessInterval = 5 * time.Minute

// AssessSchedule builds the Temporal Schedule that assesses a policy every
// interval: its ID is patchflow/assess/<policy>, its runs assess/<policy>-
// <scheduled UTC time>; a run that is still going when the next is due
// makes the next one skip, and a run missed by more than one interval
// (the server was down) is skipped rather than run late.
func AssessSchedule(spec domain.CycleSpec, kevDueDate bool, every time.Duration) (schedules.Plan, error) {
	if every < MinAssessInterval {
		return schedules.Plan{}, fmt.Errorf("--every %s is too short: assess at most every %s (each assessment scans every host)", every, MinAssessInterval)
	}
	if err := spec.Validate(); err != nil {
		return schedules.Plan{}, err
	}
	name := spec.Policy
	in := workflows.AssessInput{Spec: spec, KEVDueDate: kevDueDate}
	// The assessment changes no host; a window is the cycles' business.
	in.Spec.Window, in.Spec.DryRun = nil, false
	sspec := client.ScheduleSpec{Intervals: []client.ScheduleIntervalSpec{{Every: every}}}
	b, err := json.Marshal(struct {
		Every time.Duration         `json:"every"`
		Input workflows.AssessInput `json:"input"`
	}{every, in})
	if err != nil {
		return schedules.Plan{}, fmt.Errorf("hash the assessment schedule of %s: %w", name, err)
	}
	sum := sha256.Sum256(b)
	hash := hex.EncodeToString(sum[:16])
	opts := client.ScheduleOptions{
		ID:   AssessScheduleIDPrefix + name,
		Spec: sspec,
		Action: &client.ScheduleWorkflowAction{
			ID:            "assess/" + name,
			Workflow:      workflows.Assess,
			Args:          []any{in},
			TaskQueue:     workflows.TaskQueue,
			StaticSummary: "assessment of policy " + name + " (scheduled)",
			Memo:          map[string]any{schedules.MemoSpecHash: hash},
			TypedSearchAttributes: temporal.NewSearchAttributes(
				workflows.AttrPolicy.ValueSet(name),
			),
		},
		Overlap:       enumspb.SCHEDULE_OVERLAP_POLICY_SKIP,
		CatchupWindow: every,
		Note:          fmt.Sprintf("assessment of policy %s every %s", name, every),
	}
	return schedules.Plan{Policy: AssessSchedulePolicyPrefix + name, Options: opts, Hash: hash}, nil
}
