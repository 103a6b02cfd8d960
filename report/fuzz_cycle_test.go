package report

import (
	"bytes"
	"strings"
	"testing"
)

// FuzzReadCycleEvidence: any input is refused with an error, or read into
// an evidence pack that renders as JSON, a table and HTML, safely, and
// round-trips. The seeds are the sample pack, with an unknown state and a
// hostile host name.
func FuzzReadCycleEvidence(f *testing.F) {
	var b bytes.Buffer
	if err := WriteJSON(&b, buildSampleCycle(f)); err != nil {
		f.Fatal(err)
	}
	good := b.String()
	f.Add([]byte(good))
	f.Add([]byte(strings.Replace(good, `"still_missing"`, `"fine"`, 1)))
	f.Add([]byte(strings.Replace(good, `"web-002"`, `"\u001b[2J<script>x</script>"`, -1)))
	f.Add([]byte(`{"kind":"cycle_evidence","schema_version":1,"time_zone":"UTC"}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		e, err := ReadCycleEvidence(bytes.NewReader(data))
		if err != nil {
			if strings.ContainsRune(err.Error(), 0x1b) {
				t.Fatalf("error carries a raw ESC: %q", err)
			}
			return
		}
		var j, h, tb bytes.Buffer
		if err := WriteJSON(&j, e); err != nil {
			t.Fatalf("read but cannot write: %v", err)
		}
		if err := WriteCycleEvidenceHTML(&h, e, HTMLOptions{MaxHosts: 50, MaxFixRows: 200}); err != nil {
			t.Fatalf("read but cannot render html: %v", err)
		}
		if err := WriteCycleEvidenceTable(&tb, e, TableOptions{MaxHosts: 50}); err != nil {
			t.Fatalf("read but cannot render a table: %v", err)
		}
		for i, c := range tb.String() {
			if (c < 0x20 && c != '\n') || c == 0x7f || unsafeRune(c) {
				t.Fatalf("raw control %U in the table at %d", c, i)
			}
		}
		if strings.Contains(strings.ToLower(h.String()), "<script") {
			t.Fatal("a <script> tag reached the html")
		}
		back, err := ReadCycleEvidence(bytes.NewReader(j.Bytes()))
		if err != nil {
			t.Fatalf("written json does not read back: %v", err)
		}
		var j2 bytes.Buffer
		if err := WriteJSON(&j2, back); err != nil || !bytes.Equal(j.Bytes(), j2.Bytes()) {
			t.Fatalf("json does not round-trip: %v", err)
		}
	})
}
