package report

import (
	"io"
	"testing"
)

// The 10,000-host estate: hosts with 50-150 fixes (40% compliant), about
// 600,000 missing fixes in all. Run with
// go test -p 1 -run '^$' -bench . -benchmem ./report

func BenchmarkBuildCompliance10000(b *testing.B) {
	in := estateInput(b, 10000, 1)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := BuildCompliance(in); err != nil {
			b.Fatal(err)
		}
	}
}

// countingWriter measures the output size without keeping it.
type countingWriter struct{ n int64 }

func (w *countingWriter) Write(p []byte) (int, error) { w.n += int64(len(p)); return len(p), nil }

func BenchmarkWriteComplianceHTML10000(b *testing.B) {
	r := buildEstate(b, 10000)
	b.ReportAllocs()
	var w countingWriter
	for b.Loop() {
		w.n = 0
		if err := WriteComplianceHTML(&w, r, HTMLOptions{}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(w.n), "html-bytes")
}

func BenchmarkWriteComplianceJSON10000(b *testing.B) {
	r := buildEstate(b, 10000)
	b.ReportAllocs()
	var w countingWriter
	for b.Loop() {
		w.n = 0
		if err := WriteJSON(&w, r); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(w.n), "json-bytes")
}

func BenchmarkWriteComplianceTable10000(b *testing.B) {
	r := buildEstate(b, 10000)
	b.ReportAllocs()
	for b.Loop() {
		if err := WriteComplianceTable(io.Discard, r, TableOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}
