package cli

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/spf13/cobra"

	"github.com/patchflow/patchflow/internal/schematest"
)

// The --json outputs are a contract: schemas/cli/v1 describes each one
// (report compliance and cve audit print the posture reports of
// schemas/report), and these tests hold the commands to it. TestJSONSchemaFiles is the
// guard (every command with --json has a schema and a case that runs it);
// TestJSONOutputsValidate runs every case (json_schema_cases_test.go): the
// real commands, on the in-process Temporal server, real inventories,
// policies, advisory extracts and, for inventory scan, the real test
// fleet.

// schemasID is the $id prefix of every schema under schemas/.
const schemasID = "https://github.com/patchflow/patchflow/schemas/"

// jsonOutput is one --json output: the command that prints it (its path
// below patchflow) and the schema it follows: a file of schemas/cli/v1
// without .schema.json ("cycle-status"), or, for an output documented
// elsewhere under schemas/, its path there without .schema.json
// ("report/compliance").
type jsonOutput struct{ cmd, schema string }

// schemaPath is the file of a jsonOutput's schema, relative to schemas/.
func schemaPath(schema string) string {
	if strings.Contains(schema, "/") {
		return schema + ".schema.json"
	}
	return "cli/v1/" + schema + ".schema.json"
}

// jsonReportsUnused are the schemas of schemas/report that no --json
// output of the command tree prints, each with the reason; every other
// report schema must be some case's. Every report schema is some case's
// now.
var jsonReportsUnused = map[string]string{}

func (o jsonOutput) String() string { return "patchflow " + o.cmd + " --json (" + o.schema + ")" }

// jsonCase runs commands for real and checks the outputs it covers.
type jsonCase struct {
	name   string
	covers []jsonOutput
	run    func(t *testing.T, c *jsonChecker)
}

// jsonChecker validates outputs and remembers what it saw.
type jsonChecker struct {
	checked map[jsonOutput]int
	// seen holds, per schema, every property name met in its outputs.
	seen map[string]map[string]bool
	// spoilt holds, per schema, the paths already spoilt (see refuses).
	spoilt map[string]map[string]bool
}

func newJSONChecker() *jsonChecker {
	return &jsonChecker{checked: map[jsonOutput]int{}, seen: map[string]map[string]bool{}, spoilt: map[string]map[string]bool{}}
}

// check validates out, the stdout of `patchflow cmd ... --json`, against
// schema, and proves that the schema would notice a changed output: with
// an unknown property in any of its objects, or null for any of its lists,
// the output must no longer validate.
func (c *jsonChecker) check(t *testing.T, cmd, schema, out string) {
	t.Helper()
	path := schemaPath(schema)
	schematest.Validate(t, path, []byte(out))
	c.checked[jsonOutput{cmd, schema}]++
	doc := decodeJSON(t, []byte(out))
	if c.seen[schema] == nil {
		c.seen[schema], c.spoilt[schema] = map[string]bool{}, map[string]bool{}
	}
	walkJSON(doc, nil, func(at []any, v any) {
		shape := jsonShape(at)
		switch v := v.(type) {
		case map[string]any:
			for k := range v {
				c.seen[schema][k] = true
			}
			if !c.spoilt[schema][shape+"{}"] {
				c.spoilt[schema][shape+"{}"] = true
				if !refuses(t, path, spoil(t, out, at, "add")) {
					t.Errorf("%s accepts patchflow %s output with an unknown property in %s", path, cmd, shape)
				}
			}
		case []any:
			if !c.spoilt[schema][shape+"[]"] {
				c.spoilt[schema][shape+"[]"] = true
				if !refuses(t, path, spoil(t, out, at, "null")) {
					t.Errorf("%s accepts patchflow %s output with null for the list %s", path, cmd, shape)
				}
			}
		}
	})
}

