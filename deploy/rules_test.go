package deploy

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"unicode"
)

// ruleTestFiles are the promtool unit test files of rules.yaml.
var ruleTestFiles = []string{
	"rules_test.yaml", "rules_compliance_test.yaml",
	"rules_assessment_test.yaml", "rules_assessment_stopped_test.yaml",
	"rules_notifications_test.yaml",
}

// TestPromtoolTestRules runs the unit tests of rules.yaml and checks that
// they cover it: every alert is seen firing by some test case, and every
// recording rule is queried by a promql_expr_test with expected samples.
func TestPromtoolTestRules(t *testing.T) {
	var groupNames []string
	for _, g := range loadRules(t).Groups {
		groupNames = append(groupNames, g.Name)
	}
	out, err := runPromtool(t, "prometheus", append([]string{"test", "rules"}, ruleTestFiles...)...)
	if err != nil {
		t.Fatalf("promtool test rules %v in prometheus/: %v\n%s", ruleTestFiles, err, out)
	}
	fired := map[string]bool{}
	queried := map[string]bool{}
	for _, f := range ruleTestFiles {
		var tests struct {
			RuleFiles      []string `yaml:"rule_files"`
			GroupEvalOrder []string `yaml:"group_eval_order"`
			Tests          []struct {
				AlertRuleTest []struct {
					Alertname string           `yaml:"alertname"`
					ExpAlerts []map[string]any `yaml:"exp_alerts"`
				} `yaml:"alert_rule_test"`
				PromQLExprTest []struct {
					Expr       string           `yaml:"expr"`
					ExpSamples []map[string]any `yaml:"exp_samples"`
				} `yaml:"promql_expr_test"`
			} `yaml:"tests"`
		}
		decodeYAML(t, filepath.Join("prometheus", f), &tests)
		if len(tests.RuleFiles) != 1 || tests.RuleFiles[0] != "rules.yaml" {
			t.Errorf("%s: rule_files = %v, want [rules.yaml]", f, tests.RuleFiles)
		}
		// promtool 2.42 evaluates groups missing from group_eval_order in
		// a random order: every group, in the file's order.
		if !slices.Equal(tests.GroupEvalOrder, groupNames) {
			t.Errorf("%s: group_eval_order = %v, want rules.yaml's groups in order %v", f, tests.GroupEvalOrder, groupNames)
		}
		for _, tc := range tests.Tests {
			for _, a := range tc.AlertRuleTest {
				if len(a.ExpAlerts) > 0 {
					fired[a.Alertname] = true
				}
			}
			for _, q := range tc.PromQLExprTest {
				if len(q.ExpSamples) == 0 {
					continue
				}
				for _, sel := range selectors(q.Expr) {
					queried[sel.Name] = true
				}
			}
		}
	}
	for _, g := range loadRules(t).Groups {
		for _, r := range g.Rules {
			if r.Alert != "" && !fired[r.Alert] {
				t.Errorf("alert %s (group %s) never fires in %v: add a test case that expects it", r.Alert, g.Name, ruleTestFiles)
			}
			if r.Record != "" && !queried[r.Record] {
				t.Errorf("recording rule %s (group %s) is never queried with expected samples in %v: add a promql_expr_test", r.Record, g.Name, ruleTestFiles)
			}
		}
	}
}

// TestAlertAnnotations checks what an operator reads when an alert fires:
// a summary, a description that names the patchflow command to run, and
// a runbook_url pointing at the alert's own entry in docs/operations.md.
func TestAlertAnnotations(t *testing.T) {
	var rf struct {
		Groups []struct {
			Rules []struct {
				Alert       string            `yaml:"alert"`
				Labels      map[string]string `yaml:"labels"`
				Annotations map[string]string `yaml:"annotations"`
			} `yaml:"rules"`
		} `yaml:"groups"`
	}
	decodeYAML(t, "prometheus/rules.yaml", &rf)
	ops, err := os.ReadFile(filepath.Join("..", "docs", "operations.md"))
	if err != nil {
		t.Fatal(err)
	}
	anchors := markdownAnchors(string(ops))
	n := 0
	for _, g := range rf.Groups {
		for _, r := range g.Rules {
			if r.Alert == "" {
				continue
			}
			n++
			a := r.Annotations
			if strings.TrimSpace(a["summary"]) == "" {
				t.Errorf("alert %s has no summary", r.Alert)
			}
			if !strings.Contains(a["description"], "`patchflow ") {
				t.Errorf("alert %s: its description names no patchflow command (`patchflow ...`) to run: %q", r.Alert, a["description"])
			}
			want := "docs/operations.md#" + strings.ToLower(r.Alert)
			if a["runbook_url"] != want {
				t.Errorf("alert %s: runbook_url %q, want %q", r.Alert, a["runbook_url"], want)
			}
			if !anchors[strings.ToLower(r.Alert)] {
				t.Errorf("alert %s: docs/operations.md has no heading %q (anchor #%s) for its runbook", r.Alert, "### "+r.Alert, strings.ToLower(r.Alert))
			}
			switch r.Labels["severity"] {
			case "info", "warning", "critical":
			default:
				t.Errorf("alert %s: severity label %q, want info, warning or critical", r.Alert, r.Labels["severity"])
			}
		}
	}
	if n < 19 {
		t.Errorf("found %d alerts in rules.yaml; the file should hold at least the 19 documented ones", n)
	}
}

// markdownAnchors returns the anchors GitHub gives the headings of a
// Markdown text: lowercased, punctuation dropped, spaces as hyphens.
func markdownAnchors(md string) map[string]bool {
	anchors := map[string]bool{}
	inCode := false
	for _, line := range strings.Split(md, "\n") {
		if strings.HasPrefix(line, "```") {
			inCode = !inCode
		}
		if inCode || !strings.HasPrefix(line, "#") {
			continue
		}
		text := strings.TrimSpace(strings.TrimLeft(line, "#"))
		var b strings.Builder
		for _, r := range strings.ToLower(text) {
			switch {
			case r == ' ':
				b.WriteRune('-')
			case r == '-' || r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r):
				b.WriteRune(r)
			}
		}
		anchors[b.String()] = true
	}
	return anchors
}
