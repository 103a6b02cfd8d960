package cli

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/patchflow/patchflow/domain"
	"github.com/patchflow/patchflow/internal/schematest"
	"github.com/patchflow/patchflow/localfleet"
	"github.com/patchflow/patchflow/workflows"
)

// jsonCases run every command with --json for real and check what it
// prints against its schema (json_schema_test.go). Commands that reach
// Temporal run on the package's in-process server with the fake fleet
// (fakefleet_test.go), the posture verbs with the fake estate of
// posture_fleet_test.go (json_posture_cases_test.go); inventory scan
// scans the real test fleet.
var jsonCases = []jsonCase{
	{"version", []jsonOutput{{"version", "version"}}, jsonVersion},
	{"inventory list", []jsonOutput{{"inventory list", "inventory-list"}}, jsonInventoryList},
	{"inventory scan", []jsonOutput{{"inventory scan", "inventory-scan"}}, jsonInventoryScan},
	{"policy validate", []jsonOutput{{"policy validate", "policy-validate"}}, jsonPolicyValidate},
	{"policy explain", []jsonOutput{{"policy explain", "policy-explain"}}, jsonPolicyExplain},
	{"advisories status", []jsonOutput{{"advisories status", "advisories-status"}}, jsonAdvisoriesStatus},
	{"cycle gate", []jsonOutput{
		{"cycle start", "cycle-start"}, {"cycle status", "cycle-status"}, {"cycle status", "cycle-hosts"}, {"cycle status", "cycle-result"},
		{"cycle pause", "cycle-control"}, {"cycle approve", "cycle-control"}, {"cycle resume", "cycle-control"}, {"cycle list", "cycle-list"},
	}, jsonCycleGate},
	{"cycle abort", []jsonOutput{{"cycle abort", "cycle-control"}}, jsonCycleAbort},
	{"cycle outcomes", []jsonOutput{{"cycle start", "cycle-result"}, {"cycle status", "cycle-hosts"}, {"cycle status", "cycle-status"}}, jsonCycleOutcomes},
	{"cycle plan", []jsonOutput{{"cycle plan", "cycle-result"}, {"cycle start", "cycle-start"}}, jsonCyclePlan},
	{"cycle window", []jsonOutput{{"cycle extend-window", "cycle-control"}, {"cycle status", "cycle-status"}}, jsonCycleWindow},
	{"host decisions", []jsonOutput{
		{"host retry", "host-decision"}, {"host skip", "host-decision"}, {"host rollback", "host-decision"}, {"cycle status", "cycle-status"},
	}, jsonHostDecisions},
	{"schedules", []jsonOutput{
		{"schedule create", "schedule-apply"}, {"schedule update", "schedule-apply"}, {"schedule list", "schedule-list"},
		{"schedule describe", "schedule-describe"}, {"schedule pause", "schedule-control"}, {"schedule unpause", "schedule-control"},
		{"schedule trigger", "schedule-control"}, {"schedule delete", "schedule-control"}, {"cycle abort", "cycle-control"},
	}, jsonSchedules},
	{"posture", []jsonOutput{
		{"assess", "assess-result"}, {"assess", "assess-start"}, {"exception add", "exception-add"}, {"exception list", "exception-list"},
		{"report compliance", "report/compliance"}, {"cve audit", "report/cve-audit"},
	}, jsonPosture},
}

