package policies

import (
	"bytes"
	"encoding/gob"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/patchflow/patchflow/domain"
)

const header = "apiVersion: patchflow/v1\nkind: PatchPolicy\nmetadata: {name: edge}\ntargets: {inventory: hosts.yaml}\n"

// TestHostileInput feeds documents that break naive loaders; each must give
// one clear error and never panic or run away.
func TestHostileInput(t *testing.T) {
	deepFlow := header + "metadata: " + strings.Repeat("[", 20000) + strings.Repeat("]", 20000) + "\n"
	var deepBlock strings.Builder
	deepBlock.WriteString(header + "x:\n")
	for i := 1; i < 1000; i++ {
		deepBlock.WriteString(strings.Repeat(" ", i) + "a:\n")
	}
	for name, tc := range map[string]struct{ doc, want string }{
		"empty":          {"", "f.yaml:1:1: policy: file is empty; expected a document starting with apiVersion: patchflow/v1 and kind: PatchPolicy"},
		"whitespace":     {"\n\n   \n", "f.yaml:1:1: policy: file is empty; expected a document starting with apiVersion: patchflow/v1 and kind: PatchPolicy"},
		"only marker":    {"---\n", "f.yaml:1:1: policy: file is empty; expected a document starting with apiVersion: patchflow/v1 and kind: PatchPolicy"},
		"scalar":         {"hello", "f.yaml:1:1: policy: document must be a mapping of fields (apiVersion, kind, metadata, ...), got a string"},
		"private key":    {"-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW\n-----END OPENSSH PRIVATE KEY-----\n", "f.yaml: policy: this is a private key, not a policy; give the policy file"},
		"secret scalar":  {"wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n", "f.yaml:1:1: policy: document must be a mapping of fields (apiVersion, kind, metadata, ...), got a string"},
		"binary":         {"\x00\x01\x02", "f.yaml: policy: this is binary data, not a policy; give the policy file"},
		"bad utf8":       {"a: \xff\xfe", "f.yaml:1:4: policy: byte 0xff is not UTF-8; save the file as UTF-8"},
		"latin-1":        {header + "metadata: {name: edge, description: \"caf\xe9\"}\n", "f.yaml:5:41: policy: byte 0xe9 is not UTF-8; save the file as UTF-8"},
		"deep flow":      {deepFlow, "f.yaml:5:1: yaml: exceeded max depth of 10000"},
		"deep block":     {deepBlock.String(), "f.yaml:5:1: policy: unknown field \"x\" (known fields: apiVersion, approval, checks, host, kind, metadata, notifications, patches, rollback, rollout, sla, targets, window)"},
		"no header":      {"metadata: {name: a}\n", "f.yaml:1:1: policy: apiVersion is required; start the file with apiVersion: patchflow/v1 and kind: PatchPolicy\nf.yaml:1:1: policy: kind is required; start the file with apiVersion: patchflow/v1 and kind: PatchPolicy"},
		"unknown anchor": {header + "sla: {critical: *nope}\n", "f.yaml: yaml: unknown anchor 'nope' referenced"},
		"nan":            {header + "rollout: {failure_budget: {percent: .nan}}\n", "f.yaml:5:37: rollout.failure_budget: percent must be a finite number, got \".nan\""},
		"inf":            {header + "checks: [{name: a, type: promql, threshold: {op: <, value: -.inf}}]\n", "f.yaml:5:60: check \"a\": threshold.value must be a finite number, got \"-.inf\""},
		"long key":       {header + strings.Repeat("k", 5000) + ": 1\n", ""},
	} {
		t.Run(name, func(t *testing.T) {
			start := time.Now()
			p, err := Parse("f.yaml", []byte(tc.doc))
			if err == nil {
				t.Fatalf("Parse accepted it: %+v", p)
			}
			if tc.want != "" && err.Error() != tc.want {
				t.Errorf("error:\n%v\nwant:\n%s", err, tc.want)
			}
			if d := time.Since(start); d > 5*time.Second {
				t.Errorf("took %s", d)
			}
		})
	}
}