// checkWith runs args with --json through runner, expects exit code want,
// and checks the output against schema.
func (c *jsonChecker) checkWith(t *testing.T, runner func(*testing.T, ...string) (int, string, string), schema string, want int, args ...string) string {
	t.Helper()
	code, out, errOut := runner(t, append(args, "--json")...)
	if code != want {
		t.Fatalf("patchflow %s --json: exit %d, want %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), code, want, out, errOut)
	}
	c.check(t, commandPath(args), schema, out)
	return out
}

// commandPath is the command part of args: the words before the first
// flag or argument that is not a subcommand.
func commandPath(args []string) string {
	cmd, _, err := NewCmdRoot(NewFactory("test")).Find(args)
	if err != nil {
		return strings.Join(args, " ")
	}
	return strings.TrimPrefix(cmd.CommandPath(), "patchflow ")
}

// refusal stands in for a test while an output is expected to fail
// validation: a validation error is what it waits for, anything else
// (the schema does not compile) fails the real test.
type refusal struct {
	testing.TB
	refused bool
}

func (r *refusal) Errorf(string, ...any) { r.refused = true }

// refuses reports whether the schema at path rejects doc.
func refuses(t *testing.T, path string, doc []byte) bool {
	r := &refusal{TB: t}
	schematest.Validate(r, path, doc)
	return r.refused
}

// spoil returns out with the value at path changed: "add" puts an
// unknown property into the object there (an object, so that string maps
// such as labels refuse it too), "null" replaces the list there.
func spoil(t *testing.T, out string, path []any, how string) []byte {
	t.Helper()
	doc := decodeJSON(t, []byte(out))
	set := func(v any) any {
		if how == "null" {
			return nil
		}
		m := v.(map[string]any)
		m["x_not_in_the_schema"] = map[string]any{"n": 1}
		return m
	}
	if len(path) == 0 {
		doc = set(doc)
	} else {
		parent := doc
		for _, step := range path[:len(path)-1] {
			parent = index(parent, step)
		}
		switch last := path[len(path)-1].(type) {
		case string:
			parent.(map[string]any)[last] = set(parent.(map[string]any)[last])
		case int:
			parent.([]any)[last] = set(parent.([]any)[last])
		}
	}
	b, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func index(v, step any) any {
	if k, ok := step.(string); ok {
		return v.(map[string]any)[k]
	}
	return v.([]any)[step.(int)]
}

func decodeJSON(t *testing.T, b []byte) any {
	t.Helper()
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		t.Fatalf("not JSON: %v\n%.2000s", err, b)
	}
	return v
}

// walkJSON calls fn for v and every value inside it, with its path.
func walkJSON(v any, at []any, fn func(at []any, v any)) {
	fn(at, v)
	switch v := v.(type) {
	case map[string]any:
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			walkJSON(v[k], append(slices.Clip(at), k), fn)
		}
	case []any:
		for i, x := range v {
			walkJSON(x, append(slices.Clip(at), i), fn)
		}
	}
}

// jsonShape is a path with list positions left out: $.hosts[].updates.
func jsonShape(at []any) string {
	var b strings.Builder
	b.WriteString("$")
	for _, step := range at {
		if k, ok := step.(string); ok {
			b.WriteString("." + k)
		} else {
			b.WriteString("[]")
		}
	}
	return b.String()
}

// jsonCommands lists every command of the tree that has a --json flag.
func jsonCommands() []string {
	var out []string
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		if c.LocalNonPersistentFlags().Lookup("json") != nil {
			out = append(out, strings.TrimPrefix(c.CommandPath(), "patchflow "))
		}
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(NewCmdRoot(NewFactory("test")))
	sort.Strings(out)
	return out
}

// TestJSONSchemaFiles is the guard: every command with --json has a
// schema in schemas/cli/v1 (or names a report schema) and a case that
// runs it, every schema in schemas/cli/v1 and schemas/report is some
// command's (or jsonReportsUnused says why not), each is a draft 2020-12
// schema with its $id and a title, and definitions that several CLI
// schemas repeat (they are self-contained, so a script needs one file)
// are the same in each.
func TestJSONSchemaFiles(t *testing.T) {
	covered := map[string]bool{}
	schemas := map[string]bool{}
	for _, jc := range jsonCases {
		for _, o := range jc.covers {
			covered[o.cmd], schemas[o.schema] = true, true
		}
	}
	cmds := jsonCommands()
	if len(cmds) < 20 {
		t.Fatalf("found only %d commands with --json: %v", len(cmds), cmds)
	}
	for _, c := range cmds {
		if !covered[c] {
			t.Errorf("patchflow %s has --json but no schema and validation case: add a schema to schemas/cli/v1 (or name the one under schemas/ it prints) and a case to jsonCases", c)
		}
		delete(covered, c)
	}
	for c := range covered {
		t.Errorf("jsonCases cover patchflow %s, which has no --json flag", c)
	}

	dir := filepath.Join(schematest.Root(), "cli", "v1")
	files, _ := filepath.Glob(filepath.Join(dir, "*.schema.json"))
	defs := map[string]any{}
	defFile := map[string]string{}
	for _, file := range files {
		name := strings.TrimSuffix(filepath.Base(file), ".schema.json")
		if !schemas[name] {
			t.Errorf("%s describes no command: name it in jsonCases or remove it", file)
		}
		delete(schemas, name)
		raw, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		s, ok := schemaHeader(t, file, raw)
		if !ok {
			continue
		}
		for k, v := range s.Defs {
			if prev, ok := defs[k]; ok && !reflect.DeepEqual(prev, v) {
				t.Errorf("$defs/%s differs between %s and %s: a definition repeated in several schemas must be the same in each", k, defFile[k], filepath.Base(file))
			}
			defs[k], defFile[k] = v, filepath.Base(file)
		}
	}

	reports, _ := filepath.Glob(filepath.Join(schematest.Root(), "report", "*.schema.json"))
	for _, file := range reports {
		name := "report/" + strings.TrimSuffix(filepath.Base(file), ".schema.json")
		_, excused := jsonReportsUnused[name]
		switch {
		case !schemas[name] && !excused:
			t.Errorf("%s is no command's output: name it in jsonCases, or list it in jsonReportsUnused with the reason", file)
		case schemas[name] && excused:
			t.Errorf("jsonReportsUnused excuses %s, which jsonCases name: remove it from the list", name)
		}
	}
	for name := range jsonReportsUnused {
		if _, err := os.Stat(filepath.Join(schematest.Root(), schemaPath(name))); err != nil {
			t.Errorf("jsonReportsUnused names %s: %v", name, err)
		}
	}
	for name := range schemas {
		file := filepath.Join(schematest.Root(), schemaPath(name))
		if !strings.Contains(name, "/") {
			t.Errorf("jsonCases name schema %s, but %s does not exist", name, file)
			continue
		}
		raw, err := os.ReadFile(file)
		if err != nil {
			t.Errorf("jsonCases name schema %s: %v", name, err)
			continue
		}
		schemaHeader(t, file, raw)
	}
}

