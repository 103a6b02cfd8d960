package notify

import (
	"slices"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Metric names. Labels are bounded: format (json, slack), event (the event
// names), result and outcome (the values below); never a URL or a host.
//
//	patchflow_notifications_total{format,event,result}       counter: events handed to a webhook, by final result
//	patchflow_notification_duration_seconds{format,result}   histogram: first attempt to final result, retries included
//	patchflow_notification_attempts_total{format,outcome}    counter: HTTP attempts by outcome
//
// result is delivered, rejected, gave_up, invalid or interrupted (Kind;
// an interrupted delivery is counted again with its result when the
// activity runs again);
// outcome is ok, timeout, network_error, http_3xx, http_4xx, http_429 or
// http_5xx. Events a webhook's filter leaves out are not counted.
const (
	MetricNotifications        = "patchflow_notifications_total"
	MetricNotificationDuration = "patchflow_notification_duration_seconds"
	MetricNotificationAttempts = "patchflow_notification_attempts_total"
)

// durationBuckets span a quick answer to a budget of many minutes.
var durationBuckets = []float64{0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1200}

// Metrics counts deliveries. A nil *Metrics counts nothing.
type Metrics struct {
	total    *prometheus.CounterVec
	duration *prometheus.HistogramVec
	attempts *prometheus.CounterVec
}

// NewMetrics registers the notification metrics on reg (the worker's
// registry, served on its /metrics).
func NewMetrics(reg prometheus.Registerer) (*Metrics, error) {
	m := &Metrics{
		total: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: MetricNotifications,
			Help: "Events handed to a webhook, by format, event and final result (delivered, rejected, gave_up, invalid, interrupted).",
		}, []string{"format", "event", "result"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    MetricNotificationDuration,
			Help:    "Time from an event's first delivery attempt to its final result, retries included.",
			Buckets: durationBuckets,
		}, []string{"format", "result"}),
		attempts: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: MetricNotificationAttempts,
			Help: "HTTP delivery attempts by format and outcome (ok, timeout, network_error, http_3xx, http_4xx, http_429, http_5xx).",
		}, []string{"format", "outcome"}),
	}
	for _, c := range []prometheus.Collector{m.total, m.duration, m.attempts} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// label keeps an event label within the known names, whatever a caller
// passes.
func label(event string) string {
	if slices.Contains(Events, event) {
		return event
	}
	return "unknown"
}

// formatLabel keeps the format label to json, slack or "invalid" (a
// webhook whose format did not validate).
func formatLabel(format string) string {
	switch format {
	case "", FormatJSON:
		return FormatJSON
	case FormatSlack:
		return FormatSlack
	}
	return "invalid"
}

func (m *Metrics) observe(format, event, result string, d time.Duration) {
	if m == nil {
		return
	}
	m.total.WithLabelValues(formatLabel(format), label(event), result).Inc()
	m.duration.WithLabelValues(formatLabel(format), result).Observe(d.Seconds())
}

func (m *Metrics) attempt(format, outcome string) {
	if m == nil {
		return
	}
	m.attempts.WithLabelValues(formatLabel(format), outcome).Inc()
}
