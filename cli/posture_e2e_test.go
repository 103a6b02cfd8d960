package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"golang.org/x/net/html"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/patchflow/patchflow/advisories"
	"github.com/patchflow/patchflow/internal/browsertest"
	"github.com/patchflow/patchflow/localfleet"
	"github.com/patchflow/patchflow/report"
	"github.com/patchflow/patchflow/workflows"
)

// postureDev is a running `patchflow dev` for the posture test.
type postureDev struct {
	addr, namespace, metrics string
}

// startPostureDev runs `patchflow dev` (ephemeral, random ports) with an
// empty advisory cache, so the CVEs come from the hosts' own package
// changelogs, and returns where its frontend and /metrics are.
func startPostureDev(t *testing.T) postureDev {
	t.Helper()
	t.Setenv(advisories.CacheEnv, t.TempDir())
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan postureDev, 1)
	done := make(chan error, 1)
	var errOut bytes.Buffer
	opts := &DevOptions{
		IO: IOStreams{Out: io.Discard, ErrOut: &errOut}, IP: "127.0.0.1",
		Port: freeLocalPort(t), MetricsAddress: "127.0.0.1:0", Ephemeral: true,
		LogLevel: "error", Context: ctx,
		Ready: func(s *DevStack) {
			ready <- postureDev{addr: s.Server.FrontendAddress(), namespace: s.Server.Namespace(), metrics: s.MetricsURL}
		},
	}
	go func() { done <- devRun(opts) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("dev: %v", err)
		}
	})
	select {
	case d := <-ready:
		return d
	case err := <-done:
		t.Fatalf("dev did not start: %v\n%s", err, errOut.String())
	}
	return postureDev{}
}

