package report

import (
	"strings"
	"time"
)

// head is what every report states about how it was made: when (in UTC),
// in which zone, by what, and how fresh its sources were.
type head struct {
	now       time.Time
	zone      string
	generator string
	srcMax    time.Duration
	sources   []SourceFreshness
}

// headOf checks the input every report carries (its time, zone and
// sources) and derives its head; problems go to p. timeHint completes
// the message for a zero generatedAt: "set the time the report describes".
func headOf(p *problems, generatedAt time.Time, timeHint, zone, generator string, sources []SourceInput, sourceMaxAge time.Duration) head {
	if generatedAt.IsZero() {
		p.add("generated_at is zero: %s", timeHint)
	}
	if _, err := loadZone(zone); err != nil {
		p.add("%v", err)
	}
	h := head{now: utc(generatedAt), zone: zoneName(zone), generator: defaultString(generator, "patchflow"), srcMax: sourceMaxAge}
	if h.srcMax <= 0 {
		h.srcMax = DefaultSourceMaxAge
	}
	var err error
	if h.sources, err = buildSources(sources, h.srcMax, h.now); err != nil {
		p.add("%v", err)
	}
	return h
}

// zoneName normalises the report's zone name ("" is UTC).
func zoneName(z string) string {
	if z == "" {
		return "UTC"
	}
	return z
}

func defaultString(s, def string) string {
	if strings.TrimSpace(s) == "" {
		return def
	}
	return s
}
