package policies

import (
	"github.com/patchflow/patchflow/notify"

	"os"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"testing"
)

// schemaPaths lists every key of the policy schema as written in the
// reference: "rollout.waves[].max_parallel", "metadata.labels.<key>".
func schemaPaths(t reflect.Type, prefix string, out *[]string) {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	for name, f := range yamlFields(t) {
		path := name
		if prefix != "" {
			path = prefix + "." + name
		}
		*out = append(*out, path)
		ft := f.Type
		for ft.Kind() == reflect.Pointer {
			ft = ft.Elem()
		}
		switch {
		case ft.Kind() == reflect.Struct && ft != durationType:
			schemaPaths(ft, path, out)
		case ft.Kind() == reflect.Slice && ft.Elem().Kind() == reflect.Struct:
			schemaPaths(ft.Elem(), path+"[]", out)
		}
	}
}

// TestReferenceDocumentsEverySchemaField keeps docs/policy-reference.md and
// the schema in step: every field has a row, and every row names a field.
func TestReferenceDocumentsEverySchemaField(t *testing.T) {
	doc, err := os.ReadFile("../docs/policy-reference.md")
	if err != nil {
		t.Fatalf("read the reference: %v", err)
	}
	var paths []string
	schemaPaths(reflect.TypeOf(Policy{}), "", &paths)
	sort.Strings(paths)
	rows := map[string]bool{}
	for _, m := range regexp.MustCompile("(?m)^\\| `([^`]+)` \\|").FindAllStringSubmatch(string(doc), -1) {
		rows[m[1]] = true
	}
	known := map[string]bool{}
	for _, p := range paths {
		known[p] = true
		if !rows[p] {
			t.Errorf("docs/policy-reference.md has no row for `%s` (a table row starting | `%s` |)", p, p)
		}
	}
	for r := range rows {
		if !known[r] {
			t.Errorf("docs/policy-reference.md documents `%s`, which is not in the schema", r)
		}
	}
	if len(paths) < 80 {
		t.Errorf("schema walk found only %d fields; the reflection is broken", len(paths))
	}
	for _, e := range notify.Events {
		if !strings.Contains(string(doc), "`"+e+"`") {
			t.Errorf("docs/policy-reference.md does not list webhook event %s", e)
		}
	}
}