// jsonUnexercised are properties the schemas name that no case's output
// has, each with the reason; anything else a schema names must appear.
var jsonUnexercised = map[string]string{
	"cycle-status.canceling":        "set only while Temporal cancels a cycle",
	"cycle-status.plan_sha256":      "a cycle applying a reviewed plan: see cycle-result",
	"cycle-status.hosts_omitted":    "needs more than 200 hosts that did not end patched",
	"cycle-status.overridden":       "an operator's resume of a parked cycle",
	"cycle-status.epss":             "the fake fleet's updates carry no EPSS score; inventory scan's real ones may not either",
	"cycle-status.severity_source":  "the fake fleet's updates name no source",
	"cycle-status.advisories":       "the fake fleet's updates carry CVEs only",
	"cycle-status.kev":              "the fake fleet's update is not in KEV",
	"cycle-status.kev_date_added":   "KEV",
	"cycle-status.kev_due_date":     "KEV",
	"cycle-status.risk":             "the fake fleet's updates are rated by severity only",
	"cycle-status.since":            "the fake fleet's updates have no publication date",
	"cycle-result.canceling":        "set only while Temporal cancels a cycle",
	"cycle-result.hosts_omitted":    "needs more than 200 hosts that did not end patched",
	"cycle-result.current_workflow": "a finished cycle runs no wave",
	"cycle-result.window":           "the outcome cases run without a window",
	"cycle-result.timezone":         "window",
	"cycle-result.open":             "window",
	"cycle-result.closes":           "window",
	"cycle-result.next_opens":       "window",
	"cycle-result.parked_until":     "window",
	"cycle-result.extended_until":   "window",
	"cycle-result.host_estimate":    "window",
	"cycle-result.overridden":       "window",
	"cycle-result.parks":            "window",
	"cycle-result.epss":             "the fake fleet's updates carry no EPSS score",
	"cycle-result.severity_source":  "the fake fleet's updates name no source",
	"cycle-result.advisories":       "the fake fleet's updates carry CVEs only",
	"cycle-result.kev":              "the fake fleet's update is not in KEV",
	"cycle-result.kev_date_added":   "KEV",
	"cycle-result.kev_due_date":     "KEV",
	"cycle-result.risk":             "the fake fleet's updates are rated by severity only",
	"cycle-result.since":            "the fake fleet's updates have no publication date",
	"schedule-describe.cron":        "the Temporal server turns cron expressions into calendars: describe lists them under calendars",
	"inventory-scan.kev_date_added": "no update of the test fleet fixes a KEV-listed CVE",
	"inventory-scan.kev_due_date":   "KEV",
	"inventory-scan.kev":            "KEV",
	"inventory-scan.epss":           "the scan runs without synced EPSS data",
	"assess-result.oldest_critical": "the fake estate's security fixes are medium and high",
	"assess-result.max_age_seconds": "no advisory source of the posture worker sets a maximum age of its own",
	"report/compliance.advisories":  "the fake estate's fixes carry CVEs only",
	"report/compliance.epss":        "the posture worker runs without synced EPSS data",
	"report/compliance.arch":        "the posture reader sets no fix's architecture",
	"report/compliance.selectors":   "the posture reader asks for no host selectors",
	"report/cve-audit.epss":         "the posture worker runs without synced EPSS data",
	"report/cve-audit.published":    "the posture reader sets no CVE's publication date",
	"report/cve-audit.decided_by":   "the posture reader names no deciding advisory source",
}

// jsonVersion: patchflow version --json.
func jsonVersion(t *testing.T, c *jsonChecker) {
	c.local(t, "version", ExitOK, "version")
}

// jsonInventoryList lists real inventories of every format: the example
// estate, the Ansible INI and YAML inventories of the inventory tests
// (ranges, children, vars, jump hosts, key files), a 150-host estate, and
// a selection that matches nothing.
func jsonInventoryList(t *testing.T, c *jsonChecker) {
	big := filepath.Join(t.TempDir(), "estate.ini")
	ini := "[web]\nweb[001:120].example.com\n\n[db]\ndb[01:30].example.com ansible_become=yes\n\n[prod:children]\nweb\ndb\n\n[prod:vars]\nenv=prod\nansible_user=deploy\n"
	if err := os.WriteFile(big, []byte(ini), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{"-i", "../policies/examples/inventory/estate.yaml"},
		{"-i", "../policies/examples/inventory/mixed-estate.yaml", "--select", "group=web"},
		{"-i", "../inventory/testdata/ansible.good.ini"},
		{"-i", "../inventory/testdata/ansible.good.yaml"},
		{"-i", "../inventory/testdata/patchflow.good.yaml"},
		{"-i", big, "--select", "group=prod,env=prod"},
		{"-i", "../policies/examples/inventory/estate.yaml", "--select", "env=nowhere"},
	} {
		out := c.local(t, "inventory-list", ExitOK, append([]string{"inventory", "list"}, args...)...)
		if args[len(args)-1] == "env=nowhere" && !strings.Contains(out, `"hosts": []`) {
			t.Errorf("a selection that matches nothing lists no hosts as []:\n%s", out)
		}
	}
}

