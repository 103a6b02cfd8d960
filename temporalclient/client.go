// Package temporalclient builds the Temporal client every patchflow
// process uses, the worker and each CLI verb alike: the Temporal
// ecosystem's own configuration (envconfig profiles, TEMPORAL_* variables)
// with --address and --namespace on top, a fast answer when nothing
// listens, and ErrUnreachable for the CLI's exit code 4.
package temporalclient

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"time"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/contrib/envconfig"
	sdklog "go.temporal.io/sdk/log"
)

// DefaultAddress is the frontend of `patchflow dev`, used when neither a
// flag, TEMPORAL_ADDRESS nor an envconfig profile names one.
const DefaultAddress = "127.0.0.1:7233"

// Config says how to reach Temporal. Empty fields fall back to
// the Temporal ecosystem's own configuration: the envconfig profile
// (TEMPORAL_CONFIG_FILE, TEMPORAL_PROFILE) and TEMPORAL_* variables
// (TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TEMPORAL_API_KEY, TEMPORAL_TLS_*).
type Config struct {
	Address   string        // host:port of the frontend; overrides the profile
	Namespace string        // overrides the profile; default "default"
	Profile   string        // envconfig profile name
	Timeout   time.Duration // how long to try before giving up; default 10s
	Logger    *slog.Logger
	// MetricsHandler receives the SDK's metrics (worker.Metrics provides one).
	MetricsHandler client.MetricsHandler
}

// ErrUnreachable marks a failure to reach the Temporal frontend; the CLI
// maps it to exit code 4.
var ErrUnreachable = errors.New("cannot reach Temporal")

// Options resolves cfg into SDK client options without dialing.
func Options(cfg Config) (client.Options, error) {
	opts, err := envconfig.LoadClientOptions(envconfig.LoadClientOptionsRequest{ConfigFileProfile: cfg.Profile})
	if err != nil {
		return client.Options{}, fmt.Errorf("load Temporal client configuration (envconfig profile %q): %w", cfg.Profile, err)
	}
	if cfg.Address != "" {
		opts.HostPort = cfg.Address
	}
	if opts.HostPort == "" {
		opts.HostPort = DefaultAddress
	}
	if cfg.Namespace != "" {
		opts.Namespace = cfg.Namespace
	}
	if opts.Namespace == "" {
		opts.Namespace = client.DefaultNamespace
	}
	if cfg.Logger != nil {
		opts.Logger = sdklog.NewStructuredLogger(cfg.Logger)
	} else {
		opts.Logger = sdklog.NewStructuredLogger(slog.New(slog.DiscardHandler))
	}
	if cfg.MetricsHandler != nil {
		opts.MetricsHandler = cfg.MetricsHandler
	}
	return opts, nil
}

// Dial connects to Temporal and checks the connection, failing within
// cfg.Timeout with an error that names the address and how to change it
// instead of hanging.
func Dial(ctx context.Context, cfg Config) (client.Client, error) {
	opts, err := Options(cfg)
	if err != nil {
		return nil, err
	}
	timeout := cfg.Timeout
	if timeout <= 0 {
		timeout = 10 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	// A plain TCP probe first: the SDK's own dial retries for a long time,
	// and a refused port deserves an answer in milliseconds.
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", opts.HostPort)
	if err != nil {
		return nil, unreachable(opts, err)
	}
	_ = conn.Close()
	c, err := client.DialContext(ctx, opts)
	if err != nil {
		return nil, unreachable(opts, err)
	}
	return c, nil
}

func unreachable(opts client.Options, err error) error {
	return fmt.Errorf("%w at %s (namespace %q): %v; start one with `patchflow dev`, or point patchflow at your cluster with --address or TEMPORAL_ADDRESS (TLS and API keys through TEMPORAL_* variables or an envconfig profile, see `patchflow worker --help`)",
		ErrUnreachable, opts.HostPort, opts.Namespace, err)
}