func TestAliasExpansionIsBounded(t *testing.T) {
	// 40,000 aliases of one wave are 240,000 values to check: refused.
	doc := header + "rollout:\n  max_parallel: 1\n  waves: [&w {name: a, count: 1, max_parallel: 1, bake: 1m}" +
		strings.Repeat(", *w", 40000) + "]\n"
	start := time.Now()
	_, err := Parse("f.yaml", []byte(doc))
	want := "f.yaml:7:21: policy: file expands to more than 200000 YAML values through anchors and aliases; refusing to read it"
	if err == nil || !strings.HasPrefix(err.Error(), want) {
		t.Errorf("error = %.300v, want prefix %q", err, want)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("took %s", d)
	}
}

func TestDefaults(t *testing.T) {
	p := parseTest(t, "")
	want := Default()
	want.APIVersion, want.Kind = APIVersion, Kind
	want.Metadata.Name = "t"
	want.Targets.Inventory = "hosts.yaml"
	want.Rollout.Waves = []Wave{{Name: "all", Percent: 100, MaxParallel: 1}}
	p.pos = positions{}
	if !reflect.DeepEqual(p, want) {
		t.Errorf("minimal policy =\n%+v\nwant defaults\n%+v", p, want)
	}
	p = parseTest(t, `checks:
  - {name: h, type: http, url: "http://{host}/"}
  - {name: q, type: promql, prometheus: "http://p:9090", query: up, threshold: {op: ">", value: 0}}
rollout:
  max_parallel: 3
  waves: [{count: 1}, {percent: 50, max_parallel: 7}]
`)
	c0, c1 := p.Checks[0], p.Checks[1]
	if c0.Scope != domain.ScopeHost || c0.ExpectStatus != 200 || c0.Timeout != DefaultCheckTimeout || c1.Scope != domain.ScopeWave {
		t.Errorf("check defaults: %+v %+v", c0, c1)
	}
	w := p.Rollout.Waves
	if w[0].Name != "wave-1" || w[0].MaxParallel != 3 || w[1].Name != "wave-2" || w[1].MaxParallel != 7 {
		t.Errorf("wave defaults: %+v", w)
	}
}

// TestSerialisable proves a Policy travels to workflows intact as JSON (the
// Temporal default payload converter) and gob.
func TestSerialisable(t *testing.T) {
	p, err := Load("testdata/full.good.yaml")
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	var back Policy
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	p.pos = positions{}
	if !reflect.DeepEqual(&back, p) {
		t.Errorf("JSON round trip changed the policy:\n%+v\nwant\n%+v", back, *p)
	}
	for _, key := range []string{`"api_version":"patchflow/v1"`, `"min_age":"36h"`, `"on_budget_breach":"rollback_all"`, `"max_parallel":10`} {
		if !bytes.Contains(b, []byte(key)) {
			t.Errorf("JSON lacks %s:\n%s", key, b)
		}
	}
	var buf bytes.Buffer
	if err := gob.NewEncoder(&buf).Encode(p); err != nil {
		t.Fatal(err)
	}
	var gback Policy
	if err := gob.NewDecoder(&buf).Decode(&gback); err != nil {
		t.Fatal(err)
	}
	if gback.Rollout.Waves[1].Bake != p.Rollout.Waves[1].Bake || gback.Window.Timezone != "Asia/Kolkata" {
		t.Errorf("gob round trip lost fields: %+v", gback)
	}
	// Positions do not travel; errors built afterwards still name the file.
	if e := back.ErrorAt("rollout.waves[0]", "wave \"canary\"", "x"); e.Error() != "testdata/full.good.yaml: wave \"canary\": x" {
		t.Errorf("ErrorAt after round trip = %q", e)
	}
}

func TestPosition(t *testing.T) {
	p, err := Load("testdata/full.good.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string][2]int{
		"targets.staging.select[0]": {12, 14},
		"rollout.waves[1].percent":  {38, 29},
		"rollout.waves[1].missing":  {38, 7},
		"":                          {2, 1},
	} {
		if l, c := p.Position(path); l != want[0] || c != want[1] {
			t.Errorf("Position(%q) = %d:%d, want %d:%d", path, l, c, want[0], want[1])
		}
	}
}
