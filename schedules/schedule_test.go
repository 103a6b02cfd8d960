package schedules

import (
	"errors"
	"strings"
	"testing"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"

	"github.com/patchflow/patchflow/policies"
	"github.com/patchflow/patchflow/policyspec"
	"github.com/patchflow/patchflow/workflows"
)

const webPolicy = `apiVersion: patchflow/v1
kind: PatchPolicy
metadata: {name: web-fleet}
targets: {inventory: inventory.yaml, select: [group=web]}
window:
  calendar: {days: [tue-thu], start: "02:00"}
  duration: 4h
  timezone: Europe/Berlin
  blackout_dates: ["2026-12-24", "2026-12-31"]
  jitter: 5m
  catchup_window: 1h
rollout:
  waves: [{name: all, percent: 100}]
`

func loadExample(t *testing.T, name string) *policies.Policy {
	t.Helper()
	var p *policies.Policy
	var err error
	if name == "web" {
		p, err = policies.Parse("web.yaml", []byte(webPolicy))
	} else {
		p, err = policies.Load("../policies/examples/" + name)
	}
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// Tue-Thu 02:00 Europe/Berlin, 4h, two blackout dates, 5m jitter, 1h
// catch-up.
func TestBuildCalendarWindow(t *testing.T) {
	plan, err := build(t, loadExample(t, "web"))
	if err != nil {
		t.Fatal(err)
	}
	o := plan.Options
	if o.ID != "patchflow/web-fleet" || o.Overlap != enumspb.SCHEDULE_OVERLAP_POLICY_SKIP || o.CatchupWindow != time.Hour {
		t.Fatalf("id %q overlap %v catchup %s", o.ID, o.Overlap, o.CatchupWindow)
	}
	s := o.Spec
	if s.TimeZoneName != "Europe/Berlin" || s.Jitter != 5*time.Minute || len(s.CronExpressions) != 0 || len(s.Calendars) != 1 {
		t.Fatalf("spec = %+v", s)
	}
	c := s.Calendars[0]
	if c.Hour[0] != (client.ScheduleRange{Start: 2, End: 2, Step: 1}) || c.Minute[0].Start != 0 || c.DayOfWeek[0] != (client.ScheduleRange{Start: 2, End: 4, Step: 1}) {
		t.Fatalf("calendar = %+v", c)
	}
	if len(s.Skip) != 2 || s.Skip[0].Year[0].Start != 2026 || s.Skip[0].Month[0].Start != 12 || s.Skip[0].DayOfMonth[0].Start != 24 || s.Skip[1].DayOfMonth[0].Start != 31 {
		t.Fatalf("blackout skips = %+v", s.Skip)
	}
	a := o.Action.(*client.ScheduleWorkflowAction)
	if a.ID != "cycle/web-fleet" || a.TaskQueue != "patchflow" || a.Memo[MemoSpecHash] != plan.Hash || len(plan.Hash) != 32 {
		t.Fatalf("action = %+v, hash %q", a, plan.Hash)
	}
	if _, ok := a.TypedSearchAttributes.GetKeyword(workflows.AttrPolicy); !ok {
		t.Fatalf("action has no PatchPolicy search attribute")
	}
}

func TestHashIsStableAndFollowsThePolicy(t *testing.T) {
	a, _ := build(t, loadExample(t, "web"))
	b, _ := build(t, loadExample(t, "web"))
	if a.Hash != b.Hash {
		t.Fatalf("same policy, different hashes %s %s", a.Hash, b.Hash)
	}
	p := loadExample(t, "web")
	p.Window.Jitter = policies.Duration(time.Minute)
	c, err := build(t, p)
	if err != nil || c.Hash == a.Hash {
		t.Fatalf("changed jitter keeps hash %s (err %v)", c.Hash, err)
	}
}

func TestNoWindowIsAClearError(t *testing.T) {
	_, err := build(t, loadExample(t, "emergency-critical-cve.yaml"))
	if !errors.Is(err, ErrNoWindow) || !strings.Contains(err.Error(), "has no window: add window.cron or window.calendar") {
		t.Fatalf("err = %v", err)
	}
}

func TestCalendarTextReadsLikeCron(t *testing.T) {
	all := func(lo, hi int) []client.ScheduleRange { return []client.ScheduleRange{{Start: lo, End: hi, Step: 1}} }
	c := client.ScheduleCalendarSpec{Second: []client.ScheduleRange{{Start: 0}}, Minute: all(0, 59), Hour: []client.ScheduleRange{{Start: 2, End: 2}},
		DayOfMonth: all(1, 31), Month: all(1, 12), DayOfWeek: []client.ScheduleRange{{Start: 1, End: 5, Step: 1}}}
	if got := calendarText(c); got != "cron * 2 * * 1-5" {
		t.Fatalf("calendarText = %q", got)
	}
	c.Comment = "window tue-thu 02:00"
	if got := calendarText(c); got != c.Comment {
		t.Fatalf("calendarText with comment = %q", got)
	}
}

// build makes the schedule of a policy the way `schedule create` does:
// the policy's cycle spec, then its schedule.
func build(t *testing.T, p *policies.Policy) (Plan, error) {
	t.Helper()
	res, err := policyspec.Spec(p)
	if err != nil {
		return Plan{}, err
	}
	return FromSpec(p, res.Spec)
}
