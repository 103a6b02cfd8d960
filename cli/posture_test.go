package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/patchflow/patchflow/report"
	"github.com/patchflow/patchflow/workflows"
)

// The posture verbs (assess, report compliance, cve audit, exception)
// against the real Temporal server (in process) running the real Assess,
// AssessShard, PatchCycle and ExceptionWorkflow on the fake estate of
// posture_fleet_test.go. posture_e2e_test.go runs them on real hosts.

const postureExtra = `patches: {classifications: [security]}
sla: {critical: 1d, high: 7d, medium: 30d, low: 90d}
rollout:
  waves: [{name: canary, count: 2}, {name: rest, percent: 100, max_parallel: 4}]
  failure_budget: {count: 2}
`

// assessOnPosture is `assess -p POLICY --wait --json`.
func assessOnPosture(t *testing.T, policy string, extra ...string) workflows.AssessResult {
	t.Helper()
	code, out, errOut := runPosture(t, append([]string{"assess", "-p", policy, "--wait", "--json"}, extra...)...)
	var res workflows.AssessResult
	if code != ExitOK || json.Unmarshal([]byte(out), &res) != nil {
		t.Fatalf("assess -p %s --wait --json: exit %d\n%s%s", policy, code, out, errOut)
	}
	return res
}

// complianceOnPosture is `report compliance ARGS --json`, read back
// strictly as the report package reads a file.
func complianceOnPosture(t *testing.T, args ...string) (*report.ComplianceReport, string) {
	t.Helper()
	code, out, errOut := runPosture(t, append([]string{"report", "compliance", "--json"}, args...)...)
	if code != ExitOK {
		t.Fatalf("report compliance %v --json: exit %d\n%s%s", args, code, out, errOut)
	}
	rep, err := report.ReadCompliance(strings.NewReader(out))
	if err != nil {
		t.Fatalf("report compliance --json does not read back: %v\n%s", err, out)
	}
	return rep, errOut
}

// auditOnPosture is `cve audit ARGS --json`, read back strictly.
func auditOnPosture(t *testing.T, args ...string) *report.CVEAudit {
	t.Helper()
	code, out, errOut := runPosture(t, append([]string{"cve", "audit", "--json"}, args...)...)
	if code != ExitOK {
		t.Fatalf("cve audit %v --json: exit %d\n%s%s", args, code, out, errOut)
	}
	a, err := report.ReadCVEAudit(strings.NewReader(out))
	if err != nil {
		t.Fatalf("cve audit --json does not read back: %v\n%s", err, out)
	}
	return a
}

func hostRow(t *testing.T, rep *report.ComplianceReport, host string) report.HostRow {
	t.Helper()
	for _, h := range rep.Hosts {
		if h.Host == host {
			return h
		}
	}
	t.Fatalf("the report has no row for %s", host)
	return report.HostRow{}
}

func cveHost(t *testing.T, a *report.CVEAudit, cve, host string) report.CVEHost {
	t.Helper()
	for _, e := range a.CVEs {
		if e.CVE != cve {
			continue
		}
		for _, h := range e.Hosts {
			if h.Host == host {
				return h
			}
		}
	}
	t.Fatalf("the audit of %s has no row for %s", cve, host)
	return report.CVEHost{}
}

func stateCount(rep *report.ComplianceReport, s report.HostState) int {
	for _, c := range rep.Totals.ByState {
		if c.State == s {
			return c.Hosts
		}
	}
	return -1
}

// cycleOnPosture starts a cycle of policy and follows `cycle status` to
// its end.
func cycleOnPosture(t *testing.T, policy string) workflows.CycleStatus {
	t.Helper()
	code, out, errOut := runPosture(t, "cycle", "start", "-p", policy, "--json")
	var started struct {
		CycleID string `json:"cycle_id"`
	}
	if code != ExitOK || json.Unmarshal([]byte(out), &started) != nil {
		t.Fatalf("cycle start: exit %d\n%s%s", code, out, errOut)
	}
	return awaitPostureCycle(t, started.CycleID, "its end", func(st workflows.CycleStatus) bool { return st.State.Final() })
}

// awaitPostureCycle polls `cycle status` until ok holds.
func awaitPostureCycle(t *testing.T, id, what string, ok func(workflows.CycleStatus) bool) workflows.CycleStatus {
	t.Helper()
	deadline := time.Now().Add(90 * time.Second)
	for {
		code, out, errOut := runPosture(t, "cycle", "status", id, "--json")
		var st workflows.CycleStatus
		if code != ExitOK || json.Unmarshal([]byte(out), &st) != nil {
			t.Fatalf("cycle status %s: exit %d\n%s%s", id, code, out, errOut)
		}
		if ok(st) {
			return st
		}
		if time.Now().After(deadline) {
			t.Fatalf("cycle %s: %s did not happen within 90s: %s (%s) %+v", id, what, st.State, st.Reason, st.Counts)
		}
		waitABit()
	}
}

