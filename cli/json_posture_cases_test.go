package cli

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/patchflow/patchflow/domain"
	"github.com/patchflow/patchflow/report"
	"github.com/patchflow/patchflow/workflows"
)

// jsonPostureNamespace is where the posture cases run: the fake estate
// of posture_fleet_test.go on the package's test server, in a namespace
// of its own, so their exceptions and assessments show in no posture
// test's lists.
const jsonPostureNamespace = "json-posture"

// posture runs a command in jsonPostureNamespace and checks its output.
func (c *jsonChecker) posture(t *testing.T, schema string, want int, args ...string) string {
	t.Helper()
	return c.checkWith(t, runJSONPosture, schema, want, args...)
}

// runJSONPosture runs a command in jsonPostureNamespace.
func runJSONPosture(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	return runPostureIn(t, jsonPostureNamespace, args...)
}

// jsonPosture walks a policy's posture on the fake estate (hosts with
// 50-150 pending updates, the real expat, openssl and KEV-listed glibc
// fixes, a host with a reboot pending, one whose repositories lack a fix,
// one unreachable): its compliance before any assessment, an assessment
// waited for, exceptions added, one revoked, listed in force and all, the
// compliance report and CVE audit, a cycle that installs the fixes, an
// assessment started without waiting that verifies them, the report and
// audit after it, and the cycle's evidence pack; then the audit of hosts
// a parked cycle, and then a schedule, will patch.
func jsonPosture(t *testing.T, c *jsonChecker) {
	tc, fleet := postureServerIn(t, jsonPostureNamespace)
	const name = "js-posture"
	hosts := jsonFleet("js-po", 10, "reboot", "lag", "down1")
	policy := writeFleetPolicy(t, name, hosts, postureExtra)
	expat, glibc := fleet.security[0], fleet.security[2]

	if out := c.posture(t, "exception-list", ExitOK, "exception", "list", "--all"); !strings.Contains(out, `"exceptions": []`) {
		t.Errorf("no exception lists as []:\n%s", out)
	}
	c.posture(t, "report/compliance", ExitOK, "report", "compliance", "-p", policy)

	var first workflows.AssessResult
	if err := json.Unmarshal([]byte(c.posture(t, "assess-result", ExitOK, "assess", "-p", policy, "--wait", "--kev-due-date")), &first); err != nil {
		t.Fatal(err)
	}
	if first.Hosts != 13 || first.Failed != 1 || first.Point.Noncompliant != 12 || first.Point.AssessmentFailed != 1 {
		t.Fatalf("first assessment: %d hosts, %d failed, %+v; want 12 noncompliant and js-po-down1 failed", first.Hosts, first.Failed, first.Point)
	}

	until := time.Now().UTC().AddDate(0, 0, 30).Format("2006-01-02")
	var exc workflows.Exception
	args := append(append([]string{"exception", "add"}, expat.cves...), "--hosts", "host=js-po-02", "--until", until,
		"--reason", "vendor fix due; ports closed at the firewall", "--by", "sre-ana")
	if err := json.Unmarshal([]byte(c.posture(t, "exception-add", ExitOK, args...)), &exc); err != nil || exc.ID == "" || exc.By != "sre-ana" {
		t.Fatalf("exception add: %v %+v", err, exc)
	}
	soon := time.Now().UTC().Add(36 * time.Hour).Truncate(time.Second).Format(time.RFC3339)
	c.posture(t, "exception-add", ExitOK, "exception", "add", glibc.cves[0], "--hosts", "group=fleet", "--hosts", "env=prod",
		"--until", soon, "--reason", "glibc is patched by the next cycle", "--id", "EXC-js-glibc")
	if code, out, errOut := runPostureIn(t, jsonPostureNamespace, "exception", "revoke", "EXC-js-glibc", "--reason", "patching now", "--by", "sre-bo"); code != ExitOK {
		t.Fatalf("exception revoke: exit %d\n%s%s", code, out, errOut)
	}
	c.posture(t, "exception-list", ExitOK, "exception", "list")
	out := c.posture(t, "exception-list", ExitOK, "exception", "list", "--all")
	if !strings.Contains(out, `"state": "revoked"`) || !strings.Contains(out, `"state": "active"`) {
		t.Errorf("exception list --all shows the active and the revoked exception:\n%s", out)
	}

	c.posture(t, "report/compliance", ExitOK, "report", "compliance", "-p", policy, "--tz", "Europe/Berlin")
	audit := append(append([]string{"cve", "audit"}, expat.cves...), glibc.cves[0], "CVE-2024-1086", "-p", name)
	c.posture(t, "report/cve-audit", ExitOK, audit...)

	code, out, errOut := runPostureIn(t, jsonPostureNamespace, "cycle", "start", "-p", policy, "--json")
	var started struct {
		CycleID string `json:"cycle_id"`
	}
	if code != ExitOK || json.Unmarshal([]byte(out), &started) != nil {
		t.Fatalf("cycle start: exit %d\n%s%s", code, out, errOut)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var cyc workflows.CycleResult
	if err := tc.GetWorkflow(ctx, started.CycleID, "").Get(ctx, &cyc); err != nil && !strings.Contains(err.Error(), "completed_with_failures") {
		t.Fatalf("cycle %s: %v", started.CycleID, err)
	}

	var second struct {
		AssessID string `json:"assess_id"`
	}
	for range 50 {
		code, out, errOut := runPostureIn(t, jsonPostureNamespace, "assess", "-p", policy, "--json")
		if code == ExitOK {
			c.check(t, "assess", "assess-start", out)
			if err := json.Unmarshal([]byte(out), &second); err != nil {
				t.Fatal(err)
			}
			break
		}
		if !strings.Contains(errOut, "same second") {
			t.Fatalf("assess: exit %d\n%s%s", code, out, errOut)
		}
		waitABit() // one assessment per policy and second
	}
	var res workflows.AssessResult
	if err := tc.GetWorkflow(ctx, second.AssessID, "").Get(ctx, &res); err != nil || res.Point.Compliant != 12 {
		t.Fatalf("assessment %s after the cycle: %v, %+v; want the 12 reachable hosts compliant", second.AssessID, err, res.Point)
	}
	// The report finds assessments in Temporal's visibility store, which
	// indexes the one that just ended a moment later: a point each once
	// it has.
	var points []int
	for range 300 {
		rep := c.posture(t, "report/compliance", ExitOK, "report", "compliance", "-p", name)
		r, err := report.ReadCompliance(strings.NewReader(rep))
		if err != nil {
			t.Fatalf("report compliance --json does not read back: %v\n%.2000s", err, rep)
		}
		points = points[:0]
		for _, p := range r.Trend {
			points = append(points, p.Compliant)
		}
		if len(r.Trend) == 2 {
			break
		}
		waitABit()
	}
	if len(points) != 2 || points[0] != 0 || points[1] != 12 {
		t.Errorf("the trend after two assessments has compliant hosts %v; want [0 12]", points)
	}
	// The cycle's evidence pack: the findings before and after it, and its
	// fixes verified by the assessment that followed it, except on the
	// host that still waits for its reboot.
	e := c.evidence(t, runJSONPosture, started.CycleID)
	remedied := map[report.RemediationState][]string{}
	for _, r := range e.Remediation {
		remedied[r.State] = append(remedied[r.State], r.Host)
	}
	if e.AfterAssessment != second.AssessID || len(e.Before) != 13 || len(e.After) != 13 || len(remedied[report.RemediationVerified]) != 11 ||
		!slices.Equal(remedied[report.RemediationRebootPending], []string{"js-po-reboot"}) {
		t.Errorf("the cycle's evidence pack: after %q (want %s), %d hosts before, %d after, remediation %v; want 11 hosts verified, js-po-reboot's reboot pending",
			e.AfterAssessment, second.AssessID, len(e.Before), len(e.After), remedied)
	}
	c.posture(t, "report/cve-audit", ExitOK, audit...)
	c.posture(t, "report/cve-audit", ExitOK, "cve", "audit", expat.cves[0])
	jsonPostureScheduled(t, c, glibc.cves[0])
}

// jsonPostureScheduled audits cve on hosts a parked cycle will patch (its
// wave, when its window opens), then, with the cycle aborted, on hosts
// the policy's schedule will.
func jsonPostureScheduled(t *testing.T, c *jsonChecker, cve string) {
	run := func(args ...string) string {
		t.Helper()
		code, out, errOut := runPostureIn(t, jsonPostureNamespace, args...)
		if code != ExitOK {
			t.Fatalf("patchflow %s: exit %d\n%s%s", strings.Join(args, " "), code, out, errOut)
		}
		return out
	}
	const name = "js-park"
	policy := writeFleetPolicy(t, name, jsonFleet("js-park", 3), parkedPolicy)
	run("assess", "-p", policy, "--wait")
	var started struct {
		CycleID string `json:"cycle_id"`
	}
	if err := json.Unmarshal([]byte(run("cycle", "start", "-p", policy, "--json")), &started); err != nil {
		t.Fatal(err)
	}
	await := func(what string, ok func(workflows.CycleStatus) bool) {
		t.Helper()
		for range 300 {
			var st workflows.CycleStatus
			if err := json.Unmarshal([]byte(run("cycle", "status", started.CycleID, "--json")), &st); err != nil {
				t.Fatal(err)
			}
			if ok(st) {
				return
			}
			waitABit()
		}
		t.Fatalf("cycle %s: %s did not happen", started.CycleID, what)
	}
	await("parking", func(st workflows.CycleStatus) bool { return st.State == domain.CycleParked })
	a := auditOf(t, c.posture(t, "report/cve-audit", ExitOK, "cve", "audit", cve, "-p", name))
	if h := cveHost(t, a, cve, "js-park-03"); h.State != report.CVEScheduled || h.Evidence.CycleID != started.CycleID || h.Evidence.WindowOpens.IsZero() {
		t.Errorf("js-park-03 with the parked cycle: %s %+v; want scheduled by %s", h.State, h.Evidence, started.CycleID)
	}
	run("cycle", "abort", started.CycleID)
	await("the abort", func(st workflows.CycleStatus) bool { return st.State.Final() })

	run("schedule", "create", "-p", policy)
	defer run("schedule", "delete", name)
	a = auditOf(t, c.posture(t, "report/cve-audit", ExitOK, "cve", "audit", cve, "-p", name))
	if h := cveHost(t, a, cve, "js-park-03"); h.State != report.CVEScheduled || h.Evidence.ScheduleID != "patchflow/"+name {
		t.Errorf("js-park-03 with the schedule: %s %+v; want scheduled by patchflow/%s", h.State, h.Evidence, name)
	}
}

// auditOf reads a CVE audit back as the report package reads a file.
func auditOf(t *testing.T, out string) *report.CVEAudit {
	t.Helper()
	a, err := report.ReadCVEAudit(strings.NewReader(out))
	if err != nil {
		t.Fatalf("cve audit --json does not read back: %v\n%.2000s", err, out)
	}
	return a
}
