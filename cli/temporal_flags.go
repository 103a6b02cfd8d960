package cli

import (
	"context"
	"errors"
	"log/slog"

	"github.com/spf13/pflag"
	"go.temporal.io/sdk/client"

	"github.com/patchflow/patchflow/temporalclient"
)

const defaultAddressHelp = temporalclient.DefaultAddress + ", the address of `patchflow dev`"

// TemporalFlags are the connection flags of every command that talks to
// Temporal. Empty values defer to TEMPORAL_* variables and envconfig.
type TemporalFlags struct {
	Address   string
	Namespace string
	Profile   string
}

// addTemporalFlags registers --address, --namespace and --profile on fs.
func addTemporalFlags(fs *pflag.FlagSet, t *TemporalFlags) {
	fs.StringVar(&t.Address, "address", "", "Temporal frontend host:port (default: TEMPORAL_ADDRESS, the profile, or "+temporalclient.DefaultAddress+")")
	fs.StringVar(&t.Namespace, "namespace", "", "Temporal namespace (default: TEMPORAL_NAMESPACE, the profile, or default)")
	fs.StringVar(&t.Profile, "profile", "", "envconfig profile (default: TEMPORAL_PROFILE or default)")
}

// connection turns the flags into a temporalclient.Config.
func (t TemporalFlags) connection(logger *slog.Logger, metrics client.MetricsHandler) temporalclient.Config {
	return temporalclient.Config{
		Address: t.Address, Namespace: t.Namespace, Profile: t.Profile,
		Logger: logger, MetricsHandler: metrics,
	}
}

// Client returns a Temporal client from the factory's TemporalClient,
// else dials Temporal with the factory's connection flags; failing to
// reach it maps to exit code 4.
func (f *Factory) Client(ctx context.Context) (client.Client, error) {
	if f.TemporalClient != nil {
		c, err := f.TemporalClient(ctx)
		return c, temporalError(err)
	}
	c, err := temporalclient.Dial(ctx, f.Temporal.connection(nil, nil))
	return c, temporalError(err)
}

// temporalError gives "cannot reach Temporal" its own exit code.
func temporalError(err error) error {
	if errors.Is(err, temporalclient.ErrUnreachable) {
		return WithExitCode(ExitNoTemporal, err)
	}
	return err
}

// connect is what every command that talks to Temporal starts with: a
// context cancelled by SIGINT or SIGTERM and a client of the factory's
// connection flags. done closes the client and releases the signals.
func (f *Factory) connect() (context.Context, client.Client, func(), error) {
	ctx, stop := signalContext(context.Background())
	c, err := f.Client(ctx)
	if err != nil {
		stop()
		return nil, nil, nil, err
	}
	return ctx, c, func() { c.Close(); stop() }, nil
}