// jsonInventoryScan scans the real test fleet (apt, dnf and zypper hosts
// with real pending security updates, one host unreachable): exit 1, and
// the output says which host failed and why; then one host without
// refreshing, which notes the changelogs it could not read.
func jsonInventoryScan(t *testing.T, c *jsonChecker) {
	f := localfleet.Start(t, localfleet.Config{Name: "js", Subnet: 41, Hosts: 2, RPMHosts: 1, ZypperHosts: 1, Logf: t.Logf})
	gone := f.Hosts[1].Name
	if err := f.SetReachable(gone, false); err != nil {
		t.Fatal(err)
	}
	out := c.local(t, "inventory-scan", ExitFailure, "inventory", "scan", "-i", f.InventoryPath, "--parallel", "4")
	var res InventoryScanResult
	if err := json.Unmarshal([]byte(out), &res); err != nil || res.Failed != 1 || len(res.Hosts) != 4 {
		t.Fatalf("scan: %v, %d hosts, %d failed; want 4 hosts, 1 failed:\n%s", err, len(res.Hosts), res.Failed, out)
	}
	managers := map[string]bool{}
	for _, h := range res.Hosts {
		managers[h.Manager] = managers[h.Manager] || len(h.Updates) > 0
	}
	if !managers["apt"] || !managers["dnf"] || !managers["zypper"] {
		t.Errorf("want pending updates from apt, dnf and zypper hosts, got %v", managers)
	}
	// --no-refresh downloads no package, so the changelogs are not read.
	if out := c.local(t, "inventory-scan", ExitOK, "inventory", "scan", "-i", f.InventoryPath, "--select", "host="+f.Hosts[0].Name, "--no-refresh"); !strings.Contains(out, "changelogs unavailable for") {
		t.Errorf("a scan with --no-refresh does not note the changelogs it could not read:\n%.2000s", out)
	}
}

// jsonPolicyValidate validates every policy of the policies package's
// tests and examples at once (good and bad: every problem of every file),
// a policy whose inventory is a URL (a note) and a file that is missing.
func jsonPolicyValidate(t *testing.T, c *jsonChecker) {
	files, _ := filepath.Glob("../policies/testdata/*.yaml")
	examples, _ := filepath.Glob("../policies/examples/*.yaml")
	url := filepath.Join(t.TempDir(), "url.yaml")
	policy := "apiVersion: patchflow/v1\nkind: PatchPolicy\nmetadata: {name: by-url}\ntargets: {inventory: \"https://cmdb.example.com/inventory.yaml\"}\n"
	if err := os.WriteFile(url, []byte(policy), 0o600); err != nil {
		t.Fatal(err)
	}
	args := append(append(append([]string{"policy", "validate"}, files...), examples...), url, filepath.Join(t.TempDir(), "missing.yaml"))
	out := c.local(t, "policy-validate", ExitFailure, args...)
	var res PolicyValidateResult
	if err := json.Unmarshal([]byte(out), &res); err != nil || len(res.Files) != len(args)-2 {
		t.Fatalf("policy validate: %v, %d files, want %d", err, len(res.Files), len(args)-2)
	}
	c.local(t, "policy-validate", ExitOK, append([]string{"policy", "validate"}, examples...)...)
}

