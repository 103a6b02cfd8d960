package policies

import (
	"fmt"
	"strings"
	"testing"
)

// bigLabels is a policy whose metadata.labels has n entries.
func bigLabels(n int) []byte {
	var b strings.Builder
	b.WriteString(header + "metadata:\n  name: edge\n  labels:\n")
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, "    k%d: v\n", i)
	}
	return []byte(strings.Replace(b.String(), "metadata: {name: edge}\n", "", 1))
}

// BenchmarkParseLabels decodes a policy with 70,000 labels (yaml.v3's
// duplicate-key check is quadratic in a mapping's size).
func BenchmarkParseLabels(b *testing.B) {
	data := bigLabels(70000)
	b.ReportAllocs()
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		Parse("f.yaml", data) //nolint:errcheck // the time to an answer is measured
	}
}

// 70,000 labels took 11.6 s to decode; a mapping past the limit is now a
// positioned error, one within it decodes at once.
func TestMappingSizeLimit(t *testing.T) {
	_, err := Parse("f.yaml", bigLabels(70000))
	want := "f.yaml:7:5: metadata: labels has 70000 keys; at most 1000 are allowed in one mapping"
	if err == nil || err.Error() != want {
		t.Fatalf("error = %.300v\nwant %s", err, want)
	}
	p, err := Parse("f.yaml", bigLabels(maxMappingKeys))
	if err != nil || len(p.Metadata.Labels) != maxMappingKeys {
		t.Fatalf("%d labels: %v", maxMappingKeys, err)
	}
}

// A count of 1 on a huge fleet repeats the wave once per host: PlanFirst
// builds only the waves asked for and sums up the rest; past MaxFleetSize
// nothing is planned.
func TestPlanFirstBoundsWaves(t *testing.T) {
	p := parseTest(t, "rollout:\n  waves: [{name: one, count: 1}, {name: few, count: 3}]\n")
	plan, rest, err := p.PlanFirst(MaxFleetSize, 100)
	if err != nil {
		t.Fatal(err)
	}
	if len(plan) != 100 || plan[99].Name != "few-99" || rest != (PlanRest{Waves: 333234, Hosts: MaxFleetSize - 1 - 99*3}) {
		t.Errorf("PlanFirst = %d waves (last %+v), rest %+v", len(plan), plan[len(plan)-1], rest)
	}
	if _, err := p.Plan(MaxFleetSize + 1); err == nil || err.Error() != "plan waves: fleet size must be from 0 to 1000000, got 1000001" {
		t.Errorf("Plan past the limit: %v", err)
	}
	// The summary agrees with the full plan.
	q := parseTest(t, "rollout:\n  waves: [{count: 1}, {percent: 10}, {percent: 30}]\n")
	for n := 1; n < 300; n++ {
		full, err := q.Plan(n)
		if err != nil {
			continue
		}
		for _, limit := range []int{0, 1, 2, 5} {
			first, rest, err := q.PlanFirst(n, limit)
			hosts := rest.Hosts
			for _, w := range first {
				hosts += w.Size
			}
			if err != nil || len(first)+rest.Waves != len(full) || hosts != n {
				t.Fatalf("PlanFirst(%d, %d) = %d waves + %+v, Plan has %d: %v", n, limit, len(first), rest, len(full), err)
			}
		}
	}
}

// BenchmarkPlanFirstMillion plans a count-1 policy for a million hosts
// the way policy explain does (100 waves and a summary).
func BenchmarkPlanFirstMillion(b *testing.B) {
	p, err := Parse("f.yaml", []byte(header+"rollout:\n  waves: [{count: 1}]\n"))
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := p.PlanFirst(MaxFleetSize, 100); err != nil {
			b.Fatal(err)
		}
	}
}
