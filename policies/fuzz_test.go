package policies

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/patchflow/patchflow/domain"
	"github.com/patchflow/patchflow/internal/yamldiag"
)

// FuzzParse checks that no input makes the loader panic, that it returns a
// policy or positioned Errors (never both, never neither), and that what it
// accepts survives the trip to a workflow and can be planned and scheduled.
// CI runs it for a bounded time: go test -run=^$ -fuzz=FuzzParse -fuzztime=20s ./policies
func FuzzParse(f *testing.F) {
	for _, pattern := range []string{"testdata/*.yaml", "examples/*.yaml"} {
		files, _ := filepath.Glob(pattern)
		for _, file := range files {
			data, err := os.ReadFile(file)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(data)
		}
	}
	f.Add([]byte(header + "window: {cron: \"*/7 1-5 * * 1-5\", duration: 9h, timezone: Australia/Lord_Howe}\n"))
	f.Add([]byte(header + "rollout: {waves: [{count: 1}, {percent: 33.3}], failure_budget: {percent: 1.5}}\n"))
	f.Add([]byte("a: &a [*a]\n"))
	f.Add([]byte("{\"apiVersion\": \"patchflow/v1\", \"kind\": \"PatchPolicy\"}"))
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := Parse("fuzz.yaml", data)
		if (p == nil) == (err == nil) {
			t.Fatalf("Parse returned policy %v and error %v; want exactly one", p != nil, err)
		}
		if err != nil {
			var errs yamldiag.Errors
			if !errors.As(err, &errs) || len(errs) == 0 {
				t.Fatalf("error %T %q is not a non-empty yamldiag.Errors", err, err)
			}
			for _, e := range errs {
				if e.File != "fuzz.yaml" || e.Problem == "" || !strings.HasPrefix(e.Error(), "fuzz.yaml") {
					t.Fatalf("badly formed error %+v", e)
				}
				if strings.ContainsFunc(e.Error(), func(r rune) bool { return r < 0x20 || r == 0x7f }) {
					t.Fatalf("error carries a raw control character: %q", e.Error())
				}
			}
			return
		}
		b, err := json.Marshal(p)
		if err != nil {
			t.Fatalf("marshal accepted policy: %v", err)
		}
		var back Policy
		if err := json.Unmarshal(b, &back); err != nil {
			t.Fatalf("unmarshal accepted policy: %v\n%s", err, b)
		}
		p.pos = positions{}
		if !reflect.DeepEqual(&back, p) {
			t.Fatalf("JSON round trip changed the policy:\n%s", b)
		}
		spec := p.CycleSpec()
		if err := spec.Validate(); err != nil {
			t.Fatalf("the spec of an accepted policy is invalid: %v", err)
		}
		for _, n := range []int{0, 1, 7, 1000} {
			if plan, err := domain.PlanWaves(spec.Waves, n); err == nil {
				total := 0
				for _, w := range plan {
					total += w.Size
					if w.Size < 1 || w.MaxParallel < 1 {
						t.Fatalf("PlanWaves(%d) has wave %+v", n, w)
					}
				}
				if total != n {
					t.Fatalf("PlanWaves(%d) covers %d hosts", n, total)
				}
			}
			if b := spec.Budget.Tolerated(n); b < 0 || b > n && p.Rollout.FailureBudget.Count == 0 {
				t.Fatalf("Tolerated(%d) = %d", n, b)
			}
		}
		after := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
		starts, err := p.Window.CycleWindow().NextWindows(after, 3)
		if err != nil {
			t.Fatalf("NextWindows of an accepted policy: %v", err)
		}
		for i, s := range starts {
			if !s.After(after) || (i > 0 && !s.After(starts[i-1])) {
				t.Fatalf("NextWindows not strictly increasing after %s: %v", after, starts)
			}
		}
		if _, ok := p.Window.ScheduleSpec(); ok != p.Window.Scheduled() {
			t.Fatalf("ScheduleSpec ok = %v for Scheduled() = %v", ok, p.Window.Scheduled())
		}
	})
}