// TestPostureOnTheFleet is issue 12's "shows it" on real hosts: an
// assessment marks the hosts noncompliant with the CVEs their real
// security updates' changelogs name (one host unreachable, shown as such);
// a cycle patches them; the next assessment and `report compliance` show
// them compliant, `cve audit` shows them patched by that cycle, and the
// dev worker's /metrics agree with the report each time. The HTML report,
// opened in headless Chromium, shows the chart and the table.
func TestPostureOnTheFleet(t *testing.T) {
	localfleet.Require(t)
	browsertest.Chromium(t)
	fleet := localfleet.Start(t, localfleet.Config{Name: "po", Subnet: 13, Hosts: 4, Logf: t.Logf})
	if len(fleet.SecurityDetails) == 0 {
		t.Fatal("the fleet has no real security update to assess")
	}
	dev := startPostureDev(t)
	policy := writeCyclePolicy(t, "po-e2e", fleet.InventoryPath, "sla: {critical: 1d, high: 7d, medium: 30d, low: 90d, unknown: 30d}\n")
	e2e := func(args ...string) (int, string, string) { return run(t, append(args, "--address", dev.addr)...) }
	hosts := make([]string, len(fleet.Hosts))
	for i, h := range fleet.Hosts {
		hosts[i] = h.Name
	}
	down := hosts[3]

	if err := fleet.SetReachable(down, false); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := e2e("assess", "-p", policy, "--wait", "--json")
	var first workflows.AssessResult
	if code != ExitOK || json.Unmarshal([]byte(out), &first) != nil {
		t.Fatalf("assess: exit %d\n%s%s", code, out, errOut)
	}
	if err := fleet.SetReachable(down, true); err != nil {
		t.Fatal(err)
	}
	if first.Point.Noncompliant != 3 || first.Point.AssessmentFailed != 1 {
		t.Fatalf("first assessment %+v: want 3 hosts noncompliant, %s unreachable", first.Point, down)
	}
	rep := e2eCompliance(t, e2e, policy)
	if h := hostRow(t, rep, down); h.State != report.StateAssessmentFailed || h.Failure == nil || !strings.Contains(h.Failure.Error, down) {
		t.Errorf("%s (unreachable): %s %+v", down, h.State, h.Failure)
	}
	wantCVEs := map[string][]string{}
	named := 0
	for _, u := range fleet.SecurityDetails {
		if cves := debChangelogCVEs(t, fleet.RepoDir, u); cves != nil {
			wantCVEs[u.Name] = cves
			named += len(cves)
		}
	}
	if named == 0 {
		t.Fatalf("none of the fleet's security updates %+v names a CVE in its changelog", fleet.SecurityDetails)
	}
	var auditCVE string
	for _, h := range hosts[:3] {
		row := hostRow(t, rep, h)
		if row.State != report.StateNoncompliant {
			t.Errorf("%s: %s, want noncompliant", h, row.State)
		}
		for _, u := range fleet.SecurityDetails {
			m := missingFix(row, u.Name)
			switch {
			case m == nil:
				t.Errorf("%s: %s %s -> %s is not among the missing fixes", h, u.Name, u.Installed, u.Fixed)
			case m.Installed != u.Installed || m.FixedVersion != u.Fixed:
				t.Errorf("%s: %s %s -> %s, want %s -> %s", h, u.Name, m.Installed, m.FixedVersion, u.Installed, u.Fixed)
			case wantCVEs[u.Name] != nil && !slices.Equal(m.CVEs, wantCVEs[u.Name]):
				t.Errorf("%s: %s fixes %v, its changelog names %v", h, u.Name, m.CVEs, wantCVEs[u.Name])
			}
			if auditCVE == "" && len(wantCVEs[u.Name]) > 0 {
				auditCVE = wantCVEs[u.Name][0]
			}
		}
	}
	t.Logf("first assessment %s: %+v; auditing %s", first.AssessID, first.Point, auditCVE)
	metricsAgree(t, dev.metrics, "po-e2e", rep)

	a := e2eAudit(t, e2e, auditCVE)
	for _, h := range hosts[:3] {
		if got := cveHost(t, a, auditCVE, h); got.State != report.CVEAffectedPatchable {
			t.Errorf("%s %s before the cycle: %s", h, auditCVE, got.State)
		}
	}
	if got := cveHost(t, a, auditCVE, down); got.State != report.CVEUnknown {
		t.Errorf("%s %s (never assessed): %s", down, auditCVE, got.State)
	}

	// An exception, added and revoked on the real server (recorded below).
	until := time.Now().UTC().AddDate(0, 0, 14).Format("2006-01-02")
	code, out, errOut = e2e("exception", "add", auditCVE, "--hosts", "host="+hosts[1], "--until", until, "--reason", "e2e: accepted until the cycle", "--json")
	var exc workflows.Exception
	if code != ExitOK || json.Unmarshal([]byte(out), &exc) != nil {
		t.Fatalf("exception add: exit %d\n%s%s", code, out, errOut)
	}
	if code, out, errOut := e2e("exception", "revoke", exc.ID, "--reason", "patching now"); code != ExitOK {
		t.Fatalf("exception revoke: exit %d\n%s%s", code, out, errOut)
	}

	code, out, errOut = e2e("cycle", "start", "-p", policy, "--wait", "--json")
	var cyc workflows.CycleResult
	if code != ExitOK || json.Unmarshal([]byte(out), &cyc) != nil || cyc.Counts.Patched != 4 {
		t.Fatalf("cycle start --wait: exit %d, %+v\n%s%s", code, cyc.Counts, out, errOut)
	}
	a = e2eAudit(t, e2e, auditCVE)
	if got := cveHost(t, a, auditCVE, hosts[0]); got.State != report.CVEAffectedPatchable || !strings.Contains(got.Evidence.Note, "cycle "+cyc.CycleID+" installed") {
		t.Errorf("%s after the cycle, before the next assessment: %s %q; want still affected, naming the unverified cycle", hosts[0], got.State, got.Evidence.Note)
	}

	code, out, errOut = e2e("assess", "-p", policy, "--wait", "--json")
	var second workflows.AssessResult
	if code != ExitOK || json.Unmarshal([]byte(out), &second) != nil {
		t.Fatalf("second assess: exit %d\n%s%s", code, out, errOut)
	}
	rep = e2eCompliance(t, e2e, policy)
	for _, h := range hosts {
		if got := hostRow(t, rep, h); got.State != report.StateCompliant {
			t.Errorf("%s after the cycle and a new assessment: %s %+v", h, got.State, got.Missing)
		}
	}
	if len(rep.Trend) != 2 || rep.Trend[0].Noncompliant != 3 || rep.Trend[1].Compliant != 4 || rep.Totals.CompliantRatio != 1 {
		t.Errorf("trend %+v, ratio %v", rep.Trend, rep.Totals.CompliantRatio)
	}
	metricsAgree(t, dev.metrics, "po-e2e", rep)
	a = e2eAudit(t, e2e, auditCVE)
	for _, h := range hosts[:3] {
		got := cveHost(t, a, auditCVE, h)
		if got.State != report.CVEPatched || got.Evidence.CycleID != cyc.CycleID || got.Evidence.PatchedAt.After(got.Evidence.AssessedAt) || got.Evidence.AssessedAt.Before(second.Started.Truncate(time.Second)) {
			t.Errorf("%s %s: %s %+v; want patched by %s, verified by %s", h, auditCVE, got.State, got.Evidence, cyc.CycleID, second.AssessID)
		}
	}
	if got := cveHost(t, a, auditCVE, down); got.State != report.CVENotAffected {
		t.Errorf("%s: %s; first assessed after the cycle patched it, it was never seen affected", down, got.State)
	}
	code, out, _ = e2e("cve", "audit", auditCVE)
	t.Logf("cve audit %s:\n%s", auditCVE, out)
	if code != ExitOK || !strings.Contains(out, "patched by "+cyc.CycleID) {
		t.Errorf("cve audit (table): exit %d\n%s", code, out)
	}

	file := filepath.Join(t.TempDir(), "compliance.html")
	if code, _, errOut := e2e("report", "compliance", "-p", policy, "--html", file); code != ExitOK {
		t.Fatalf("report compliance --html: exit %d\n%s", code, errOut)
	}
	htmlShowsChartAndTable(t, file, rep)

	record(t, dev, first.AssessID, "assess_fleet.json")
	record(t, dev, first.Shards[0], "assess_shard_fleet.json")
	record(t, dev, workflows.ExceptionID(exc.ID), "exception_revoked.json")
}

