package report

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

var schemaFiles = map[string]string{
	KindCompliance:    "../schemas/report/compliance.schema.json",
	KindCVEAudit:      "../schemas/report/cve-audit.schema.json",
	KindCycleEvidence: "../schemas/report/cycle-evidence.schema.json",
}

// compileSchema compiles a published schema with format assertions on
// (date-time and date are checked, not just annotated).
func compileSchema(t *testing.T, kind string) (*jsonschema.Schema, map[string]any) {
	t.Helper()
	raw, err := os.ReadFile(schemaFiles[kind])
	if err != nil {
		t.Fatal(err)
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("%s: %v", schemaFiles[kind], err)
	}
	id := doc.(map[string]any)["$id"].(string)
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	if err := c.AddResource(id, doc); err != nil {
		t.Fatal(err)
	}
	s, err := c.Compile(id)
	if err != nil {
		t.Fatalf("compile %s: %v", schemaFiles[kind], err)
	}
	return s, doc.(map[string]any)
}

func renderJSON(t *testing.T, r Report) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := WriteJSON(&b, r); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestRenderedReportsValidateAgainstPublishedSchemas(t *testing.T) {
	cases := []struct {
		kind string
		r    Report
	}{
		{KindCompliance, buildEstate(t, 60)},
		{KindCVEAudit, buildSampleCVEAudit(t)},
		{KindCycleEvidence, buildSampleCycle(t)},
	}
	for _, c := range cases {
		t.Run(c.kind, func(t *testing.T) {
			s, schemaDoc := compileSchema(t, c.kind)
			out := renderJSON(t, c.r)
			inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(out))
			if err != nil {
				t.Fatal(err)
			}
			if err := s.Validate(inst); err != nil {
				t.Fatalf("rendered %s does not follow %s:\n%v", c.kind, schemaFiles[c.kind], err)
			}
			// Every property the schema publishes appears in some rendered
			// object: the schema names no field the code no longer writes,
			// and the samples exercise every field.
			seen := map[string]bool{}
			collectKeys(inst, seen)
			var unused []string
			for _, p := range schemaProperties(schemaDoc) {
				if !seen[p] {
					unused = append(unused, p)
				}
			}
			if len(unused) > 0 {
				t.Errorf("%s publishes properties no rendered sample has: %v", schemaFiles[c.kind], unused)
			}
		})
	}
}

func TestSchemasRejectWhatTheModelForbids(t *testing.T) {
	s, _ := compileSchema(t, KindCompliance)
	good := string(renderJSON(t, buildEstate(t, 20)))
	cases := map[string]string{
		"unknown host state": strings.Replace(good, `"state": "noncompliant"`, `"state": "mostly_fine"`, 1),
		"unknown field":      strings.Replace(good, `"kind": "compliance_report",`, `"kind": "compliance_report", "colour": "red",`, 1),
		"time not UTC":       strings.Replace(good, `"generated_at": "2026-11-24T09:00:00Z"`, `"generated_at": "2026-11-24T10:00:00+01:00"`, 1),
		"wrong kind":         strings.Replace(good, `"kind": "compliance_report"`, `"kind": "cve_audit"`, 1),
		"null list":          strings.Replace(good, `"exceptions": [`, `"exceptions": null, "x": [`, 1),
	}
	for name, doc := range cases {
		if doc == good {
			t.Fatalf("%s: the mutation did not apply; the sample changed shape", name)
		}
		inst, err := jsonschema.UnmarshalJSON(strings.NewReader(doc))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if err := s.Validate(inst); err == nil {
			t.Errorf("%s: the schema accepted it", name)
		}
	}
}

func TestSchemaFilesAreTheOnesPublished(t *testing.T) {
	files, _ := filepath.Glob("../schemas/report/*.schema.json")
	var got []string
	for _, f := range files {
		got = append(got, filepath.Base(f))
	}
	var want []string
	for _, f := range schemaFiles {
		want = append(want, filepath.Base(f))
	}
	sort.Strings(got)
	sort.Strings(want)
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("schemas/report has %v, the tests check %v", got, want)
	}
	for _, f := range files {
		raw, _ := os.ReadFile(f)
		if !json.Valid(raw) {
			t.Errorf("%s is not valid JSON", f)
		}
	}
}

func collectKeys(v any, seen map[string]bool) {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			seen[k] = true
			collectKeys(e, seen)
		}
	case []any:
		for _, e := range x {
			collectKeys(e, seen)
		}
	}
}

// schemaProperties lists every property name a schema document declares.
func schemaProperties(doc any) []string {
	var out []string
	var walk func(v any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			if props, ok := x["properties"].(map[string]any); ok {
				for k := range props {
					out = append(out, k)
				}
			}
			for _, e := range x {
				walk(e)
			}
		case []any:
			for _, e := range x {
				walk(e)
			}
		}
	}
	walk(doc)
	sort.Strings(out)
	return out
}

// TestStreamedJSONIsTheEncodersJSON: the compliance report is written one
// host at a time; the bytes must be those of encoding/json's indenter.
func TestStreamedJSONIsTheEncodersJSON(t *testing.T) {
	r := buildEstate(t, 60)
	var want bytes.Buffer
	enc := json.NewEncoder(&want)
	enc.SetIndent("", "  ")
	if err := enc.Encode(r); err != nil {
		t.Fatal(err)
	}
	if got := renderJSON(t, r); !bytes.Equal(got, want.Bytes()) {
		t.Fatalf("streamed JSON differs from encoding/json's (%d vs %d bytes)", len(got), want.Len())
	}
}