// jsonPolicyExplain explains every example policy (windows by cron and by
// calendar, checks of every type, hooks, webhooks), the full test policy,
// a policy for a fleet size only, and one whose inventory is a URL.
func jsonPolicyExplain(t *testing.T, c *jsonChecker) {
	examples, _ := filepath.Glob("../policies/examples/*.yaml")
	for _, p := range append(examples, "../policies/testdata/full.good.yaml", "../policies/testdata/minimal.good.yaml") {
		c.local(t, "policy-explain", ExitOK, "policy", "explain", p)
	}
	out := c.local(t, "policy-explain", ExitOK, "policy", "explain", "../policies/examples/web-canary.yaml", "--fleet-size", "400")
	if !strings.Contains(out, `"fleet_size": 400`) {
		t.Errorf("--fleet-size 400 is not the fleet size:\n%.600s", out)
	}
	url := filepath.Join(t.TempDir(), "url.yaml")
	policy := "apiVersion: patchflow/v1\nkind: PatchPolicy\nmetadata: {name: by-url}\ntargets: {inventory: \"https://cmdb.example.com/inventory.yaml\"}\n"
	if err := os.WriteFile(url, []byte(policy), 0o600); err != nil {
		t.Fatal(err)
	}
	if out := c.local(t, "policy-explain", ExitOK, "policy", "explain", url); !strings.Contains(out, `"rollout": null`) {
		t.Errorf("a policy with an inventory URL has no rollout:\n%.600s", out)
	}
}

// jsonAdvisoriesStatus shows an empty cache, then the real advisory
// extracts synced into it.
func jsonAdvisoriesStatus(t *testing.T, c *jsonChecker) {
	cache := t.TempDir()
	if out := c.local(t, "advisories-status", ExitOK, "advisories", "status", "--cache", cache); !strings.Contains(out, `"sources": []`) {
		t.Errorf("an empty cache has no sources:\n%s", out)
	}
	tracker, err := filepath.Abs("../advisories/testdata/debian-tracker-json/debian_security_tracker_mock.json")
	if err != nil {
		t.Fatal(err)
	}
	sources := advisorySources(t, "  - {name: tracker, kind: debian-tracker, location: "+tracker+", releases: [debian:bookworm]}\n")
	if code, out, errOut := run(t, "advisories", "sync", "--sources", sources, "--cache", cache); code != ExitOK {
		t.Fatalf("advisories sync: exit %d\n%s%s", code, out, errOut)
	}
	c.local(t, "advisories-status", ExitOK, "advisories", "status", "--cache", cache)
}

// jsonFleet names n hosts of a case; the fake fleet fails the install of
// hosts named with "bad".
func jsonFleet(prefix string, n int, bad ...string) []string {
	hosts := make([]string, 0, n+len(bad))
	for i := 1; i <= n; i++ {
		hosts = append(hosts, fmt.Sprintf("%s-%02d", prefix, i))
	}
	for _, b := range bad {
		hosts = append(hosts, prefix+"-"+b)
	}
	return hosts
}