func e2eCompliance(t *testing.T, e2e func(...string) (int, string, string), policy string) *report.ComplianceReport {
	t.Helper()
	code, out, errOut := e2e("report", "compliance", "-p", policy, "--json")
	if code != ExitOK {
		t.Fatalf("report compliance: exit %d\n%s%s", code, out, errOut)
	}
	rep, err := report.ReadCompliance(strings.NewReader(out))
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

func e2eAudit(t *testing.T, e2e func(...string) (int, string, string), cve string) *report.CVEAudit {
	t.Helper()
	code, out, errOut := e2e("cve", "audit", cve, "--json")
	if code != ExitOK {
		t.Fatalf("cve audit: exit %d\n%s%s", code, out, errOut)
	}
	a, err := report.ReadCVEAudit(strings.NewReader(out))
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func missingFix(h report.HostRow, pkg string) *report.MissingFix {
	for i := range h.Missing {
		if h.Missing[i].Package == pkg {
			return &h.Missing[i]
		}
	}
	return nil
}

// debChangelogCVEs reads, from the fixed version's .deb in the fleet's
// repository, the CVE ids its changelog names in the entries newer than
// the installed version: what a reader of the changelog finds, without
// patchflow's parser. Nil when the package ships no changelog of its own.
func debChangelogCVEs(t *testing.T, repo string, u localfleet.SecurityUpdate) []string {
	t.Helper()
	debs, _ := filepath.Glob(filepath.Join(repo, "pool", "security", u.Name+"_*.deb"))
	for _, deb := range debs {
		v, err := exec.Command("dpkg-deb", "-f", deb, "Version").Output()
		if err != nil || strings.TrimSpace(string(v)) != u.Fixed {
			continue
		}
		dir := t.TempDir()
		if out, err := exec.Command("dpkg-deb", "-x", deb, dir).CombinedOutput(); err != nil {
			t.Fatalf("dpkg-deb -x %s: %v\n%s", deb, err, out)
		}
		path := filepath.Join(dir, "usr", "share", "doc", u.Name, "changelog.Debian.gz")
		if _, err := os.Stat(path); err != nil {
			return nil
		}
		return sortedCopy(readChangelogCVEs(t, path, u.Installed))
	}
	t.Fatalf("no .deb of %s %s in %s", u.Name, u.Fixed, repo)
	return nil
}

// metricsAgree scrapes the dev worker's /metrics and checks that the
// assessment gauges of policy say what the report says.
func metricsAgree(t *testing.T, url, policy string, rep *report.ComplianceReport) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("parse %s: %v", url, err)
	}
	got := map[string]float64{}
	for name, f := range families {
		for _, m := range f.GetMetric() {
			labels := map[string]string{}
			for _, l := range m.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			if labels["policy"] != policy {
				continue
			}
			key := name
			for _, k := range []string{"state", "severity"} {
				if v, ok := labels[k]; ok {
					key += "{" + k + "=" + v + "}"
				}
			}
			got[key] = m.GetGauge().GetValue()
		}
	}
	want := map[string]float64{
		"patchflow_assessment_missing_kev_fixes":  float64(rep.Totals.KEV),
		"patchflow_assessment_sla_breached_fixes": float64(rep.Totals.Breached),
	}
	for _, s := range rep.Totals.ByState {
		want[fmt.Sprintf("patchflow_assessment_hosts{state=%s}", s.State)] = float64(s.Hosts)
	}
	for _, s := range rep.Totals.BySeverity {
		want[fmt.Sprintf("patchflow_assessment_missing_fixes{severity=%s}", s.Severity)] = float64(s.Missing)
	}
	for k, v := range want {
		if g, ok := got[k]; !ok || g != v {
			t.Errorf("/metrics %s = %v (served: %v); the report says %v", k, g, ok, v)
		}
	}
}

