package workflows

import (
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"go.temporal.io/sdk/client"

	"github.com/patchflow/patchflow/domain"
)

// capture is a metrics handler that sums counters and counts timer
// records per name and sorted tag set.
type capture struct {
	mu     *sync.Mutex
	tags   map[string]string
	counts map[string]int64
}

func newCapture() *capture {
	return &capture{mu: &sync.Mutex{}, tags: map[string]string{}, counts: map[string]int64{}}
}

func (c *capture) key(name string) string {
	var parts []string
	for k, v := range c.tags {
		parts = append(parts, k+"="+v)
	}
	sort.Strings(parts)
	return name + "{" + strings.Join(parts, ",") + "}"
}

func (c *capture) WithTags(t map[string]string) client.MetricsHandler {
	n := &capture{mu: c.mu, tags: map[string]string{}, counts: c.counts}
	for k, v := range c.tags {
		n.tags[k] = v
	}
	for k, v := range t {
		n.tags[k] = v
	}
	return n
}

type captureCounter struct {
	c   *capture
	key string
}

func (cc captureCounter) Inc(d int64) {
	cc.c.mu.Lock()
	defer cc.c.mu.Unlock()
	cc.c.counts[cc.key] += d
}

func (cc captureCounter) Record(time.Duration) { cc.Inc(1) }
func (cc captureCounter) Update(float64)       {}

func (c *capture) Counter(name string) client.MetricsCounter { return captureCounter{c, c.key(name)} }
func (c *capture) Gauge(name string) client.MetricsGauge     { return captureCounter{c, c.key(name)} }
func (c *capture) Timer(name string) client.MetricsTimer     { return captureCounter{c, c.key(name)} }

// sum adds the values of name whose tags include every want pair.
func (c *capture) sum(name string, want ...string) int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	var n int64
	for k, v := range c.counts {
		if !strings.HasPrefix(k, name+"{") {
			continue
		}
		ok := true
		for _, w := range want {
			if !strings.Contains(k, w) {
				ok = false
			}
		}
		if ok {
			n += v
		}
	}
	return n
}

func TestMetricsOfACycle(t *testing.T) {
	m := newCapture()
	c := newCycleEnvMetrics(t, m, hostNames(4)...)
	c.fleet.badPins["h4:libfoo=2.1"] = true
	spec := testSpec()
	spec.Budget = domain.Budget{MaxFailures: 5}
	res := c.run(t, spec)
	if res.Counts.Patched != 4 || res.Counts.Failed != 1 {
		t.Fatalf("counts %+v", res.Counts)
	}
	checks := []struct {
		name string
		tags []string
		want int64
	}{
		{MetricHosts, []string{"result=patched", "policy=web"}, 4},
		{MetricHosts, []string{"result=failed"}, 1},
		{MetricHosts, []string{"wave=staging"}, 1},
		{MetricHostDuration, []string{"result=patched"}, 4},
		{MetricCycleDuration, []string{"result=completed"}, 1},
		{MetricCycles, []string{"result=completed"}, 1},
		{MetricRollbacks, []string{"result=ok"}, 1},
		{MetricStepDuration, []string{"step=apply"}, 5},
		{MetricPlannedUpdates, []string{"severity=high"}, 1},
		{MetricPlannedUpdates, []string{"severity=unknown"}, 1},
	}
	for _, ch := range checks {
		if got := m.sum(ch.name, ch.tags...); got != ch.want {
			t.Errorf("%s%v = %d, want %d", ch.name, ch.tags, got, ch.want)
		}
	}
}
