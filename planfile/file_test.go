package planfile

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/patchflow/patchflow/domain"
	"github.com/patchflow/patchflow/internal/schematest"
)

const testPolicy = "name: web\ninventory: inv.yaml\nwaves:\n  - count: 1\n"

func fp(host string) string {
	f, _ := domain.Fingerprint(host, "6.1.0-25-amd64", []domain.PackageState{{Name: "libexpat1", Installed: "2.5.0-1+deb12u1", Candidate: "2.5.0-1+deb12u2"}})
	return f
}

func testPlan() domain.ReviewedPlan {
	return domain.ReviewedPlan{
		Policy: "web", PolicySHA256: PolicySHA256([]byte(testPolicy)), Source: "cycle/web/20261206T100000Z",
		Created: time.Date(2026, 12, 6, 10, 0, 0, 0, time.UTC),
		Entries: []domain.PlanEntry{
			{Manager: "apt", Name: "libexpat1", Version: "2.5.0-1+deb12u2", Class: domain.ClassSecurity, Hosts: 2,
				Vulns: domain.Vulns{Severity: domain.SeverityHigh, CVEs: []string{"CVE-2024-45490", "CVE-2024-45491"}, KEV: true, Risk: 80}},
			{Manager: "apt", Name: "tzdata", Version: "2025b-0+deb12u1", Class: domain.ClassBugfix, Hosts: 1, Vulns: domain.Vulns{Severity: domain.SeverityUnknown}},
		},
		Stages: []domain.PlanStage{
			{Name: "staging", Hosts: []domain.PlanHost{{Host: "stg1", Refs: domain.NewRefSet([]int{0, 1}), Fingerprint: fp("stg1"), Kernel: "6.1.0-25-amd64"}}},
			{Name: "1", Hosts: []domain.PlanHost{{Host: "web1", Refs: domain.NewRefSet([]int{0}), Fingerprint: fp("web1"), Kernel: "6.1.0-25-amd64"}}},
		},
	}
}

func TestBuildWriteReadRoundTrip(t *testing.T) {
	f, err := Build(testPlan(), []byte(testPolicy))
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		t.Fatal(err)
	}
	got, err := Read(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatalf("read back a written plan: %v", err)
	}
	if !reflect.DeepEqual(got.Reviewed(), testPlan()) {
		t.Errorf("read back:\n%+v\nwant\n%+v", got.Reviewed(), testPlan())
	}
	again, _ := Build(testPlan(), []byte(testPolicy))
	if again.SHA256 != f.SHA256 || !strings.HasPrefix(f.SHA256, "sha256:") {
		t.Errorf("the same plan sealed twice: %s and %s", f.SHA256, again.SHA256)
	}
	// Diff-friendly: one host per line group, pins as numbers, stable order.
	for _, want := range []string{`"apiVersion": "patchflow/v1"`, `"name": "web1"`, `"wave": "1"`, `"cves": [`, `"policy_text": "name: web\n`} {
		if !strings.Contains(buf.String(), want) {
			t.Errorf("plan file lacks %s:\n%s", want, buf.String())
		}
	}
}

func TestReadRefusesEditedAndMalformedPlans(t *testing.T) {
	f, _ := Build(testPlan(), []byte(testPolicy))
	var buf bytes.Buffer
	_ = f.Write(&buf)
	good := buf.String()
	cases := map[string]struct{ text, want string }{
		"version edited":      {strings.Replace(good, "2.5.0-1+deb12u2", "2.5.0-1+deb12u3", 1), "the file was edited after it was made"},
		"host added":          {strings.Replace(good, `"stg1"`, `"stg2"`, 1), "does not list it"},
		"empty fingerprint":   {strings.Replace(good, `"`+fp("web1")+`"`, `""`, 1), `host "web1" has no fingerprint`},
		"unknown field":       {strings.Replace(good, `"kind"`, `"kinds"`, 1), "not a patchflow plan file"},
		"not json":            {"policy: web\n", "not a patchflow plan file"},
		"pin out of range":    {strings.Replace(good, "\"pins\": [\n        0\n      ]", "\"pins\": [\n        7\n      ]", 1), "pins entry 7 of 2"},
		"policy text changed": {strings.Replace(good, `count: 1`, `count: 2`, 1), "policy_text does not match policy_sha256"},
	}
	for name, c := range cases {
		_, err := Read(strings.NewReader(c.text))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want an error with %q", name, err, c.want)
		}
	}
}

