package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/patchflow/patchflow/domain"
	"github.com/patchflow/patchflow/localfleet"
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
		{"report cycle", "report/cycle-evidence"},
	}, jsonCycleGate},
	{"cycle abort", []jsonOutput{{"cycle abort", "cycle-control"}}, jsonCycleAbort},
	{"cycle outcomes", []jsonOutput{
		{"cycle start", "cycle-result"}, {"cycle status", "cycle-hosts"}, {"cycle status", "cycle-status"}, {"report cycle", "report/cycle-evidence"},
	}, jsonCycleOutcomes},
	{"cycle plan", []jsonOutput{
		{"cycle plan", "cycle-result"}, {"cycle start", "cycle-start"}, {"cycle status", "cycle-status"}, {"cycle approve", "cycle-control"},
		{"cycle status", "cycle-result"}, {"report cycle", "report/cycle-evidence"},
	}, jsonCyclePlan},
	{"cycle window", []jsonOutput{{"cycle extend-window", "cycle-control"}, {"cycle status", "cycle-status"}}, jsonCycleWindow},
	{"host decisions", []jsonOutput{
		{"host retry", "host-decision"}, {"host skip", "host-decision"}, {"host rollback", "host-decision"}, {"cycle status", "cycle-status"},
		{"report cycle", "report/cycle-evidence"},
	}, jsonHostDecisions},
	{"schedules", []jsonOutput{
		{"schedule create", "schedule-apply"}, {"schedule update", "schedule-apply"}, {"schedule list", "schedule-list"},
		{"schedule describe", "schedule-describe"}, {"schedule pause", "schedule-control"}, {"schedule unpause", "schedule-control"},
		{"schedule trigger", "schedule-control"}, {"schedule delete", "schedule-control"}, {"cycle abort", "cycle-control"},
	}, jsonSchedules},
	{"posture", []jsonOutput{
		{"assess", "assess-result"}, {"assess", "assess-start"}, {"exception add", "exception-add"}, {"exception list", "exception-list"},
		{"report compliance", "report/compliance"}, {"cve audit", "report/cve-audit"}, {"report cycle", "report/cycle-evidence"},
	}, jsonPosture},
}

// jsonUnexercised are properties the schemas name that no case's output
// has, each with the reason; anything else a schema names must appear.
var jsonUnexercised = map[string]string{
	"cycle-status.canceling":               "set only while Temporal cancels a cycle",
	"cycle-status.hosts_omitted":           "needs more than 200 hosts that did not end patched",
	"cycle-status.overridden":              "an operator's resume of a parked cycle",
	"cycle-status.epss":                    "the fake fleet's updates carry no EPSS score; inventory scan's real ones may not either",
	"cycle-status.severity_source":         "the fake fleet's updates name no source",
	"cycle-status.advisories":              "the fake fleet's updates carry CVEs only",
	"cycle-status.kev":                     "the fake fleet's update is not in KEV",
	"cycle-status.kev_date_added":          "KEV",
	"cycle-status.kev_due_date":            "KEV",
	"cycle-status.risk":                    "the fake fleet's updates are rated by severity only",
	"cycle-status.error":                   "set only when the history of earlier cycles cannot be read (Temporal's visibility store fails)",
	"cycle-status.signal":                  "patchflow cycle approve sends an update; an approve signal comes from another Temporal client (the Temporal UI, temporal workflow signal)",
	"cycle-status.comment":                 "patchflow cycle approve sends no comment; another Temporal client's approve can",
	"cycle-result.canceling":               "set only while Temporal cancels a cycle",
	"cycle-result.hosts_omitted":           "needs more than 200 hosts that did not end patched",
	"cycle-result.current_workflow":        "a finished cycle runs no wave",
	"cycle-result.window":                  "the outcome cases run without a window",
	"cycle-result.timezone":                "window",
	"cycle-result.open":                    "window",
	"cycle-result.closes":                  "window",
	"cycle-result.next_opens":              "window",
	"cycle-result.parked_until":            "window",
	"cycle-result.extended_until":          "window",
	"cycle-result.host_estimate":           "window",
	"cycle-result.overridden":              "window",
	"cycle-result.parks":                   "window",
	"cycle-result.epss":                    "the fake fleet's updates carry no EPSS score",
	"cycle-result.severity_source":         "the fake fleet's updates name no source",
	"cycle-result.advisories":              "the fake fleet's updates carry CVEs only",
	"cycle-result.kev":                     "the fake fleet's update is not in KEV",
	"cycle-result.kev_date_added":          "KEV",
	"cycle-result.kev_due_date":            "KEV",
	"cycle-result.risk":                    "the fake fleet's updates are rated by severity only",
	"cycle-result.error":                   "set only when the history of earlier cycles cannot be read (Temporal's visibility store fails)",
	"cycle-result.signal":                  "patchflow cycle approve sends an update; an approve signal comes from another Temporal client (the Temporal UI, temporal workflow signal)",
	"cycle-result.comment":                 "patchflow cycle approve sends no comment; another Temporal client's approve can",
	"schedule-describe.cron":               "the Temporal server turns cron expressions into calendars: describe lists them under calendars",
	"inventory-scan.kev_date_added":        "no update of the test fleet fixes a KEV-listed CVE",
	"inventory-scan.kev_due_date":          "KEV",
	"inventory-scan.kev":                   "KEV",
	"inventory-scan.epss":                  "the scan runs without synced EPSS data",
	"assess-result.oldest_critical":        "the fake estate's security fixes are medium and high",
	"assess-result.max_age_seconds":        "no advisory source of the posture worker sets a maximum age of its own",
	"report/compliance.advisories":         "the fake estate's fixes carry CVEs only",
	"report/compliance.epss":               "the posture worker runs without synced EPSS data",
	"report/compliance.arch":               "the posture reader sets no fix's architecture",
	"report/compliance.selectors":          "the posture reader asks for no host selectors",
	"report/cycle-evidence.advisories":     "the fake estate's fixes carry CVEs only",
	"report/cycle-evidence.epss":           "the posture worker runs without synced EPSS data",
	"report/cycle-evidence.arch":           "the posture reader sets no fix's architecture",
	"report/cycle-evidence.reboot_pending": "no assessment sets a finding's reboot_pending: a host that waits for its reboot shows as remediation reboot_pending",
	"report/cycle-evidence.rebooted_at":    "the fake fleet's installs need no reboot",
	"report/cycle-evidence.problem":        "the final verify finds every patched host of the fake fleet at its pins",
	"report/cycle-evidence.comment":        "patchflow cycle approve sends no comment; another Temporal client's approve can",
	"report/cve-audit.epss":                "the posture worker runs without synced EPSS data",
	"report/cve-audit.published":           "the posture reader sets no CVE's publication date",
	"report/cve-audit.decided_by":          "the posture reader names no deciding advisory source",
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