// jsonSchemaHeader is what every schema file starts with.
type jsonSchemaHeader struct {
	Schema string         `json:"$schema"`
	ID     string         `json:"$id"`
	Title  string         `json:"title"`
	Defs   map[string]any `json:"$defs"`
}

// schemaHeader reads the header of the schema file (under schemas/) and
// checks that it is draft 2020-12, has the $id its path gives and a
// title.
func schemaHeader(t *testing.T, file string, raw []byte) (jsonSchemaHeader, bool) {
	t.Helper()
	var s jsonSchemaHeader
	if err := json.Unmarshal(raw, &s); err != nil {
		t.Errorf("%s: %v", file, err)
		return s, false
	}
	rel, err := filepath.Rel(schematest.Root(), file)
	if err != nil {
		t.Fatal(err)
	}
	want := schemasID + filepath.ToSlash(rel)
	if s.Schema != "https://json-schema.org/draft/2020-12/schema" || s.ID != want || s.Title == "" {
		t.Errorf("%s: $schema %q, $id %q, title %q; want draft 2020-12, %s and a title", file, s.Schema, s.ID, s.Title, want)
	}
	return s, true
}

// TestJSONOutputsValidate runs every case; see jsonCases. A schema whose
// cases all ran must have met every property it names in some output, or
// list it in jsonUnexercised with the reason.
func TestJSONOutputsValidate(t *testing.T) {
	complete := map[string]bool{}
	seen := map[string]map[string]bool{}
	for _, jc := range jsonCases {
		t.Run(jc.name, func(t *testing.T) {
			c := newJSONChecker()
			jc.run(t, c)
			for _, o := range jc.covers {
				if c.checked[o] == 0 {
					t.Errorf("case %s never checked %s", jc.name, o)
				}
			}
			complete[jc.name] = !t.Failed()
			for schema, names := range c.seen {
				if seen[schema] == nil {
					seen[schema] = map[string]bool{}
				}
				for n := range names {
					seen[schema][n] = true
				}
			}
		})
	}
	for schema, names := range schemaProperties(t) {
		ran := true
		for _, jc := range jsonCases {
			for _, o := range jc.covers {
				ran = ran && (o.schema != schema || complete[jc.name])
			}
		}
		if !ran {
			t.Logf("%s: not every case that covers it ran; property coverage not checked", schema)
			continue
		}
		for _, n := range names {
			_, excused := jsonUnexercised[schema+"."+n]
			switch {
			case !seen[schema][n] && !excused:
				t.Errorf("%s names property %q, which no output of its cases has: exercise it, or list it in jsonUnexercised with the reason", schema, n)
			case seen[schema][n] && excused:
				t.Errorf("jsonUnexercised excuses %s.%s, which an output has: remove it from the list", schema, n)
			}
		}
	}
}

// schemaProperties lists, per schema of the cases (every CLI schema and
// the report schemas jsonCases name), every property name it declares.
func schemaProperties(t *testing.T) map[string][]string {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(schematest.Root(), "cli", "v1", "*.schema.json"))
	schemas := map[string]string{}
	for _, file := range files {
		schemas[strings.TrimSuffix(filepath.Base(file), ".schema.json")] = file
	}
	for _, jc := range jsonCases {
		for _, o := range jc.covers {
			if strings.Contains(o.schema, "/") {
				schemas[o.schema] = filepath.Join(schematest.Root(), schemaPath(o.schema))
			}
		}
	}
	out := map[string][]string{}
	for schema, file := range schemas {
		raw, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		names := map[string]bool{}
		walkJSON(decodeJSON(t, raw), nil, func(at []any, v any) {
			if m, ok := v.(map[string]any); ok && len(at) > 0 && at[len(at)-1] == "properties" {
				for k := range m {
					names[k] = true
				}
			}
		})
		for n := range names {
			out[schema] = append(out[schema], n)
		}
		sort.Strings(out[schema])
	}
	if len(out) == 0 {
		t.Fatalf("no schema in %s", filepath.Join(schematest.Root(), "cli", "v1"))
	}
	return out
}