// jsonCycleGate: a manual cycle of 40 hosts (two whose install fails),
// with webhooks to two real local receivers (one answers 410), started
// without waiting, seen at its approval gate, paused, approved, resumed,
// then finished: its status, every host, its hosts by state, its result
// and the cycle list.
func jsonCycleGate(t *testing.T, c *jsonChecker) {
	temporalServer(t)
	var received atomic.Int64
	ok := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		received.Add(1)
		w.WriteHeader(http.StatusNoContent)
	}))
	defer ok.Close()
	gone := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusGone) }))
	defer gone.Close()
	policy := writeFleetPolicy(t, "js-gate", jsonFleet("js-gate", 38, "bad1", "bad2"), `approval: {mode: manual, timeout: 1h}
rollout:
  waves: [{name: canary, count: 1}, {name: half, percent: 50, max_parallel: 5}, {name: rest, percent: 100, max_parallel: 10}]
  failure_budget: {count: 5}
rollback: {decision_timeout: 1s, on_decision_timeout: skip}
notifications:
  webhooks: [{url: "`+ok.URL+`/hook"}, {url: "`+gone.URL+`/hook", events: [cycle.*]}]
`)
	var started struct {
		CycleID string `json:"cycle_id"`
	}
	if err := json.Unmarshal([]byte(c.server(t, "cycle-start", ExitOK, "cycle", "start", "-p", policy)), &started); err != nil {
		t.Fatal(err)
	}
	id := started.CycleID
	awaitState(t, id, domain.CycleAwaitingApproval)
	c.server(t, "cycle-status", ExitOK, "cycle", "status", id)
	for _, verb := range []string{"pause", "approve", "resume"} {
		c.server(t, "cycle-control", ExitOK, "cycle", verb, id)
	}
	st := awaitStatus(t, id, "the end of the cycle", func(st workflows.CycleStatus) bool { return st.State.Final() })
	if st.Counts.Total != 40 || st.Counts.Patched != 38 {
		t.Errorf("cycle ended %s with %+v; want 38 of 40 hosts patched", st.State, st.Counts)
	}
	if n := st.Notifications; n == nil || n.Sent == 0 || int64(n.Sent) != received.Load() || n.Failed == 0 || n.LastError == "" {
		t.Errorf("notifications %+v, %d received; want every event sent counted, and the receiver that answers 410 failed", n, received.Load())
	}
	c.server(t, "cycle-status", ExitOK, "cycle", "status", id)
	c.server(t, "cycle-hosts", ExitOK, "cycle", "status", id, "--hosts")
	c.server(t, "cycle-hosts", ExitOK, "cycle", "status", id, "--hosts", "--state", "skipped,rolled_back,failed")
	c.server(t, "cycle-result", exitOf(st), "cycle", "status", id, "--watch")
	awaitList(t, "js-gate", id)
	c.server(t, "cycle-list", ExitOK, "cycle", "list", "--policy", "js-gate")
	if out := c.server(t, "cycle-list", ExitOK, "cycle", "list", "--policy", "js-no-such-policy"); !strings.Contains(out, `"cycles": []`) {
		t.Errorf("no cycle lists as []:\n%s", out)
	}
}

// exitOf is the exit code a finished cycle's watch gives.
func exitOf(st workflows.CycleStatus) int {
	return ExitCode(cycleExit(workflows.CycleResult{CycleStatus: st}))
}

// jsonCycleAbort aborts a cycle at its approval gate.
func jsonCycleAbort(t *testing.T, c *jsonChecker) {
	temporalServer(t)
	policy := writeFleetPolicy(t, "js-abort", jsonFleet("js-abort", 5), "approval: {mode: manual, timeout: 1h}\n")
	id := startOnServer(t, policy)
	awaitState(t, id, domain.CycleAwaitingApproval)
	c.server(t, "cycle-control", ExitOK, "cycle", "abort", id, "--rollback")
	awaitState(t, id, domain.CycleAborted)
}

// jsonCycleOutcomes: a cycle waited for whose failing hosts are rolled
// back and then abort it for want of an operator (exit 3), its failed
// hosts, a dry run, and a dry run whose rules keep every update out.
func jsonCycleOutcomes(t *testing.T, c *jsonChecker) {
	temporalServer(t)
	failing := writeFleetPolicy(t, "js-fail", jsonFleet("js-fail", 30, "bad1", "bad2", "bad3"), `rollout:
  waves: [{name: canary, count: 2}, {name: rest, percent: 100, max_parallel: 8}]
  failure_budget: {count: 5}
rollback: {decision_timeout: 1s, on_decision_timeout: abort}
`)
	var res workflows.CycleResult
	if err := json.Unmarshal([]byte(c.server(t, "cycle-result", ExitHostsFailed, "cycle", "start", "-p", failing, "--wait")), &res); err != nil {
		t.Fatal(err)
	}
	if res.State != domain.CycleAborted || res.Counts.Failed != 3 {
		t.Errorf("the failing cycle ended %s with %+v; want aborted with the 3 bad hosts failed", res.State, res.Counts)
	}
	c.server(t, "cycle-hosts", ExitOK, "cycle", "status", res.CycleID, "--hosts", "--state", "failed")
	c.server(t, "cycle-status", ExitOK, "cycle", "status", res.CycleID)
	dry := writeFleetPolicy(t, "js-dry", jsonFleet("js-dry", 60), "")
	c.server(t, "cycle-result", ExitOK, "cycle", "start", "-p", dry, "--dry-run")
	none := writeFleetPolicy(t, "js-none", jsonFleet("js-none", 3), "patches: {reject: [demo-app]}\n")
	out := c.server(t, "cycle-result", ExitOK, "cycle", "start", "-p", none, "--dry-run")
	if err := json.Unmarshal([]byte(out), &res); err != nil || len(res.Plan.Left) != 1 || !strings.Contains(out, `"entries": []`) {
		t.Errorf("a plan of nothing has entries [] and demo-app left out (%v):\n%.2000s", err, out)
	}
	c.server(t, "cycle-status", ExitOK, "cycle", "status", res.CycleID)
}

