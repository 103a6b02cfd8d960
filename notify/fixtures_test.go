package notify

import (
	"fmt"
	"time"
)

// The estate behind the sample events: 120 web hosts (web-001..web-120),
// 3 in staging, three production waves (10, 40%, rest), 97 of them with
// pending updates, two failures in wave 2 (one rolled back), an approval
// gate with a 4h timeout, and critical updates past a 3-day SLA on 23
// hosts.
const (
	sampleCycle  = "cycle/web-prod/2026-03-10T02:00:00Z"
	samplePolicy = "web-prod"
)

var sampleStart = time.Date(2026, 3, 10, 2, 0, 0, 0, time.UTC)

func at(d time.Duration) time.Time { return sampleStart.Add(d) }

func hostNames(from, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("web-%03d", from+i)
	}
	return out
}

// sampleEvents returns one event of every type, in the order a cycle of
// that estate sends them.
func sampleEvents() []Event {
	base := func(typ string, d time.Duration) Event {
		return Event{Type: typ, CycleID: sampleCycle, Policy: samplePolicy, Time: at(d)}
	}
	started := base(CycleStarted, 0)
	started.Cycle = &CycleInfo{Targets: 120, Staging: 3, Waves: 3}

	needed := base(CycleApprovalNeeded, 6*time.Minute+12*time.Second)
	needed.Approval = &ApprovalInfo{Hosts: 97, Updates: 5312, Deadline: at(4*time.Hour + 6*time.Minute), OnTimeout: "abort"}

	approved := base(CycleApproved, 31*time.Minute)
	approved.Approval = &ApprovalInfo{Hosts: 97, Updates: 5312, By: "operator"}

	paused := base(CyclePaused, 52*time.Minute)
	paused.Seq, paused.Reason = 1, "paused by an operator: waiting for the load balancer change freeze to end"

	resumed := base(CycleResumed, 58*time.Minute)
	resumed.Seq, resumed.Reason = 1, "resumed by an operator"

	staging := base(WaveStarted, 32*time.Minute)
	staging.Wave = &WaveInfo{Number: 0, Hosts: 3}

	w2 := base(WaveStarted, 1*time.Hour+15*time.Minute)
	w2.Wave = &WaveInfo{Number: 2, Name: "forty-percent", Hosts: 47}

	failed := base(HostFailed, 1*time.Hour+22*time.Minute)
	failed.Seq = 1
	failed.Reason = "apply: dpkg: error processing package nginx-common (--configure): installed nginx-common package post-installation script subprocess returned error exit status 1"
	failed.Host = &HostInfo{Name: "web-061", Wave: 2, State: "failed", Step: "apply"}

	rolled := base(HostRolledBack, 1*time.Hour+24*time.Minute)
	rolled.Reason = "rolled back after the failed apply"
	rolled.Host = &HostInfo{Name: "web-061", Wave: 2, State: "rolled_back"}

	repair := base(HostFailed, 1*time.Hour+31*time.Minute)
	repair.Seq = 1
	repair.Reason = "verify: openssl 3.0.15-1~deb12u1 expected, 3.0.13-1~deb12u1 installed; rollback: apt-get install --allow-downgrades: E: Version '3.0.13-1~deb12u1' for 'openssl' was not found"
	repair.Host = &HostInfo{Name: "web-074", Wave: 2, State: "needs_repair", Step: "verify"}

	breach := base(BudgetBreached, 1*time.Hour+31*time.Minute+5*time.Second)
	breach.Budget = &BudgetInfo{Tolerated: 1, Failed: 2, Wave: 2, Action: "pause"}

	w2done := base(WaveFinished, 1*time.Hour+48*time.Minute)
	w2done.Wave = &WaveInfo{Number: 2, Name: "forty-percent", Hosts: 47}
	w2done.Outcome = &Outcome{State: "failed", Counts: Counts{Total: 47, Patched: 45, Failed: 0, RolledBack: 1, NeedsRepair: 1}, Duration: 33 * time.Minute}

	sla := base(SLABreached, 3*time.Hour)
	sla.SLA = &SLAInfo{Severity: "critical", SLA: 72 * time.Hour, Updates: 41, Hosts: hostNames(62, 23)}

	finished := base(CycleFinished, 3*time.Hour+time.Second)
	finished.Outcome = &Outcome{State: "completed", Counts: Counts{Total: 120, Patched: 95, RolledBack: 1, Skipped: 23, NeedsRepair: 1}, Duration: 3*time.Hour + time.Second}

	cfailed := base(CycleFailed, 3*time.Hour+2*time.Second)
	cfailed.Reason = "staging host web-002 failed its check http-200: GET http://web-002/healthz answered 503"
	cfailed.Outcome = &Outcome{State: "failed", Counts: Counts{Total: 3, Patched: 2, Failed: 1}, Duration: 41 * time.Minute}

	aborted := base(CycleAborted, 3*time.Hour+3*time.Second)
	aborted.Reason = "approval timed out after 4h0m0s (on_timeout abort)"
	aborted.Outcome = &Outcome{State: "aborted", Counts: Counts{Total: 120, Pending: 120}, Duration: 4*time.Hour + 6*time.Minute}

	return []Event{started, needed, approved, staging, paused, resumed, w2, failed, rolled, repair, breach, w2done, sla, finished, cfailed, aborted}
}

// sampleLinks is a worker that knows its Temporal UI.
var sampleLinks = Links{UI: "http://127.0.0.1:8233", Namespace: "default"}
