package worker

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	otelprom "go.opentelemetry.io/otel/exporters/prometheus"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.temporal.io/sdk/client"
	temporalotel "go.temporal.io/sdk/contrib/opentelemetry"

	"github.com/patchflow/patchflow/workflows"
)

// durationBuckets suit both the SDK's latencies (milliseconds to seconds)
// and patch steps (seconds to tens of minutes), in base units.
var durationBuckets = []float64{0.005, 0.025, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600}

// ageBuckets suit the time an update waits to be patched: an hour to a
// quarter, around the usual SLAs (1, 3, 7, 14, 30 days), in seconds.
var ageBuckets = []float64{3600, 4 * 3600, 12 * 3600, 86400, 2 * 86400, 3 * 86400, 7 * 86400, 14 * 86400, 30 * 86400, 60 * 86400, 90 * 86400}

// Metrics is the one Prometheus registry of a patchflow process: the
// Temporal SDK's metrics (temporal_*) and patchflow's own (patchflow_*,
// recorded from workflows through the SDK handler and from activities
// directly), served from one /metrics.
type Metrics struct {
	Registry *prometheus.Registry
	// SDK is the handler to pass to the Temporal client.
	SDK      client.MetricsHandler
	provider *sdkmetric.MeterProvider
}

// NewMetrics builds the registry with Go runtime and process collectors and
// an OpenTelemetry bridge for the SDK's metrics.
func NewMetrics() (*Metrics, error) {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	exporter, err := otelprom.New(
		otelprom.WithRegisterer(reg),
		otelprom.WithoutScopeInfo(),
		otelprom.WithoutTargetInfo(),
		otelprom.WithoutUnits(),
	)
	if err != nil {
		return nil, fmt.Errorf("create prometheus exporter: %w", err)
	}
	durations := sdkmetric.NewView(
		sdkmetric.Instrument{Kind: sdkmetric.InstrumentKindHistogram},
		sdkmetric.Stream{Aggregation: sdkmetric.AggregationExplicitBucketHistogram{Boundaries: durationBuckets}},
	)
	ages := sdkmetric.NewView(
		sdkmetric.Instrument{Kind: sdkmetric.InstrumentKindHistogram, Name: workflows.MetricTimeToPatch},
		sdkmetric.Stream{Aggregation: sdkmetric.AggregationExplicitBucketHistogram{Boundaries: ageBuckets}},
	)
	provider := sdkmetric.NewMeterProvider(
		sdkmetric.WithReader(exporter),
		// One view per instrument: two matching views would export the
		// histogram twice.
		sdkmetric.WithView(ages, func(i sdkmetric.Instrument) (sdkmetric.Stream, bool) {
			if i.Name == workflows.MetricTimeToPatch {
				return sdkmetric.Stream{}, false
			}
			return durations(i)
		}),
	)
	handler := temporalotel.NewMetricsHandler(temporalotel.MetricsHandlerOptions{
		Meter: provider.Meter("patchflow"),
		// Monotonic counters so Prometheus sees real counters (rate()).
		UseMonotonicCounters: true,
	})
	return &Metrics{Registry: reg, SDK: handler, provider: provider}, nil
}

// Handler serves the registry in the Prometheus exposition format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.Registry, promhttp.HandlerOpts{Registry: m.Registry})
}

// Shutdown flushes and stops the OpenTelemetry bridge.
func (m *Metrics) Shutdown(ctx context.Context) error { return m.provider.Shutdown(ctx) }

// MetricsServer is a running /metrics endpoint.
type MetricsServer struct {
	Addr   net.Addr
	server *http.Server
	done   chan error
}

// ServeMetrics listens on addr and serves /metrics until Close. A busy
// address is reported at once, naming the address and flagName.
func ServeMetrics(addr, flagName string, m *Metrics) (*MetricsServer, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("serve metrics on %s: %w (choose another address with %s)", addr, err, flagName)
	}
	mux := http.NewServeMux()
	mux.Handle("/metrics", m.Handler())
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	s := &MetricsServer{Addr: ln.Addr(), server: srv, done: make(chan error, 1)}
	go func() {
		err := srv.Serve(ln)
		if errors.Is(err, http.ErrServerClosed) {
			err = nil
		}
		s.done <- err
	}()
	return s, nil
}

// Close stops the endpoint, letting in-flight scrapes finish briefly.
func (s *MetricsServer) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := s.server.Shutdown(ctx); err != nil {
		return err
	}
	return <-s.done
}