// jsonCyclePlan makes a reviewed plan, checks the plan file too, and
// starts the cycle that applies it.
func jsonCyclePlan(t *testing.T, c *jsonChecker) {
	temporalServer(t)
	policy := writeFleetPolicy(t, "js-plan", jsonFleet("js-plan", 12), "rollout:\n  waves: [{name: canary, count: 2}, {name: rest, percent: 100, max_parallel: 4}]\n")
	plan := filepath.Join(t.TempDir(), "plan.json")
	out := c.server(t, "cycle-result", ExitOK, "cycle", "plan", "-p", policy, "-o", plan)
	if !strings.Contains(out, `"reviewed_plan"`) {
		t.Fatalf("cycle plan --json has no reviewed_plan:\n%.2000s", out)
	}
	raw, err := os.ReadFile(plan)
	if err != nil {
		t.Fatal(err)
	}
	schematest.Validate(t, "plan/v1/plan.schema.json", raw)
	id := c.server(t, "cycle-start", ExitOK, "cycle", "start", "-p", policy, "--plan", plan)
	var started struct {
		CycleID string `json:"cycle_id"`
	}
	if err := json.Unmarshal([]byte(id), &started); err != nil {
		t.Fatal(err)
	}
	st := awaitStatus(t, started.CycleID, "the end of the plan's cycle", func(st workflows.CycleStatus) bool { return st.State.Final() })
	c.server(t, "cycle-result", exitOf(st), "cycle", "status", started.CycleID, "--watch")
}

// jsonCycleWindow: a cycle outside its window parks; its status shows the
// window; extend-window lets it go on, and its status says until when.
func jsonCycleWindow(t *testing.T, c *jsonChecker) {
	temporalServer(t)
	policy := writeFleetPolicy(t, "js-window", jsonFleet("js-window", 4), `window: {cron: "0 0 1 1 *", duration: 1h, timezone: Europe/Berlin}
host: {timeouts: {precheck: 5m, apply: 10m, reboot: 10m, verify: 5m, hook: 5m}}
`)
	id := startOnServer(t, policy)
	awaitState(t, id, domain.CycleParked)
	c.server(t, "cycle-status", ExitOK, "cycle", "status", id)
	c.server(t, "cycle-control", ExitOK, "cycle", "extend-window", id, "--duration", "2h")
	awaitState(t, id, domain.CycleCompleted)
	if out := c.server(t, "cycle-status", ExitOK, "cycle", "status", id); !strings.Contains(out, `"extended_until"`) {
		t.Errorf("the status of a cycle whose window was extended says until when:\n%.3000s", out)
	}
}

// jsonHostDecisions: hosts waiting for an operator are retried, skipped
// and rolled back, and a patched host of the running cycle is rolled back
// by its cycle; the cycle's status while they wait.
func jsonHostDecisions(t *testing.T, c *jsonChecker) {
	temporalServer(t)
	policy := writeFleetPolicy(t, "js-decide", []string{"js-decide-a-ok", "js-decide-b-flaky", "js-decide-c-bad", "js-decide-d-bad"}, `rollout:
  waves: [{name: canary, count: 1}, {name: rest, percent: 100, max_parallel: 3}]
  failure_budget: {count: 10}
rollback: {decision_timeout: 1h}
`)
	id := startOnServer(t, policy)
	for _, h := range []string{"js-decide-b-flaky", "js-decide-c-bad", "js-decide-d-bad"} {
		awaitHostDecision(t, h)
	}
	c.server(t, "cycle-status", ExitOK, "cycle", "status", id)
	c.server(t, "host-decision", ExitOK, "host", "retry", "js-decide-b-flaky")
	c.server(t, "host-decision", ExitOK, "host", "skip", "js-decide-c-bad")
	if out := c.server(t, "host-decision", ExitOK, "host", "rollback", "js-decide-a-ok"); !strings.Contains(out, "rollback requested from "+id) {
		t.Errorf("host rollback of a patched host:\n%s", out)
	}
	c.server(t, "host-decision", ExitOK, "host", "rollback", "js-decide-d-bad")
	awaitStatus(t, id, "the end of the cycle", func(st workflows.CycleStatus) bool { return st.State.Final() })
}

