package cli

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/patchflow/patchflow/devserver"
	"github.com/patchflow/patchflow/workflows"
)

// DevOptions are the flags of `patchflow dev`.
type DevOptions struct {
	IO             IOStreams
	IP             string
	Port           int
	UIPort         int
	MetricsAddress string
	DBFile         string
	Ephemeral      bool
	NoWorker       bool
	Retention      time.Duration
	LogLevel       string
	// Ready, when set, is called with the running stack; tests use it to
	// act while dev runs, then cancel Context.
	Ready   func(*DevStack)
	Context context.Context
}

// NewCmdDev builds `patchflow dev`.
func NewCmdDev(f *Factory, runF func(*DevOptions) error) *cobra.Command {
	opts := &DevOptions{IO: f.IO}
	cmd := &cobra.Command{
		Use:   "dev",
		Short: "Run an embedded Temporal server, the Temporal UI and a patchflow worker",
		Long: `Run an embedded Temporal server, the Temporal UI and a patchflow worker in one
process, for trying patchflow and for small fleets.

State lives in a SQLite file (default $XDG_DATA_HOME/patchflow/temporal.db, or
~/.local/share/patchflow/temporal.db) and survives restarts; closed cycles stay
inspectable for --retention. Stop it with Ctrl-C.`,
		Args: wrapArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if opts.Ephemeral && cmd.Flags().Changed("db") {
				return UsageError("--db and --ephemeral exclude each other: --ephemeral keeps state in memory")
			}
			if err := checkListenFlags(opts.IP, opts.Port, opts.UIPort, true, opts.MetricsAddress); err != nil {
				return err
			}
			if opts.Retention < devserver.MinRetention {
				return UsageError("--retention must be at least %s, got %s", devserver.MinRetention, opts.Retention)
			}
			// Without a worker there are no worker metrics to serve, and
			// the default port is the one the separate worker will take.
			if opts.NoWorker && !cmd.Flags().Changed("metrics-address") {
				opts.MetricsAddress = ""
			}
			warnIfExposed(opts.IO.ErrOut, opts.IP)
			if runF != nil {
				return runF(opts)
			}
			return devRun(opts)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&opts.IP, "ip", "127.0.0.1", "address the server, UI and metrics listen on (anything but loopback exposes an unauthenticated server: see docs/security.md)")
	fl.IntVar(&opts.Port, "port", 7233, "Temporal frontend gRPC port")
	fl.IntVar(&opts.UIPort, "ui-port", 8233, "Temporal UI port (0 disables the UI)")
	fl.StringVar(&opts.MetricsAddress, "metrics-address", "127.0.0.1:9464", "host:port of the Prometheus /metrics endpoint of the embedded worker (none with --no-worker unless given)")
	fl.StringVar(&opts.DBFile, "db", defaultDBFile(), "SQLite file holding Temporal's state")
	fl.BoolVar(&opts.Ephemeral, "ephemeral", false, "keep state in memory only; it is lost on exit")
	fl.BoolVar(&opts.NoWorker, "no-worker", false, "run only the server and UI, for workers in separate processes")
	fl.DurationVar(&opts.Retention, "retention", 30*24*time.Hour, "how long closed cycles stay inspectable (at least 1h)")
	fl.StringVar(&opts.LogLevel, "log-level", "warn", "server log level: debug, info, warn or error")
	return cmd
}

// defaultDBFile follows the XDG base directory convention.
func defaultDBFile() string {
	if dir := os.Getenv("XDG_DATA_HOME"); dir != "" {
		return filepath.Join(dir, "patchflow", "temporal.db")
	}
	if home, err := os.UserHomeDir(); err == nil {
		return filepath.Join(home, ".local", "share", "patchflow", "temporal.db")
	}
	return "temporal.db"
}

func devRun(opts *DevOptions) error {
	logger, level, err := newLogger(opts.IO.ErrOut, opts.LogLevel)
	if err != nil {
		return err
	}
	ctx, stop := signalContext(opts.Context)
	defer stop()

	dbFile := opts.DBFile
	if opts.Ephemeral {
		dbFile = ""
	}
	stack, err := startDevStack(ctx, devStackConfig{
		IP: opts.IP, Port: opts.Port, UIPort: opts.UIPort, MetricsAddress: opts.MetricsAddress,
		DBFile: dbFile, NoWorker: opts.NoWorker, Retention: opts.Retention,
		Logger: logger, LogLevel: level,
	})
	if err != nil {
		return err
	}
	printDevBanner(opts.IO.ErrOut, stack, dbFile, opts.NoWorker)
	fmt.Fprintln(opts.IO.ErrOut, "Press Ctrl-C to stop.")
	if opts.Ready != nil {
		opts.Ready(stack)
	}
	<-ctx.Done()
	if opts.NoWorker {
		fmt.Fprintln(opts.IO.ErrOut, "stopping")
	} else {
		fmt.Fprintln(opts.IO.ErrOut, "stopping: waiting for the worker to finish its activities")
	}
	return stack.Close()
}

func printDevBanner(w io.Writer, stack *DevStack, dbFile string, noWorker bool) {
	state := dbFile
	if state == "" {
		state = "in memory (lost on exit)"
	}
	termf(w, "patchflow dev ready in %s\n", stack.StartedIn.Round(time.Millisecond))
	termf(w, "  Temporal frontend  %s (namespace %s)\n", stack.Server.FrontendAddress(), stack.Server.Namespace())
	if url := stack.Server.UIURL(); url != "" {
		termf(w, "  Temporal UI        %s\n", url)
	}
	if stack.MetricsURL != "" {
		termf(w, "  Metrics            %s\n", stack.MetricsURL)
	} else {
		termf(w, "  Metrics            none here: the worker serves them (patchflow worker --metrics-address, default :9464)\n")
	}
	termf(w, "  State              %s\n", state)
	if noWorker {
		termf(w, "  Worker             none (--no-worker): run `%s`\n", workerCommand(stack))
	} else {
		termf(w, "  Worker             task queue %s\n", workflows.TaskQueue)
	}
}

// workerCommand is the command that starts a worker for this dev server,
// as the banner suggests it: exactly what to paste.
func workerCommand(stack *DevStack) string {
	host, port, _ := net.SplitHostPort(stack.Server.FrontendAddress())
	if a, err := netip.ParseAddr(host); err == nil && a.IsUnspecified() {
		host = "127.0.0.1" // listening everywhere: dial this machine
		if a.Is6() {
			host = "::1"
		}
	}
	return fmt.Sprintf("patchflow worker --address %s --namespace %s", net.JoinHostPort(host, port), stack.Server.Namespace())
}
