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
