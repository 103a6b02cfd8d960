package report

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
)

// MaxJSONBytes bounds what the Read functions accept: a 10,000-host
// compliance report with 100 fixes per host is about 600 MB, far past any
// sane input; 1 GiB leaves room and stops a runaway file.
const MaxJSONBytes = 1 << 30

// WriteJSON writes a validated report as indented JSON: snake_case field
// names in the order of the Go types, times in UTC RFC 3339, slices in the
// report's own sorted order, and HTML-significant characters escaped
// (\u003c), so the bytes are the same for the same report and safe to
// embed. A trailing newline ends it.
func WriteJSON(w io.Writer, r Report) error {
	if err := r.Validate(); err != nil {
		return err
	}
	bw := bufio.NewWriterSize(w, 64<<10)
	var err error
	if c, ok := r.(*ComplianceReport); ok && len(c.Hosts) > 0 {
		err = writeComplianceStream(bw, c)
	} else if ce, ok := r.(*CycleEvidence); ok {
		err = writeCycleStream(bw, ce)
	} else {
		enc := json.NewEncoder(bw)
		enc.SetIndent("", "  ")
		err = enc.Encode(r)
	}
	if err == nil {
		err = bw.Flush()
	}
	if err != nil {
		return fmt.Errorf("write report json: %w", err)
	}
	return nil
}

// hostsMarker is where the hosts go in a compliance report marshalled
// without them: the top-level key, so no string value can contain it (a
// newline inside a value is escaped).
var hostsMarker = []byte("\n  \"hosts\": null")

// writeComplianceStream writes the same bytes as an indenting
// json.Encoder, one host at a time: encoding/json indents a whole value
// in memory, about six times the output for a 10,000-host report.
func writeComplianceStream(w *bufio.Writer, r *ComplianceReport) error {
	head := *r
	head.Hosts = nil
	b, err := json.MarshalIndent(&head, "", "  ")
	if err != nil {
		return err
	}
	i := bytes.Index(b, hostsMarker)
	if i < 0 {
		return fmt.Errorf("hosts field not found in the report encoding")
	}
	w.Write(b[:i])
	w.WriteString("\n  \"hosts\": [")
	for k := range r.Hosts {
		if k > 0 {
			w.WriteByte(',')
		}
		w.WriteString("\n    ")
		hb, err := json.MarshalIndent(&r.Hosts[k], "    ", "  ")
		if err != nil {
			return err
		}
		w.Write(hb)
	}
	w.WriteString("\n  ]")
	w.Write(b[i+len(hostsMarker):])
	_, err = w.WriteString("\n")
	return err
}

// ReadCompliance decodes and validates a compliance report written by
// WriteJSON; unknown fields are errors.
func ReadCompliance(r io.Reader) (*ComplianceReport, error) {
	var v ComplianceReport
	if err := decodeStrict(r, &v, KindCompliance); err != nil {
		return nil, err
	}
	return &v, v.Validate()
}

// ReadCVEAudit decodes and validates a CVE audit written by WriteJSON.
func ReadCVEAudit(r io.Reader) (*CVEAudit, error) {
	var v CVEAudit
	if err := decodeStrict(r, &v, KindCVEAudit); err != nil {
		return nil, err
	}
	return &v, v.Validate()
}

// ReadCycleEvidence decodes and validates an evidence pack written by
// WriteJSON.
func ReadCycleEvidence(r io.Reader) (*CycleEvidence, error) {
	var v CycleEvidence
	if err := decodeStrict(r, &v, KindCycleEvidence); err != nil {
		return nil, err
	}
	return &v, v.Validate()
}

// decodeStrict decodes exactly one JSON value with no unknown fields and
// nothing after it, reading at most MaxJSONBytes.
func decodeStrict(r io.Reader, v any, kind string) error {
	lr := &io.LimitedReader{R: r, N: MaxJSONBytes + 1}
	dec := json.NewDecoder(lr)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		if lr.N <= 0 {
			return fmt.Errorf("read %s: larger than %d bytes", kind, MaxJSONBytes)
		}
		return fmt.Errorf("read %s: %s", kind, jsonError(err))
	}
	var extra json.RawMessage
	if err := dec.Decode(&extra); err != io.EOF {
		return fmt.Errorf("read %s: data after the report: one report per file", kind)
	}
	return nil
}

// jsonError keeps the decoder's message (it names the field and offset)
// but never more than a short, escaped excerpt of the input.
func jsonError(err error) string {
	msg := err.Error()
	if len(msg) > 200 {
		msg = msg[:200] + "..."
	}
	return TerminalSafe(msg)
}
