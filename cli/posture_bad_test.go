package cli

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"

	"github.com/patchflow/patchflow/report"
)

// awaitListed waits until visibility lists a workflow for the query.
func awaitListed(t *testing.T, c client.Client, query string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := c.ListWorkflow(context.Background(), &workflowservice.ListWorkflowExecutionsRequest{Query: query})
		if err == nil && len(resp.Executions) > 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("visibility never listed %s (last error %v)", query, err)
		}
		waitABit()
	}
}

// TestPostureAssessmentFailedHalfWay: a later assessment that is stopped
// while it scans (terminated, as an operator or a crash would leave it)
// makes every host assessment_failed, with the fixes of the last complete
// assessment still shown; none counts as compliant, and the audit says
// what its states rest on.
func TestPostureAssessmentFailedHalfWay(t *testing.T) {
	c, fleet := postureServer(t)
	policy := writeFleetPolicy(t, "po-half", []string{"half-1", "half-2", "half-3"}, postureExtra)
	first := assessOnPosture(t, policy)
	if first.Point.Noncompliant != 3 {
		t.Fatalf("first assessment: %+v", first.Point)
	}
	release := fleet.hold("half-2")
	defer release()
	var id string
	for range 50 {
		code, out, errOut := runPosture(t, "assess", "-p", policy, "--json")
		if code == ExitOK {
			var started struct {
				AssessID string `json:"assess_id"`
			}
			if json.Unmarshal([]byte(out), &started) != nil || started.AssessID == "" {
				t.Fatalf("assess --json: %s", out)
			}
			id = started.AssessID
			break
		}
		if !strings.Contains(errOut, "same second") {
			t.Fatalf("assess: exit %d\n%s%s", code, out, errOut)
		}
		waitABit() // one assessment per policy and second
	}
	select {
	case h := <-fleet.hanging:
		if h != "half-2" {
			t.Fatalf("%s hangs, want half-2", h)
		}
	case <-time.After(60 * time.Second):
		t.Fatal("the second assessment never started scanning half-2")
	}
	if err := c.TerminateWorkflow(context.Background(), id, "", "operator stopped the assessment"); err != nil {
		t.Fatal(err)
	}
	release()
	// The report reads the runs from visibility, which learns of the
	// termination a moment later: wait until it lists the run as ended.
	awaitListed(t, c, "WorkflowId = '"+id+"' AND ExecutionStatus = 'Terminated'")

	rep, _ := complianceOnPosture(t, "-p", "po-half")
	if stateCount(rep, report.StateCompliant) != 0 || stateCount(rep, report.StateAssessmentFailed) != 3 {
		t.Fatalf("after a terminated assessment: %+v", rep.Totals.ByState)
	}
	for _, h := range rep.Hosts {
		if h.Failure == nil || !strings.Contains(h.Failure.Error, "assessment "+id+" ended terminated") || h.LastAssessed.IsZero() || len(h.Missing) != 3 {
			t.Errorf("%s: failure %+v, last assessed %s, %d fixes; want the terminated run named and the first run's 3 fixes", h.Host, h.Failure, h.LastAssessed, len(h.Missing))
		}
	}
	if len(rep.Trend) != 1 {
		t.Errorf("trend %+v: a failed run adds no point", rep.Trend)
	}
	code, out, errOut := runPosture(t, "cve", "audit", "CVE-2023-4911", "-p", "po-half", "--json")
	a, err := report.ReadCVEAudit(strings.NewReader(out))
	if code != ExitOK || err != nil || !strings.Contains(errOut, "ended terminated; states rest on the assessment before it") {
		t.Fatalf("cve audit: exit %d %v\n%s%s", code, err, out, errOut)
	}
	if h := cveHost(t, a, "CVE-2023-4911", "half-1"); h.State != report.CVEAffectedPatchable {
		t.Errorf("half-1: %s", h.State)
	}
}

