package deploy

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/patchflow/patchflow/notify"
	"github.com/patchflow/patchflow/workflows"
)

// metricCatalog says which series exist and with which labels.
type metricCatalog struct {
	// exact names, each with its allowed labels
	names map[string][]string
	// SDK metric base names (without _total, _bucket, _sum, _count)
	sdk map[string]bool
	// the SDK's tag names
	sdkLabels []string
	// patchflow's gauges (the rest of names are counters or histograms)
	gauges map[string]bool
	// patchflow's metrics registered on the worker's registry directly
	// (notify), not recorded through the SDK's handler
	direct map[string]bool
}

// Labels every scraped series carries.
var scrapeLabels = []string{"job", "instance"}

// Tags the SDK adds to every metric recorded through a worker's or a
// workflow's metrics handler, patchflow's own included: client tags,
// the worker's task queue, the workflow type.
var sdkHandlerLabels = []string{"namespace", "client_name", "task_queue", "workflow_type"}

var (
	// "//	patchflow_cycles_total{policy,result}   counter: ..." in workflows/metrics.go
	metricDocRE = regexp.MustCompile(`(?m)^//\s+(patchflow_[a-z0-9_]+)\{([a-z_,]*)\}\s+(timer|histogram|counter|gauge):`)
	sdkConstRE  = regexp.MustCompile(`(?m)^\s*(\w+)\s*=\s*(\w+)\s*\+\s*"([a-z_]+)"`)
	sdkTagRE    = regexp.MustCompile(`=\s*"([a-z_]+)"`)
	byClauseRE  = regexp.MustCompile(`\b(?:by|without)\s*\(([^)]*)\)`)
)

// metricSource is a Go file whose doc comments list the metrics its
// package emits, one a line: "//	name{labels}   kind: meaning".
type metricSource struct {
	file string
	// labels every series of the file carries beyond its own
	labels []string
	// direct: registered on the worker's registry, not through the SDK
	direct bool
	// the names the package's code emits
	emitted []string
}

var metricSources = []metricSource{
	{
		file:   "workflows/metrics.go",
		labels: append(slices.Clone(scrapeLabels), sdkHandlerLabels...),
		emitted: []string{
			workflows.MetricCycleDuration, workflows.MetricCycles, workflows.MetricHostDuration,
			workflows.MetricHosts, workflows.MetricRollbacks, workflows.MetricStepDuration,
			workflows.MetricPlannedUpdates, workflows.MetricBudgetBreaches,
			workflows.MetricTimeToPatch, workflows.MetricSLABreaches, workflows.MetricComplianceHosts,
			workflows.MetricComplianceRatio, workflows.MetricComplianceTimestamp, workflows.MetricLastSuccess,
			workflows.MetricAssessHosts, workflows.MetricAssessMissing, workflows.MetricAssessMissingKEV,
			workflows.MetricAssessBreached, workflows.MetricAssessOldestCritical, workflows.MetricAssessTimestamp,
		},
	},
	{
		file:    "notify/metrics.go",
		labels:  scrapeLabels,
		direct:  true,
		emitted: []string{notify.MetricNotifications, notify.MetricNotificationDuration, notify.MetricNotificationAttempts},
	},
}

// patchflowMetrics reads the documented metric lists of metricSources and
// checks each against the Metric* constants its package emits.
func patchflowMetrics(t *testing.T, cat *metricCatalog) {
	t.Helper()
	if cat.gauges == nil {
		cat.gauges = map[string]bool{}
	}
	if cat.direct == nil {
		cat.direct = map[string]bool{}
	}
	for _, src := range metricSources {
		text, err := os.ReadFile(filepath.Join("..", src.file))
		if err != nil {
			t.Fatal(err)
		}
		documented := map[string]bool{}
		for _, m := range metricDocRE.FindAllStringSubmatch(string(text), -1) {
			name, kind := m[1], m[3]
			labels := append(strings.Split(m[2], ","), src.labels...)
			documented[name] = true
			if kind == "timer" || kind == "histogram" {
				// Timers are Prometheus histograms (worker.NewMetrics).
				cat.names[name+"_bucket"] = append(slices.Clone(labels), "le")
				cat.names[name+"_sum"] = labels
				cat.names[name+"_count"] = labels
			} else {
				cat.names[name] = labels
			}
			if kind == "gauge" {
				cat.gauges[name] = true
			}
			if src.direct {
				cat.direct[name] = true
			}
		}
		for _, c := range src.emitted {
			if !documented[c] {
				t.Errorf("%s emits %s but its documented list (%s) lacks it", filepath.Dir(src.file), c, src.file)
			}
		}
		if len(documented) != len(src.emitted) {
			t.Errorf("%s documents %d metrics, its package emits %d: %v", src.file, len(documented), len(src.emitted), src.emitted)
		}
	}
}