// jsonSchedules runs every schedule verb: on a calendar window with
// blackout dates, and on a cron window whose triggered cycle waits at its
// approval gate, so the schedule describes it as running.
func jsonSchedules(t *testing.T, c *jsonChecker) {
	temporalServer(t)
	calendar := writeFleetPolicy(t, "js-calendar", jsonFleet("js-calendar", 3), `window:
  calendar: {days: [tue-thu], start: "02:00"}
  duration: 4h
  timezone: Europe/Berlin
  blackout_dates: ["2030-12-24", "2030-12-31"]
host: {timeouts: {precheck: 5m, apply: 10m, reboot: 10m, verify: 5m, hook: 5m}}
`)
	c.server(t, "schedule-apply", ExitOK, "schedule", "create", "-p", calendar, "--dry-run")
	if out := c.server(t, "schedule-apply", ExitOK, "schedule", "update", "-p", calendar, "--dry-run"); !strings.Contains(out, `"result": "unchanged"`) {
		t.Errorf("update with the same policy:\n%s", out)
	}
	c.server(t, "schedule-describe", ExitOK, "schedule", "describe", "js-calendar")
	c.server(t, "schedule-control", ExitOK, "schedule", "delete", "js-calendar")

	const name = "js-cron"
	cron := writeFleetPolicy(t, name, jsonFleet("js-cron", 3), `window: {cron: "0 0 1 1 *", duration: 1h, timezone: America/New_York}
approval: {mode: manual, timeout: 1h}
host: {timeouts: {precheck: 5m, apply: 10m, reboot: 10m, verify: 5m, hook: 5m}}
`)
	c.server(t, "schedule-apply", ExitOK, "schedule", "create", "-p", cron, "--dry-run")
	c.server(t, "schedule-apply", ExitOK, "schedule", "update", "-p", cron)
	c.server(t, "schedule-control", ExitOK, "schedule", "pause", name, "--note", "change freeze")
	c.server(t, "schedule-describe", ExitOK, "schedule", "describe", name)
	c.server(t, "schedule-control", ExitOK, "schedule", "unpause", name)
	c.server(t, "schedule-control", ExitOK, "schedule", "trigger", name)
	var cycle string
	for range 300 {
		if d := describeOnServer(t, name); len(d.Running) > 0 {
			cycle = d.Running[0]
			break
		}
		waitABit()
	}
	if cycle == "" {
		t.Fatal("the triggered cycle never ran")
	}
	awaitState(t, cycle, domain.CycleAwaitingApproval)
	c.server(t, "schedule-describe", ExitOK, "schedule", "describe", name)
	c.server(t, "schedule-list", ExitOK, "schedule", "list")
	c.server(t, "cycle-control", ExitOK, "cycle", "abort", cycle)
	awaitState(t, cycle, domain.CycleAborted)
	c.server(t, "schedule-control", ExitOK, "schedule", "delete", name)
}

// local runs a command that needs no Temporal server and checks its
// output.
func (c *jsonChecker) local(t *testing.T, schema string, want int, args ...string) string {
	t.Helper()
	return c.checkWith(t, run, schema, want, args...)
}

// server runs a command on the test server and checks its output.
func (c *jsonChecker) server(t *testing.T, schema string, want int, args ...string) string {
	t.Helper()
	return c.checkWith(t, runOnServer, schema, want, args...)
}
