package deploy

import (
	"slices"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"

	"github.com/patchflow/patchflow/worker"
	"github.com/patchflow/patchflow/workflows"
)

// TestExpositionNames records every documented patchflow metric, and one
// SDK metric of each kind, through the worker's real metrics handler (the
// notification metrics by real deliveries) and reads back what /metrics
// would serve: the names the rules and the
// dashboard query must be the names the exporter produces (a timer must
// not gain a unit suffix, a counter named *_total must not become
// *_total_total).
func TestExpositionNames(t *testing.T) {
	m, err := worker.NewMetrics()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = m.Shutdown(t.Context()) })

	cat := &metricCatalog{names: map[string][]string{}, sdk: map[string]bool{}}
	patchflowMetrics(t, cat)
	want := map[string]dto.MetricType{}
	for name, labels := range cat.names {
		if cat.direct[strings.TrimSuffix(name, "_bucket")] || cat.direct[name] {
			continue // counted by a real delivery below
		}
		tags := map[string]string{}
		for _, l := range labels {
			if !slices.Contains(scrapeLabels, l) && !slices.Contains(sdkHandlerLabels, l) && l != "le" {
				tags[l] = "x"
			}
		}
		h := m.SDK.WithTags(tags)
		switch {
		case strings.HasSuffix(name, "_bucket"):
			base := strings.TrimSuffix(name, "_bucket")
			h.Timer(base).Record(90 * time.Second)
			want[base] = dto.MetricType_HISTOGRAM
		case strings.HasSuffix(name, "_sum"), strings.HasSuffix(name, "_count"):
		case cat.gauges[name]:
			h.Gauge(name).Update(0.5)
			want[name] = dto.MetricType_GAUGE
		default:
			h.Counter(name).Inc(1)
			want[name] = dto.MetricType_COUNTER
		}
	}
	// The notification metrics, counted by a worker's sender delivering
	// to a real receiver.
	deliverCycleEvents(t, notificationSender(t, m.Registry), newWebhookReceiver(t))
	for name := range cat.direct {
		switch {
		case cat.names[name+"_bucket"] != nil:
			want[name] = dto.MetricType_HISTOGRAM
		case cat.gauges[name]:
			want[name] = dto.MetricType_GAUGE
		default:
			want[name] = dto.MetricType_COUNTER
		}
	}
	// The SDK's kinds, as the SDK records them.
	m.SDK.Timer("temporal_activity_schedule_to_start_latency").Record(time.Second)
	want["temporal_activity_schedule_to_start_latency"] = dto.MetricType_HISTOGRAM
	m.SDK.Counter("temporal_workflow_completed").Inc(1)
	want["temporal_workflow_completed_total"] = dto.MetricType_COUNTER
	m.SDK.Gauge("temporal_worker_task_slots_available").Update(3)
	want["temporal_worker_task_slots_available"] = dto.MetricType_GAUGE

	families, err := m.Registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]dto.MetricType{}
	for _, f := range families {
		got[f.GetName()] = f.GetType()
		if f.GetName() == workflows.MetricTimeToPatch {
			// Days, not the step buckets: 90s is within the first hour,
			// and the buckets reach the 30-day SLAs.
			var bounds []float64
			for _, b := range f.GetMetric()[0].GetHistogram().GetBucket() {
				bounds = append(bounds, b.GetUpperBound())
			}
			if !slices.Contains(bounds, 86400) || !slices.Contains(bounds, 30*86400) {
				t.Errorf("%s buckets %v, want day buckets up to at least 30 days", f.GetName(), bounds)
			}
		}
		if f.GetName() == "patchflow_host_patch_duration_seconds" {
			// 90s lands in the 120s bucket: base units, seconds.
			for _, b := range f.GetMetric()[0].GetHistogram().GetBucket() {
				if b.GetUpperBound() == 60 && b.GetCumulativeCount() != 0 || b.GetUpperBound() == 120 && b.GetCumulativeCount() != 1 {
					t.Errorf("a 90s timer: bucket le=%g holds %d; durations must be exported in seconds", b.GetUpperBound(), b.GetCumulativeCount())
				}
			}
		}
	}
	var names []string
	for n := range got {
		if strings.HasPrefix(n, "patchflow_") || strings.HasPrefix(n, "temporal_") {
			names = append(names, n)
		}
	}
	slices.Sort(names)
	for name, typ := range want {
		g, ok := got[name]
		switch {
		case !ok:
			t.Errorf("/metrics has no %s; it has %v", name, names)
		case g != typ:
			t.Errorf("/metrics serves %s as a %s, want a %s", name, g, typ)
		}
	}
}