// htmlShowsChartAndTable opens the HTML report in headless Chromium: the
// chart has one point per assessment, the table one row per host, the
// page asks for nothing, and a screenshot shows the chart's colours.
func htmlShowsChartAndTable(t *testing.T, file string, rep *report.ComplianceReport) {
	t.Helper()
	run := browsertest.Open(t, file, "--dump-dom")
	doc := browsertest.ParseDOM(t, run.Stdout)
	svg := browsertest.One(t, doc, "trend chart", browsertest.ByID("trend-chart"))
	points := browsertest.FindAll(svg, func(n *html.Node) bool { return n.Data == "circle" && browsertest.HasClass(n, "pt") })
	if len(points) != len(rep.Trend) {
		t.Errorf("the chart has %d points for %d assessments", len(points), len(rep.Trend))
	}
	table := browsertest.One(t, doc, "host table", browsertest.ByID("hosts"))
	cells := browsertest.FindAll(table, func(n *html.Node) bool { return n.Data == "td" && browsertest.HasClass(n, "host") })
	if len(cells) != len(rep.Hosts) {
		t.Errorf("the host table has %d rows, want %d", len(cells), len(rep.Hosts))
	}
	for i, c := range cells {
		if i < len(rep.Hosts) && browsertest.Text(c) != rep.Hosts[i].Host {
			t.Errorf("row %d shows %q, want %q", i+1, browsertest.Text(c), rep.Hosts[i].Host)
		}
	}
	if reqs := browsertest.PageRequests(t, run.NetLog); len(reqs) > 0 {
		t.Errorf("the page made requests: %v", reqs)
	}
	shot := filepath.Join(t.TempDir(), "compliance.png")
	browsertest.Open(t, file, "--window-size=1280,1600", "--screenshot="+shot)
	// The compliant and noncompliant bars of the two assessments.
	browsertest.CheckScreenshot(t, shot, 1280, 1600, "#a5d6a7", "#ef9a9a")
	if d := os.Getenv("PATCHFLOW_SCREENSHOT_DIR"); d != "" {
		raw, _ := os.ReadFile(shot)
		_ = os.WriteFile(filepath.Join(d, "posture-compliance.png"), raw, 0o644)
	}
}

// record writes a workflow's history to workflows/testdata when
// PATCHFLOW_RECORD=1, for the replay test there.
func record(t *testing.T, dev postureDev, workflowID, file string) {
	t.Helper()
	if os.Getenv("PATCHFLOW_RECORD") != "1" {
		return
	}
	c, err := client.Dial(client.Options{HostPort: dev.addr, Namespace: dev.namespace, Logger: quietSDKLogger()})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	iter := c.GetWorkflowHistory(context.Background(), workflowID, "", false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	var events []json.RawMessage
	for iter.HasNext() {
		ev, err := iter.Next()
		if err != nil {
			t.Fatalf("history of %s: %v", workflowID, err)
		}
		b, err := protojson.Marshal(ev)
		if err != nil {
			t.Fatal(err)
		}
		events = append(events, b)
	}
	data, err := json.MarshalIndent(map[string]any{"workflowId": workflowID, "events": events}, "", " ")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join("..", "workflows", "testdata", file)
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("recorded %d events of %s in %s", len(events), workflowID, path)
}
