package report

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
)

// writeCycleStream writes the same bytes as an indenting json.Encoder for
// an evidence pack, its per-host lists one element at a time:
// encoding/json indents a whole value in memory, about seven times the
// output for a 10,000-host cycle (92 MB of JSON).
func writeCycleStream(w *bufio.Writer, e *CycleEvidence) error {
	head := *e
	head.Before, head.After, head.Waves, head.Hosts, head.Remediation = nil, nil, nil, nil, nil
	b, err := json.MarshalIndent(&head, "", "  ")
	if err != nil {
		return err
	}
	lists := []struct {
		key  string
		n    int
		item func(i int) any
	}{
		{"before", len(e.Before), func(i int) any { return &e.Before[i] }},
		{"waves", len(e.Waves), func(i int) any { return &e.Waves[i] }},
		{"after", len(e.After), func(i int) any { return &e.After[i] }},
		{"remediation", len(e.Remediation), func(i int) any { return &e.Remediation[i] }},
		{"hosts", len(e.Hosts), func(i int) any { return &e.Hosts[i] }},
	}
	for _, l := range lists {
		// A top-level key, so no string value can contain it (a newline
		// inside a value is escaped).
		marker := []byte("\n  \"" + l.key + "\": null")
		i := bytes.Index(b, marker)
		if i < 0 {
			return fmt.Errorf("%s field not found in the evidence encoding", l.key)
		}
		w.Write(b[:i])
		b = b[i+len(marker):]
		w.WriteString("\n  \"" + l.key + "\": [")
		for k := 0; k < l.n; k++ {
			if k > 0 {
				w.WriteByte(',')
			}
			w.WriteString("\n    ")
			item, err := json.MarshalIndent(l.item(k), "    ", "  ")
			if err != nil {
				return err
			}
			w.Write(item)
		}
		if l.n > 0 {
			w.WriteString("\n  ")
		}
		w.WriteString("]")
	}
	w.Write(b)
	_, err = w.WriteString("\n")
	return err
}
