package yamldiag

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
)

func TestSuggest(t *testing.T) {
	policyFields := []string{"apiVersion", "approval", "checks", "host", "kind", "metadata", "rollout", "window"}
	inventoryKeys := []string{"address", "become", "groups", "identity_file", "labels", "port", "user"}
	for _, tc := range []struct {
		s     string
		known []string
		want  string
	}{
		{"windw", policyFields, "window"},                         // one edit
		{"maxParallel", []string{"max_parallel"}, "max_parallel"}, // case and separator style
		{"timeZone", []string{"timezone"}, "timezone"},
		{"usr", inventoryKeys, "user"},               // short name: one edit
		{"adress", inventoryKeys, "address"},         // one edit
		{"wbe", []string{"web", "db"}, "web"},        // a swap of neighbours is one edit
		{"identity", inventoryKeys, "identity_file"}, // cut short
		{"frobnicate", policyFields, ""},
		{"x", policyFields, ""},
		{"operator", []string{"op", "value"}, ""},                         // a two-letter name is no prefix hint
		{"usre", []string{"user", "uses"}, "user"},                        // the nearest wins, the first on a tie
		{strings.Repeat("a", 100), []string{strings.Repeat("b", 99)}, ""}, // long names cost no quadratic time
	} {
		if got := Suggest(tc.s, tc.known); got != tc.want {
			t.Errorf("Suggest(%q) = %q, want %q", tc.s, got, tc.want)
		}
	}
}

func TestListSortsAndBounds(t *testing.T) {
	l := &List{File: "f.yaml"}
	if l.Failed() || l.Err() != nil || l.Errors() != nil {
		t.Fatal("an empty list reports problems")
	}
	l.Add(Pos{Line: 3, Col: 1}, "b", "third")
	l.Add(Pos{Line: 1, Col: 5}, "a", "got %q", "x\x1b[31my")
	l.Add(Pos{}, "", "whole file")
	es := l.Errors()
	want := "f.yaml: whole file\nf.yaml:1:5: a: got \"x\\x1b[31my\"\nf.yaml:3:1: b: third"
	if es.Error() != want {
		t.Errorf("errors:\n%s\nwant:\n%s", es, want)
	}
	var one *Error
	if !errors.As(l.Err(), &one) || one.Problem != "whole file" {
		t.Errorf("errors.As found %v", one)
	}
	for i := 0; i < 2*MaxErrors; i++ {
		l.Add(Pos{Line: 100 + i, Col: 1}, "x", "problem %d", i)
	}
	es = l.Errors()
	if len(es) != MaxErrors+1 || es[len(es)-1].Error() != fmt.Sprintf("f.yaml: %d more problems not shown", MaxErrors+3) {
		t.Errorf("%d errors, last %q; want %d and a count of the rest", len(es), es[len(es)-1], MaxErrors+1)
	}
}

// TestErrorJSON pins the JSON shape every --json output of errors uses.
func TestErrorJSON(t *testing.T) {
	b, err := json.Marshal(Errors{{File: "p.yaml", Problem: "cannot read policy"}, {File: "p.yaml", Line: 2, Col: 3, Object: "wave \"a\"", Problem: "count must be > 0"}})
	want := `[{"file":"p.yaml","line":0,"col":0,"object":"","problem":"cannot read policy"},{"file":"p.yaml","line":2,"col":3,"object":"wave \"a\"","problem":"count must be \u003e 0"}]`
	if err != nil || string(b) != want {
		t.Errorf("JSON = %s, %v\nwant   %s", b, err, want)
	}
	if got := (&Error{File: "f", Line: 7}).Error(); got != "f:7: " {
		t.Errorf("line without column = %q", got)
	}
}

func TestDocumentParse(t *testing.T) {
	d := Document{Object: "policy", Expect: "apiVersion and kind"}
	for _, tc := range []struct{ data, want string }{
		{"", "f.yaml:1:1: policy: file is empty; expected apiVersion and kind"},
		{"# only a comment\n", "f.yaml:1:1: policy: file is empty; expected apiVersion and kind"},
		{"~\n", "f.yaml:1:1: policy: file is empty; expected apiVersion and kind"},
		{"a: 1\n---\nb: 2\n", "f.yaml:2:1: policy: file holds more than one YAML document; put one policy per file"},
		{"a:\n\tb: 1\n", "f.yaml:2:1: yaml: tab character in indentation; YAML indents with spaces only"},
		{"a: [1, 2\n", "f.yaml:1:1: yaml: did not find expected ',' or ']'"},
		{"a: *nope\n", "f.yaml: yaml: unknown anchor 'nope' referenced"},
	} {
		l := &List{File: "f.yaml"}
		if root := d.Parse(l, []byte(tc.data)); root != nil || l.Err() == nil || l.Err().Error() != tc.want {
			t.Errorf("Parse(%q) = %v, %v; want %q", tc.data, root, l.Err(), tc.want)
		}
	}
	l := &List{File: "f.yaml"}
	if root := d.Parse(l, []byte("base: &b {x: 1}\n")); root == nil || l.Failed() || Kind(root) != "a mapping" {
		t.Errorf("one document: %v, %v", root, l.Err())
	}
}

func TestBudgetRefusesOnce(t *testing.T) {
	l := &List{File: "f.yaml"}
	d := Document{Object: "inventory"}
	root := d.Parse(l, []byte("a: 1\n"))
	b := Budget{Max: 2, Object: "inventory"}
	got := []bool{b.Visit(l, root), b.Visit(l, root), b.Visit(l, root), b.Visit(l, root)}
	if fmt.Sprint(got) != "[true true false false]" {
		t.Errorf("visits = %v, want the third and later refused", got)
	}
	want := "f.yaml:1:1: inventory: file expands to more than 2 YAML values through anchors and aliases; refusing to read it"
	if l.Err() == nil || l.Err().Error() != want {
		t.Errorf("refusal = %v, want one %q", l.Err(), want)
	}
}
