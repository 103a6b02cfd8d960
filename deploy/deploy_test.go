package deploy

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// promtool returns the path of promtool, skipping the test when it is not
// installed, except under CI=true, where a check that cannot run fails.
func promtool(t *testing.T) string {
	t.Helper()
	return requireBinary(t, "promtool")
}

// runPromtool runs promtool in dir and returns its combined output.
func runPromtool(t *testing.T, dir string, args ...string) (string, error) {
	t.Helper()
	cmd := exec.Command(promtool(t), args...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// ruleFile mirrors the parts of a Prometheus rule file the tests read.
type ruleFile struct {
	Groups []struct {
		Name  string `yaml:"name"`
		Rules []struct {
			Record string `yaml:"record"`
			Alert  string `yaml:"alert"`
			Expr   string `yaml:"expr"`
		} `yaml:"rules"`
	} `yaml:"groups"`
}

func loadRules(t *testing.T) ruleFile {
	t.Helper()
	var rf ruleFile
	decodeYAML(t, "prometheus/rules.yaml", &rf)
	return rf
}

// decodeYAML decodes the single document of a YAML file under deploy/.
func decodeYAML(t *testing.T, path string, v any) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(data, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

func TestPromtoolCheckRules(t *testing.T) {
	out, err := runPromtool(t, "prometheus", "check", "rules", "rules.yaml")
	if err != nil {
		t.Fatalf("promtool check rules prometheus/rules.yaml: %v\n%s", err, out)
	}
	n := 0
	for _, g := range loadRules(t).Groups {
		n += len(g.Rules)
	}
	if want := "SUCCESS: " + strconv.Itoa(n) + " rules found"; !strings.Contains(out, want) {
		t.Errorf("promtool check rules: want %q (every rule of the file), got:\n%s", want, out)
	}
}

func TestPromtoolCheckConfig(t *testing.T) {
	out, err := runPromtool(t, "prometheus", "check", "config", "prometheus.yml")
	if err != nil {
		t.Fatalf("promtool check config prometheus/prometheus.yml: %v\n%s", err, out)
	}
	if !strings.Contains(out, "SUCCESS: 1 rule files found") {
		t.Errorf("prometheus.yml should load rules.yaml, promtool says:\n%s", out)
	}

	out, err = runPromtool(t, "prometheus", "check", "config", "prometheus-kubernetes.yml")
	switch {
	case err == nil:
	case strings.Contains(out, "field kubernetes_sd_configs not found"):
		// Debian builds Prometheus without Kubernetes discovery; the rest
		// of the file is checked below.
		t.Logf("this promtool has no Kubernetes discovery; checking prometheus-kubernetes.yml's structure only")
	default:
		t.Fatalf("promtool check config prometheus/prometheus-kubernetes.yml: %v\n%s", err, out)
	}
	var cfg struct {
		RuleFiles     []string `yaml:"rule_files"`
		ScrapeConfigs []struct {
			JobName        string           `yaml:"job_name"`
			KubernetesSD   []map[string]any `yaml:"kubernetes_sd_configs"`
			RelabelConfigs []struct {
				SourceLabels []string `yaml:"source_labels"`
				Regex        string   `yaml:"regex"`
				Action       string   `yaml:"action"`
			} `yaml:"relabel_configs"`
		} `yaml:"scrape_configs"`
	}
	decodeYAML(t, "prometheus/prometheus-kubernetes.yml", &cfg)
	if len(cfg.RuleFiles) != 1 || cfg.RuleFiles[0] != "rules.yaml" {
		t.Errorf("prometheus-kubernetes.yml: rule_files = %v, want [rules.yaml]", cfg.RuleFiles)
	}
	if len(cfg.ScrapeConfigs) != 1 || cfg.ScrapeConfigs[0].JobName != "patchflow" || len(cfg.ScrapeConfigs[0].KubernetesSD) == 0 {
		t.Fatalf("prometheus-kubernetes.yml: want one job \"patchflow\" with kubernetes_sd_configs (the alerts select job=\"patchflow\"), got %+v", cfg.ScrapeConfigs)
	}
	keeps := map[string]string{}
	for _, r := range cfg.ScrapeConfigs[0].RelabelConfigs {
		if r.Action == "keep" && len(r.SourceLabels) == 1 {
			keeps[r.SourceLabels[0]] = r.Regex
		}
	}
	if keeps["__meta_kubernetes_pod_annotation_prometheus_io_scrape"] != "true" ||
		keeps["__meta_kubernetes_pod_label_app_kubernetes_io_name"] != "patchflow" {
		t.Errorf("prometheus-kubernetes.yml should keep only pods labelled app.kubernetes.io/name=patchflow with prometheus.io/scrape=true, keeps %v", keeps)
	}
}

// TestYAMLFilesParse decodes every document of every YAML file in deploy/.
func TestYAMLFilesParse(t *testing.T) {
	n := 0
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		if ext := filepath.Ext(path); ext != ".yaml" && ext != ".yml" {
			return nil
		}
		n++
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if bytes.Contains(data[:min(len(data), 1024)], []byte("# enable-template")) {
			// A Temporal server configuration template is YAML only once
			// rendered; TestLocalServerConfig loads it with the server's loader.
			return nil
		}
		dec := yaml.NewDecoder(bytes.NewReader(data))
		for doc := 1; ; doc++ {
			var v any
			err := dec.Decode(&v)
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Errorf("%s: document %d: %v", path, doc, err)
				break
			}
			if v == nil {
				t.Errorf("%s: document %d is empty", path, doc)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n < 15 {
		t.Errorf("found %d YAML files under deploy/, expected the compose, Kubernetes, Prometheus and Grafana files", n)
	}
}

// dashboard mirrors the parts of the Grafana dashboard the tests read.
type dashboard struct {
	UID        string  `json:"uid"`
	Panels     []panel `json:"panels"`
	Templating struct {
		List []struct {
			Name    string          `json:"name"`
			Type    string          `json:"type"`
			Query   json.RawMessage `json:"query"`
			Current struct {
				Value any `json:"value"`
			} `json:"current"`
		} `json:"list"`
	} `json:"templating"`
}

type panel struct {
	Type       string      `json:"type"`
	Title      string      `json:"title"`
	GridPos    gridPos     `json:"gridPos"`
	Datasource *datasource `json:"datasource"`
	Targets    []struct {
		Datasource *datasource `json:"datasource"`
		Expr       string      `json:"expr"`
	} `json:"targets"`
	Panels []panel `json:"panels"`
}

type gridPos struct {
	X int `json:"x"`
	Y int `json:"y"`
	W int `json:"w"`
	H int `json:"h"`
}

type datasource struct {
	Type string `json:"type"`
	UID  string `json:"uid"`
}

func loadDashboard(t *testing.T) dashboard {
	t.Helper()
	data, err := os.ReadFile("grafana/dashboards/patchflow.json")
	if err != nil {
		t.Fatal(err)
	}
	var d dashboard
	if err := json.Unmarshal(data, &d); err != nil {
		t.Fatalf("grafana/dashboards/patchflow.json: %v", err)
	}
	return d
}

// TestDashboard checks that the dashboard parses, that every query panel
// uses the datasource variable, and that the variable's default is the
// datasource the compose provisioning creates.
func TestDashboard(t *testing.T) {
	d := loadDashboard(t)
	if d.UID == "" {
		t.Error("dashboard has no uid: provisioning would give it a new URL on every load")
	}
	var prov struct {
		Datasources []struct {
			UID  string `yaml:"uid"`
			Type string `yaml:"type"`
			URL  string `yaml:"url"`
		} `yaml:"datasources"`
	}
	decodeYAML(t, "grafana/provisioning/datasources/prometheus.yaml", &prov)
	if len(prov.Datasources) != 1 || prov.Datasources[0].Type != "prometheus" {
		t.Fatalf("provisioning should define one prometheus datasource, got %+v", prov.Datasources)
	}
	def := ""
	for _, v := range d.Templating.List {
		if v.Name == "datasource" {
			def, _ = v.Current.Value.(string)
		}
	}
	if def != prov.Datasources[0].UID {
		t.Errorf("datasource variable defaults to %q, provisioned datasource uid is %q", def, prov.Datasources[0].UID)
	}
	queries := 0
	for _, p := range allPanels(d.Panels) {
		if p.Type == "row" {
			continue
		}
		if len(p.Targets) == 0 {
			t.Errorf("panel %q has no query", p.Title)
		}
		if p.Datasource == nil || p.Datasource.UID != "${datasource}" {
			t.Errorf("panel %q: datasource %+v, want uid ${datasource}", p.Title, p.Datasource)
		}
		for _, tg := range p.Targets {
			queries++
			if strings.TrimSpace(tg.Expr) == "" {
				t.Errorf("panel %q has an empty query", p.Title)
			}
			if tg.Datasource == nil || tg.Datasource.UID != "${datasource}" {
				t.Errorf("panel %q: a query's datasource is %+v, want uid ${datasource}", p.Title, tg.Datasource)
			}
		}
	}
	if queries < 10 {
		t.Errorf("dashboard has %d queries; it should show cycles, hosts, durations, rollbacks, budget breaches and workers", queries)
	}
}

func allPanels(ps []panel) []panel {
	var out []panel
	for _, p := range ps {
		out = append(out, p)
		out = append(out, allPanels(p.Panels)...)
	}
	return out
}

var labelValuesRE = regexp.MustCompile(`^label_values\(\s*([a-zA-Z_:][a-zA-Z0-9_:]*)\s*,\s*[a-zA-Z_][a-zA-Z0-9_]*\s*\)$`)

// dashboardExprs returns every PromQL expression of the dashboard, the
// metric of each label_values() variable query as a one-word expression.
func dashboardExprs(t *testing.T, d dashboard) []string {
	t.Helper()
	var exprs []string
	for _, p := range allPanels(d.Panels) {
		for _, tg := range p.Targets {
			exprs = append(exprs, tg.Expr)
		}
	}
	for _, v := range d.Templating.List {
		if v.Type != "query" {
			continue
		}
		var q struct {
			Query string `json:"query"`
		}
		if err := json.Unmarshal(v.Query, &q); err != nil {
			t.Fatalf("variable %s: query: %v", v.Name, err)
		}
		m := labelValuesRE.FindStringSubmatch(q.Query)
		if m == nil {
			t.Fatalf("variable %s: query %q is not label_values(metric, label)", v.Name, q.Query)
		}
		exprs = append(exprs, m[1])
	}
	return exprs
}

// TestDashboardQueriesParse has promtool parse every dashboard query, as
// the expression of a recording rule, with Grafana's variables replaced by
// values they take.
func TestDashboardQueriesParse(t *testing.T) {
	d := loadDashboard(t)
	vars := dashboardVars
	type rule struct {
		Record string `yaml:"record"`
		Expr   string `yaml:"expr"`
	}
	var rules []rule
	for _, p := range allPanels(d.Panels) {
		for _, tg := range p.Targets {
			if strings.Contains(tg.Expr, "$") && !strings.Contains(vars.Replace(tg.Expr), "$") {
				rules = append(rules, rule{"dashboard:query:" + strconv.Itoa(len(rules)), vars.Replace(tg.Expr)})
				continue
			}
			if strings.Contains(tg.Expr, "$") {
				t.Errorf("panel %q uses a variable this test does not know: %s", p.Title, tg.Expr)
				continue
			}
			rules = append(rules, rule{"dashboard:query:" + strconv.Itoa(len(rules)), tg.Expr})
		}
	}
	file := map[string]any{"groups": []any{map[string]any{"name": "dashboard", "rules": rules}}}
	data, err := yaml.Marshal(file)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "dashboard.yaml"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := runPromtool(t, dir, "check", "rules", "dashboard.yaml")
	if err != nil {
		t.Fatalf("promtool cannot parse the dashboard's queries: %v\n%s", err, out)
	}
	if want := "SUCCESS: " + strconv.Itoa(len(rules)) + " rules found"; !strings.Contains(out, want) {
		t.Errorf("promtool check rules: want %q, got:\n%s", want, out)
	}
}
