// Package schematest checks JSON documents against the schemas published
// under schemas/, for tests that assert a command's real output is what
// its schema promises.
package schematest

import (
	"bytes"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// Root is the repository's schemas/ directory.
func Root() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", "schemas")
}

// Validate fails t unless doc (JSON) validates against the schema at
// path (relative to schemas/), with format assertions on.
func Validate(t testing.TB, path string, doc []byte) {
	t.Helper()
	s := compile(t, path)
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(doc))
	if err != nil {
		t.Fatalf("not JSON (%v):\n%.2000s", err, doc)
	}
	if err := s.Validate(v); err != nil {
		t.Errorf("does not validate against %s: %#v\n%.2000s", path, err, doc)
	}
}

func compile(t testing.TB, path string) *jsonschema.Schema {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(Root(), path))
	if err != nil {
		t.Fatal(err)
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	m, ok := doc.(map[string]any)
	id, _ := m["$id"].(string)
	if !ok || id == "" {
		t.Fatalf("%s has no $id", path)
	}
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	if err := c.AddResource(id, doc); err != nil {
		t.Fatal(err)
	}
	s, err := c.Compile(id)
	if err != nil {
		t.Fatalf("compile %s: %v", path, err)
	}
	return s
}