// sdkMetrics reads the metric and tag names of the Temporal Go SDK this
// module builds with, from its source in the module cache.
func sdkMetrics(t *testing.T, cat *metricCatalog) {
	t.Helper()
	goBin, err := exec.LookPath("go")
	if err != nil {
		goBin = "/usr/local/go/bin/go"
	}
	out, err := exec.Command(goBin, "list", "-m", "-f", "{{.Dir}}", "go.temporal.io/sdk").Output()
	if err != nil {
		t.Fatalf("find the Temporal SDK's source (go list -m go.temporal.io/sdk): %v", err)
	}
	file := filepath.Join(strings.TrimSpace(string(out)), "internal", "common", "metrics", "constants.go")
	src, err := os.ReadFile(file)
	if err != nil {
		t.Fatalf("read the SDK's metric names: %v", err)
	}
	values := map[string]string{"TemporalMetricsPrefix": "temporal_"}
	for _, m := range sdkConstRE.FindAllStringSubmatch(string(src), -1) {
		base, ok := values[m[2]]
		if !ok {
			continue
		}
		values[m[1]] = base + m[3]
		cat.sdk[base+m[3]] = true
	}
	if !cat.sdk["temporal_workflow_task_schedule_to_start_latency"] {
		t.Fatalf("no SDK metric names found in %s; has the file changed shape?", file)
	}
	s := string(src)
	start := strings.Index(s, "// Metric tag keys")
	if start < 0 {
		t.Fatalf("no tag keys found in %s", file)
	}
	block := s[start:]
	block = block[:strings.Index(block, "\n)")]
	for _, m := range sdkTagRE.FindAllStringSubmatch(block, -1) {
		cat.sdkLabels = append(cat.sdkLabels, m[1])
	}
}

// recordedMetrics adds the series the recording rules create, labelled by
// the by() clauses of their expressions.
func recordedMetrics(rf ruleFile, cat *metricCatalog) {
	for _, g := range rf.Groups {
		for _, r := range g.Rules {
			if r.Record == "" {
				continue
			}
			labels := slices.Clone(scrapeLabels[:0])
			for _, m := range byClauseRE.FindAllStringSubmatch(r.Expr, -1) {
				for _, l := range strings.Split(m[1], ",") {
					if l = strings.TrimSpace(l); l != "" && l != "le" {
						labels = append(labels, l)
					}
				}
			}
			cat.names[r.Record] = labels
		}
	}
}

// check reports whether a selector names a series that exists, and which
// of its matcher labels that series does not have.
func (cat *metricCatalog) check(sel selector) (known bool, badLabels []string) {
	allowed, ok := cat.names[sel.Name]
	switch {
	case ok:
	case sel.Name == "up":
		allowed = scrapeLabels
	case strings.HasPrefix(sel.Name, "temporal_"):
		base := sel.Name
		for _, suffix := range []string{"_bucket", "_sum", "_count", "_total"} {
			base = strings.TrimSuffix(base, suffix)
		}
		if !cat.sdk[base] {
			return false, nil
		}
		allowed = append(append(slices.Clone(cat.sdkLabels), scrapeLabels...), "le")
	case strings.HasPrefix(sel.Name, "process_") || strings.HasPrefix(sel.Name, "go_"):
		return true, nil
	default:
		return false, nil
	}
	for _, l := range sel.Labels {
		if !slices.Contains(allowed, l) {
			badLabels = append(badLabels, l)
		}
	}
	return true, badLabels
}

// TestMetricNamesExist checks every metric the rules and the dashboard
// query: patchflow's against workflows/metrics.go, the SDK's against the
// SDK's own list, recorded ones against the recording rules, each with
// the labels its matchers use.
func TestMetricNamesExist(t *testing.T) {
	cat := &metricCatalog{names: map[string][]string{}, sdk: map[string]bool{}}
	patchflowMetrics(t, cat)
	sdkMetrics(t, cat)
	rf := loadRules(t)
	recordedMetrics(rf, cat)

	type source struct{ where, expr string }
	var sources []source
	for _, g := range rf.Groups {
		for _, r := range g.Rules {
			sources = append(sources, source{"rules.yaml " + r.Record + r.Alert, r.Expr})
		}
	}
	for _, e := range dashboardExprs(t, loadDashboard(t)) {
		sources = append(sources, source{"dashboard", e})
	}
	seen := map[string]bool{}
	for _, s := range sources {
		for _, sel := range selectors(s.expr) {
			seen[sel.Name] = true
			known, bad := cat.check(sel)
			if !known {
				t.Errorf("%s: metric %s is not emitted by patchflow (workflows/metrics.go), the Temporal SDK or a recording rule\n  in: %s", s.where, sel.Name, s.expr)
				continue
			}
			if len(bad) > 0 {
				t.Errorf("%s: metric %s has no label(s) %v\n  in: %s", s.where, sel.Name, bad, s.expr)
			}
		}
	}
	// Everything patchflow emits is shown or alerted on somewhere.
	for name := range cat.names {
		base := strings.TrimSuffix(name, "_bucket")
		if strings.HasPrefix(name, "patchflow_") && !strings.HasSuffix(name, "_sum") && !strings.HasSuffix(name, "_count") &&
			!seen[name] && !seen[base+"_bucket"] {
			t.Errorf("metric %s is in neither the rules nor the dashboard", name)
		}
	}
}

// TestMetricsDocumented checks that docs/metrics.md describes every metric
// patchflow emits, every recording rule and every alert.
func TestMetricsDocumented(t *testing.T) {
	doc, err := os.ReadFile(filepath.Join("..", "docs", "metrics.md"))
	if err != nil {
		t.Fatal(err)
	}
	cat := &metricCatalog{names: map[string][]string{}, sdk: map[string]bool{}}
	patchflowMetrics(t, cat)
	var want []string
	for name := range cat.names {
		if !strings.HasSuffix(name, "_sum") && !strings.HasSuffix(name, "_count") {
			want = append(want, strings.TrimSuffix(name, "_bucket"))
		}
	}
	for _, g := range loadRules(t).Groups {
		for _, r := range g.Rules {
			want = append(want, r.Record+r.Alert)
		}
	}
	for _, w := range want {
		if !strings.Contains(string(doc), w) {
			t.Errorf("docs/metrics.md does not mention %s", w)
		}
	}
}