func TestBuildRefusesAPolicyOtherThanTheDryRuns(t *testing.T) {
	if _, err := Build(testPlan(), []byte(testPolicy+"# edited\n")); err == nil || !strings.Contains(err.Error(), "the dry run planned policy") {
		t.Errorf("build with another policy file: %v", err)
	}
}

func TestCheckPolicyListsWhatChanged(t *testing.T) {
	f, _ := Build(testPlan(), []byte(testPolicy))
	if err := f.CheckPolicy("web", []byte(testPolicy)); err != nil {
		t.Errorf("unchanged policy: %v", err)
	}
	changed := strings.Replace(testPolicy, "count: 1", "count: 5", 1) + "approval: {mode: manual}\n"
	err := f.CheckPolicy("web", []byte(changed))
	if err == nil {
		t.Fatal("a changed policy was accepted")
	}
	for _, want := range []string{"policy web changed since the plan was made", "-4:   - count: 1", "+4:   - count: 5", "+5: approval: {mode: manual}"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
	if err := f.CheckPolicy("db", []byte(testPolicy)); err == nil || !strings.Contains(err.Error(), `not "db"`) {
		t.Errorf("another policy's name: %v", err)
	}
}

func TestPolicyDiffEscapesAndBounds(t *testing.T) {
	d := PolicyDiff("a\nb\n", "a\n\x1b[31mb\n")
	if len(d) != 2 || d[0] != "-2: b" || d[1] != `+2: \x1b[31mb` {
		t.Errorf("diff %q", d)
	}
	var many strings.Builder
	for range 100 {
		many.WriteString("x\n")
	}
	if d := PolicyDiff("", many.String()); len(d) != maxDiffListed+1 || d[maxDiffListed] != "... (more changes)" {
		t.Errorf("long diff: %d lines, last %q", len(d), d[len(d)-1])
	}
}

func TestMarkdownEscapesHostAndAdvisoryText(t *testing.T) {
	p := testPlan()
	p.Entries[1].Name = "evil|pkg<script>"
	f, _ := Build(p, []byte(testPolicy))
	var b bytes.Buffer
	if err := f.Markdown(&b); err != nil {
		t.Fatal(err)
	}
	md := b.String()
	for _, want := range []string{"| libexpat1 | 2.5.0-1+deb12u2 | apt | security | high | CVE-2024-45490, CVE-2024-45491 | **KEV** | 80 | - | 2 |",
		`evil\|pkg\<script\>`, "| staging | stg1 |", "patchflow cycle start -p <policy file> --plan <this plan file>"} {
		if !strings.Contains(md, want) {
			t.Errorf("markdown lacks %q:\n%s", want, md)
		}
	}
	if strings.Contains(md, "<script>") {
		t.Error("markdown carries raw markup from a package name")
	}
}

func FuzzRead(f *testing.F) {
	plan, _ := Build(testPlan(), []byte(testPolicy))
	var buf bytes.Buffer
	_ = plan.Write(&buf)
	f.Add(buf.Bytes())
	f.Add([]byte(`{"apiVersion":"patchflow/v1","kind":"Plan","hosts":[{"name":"a","pins":[-1]}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := Read(bytes.NewReader(data))
		if err != nil {
			if len(err.Error()) > 4096 {
				t.Errorf("error of %d bytes", len(err.Error()))
			}
			return
		}
		// A plan that reads is one a cycle can apply.
		r := p.Reviewed()
		if r.Hosts() != len(p.Hosts) {
			t.Errorf("reviewed plan has %d hosts, the file %d", r.Hosts(), len(p.Hosts))
		}
		if _, err := json.Marshal(r); err != nil {
			t.Error(err)
		}
	})
}

func TestWrittenPlanValidatesAgainstItsSchema(t *testing.T) {
	f, err := Build(testPlan(), []byte(testPolicy))
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		t.Fatal(err)
	}
	schematest.Validate(t, "plan/v1/plan.schema.json", buf.Bytes())
}
