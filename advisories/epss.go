package advisories

import (
	"bufio"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
)

// EPSSScore is one CVE's EPSS probability and percentile (both 0..1).
type EPSSScore struct {
	Score      float64 `json:"score"`
	Percentile float64 `json:"percentile"`
}

type epssPair struct{ score, pct float32 }

// EPSSScores is one day's EPSS file.
type EPSSScores struct {
	Model string
	// Date is the file's score_date.
	Date   time.Time
	scores map[string]epssPair
}

// Lookup returns cve's score.
func (e *EPSSScores) Lookup(cve string) (EPSSScore, bool) {
	if e == nil {
		return EPSSScore{}, false
	}
	p, ok := e.scores[cve]
	if !ok {
		return EPSSScore{}, false
	}
	return EPSSScore{Score: round5(float64(p.score)), Percentile: round5(float64(p.pct))}, true
}

// Len is the number of scored CVEs.
func (e *EPSSScores) Len() int {
	if e == nil {
		return 0
	}
	return len(e.scores)
}

func round5(f float64) float64 {
	v, _ := strconv.ParseFloat(strconv.FormatFloat(f, 'f', 5, 32), 64)
	return v
}

// maxLine bounds one line of a line-oriented input (EPSS, changelogs,
// dnf output).
const maxLine = 64 << 10

// ParseEPSS reads FIRST's daily EPSS file, gzip-compressed or plain:
// "#model_version:v2025.03.14,score_date:2025-03-14T00:00:00+0000", the
// header "cve,epss,percentile", then one line per CVE. The comment line is
// optional (older files lack it); the header is required. A row with a bad
// CVE id or a value outside 0..1 is a counted skip. The as-of time is
// score_date.
func ParseEPSS(r io.Reader, opt ParseOptions) (*EPSSScores, Stats, error) {
	var st Stats
	in, err := maybeGunzip(r)
	if err != nil {
		return nil, st, fmt.Errorf("epss: %v", err)
	}
	sc := bufio.NewScanner(newLimitReader(in, opt.maxBytes(), "epss"))
	sc.Buffer(make([]byte, 4096), maxLine)
	out := &EPSSScores{scores: map[string]epssPair{}}
	line := 0
	header := false
	for sc.Scan() {
		line++
		text := strings.TrimSpace(sc.Text())
		if text == "" {
			continue
		}
		if strings.HasPrefix(text, "#") {
			for _, kv := range strings.Split(strings.TrimPrefix(text, "#"), ",") {
				k, v, _ := strings.Cut(kv, ":")
				switch k {
				case "model_version":
					out.Model = v
				case "score_date":
					if t, err := time.Parse("2006-01-02T15:04:05-0700", v); err == nil {
						out.Date = t.UTC()
					} else if t, err := time.Parse(time.DateOnly, v); err == nil {
						out.Date = t
					}
				}
			}
			continue
		}
		if !header {
			if !strings.HasPrefix(strings.ToLower(text), "cve,epss,percentile") {
				return nil, st, fmt.Errorf("epss: line %d: want the header cve,epss,percentile, got %s; is this FIRST's EPSS csv?", line, quote(text))
			}
			header = true
			continue
		}
		f := strings.Split(text, ",")
		where := fmt.Sprintf("line %d", line)
		if len(f) < 3 {
			st.Skips.add(where, "want 3 fields, got %d", len(f))
			continue
		}
		if !IsCVE(f[0]) {
			st.Skips.add(where, "%s is not a CVE id", quote(f[0]))
			continue
		}
		score, err1 := strconv.ParseFloat(f[1], 64)
		pct, err2 := strconv.ParseFloat(f[2], 64)
		if err1 != nil || err2 != nil || score < 0 || score > 1 || pct < 0 || pct > 1 {
			st.Skips.add(f[0], "epss %s percentile %s: want numbers between 0 and 1", quote(f[1]), quote(f[2]))
			continue
		}
		if _, dup := out.scores[f[0]]; !dup {
			st.Records++
		}
		out.scores[f[0]] = epssPair{float32(score), float32(pct)}
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return nil, st, fmt.Errorf("epss: line %d longer than %d bytes; is this FIRST's EPSS csv?", line+1, maxLine)
		}
		if errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, st, fmt.Errorf("epss: truncated compressed data after line %d; fetch the file again", line)
		}
		return nil, st, fmt.Errorf("epss: %w", err)
	}
	if !header {
		return nil, st, errors.New("epss: no header line cve,epss,percentile; is this FIRST's EPSS csv?")
	}
	st.AsOf = out.Date
	return out, st, nil
}

// maybeGunzip returns r decompressed when it starts with the gzip magic,
// else r as it is.
func maybeGunzip(r io.Reader) (io.Reader, error) {
	br := bufio.NewReader(r)
	magic, err := br.Peek(2)
	if err != nil && err != io.EOF {
		return nil, err
	}
	if len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, fmt.Errorf("gzip: %v", err)
		}
		return zr, nil
	}
	return br, nil
}