// TestPostureFromAssessmentToVerifiedRemediation walks issue 12's path on
// the fake estate: an assessment finds the hosts missing the expat,
// openssl and glibc fixes (their real CVEs) and one host unreachable; the
// report shows that, a host added since as never assessed and the stale
// advisory source; an exception makes one host an exception; a cycle
// installs the fixes, which `cve audit` does not call patched until the
// next assessment verifies them; then the report shows the hosts
// compliant, the trend has both points, and the audit names the cycle.
func TestPostureFromAssessmentToVerifiedRemediation(t *testing.T) {
	_, fleet := postureServer(t)
	hosts := []string{"web-1", "web-2", "web-3", "web-4", "web-5", "web-reboot", "web-lag", "web-down1"}
	policy := writeFleetPolicy(t, "po-web", hosts, postureExtra)
	expat, openssl := fleet.security[0], fleet.security[1]

	first := assessOnPosture(t, policy, "--kev-due-date")
	if first.Hosts != 8 || first.Failed != 1 || first.Point.Noncompliant != 7 || first.Point.AssessmentFailed != 1 || first.Point.Compliant != 0 {
		t.Fatalf("first assessment: %d hosts, %d failed, point %+v; want 7 noncompliant and web-down1 failed", first.Hosts, first.Failed, first.Point)
	}
	// A host joins the inventory after the assessment.
	inv := filepath.Join(filepath.Dir(policy), "hosts.ini")
	f, err := os.OpenFile(inv, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString("web-new\n")
	f.Close()

	rep, notes := complianceOnPosture(t, "-p", policy)
	if notes != "" {
		t.Errorf("notes on a complete assessment: %s", notes)
	}
	if got := hostRow(t, rep, "web-down1"); got.State != report.StateAssessmentFailed || got.Failure == nil || !strings.Contains(got.Failure.Error, "no route to host") {
		t.Errorf("web-down1: %s %+v; want assessment_failed with the ssh error", got.State, got.Failure)
	}
	if got := hostRow(t, rep, "web-new"); got.State != report.StateNeverAssessed {
		t.Errorf("web-new, added after the assessment: %s, want never_assessed", got.State)
	}
	w1 := hostRow(t, rep, "web-1")
	if w1.State != report.StateNoncompliant || w1.Summary.Missing != 3 || w1.Summary.KEV != 1 {
		t.Fatalf("web-1: %s, %+v; want noncompliant with expat, openssl and glibc missing", w1.State, w1.Summary)
	}
	for _, m := range w1.Missing {
		switch m.Package {
		case "libexpat1":
			if !slices.Equal(m.CVEs, sortedCopy(expat.cves)) || m.FixedVersion != "2.5.0-1+deb12u5" || m.SLAState != report.SLAWithin {
				t.Errorf("web-1 libexpat1: CVEs %v fixed %s %s; want the changelog's %v, 2.5.0-1+deb12u5, within its 30-day SLA", m.CVEs, m.FixedVersion, m.SLAState, expat.cves)
			}
		case "libc6":
			if !m.KEV || m.SLASource != report.SLAFromKEV || m.SLAState != report.SLABreached || m.KEVDueDate != "2023-12-12" {
				t.Errorf("web-1 libc6: kev %v due %s, sla %s from %s; want CISA's due date 2023-12-12 breached", m.KEV, m.KEVDueDate, m.SLAState, m.SLASource)
			}
		}
	}
	if rep.Totals.StaleSources != 1 || len(rep.Sources) != 1 || rep.Sources[0].Name != staleSource || !rep.Sources[0].Stale {
		t.Errorf("sources %+v: want %s flagged stale", rep.Sources, staleSource)
	}
	// The report agrees with what the assessment recorded (its metrics).
	for _, s := range rep.Totals.BySeverity {
		if s.Missing != first.Totals.Missing.Of(s.Severity) {
			t.Errorf("%s missing: report %d, assessment %d", s.Severity, s.Missing, first.Totals.Missing.Of(s.Severity))
		}
	}
	if rep.Totals.KEV != first.Totals.KEV || rep.Totals.Breached != first.Totals.Breached || len(rep.Trend) != 1 || rep.Trend[0].Noncompliant != 7 {
		t.Errorf("totals %+v, trend %+v; assessment %+v", rep.Totals, rep.Trend, first.Totals)
	}
	code, out, _ := runPosture(t, "report", "compliance", "-p", "po-web", "--fixes")
	if code != ExitOK || !strings.Contains(out, "web-down1") || !strings.Contains(out, "never_assessed") || !strings.Contains(out, "CVE-2023-4911") {
		t.Errorf("report compliance (table): exit %d\n%s", code, out)
	}

	// The audit before any cycle.
	audit := auditOnPosture(t, expat.cves[0], "CVE-2023-4911", "CVE-2024-1086", openssl.cves[0], "-p", "po-web")
	if h := cveHost(t, audit, expat.cves[0], "web-1"); h.State != report.CVEAffectedPatchable || len(h.Evidence.Packages) != 1 || h.Evidence.Packages[0].Candidate != "2.5.0-1+deb12u5" {
		t.Errorf("web-1 %s: %s %+v", expat.cves[0], h.State, h.Evidence)
	}
	if h := cveHost(t, audit, "CVE-2024-1086", "web-reboot"); h.State != report.CVERebootPending || h.Evidence.RunningKernel != "6.1.0-17-amd64" {
		t.Errorf("web-reboot CVE-2024-1086: %s %+v; want reboot_pending on the running 6.1.0-17-amd64", h.State, h.Evidence)
	}
	if h := cveHost(t, audit, openssl.cves[0], "web-lag"); h.State != report.CVEFixNotInRepos {
		t.Errorf("web-lag %s: %s, want fix_not_in_repos", openssl.cves[0], h.State)
	}
	for _, host := range []string{"web-down1", "web-new"} {
		if h := cveHost(t, audit, "CVE-2023-4911", host); h.State != report.CVEUnknown {
			t.Errorf("%s: %s, want unknown", host, h.State)
		}
	}
	if h := cveHost(t, audit, "CVE-2024-1086", "web-1"); h.State != report.CVENotAffected {
		t.Errorf("web-1 CVE-2024-1086: %s, want not_affected", h.State)
	}

	// An exception covering every CVE web-2 misses makes it an exception.
	var cves []string
	for _, m := range hostRow(t, rep, "web-2").Missing {
		cves = append(cves, m.CVEs...)
	}
	until := time.Now().UTC().AddDate(0, 0, 30).Format("2006-01-02")
	args := append([]string{"exception", "add"}, cves...)
	code, out, errOut := runPosture(t, append(args, "--hosts", "host=web-2", "--until", until, "--reason", "vendor fix due; ports closed at the firewall", "--by", "sre-ana", "--json")...)
	var exc workflows.Exception
	if code != ExitOK || json.Unmarshal([]byte(out), &exc) != nil || exc.ID == "" || exc.By != "sre-ana" {
		t.Fatalf("exception add: exit %d\n%s%s", code, out, errOut)
	}
	rep, _ = complianceOnPosture(t, "-p", "po-web")
	if got := hostRow(t, rep, "web-2"); got.State != report.StateException || got.Summary.Excepted != 3 || got.Summary.Missing != 0 {
		t.Errorf("web-2 under exception %s: %s %+v", exc.ID, got.State, got.Summary)
	}
	if len(rep.Exceptions) != 1 || rep.Exceptions[0].ID != exc.ID || rep.Exceptions[0].CoveredFixes != 3 || rep.Exceptions[0].Expired {
		t.Errorf("exceptions %+v", rep.Exceptions)
	}

	// A cycle installs the fixes; until an assessment verifies them the
	// audit says so but does not call the hosts patched.
	cyc := cycleOnPosture(t, policy)
	if cyc.Counts.Patched != 8 {
		t.Fatalf("cycle %s: %s, %+v; want the 8 reachable hosts patched (web-new too)", cyc.CycleID, cyc.State, cyc.Counts)
	}
	if v := fleet.version("web-1", "libexpat1"); v != "2.5.0-1+deb12u5" {
		t.Fatalf("the cycle left web-1 at libexpat1 %s", v)
	}
	audit = auditOnPosture(t, expat.cves[0], "-p", "po-web")
	if h := cveHost(t, audit, expat.cves[0], "web-1"); h.State != report.CVEAffectedPatchable || !strings.Contains(h.Evidence.Note, "cycle "+cyc.CycleID+" installed libexpat1 2.5.0-1+deb12u5") || !strings.Contains(h.Evidence.Note, "not verified yet") {
		t.Errorf("web-1 after the cycle, before an assessment: %s, note %q", h.State, h.Evidence.Note)
	}

	second := assessOnPosture(t, policy, "--kev-due-date")
	rep, _ = complianceOnPosture(t, "-p", policy)
	for _, h := range []string{"web-1", "web-2", "web-3", "web-4", "web-5", "web-reboot", "web-lag", "web-new"} {
		if got := hostRow(t, rep, h); got.State != report.StateCompliant {
			t.Errorf("%s after the cycle and a new assessment: %s %+v", h, got.State, got.Summary)
		}
	}
	if got := hostRow(t, rep, "web-reboot"); !got.RebootPending {
		t.Error("web-reboot: the pending reboot is not shown")
	}
	if got := hostRow(t, rep, "web-down1"); got.State != report.StateAssessmentFailed {
		t.Errorf("web-down1: %s", got.State)
	}
	if len(rep.Trend) != 2 || rep.Trend[1].Compliant != second.Point.Compliant || rep.Trend[0].Compliant != 0 || second.Point.Compliant != 8 {
		t.Errorf("trend %+v; second assessment %+v", rep.Trend, second.Point)
	}
	audit = auditOnPosture(t, expat.cves[0], "CVE-2024-1086", "-p", "po-web")
	h := cveHost(t, audit, expat.cves[0], "web-1")
	if h.State != report.CVEPatched || h.Evidence.CycleID != cyc.CycleID || h.Evidence.Wave == nil || h.Evidence.PatchedAt.After(h.Evidence.AssessedAt) ||
		h.Evidence.AssessedAt.Before(second.Started.Truncate(time.Second)) || h.Evidence.AssessedAt.After(second.Finished) {
		t.Errorf("web-1 %s after verification: %s %+v; want patched by %s, verified by %s", expat.cves[0], h.State, h.Evidence, cyc.CycleID, second.AssessID)
	}
	if h := cveHost(t, audit, "CVE-2024-1086", "web-reboot"); h.State != report.CVERebootPending {
		t.Errorf("web-reboot: %s; a cycle that installed no kernel leaves the reboot pending", h.State)
	}
	code, out, _ = runPosture(t, "cve", "audit", expat.cves[0], "-p", "po-web")
	if code != ExitOK || !strings.Contains(out, "patched") || !strings.Contains(out, cyc.CycleID) {
		t.Errorf("cve audit (table): exit %d\n%s", code, out)
	}

	// Revoked, the exception shows as such.
	code, out, errOut = runPosture(t, "exception", "revoke", exc.ID, "--reason", "fixed early", "--by", "sre-bo")
	if code != ExitOK || !strings.Contains(out, "revoked by sre-bo") {
		t.Fatalf("exception revoke: exit %d\n%s%s", code, out, errOut)
	}
	if code, _, errOut := runPosture(t, "exception", "revoke", exc.ID); code != ExitFailure || !strings.Contains(errOut, "no exception "+exc.ID+" in force") {
		t.Errorf("second revoke: exit %d %q", code, errOut)
	}
	code, out, _ = runPosture(t, "exception", "list", "--all", "--json")
	var list struct {
		Exceptions []struct {
			ID       string `json:"id"`
			State    string `json:"state"`
			EndedHow string `json:"ended_how"`
		} `json:"exceptions"`
	}
	if code != ExitOK || json.Unmarshal([]byte(out), &list) != nil || len(list.Exceptions) != 1 || list.Exceptions[0].State != "revoked" || !strings.Contains(list.Exceptions[0].EndedHow, "fixed early") {
		t.Errorf("exception list --all --json: exit %d\n%s", code, out)
	}
	if code, out, _ := runPosture(t, "exception", "list"); code != ExitOK || strings.Contains(out, exc.ID) {
		t.Errorf("exception list (in force) still lists the revoked one:\n%s", out)
	}

	// The HTML file has the chart with one point per assessment and the table.
	file := filepath.Join(t.TempDir(), "compliance.html")
	if code, _, errOut := runPosture(t, "report", "compliance", "-p", "po-web", "--html", file); code != ExitOK || !strings.Contains(errOut, "wrote "+file) {
		t.Fatalf("report compliance --html: exit %d %s", code, errOut)
	}
	page, _ := os.ReadFile(file)
	if n := strings.Count(string(page), `class="pt"`); n != 2 || !strings.Contains(string(page), `id="trend-chart"`) || !strings.Contains(string(page), "web-down1") {
		t.Errorf("the HTML report has %d chart points (want 2), chart %v", n, strings.Contains(string(page), `id="trend-chart"`))
	}
}

// sortedCopy is s sorted, as a report lists a fix's CVEs.
func sortedCopy(s []string) []string {
	out := slices.Clone(s)
	slices.Sort(out)
	return out
}
