package cli

import (
	"context"
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/patchflow/patchflow/notify"
	"github.com/patchflow/patchflow/temporalclient"
	"github.com/patchflow/patchflow/worker"
)

// WorkerOptions are the flags of `patchflow worker`.
type WorkerOptions struct {
	IO                      IOStreams
	Temporal                TemporalFlags
	MetricsAddress          string
	MaxConcurrentActivities int
	LogLevel                string
	// UIURL is the Temporal UI's base URL, linked from notifications.
	UIURL   string
	Context context.Context
}

// NewCmdWorker builds `patchflow worker`.
func NewCmdWorker(f *Factory, runF func(*WorkerOptions) error) *cobra.Command {
	opts := &WorkerOptions{IO: f.IO}
	cmd := &cobra.Command{
		Use:   "worker",
		Short: "Run a patchflow worker against any Temporal cluster",
		Long: `Run a patchflow worker: it polls the "patchflow" task queue and runs patch
cycles. Run as many as the fleet needs; they share the work.

The connection is configured the way the Temporal ecosystem does it:
  TEMPORAL_ADDRESS      frontend host:port (default 127.0.0.1:7233)
  TEMPORAL_NAMESPACE    namespace (default "default")
  TEMPORAL_API_KEY      API key (Temporal Cloud)
  TEMPORAL_TLS_CLIENT_CERT_PATH, TEMPORAL_TLS_CLIENT_KEY_PATH, TEMPORAL_TLS_SERVER_CA_CERT_PATH
                        mTLS
  TEMPORAL_PROFILE, TEMPORAL_CONFIG_FILE
                        an envconfig profile (TOML) holding the same settings
Flags override them. SIGINT or SIGTERM stops the worker gracefully.

The worker fetches inventories that policies name by URL: http(s) only, and
never link-local or cloud metadata addresses (169.254.0.0/16, fe80::/10, ...)
unless allowed:
  PATCHFLOW_INVENTORY_ALLOW_NETS
                        addresses or CIDR ranges, comma-separated, an inventory
                        URL may reach anyway (see docs/inventory.md)`,
		Args: wrapArgs(cobra.NoArgs),
		RunE: func(*cobra.Command, []string) error {
			if opts.MaxConcurrentActivities < 0 {
				return UsageError("--max-concurrent-activities must be 0 (the SDK's default) or more, got %d", opts.MaxConcurrentActivities)
			}
			if runF != nil {
				return runF(opts)
			}
			return workerRun(opts)
		},
	}
	addTemporalFlags(cmd.Flags(), &opts.Temporal)
	cmd.Flags().StringVar(&opts.MetricsAddress, "metrics-address", ":9464", "host:port of the Prometheus /metrics endpoint (empty disables it)")
	cmd.Flags().IntVar(&opts.MaxConcurrentActivities, "max-concurrent-activities", 0, "activities in flight on this worker (0: SDK default)")
	cmd.Flags().StringVar(&opts.LogLevel, "log-level", "info", "log level: debug, info, warn or error")
	cmd.Flags().StringVar(&opts.UIURL, "ui-url", os.Getenv("PATCHFLOW_UI_URL"), "the Temporal UI's base `URL`, linked from notifications (default $PATCHFLOW_UI_URL)")
	return cmd
}

func workerRun(opts *WorkerOptions) error {
	logger, _, err := newLogger(opts.IO.ErrOut, opts.LogLevel)
	if err != nil {
		return err
	}
	ctx, stop := signalContext(opts.Context)
	defer stop()

	metrics, err := worker.NewMetrics()
	if err != nil {
		return err
	}
	if opts.MetricsAddress != "" {
		ms, err := worker.ServeMetrics(opts.MetricsAddress, "--metrics-address", metrics)
		if err != nil {
			return err
		}
		defer ms.Close()
		logger.Info("serving metrics", "url", fmt.Sprintf("http://%s/metrics", ms.Addr))
	}
	c, err := temporalclient.Dial(ctx, opts.Temporal.connection(logger, metrics.SDK))
	if err != nil {
		return temporalError(err)
	}
	defer c.Close()
	deps, closeDeps, err := worker.DefaultDependencies(logger, metrics.Registry, c,
		notify.Links{UI: opts.UIURL, Namespace: opts.Temporal.Namespace})
	if err != nil {
		return err
	}
	defer closeDeps()
	return worker.Run(ctx, worker.Options{
		Client: c, Logger: logger, MaxConcurrentActivities: opts.MaxConcurrentActivities,
		Register: func(r worker.Registry) { worker.RegisterPatchflow(r, deps) },
	})
}