// TestPostureRenamedPolicyIsNeverAssessed: a policy file whose name has
// no assessment (a new or renamed policy) lists its hosts as never
// assessed; a name with neither file nor assessment is an error that says
// what to do; bad arguments are usage errors.
func TestPostureRenamedPolicyIsNeverAssessed(t *testing.T) {
	postureServer(t)
	policy := writeFleetPolicy(t, "po-renamed", []string{"ren-1", "ren-2"}, postureExtra)
	rep, _ := complianceOnPosture(t, "-p", policy)
	if stateCount(rep, report.StateNeverAssessed) != 2 || rep.Totals.Hosts != 2 || len(rep.Trend) != 0 {
		t.Errorf("a never assessed policy: %+v, trend %+v", rep.Totals.ByState, rep.Trend)
	}
	a := auditOnPosture(t, "cve-2023-4911", "-p", policy)
	if h := cveHost(t, a, "CVE-2023-4911", "ren-1"); h.State != report.CVEUnknown || !strings.Contains(h.Evidence.Note, "never assessed under policy po-renamed") {
		t.Errorf("ren-1: %s %+v", h.State, h.Evidence)
	}
	for _, tt := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"report", "compliance", "-p", "po-nothing"}, ExitFailure, "policy po-nothing has no assessment: run patchflow assess"},
		{[]string{"report", "compliance", "-p", "Bad Name"}, ExitUsage, `-p "Bad Name": no such policy file, and not a policy name`},
		{[]string{"report", "compliance", "--json", "--html", "x.html"}, ExitUsage, "--json and --html exclude each other"},
		{[]string{"cve", "audit", "CVE-23-1", "cve-2023-4911\x1b[2J"}, ExitUsage, `"CVE-23-1" is not a CVE id: want CVE-YYYY-NNNN`},
		{[]string{"cve", "audit"}, ExitUsage, "requires at least 1 arg"},
		{[]string{"assess"}, ExitUsage, "a policy is required"},
	} {
		code, _, errOut := runPosture(t, tt.args...)
		if code != tt.code || !strings.Contains(errOut, tt.want) || strings.Contains(errOut, "\x1b") {
			t.Errorf("patchflow %q: exit %d, %q; want exit %d and %q, no raw escape", tt.args, code, errOut, tt.code, tt.want)
		}
	}
}

// TestExceptionAddRefusesBadInput: each bad input is refused with an
// error that says what to give instead, and nothing is started.
func TestExceptionAddRefusesBadInput(t *testing.T) {
	postureServer(t)
	next := time.Now().UTC().AddDate(0, 1, 0).Format("2006-01-02")
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"CVE-2023-4911", "--hosts", "host=db1", "--until", "2020-01-31", "--reason", "r"}, "--until \"2020-01-31\" is in the past"},
		{[]string{"CVE-2023-4911", "--hosts", "host=db1", "--until", "next tuesday", "--reason", "r"}, `--until "next tuesday" is not a date: want YYYY-MM-DD`},
		{[]string{"CVE-2023-4911", "--hosts", "host=db1", "--until", "2099-01-01", "--reason", "r"}, "more than a year ahead"},
		{[]string{"CVE-2023-4911", "--hosts", "host=db1", "--reason", "r"}, "--until is empty"},
		{[]string{"GHSA-5qpq-xqfv-j9pg", "--hosts", "host=db1", "--until", next, "--reason", "r"}, `"GHSA-5qpq-xqfv-j9pg" is not a CVE id`},
		{[]string{"CVE-2023-4911", "--hosts", "host=db1", "--until", next, "--reason", "  "}, "--reason is empty"},
		{[]string{"CVE-2023-4911", "--hosts", "host=db1", "--until", next, "--reason", "ok\x1b[31m"}, "holds control characters"},
		{[]string{"CVE-2023-4911", "--until", next, "--reason", "r"}, "--hosts is required"},
		{[]string{"CVE-2023-4911", "--hosts", "db1", "--until", next, "--reason", "r"}, `want key=value`},
		{[]string{"CVE-2023-4911", "--hosts", "host=db1", "--until", next, "--reason", "r", "--id", "a b"}, `exception id "a b"`},
	} {
		code, out, errOut := runPosture(t, append([]string{"exception", "add"}, tt.args...)...)
		if code != ExitFailure || !strings.Contains(errOut, tt.want) || strings.Contains(errOut, "\x1b") || out != "" {
			t.Errorf("exception add %q: exit %d, %q; want exit 1 and %q", tt.args, code, errOut, tt.want)
		}
	}
	code, out, _ := runPosture(t, "exception", "list", "--all", "--json")
	if code != ExitOK || strings.Contains(out, "db1") {
		t.Errorf("a refused exception was started:\n%s", out)
	}
	if code, _, errOut := runPosture(t, "exception", "revoke", "EXC-nope"); code != ExitFailure || !strings.Contains(errOut, "no exception EXC-nope in force") {
		t.Errorf("revoke of an unknown exception: exit %d %q", code, errOut)
	}
}
