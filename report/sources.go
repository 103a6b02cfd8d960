package report

import (
	"fmt"
	"sort"
	"time"
)

// DefaultSourceMaxAge is how old an advisory source's data may be before a
// report flags it stale, when the input sets no other: every feed patchflow
// reads (the Debian tracker, OSV, KEV, EPSS) publishes at least daily, so
// three days means a sync has been missed several times.
const DefaultSourceMaxAge = 72 * time.Hour

// SourceInput is one advisory source as the caller knows it: its
// configured name and the as-of time of its data (advisories.SourceInfo
// carries both).
type SourceInput struct {
	Name string
	// AsOf is the date of the source's data; zero means unknown, which
	// counts as stale.
	AsOf time.Time
	// MaxAge overrides the report's source_max_age for this source.
	MaxAge time.Duration
}

// SourceFreshness is one advisory source in a report: how old its data
// was when the report was made.
type SourceFreshness struct {
	Name string `json:"name"`
	// AsOf is the date of the source's data, absent when unknown.
	AsOf time.Time `json:"as_of,omitzero"`
	// AgeSeconds is generated_at - as_of (0 when as_of is unknown).
	AgeSeconds    int64 `json:"age_seconds"`
	MaxAgeSeconds int64 `json:"max_age_seconds"`
	// Stale: as_of is unknown, or older than max_age_seconds. Findings
	// from a stale source may miss newer advisories.
	Stale bool `json:"stale"`
}

// buildSources computes each source's freshness at now, sorted by name.
func buildSources(in []SourceInput, maxAge time.Duration, now time.Time) ([]SourceFreshness, error) {
	if maxAge <= 0 {
		maxAge = DefaultSourceMaxAge
	}
	out := make([]SourceFreshness, 0, len(in))
	seen := map[string]bool{}
	for i, s := range in {
		if s.Name == "" {
			return nil, fmt.Errorf("source %d: empty name: give every advisory source its configured name", i+1)
		}
		if seen[s.Name] {
			return nil, fmt.Errorf("source %q listed twice: give each source once", excerpt(s.Name))
		}
		seen[s.Name] = true
		m := maxAge
		if s.MaxAge > 0 {
			m = s.MaxAge
		}
		f := SourceFreshness{Name: s.Name, AsOf: utc(s.AsOf), MaxAgeSeconds: seconds(m), Stale: s.AsOf.IsZero()}
		if !s.AsOf.IsZero() {
			age := max(now.Sub(s.AsOf), 0)
			f.AgeSeconds = seconds(age)
			f.Stale = age > m
		}
		out = append(out, f)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// staleSources counts the stale sources.
func staleSources(s []SourceFreshness) int {
	n := 0
	for _, f := range s {
		if f.Stale {
			n++
		}
	}
	return n
}
