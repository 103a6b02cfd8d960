package notify

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// schemaDir holds the published schemas (the repository's
// schemas/events/v1).
var schemaDir = filepath.Join("..", "schemas", "events", SchemaVersion)

// compileSchemas loads every published schema under its $id, so a
// dataschema URL resolves to the file in this checkout.
func compileSchemas(t *testing.T) *jsonschema.Compiler {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(schemaDir, "*.schema.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no schemas in %s: %v", schemaDir, err)
	}
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		id, _ := doc.(map[string]any)["$id"].(string)
		if want := SchemaBaseURL + "/" + filepath.Base(f); id != want {
			t.Errorf("%s: $id %q, want %q", f, id, want)
		}
		if err := c.AddResource(id, doc); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
	}
	return c
}

func validate(t *testing.T, c *jsonschema.Compiler, url string, body []byte) error {
	t.Helper()
	sch, err := c.Compile(url)
	if err != nil {
		t.Fatalf("compile %s: %v", url, err)
	}
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(body))
	if err != nil {
		t.Fatalf("produced JSON does not parse: %v", err)
	}
	return sch.Validate(v)
}

// Every event the package produces validates against the published
// envelope schema and the data schema its dataschema names.
func TestCloudEventsValidateAgainstPublishedSchemas(t *testing.T) {
	c := compileSchemas(t)
	for _, links := range []Links{sampleLinks, {}} {
		for _, ev := range sampleEvents() {
			body, err := CloudEvent(ev, links)
			if err != nil {
				t.Fatalf("%s: %v", ev.Type, err)
			}
			if err := validate(t, c, SchemaBaseURL+"/envelope.schema.json", body); err != nil {
				t.Errorf("%s envelope: %v\n%s", ev.Type, err, body)
			}
			var env struct {
				Type, ID, Subject, DataSchema string
				Data                          json.RawMessage
			}
			if err := json.Unmarshal(body, &env); err != nil {
				t.Fatal(err)
			}
			if env.Type != "io.patchflow."+ev.Type+".v1" || env.ID != ev.ID() || env.DataSchema != SchemaURL(ev.Type) {
				t.Errorf("%s: type %q id %q dataschema %q", ev.Type, env.Type, env.ID, env.DataSchema)
			}
			if err := validate(t, c, env.DataSchema, env.Data); err != nil {
				t.Errorf("%s data: %v\n%s", ev.Type, err, env.Data)
			}
		}
	}
}

// The schemas are strict: a field they do not document, or a missing
// required one, fails validation (so the test above can fail).
func TestSchemasRejectDrift(t *testing.T) {
	c := compileSchemas(t)
	ev := sampleEvents()[7] // host.failed
	body, _ := CloudEvent(ev, sampleLinks)
	var env map[string]any
	_ = json.Unmarshal(body, &env)
	data := env["data"].(map[string]any)
	data["undocumented"] = 1
	extra, _ := json.Marshal(data)
	if validate(t, c, SchemaURL(ev.Type), extra) == nil {
		t.Error("data with an undocumented field validated")
	}
	delete(data, "undocumented")
	delete(data, "reason")
	missing, _ := json.Marshal(data)
	if validate(t, c, SchemaURL(ev.Type), missing) == nil {
		t.Error("host.failed data without reason validated")
	}
}

// Each event has exactly one schema file, and each schema file an event.
func TestSchemaFilesMatchEvents(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join(schemaDir, "*.schema.json"))
	var names []string
	for _, f := range files {
		n := strings.TrimSuffix(filepath.Base(f), ".schema.json")
		if n != "envelope" {
			names = append(names, n)
		}
	}
	want := slices.Clone(Events)
	slices.Sort(want)
	slices.Sort(names)
	if !slices.Equal(names, want) {
		t.Errorf("schema files %v, want one per event %v", names, want)
	}
}

// sampleEvents covers every event type, so the validation covers every
// schema.
func TestSampleEventsCoverEveryType(t *testing.T) {
	seen := map[string]bool{}
	for _, ev := range sampleEvents() {
		seen[ev.Type] = true
	}
	for _, e := range Events {
		if !seen[e] {
			t.Errorf("no sample event of type %s", e)
		}
	}
}
