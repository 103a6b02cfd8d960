package cli

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"go.temporal.io/sdk/client"

	"github.com/patchflow/patchflow/devserver"
	"github.com/patchflow/patchflow/notify"
	"github.com/patchflow/patchflow/temporalclient"
	"github.com/patchflow/patchflow/worker"
)

// devStackConfig configures the one-process stack of `patchflow dev` and
// `patchflow demo`: embedded server, UI, metrics endpoint and a worker.
type devStackConfig struct {
	IP             string
	Port           int
	UIPort         int
	MetricsAddress string
	DBFile         string // "" keeps state in memory
	// MetricsAddress "" serves no metrics endpoint.
	NoWorker  bool
	Retention time.Duration
	Logger    *slog.Logger
	LogLevel  slog.Level
}

// DevStack is a running dev stack.
type DevStack struct {
	Server     *devserver.Server
	MetricsURL string
	// Client is connected to the embedded server (nil with NoWorker).
	Client     client.Client
	StartedIn  time.Duration
	cancel     context.CancelFunc
	workerDone chan error
	closers    []func()
}

// startDevStack starts the metrics endpoint first (the cheapest port to
// find busy), then the server and UI, then the worker.
func startDevStack(ctx context.Context, cfg devStackConfig) (_ *DevStack, err error) {
	start := time.Now()
	s := &DevStack{workerDone: make(chan error, 1)}
	defer func() {
		if err != nil {
			_ = s.Close()
		}
	}()
	metrics, err := worker.NewMetrics()
	if err != nil {
		return nil, err
	}
	if cfg.MetricsAddress != "" { // "" serves none (dev --no-worker)
		ms, err := worker.ServeMetrics(cfg.MetricsAddress, "--metrics-address", metrics)
		if err != nil {
			return nil, err
		}
		s.closers = append(s.closers, func() { _ = ms.Close() })
		s.MetricsURL = "http://" + ms.Addr.String() + "/metrics"
	}

	srv, err := devserver.Start(ctx, devserver.Options{
		IP: cfg.IP, Port: cfg.Port, UIPort: cfg.UIPort, DBFile: cfg.DBFile,
		Retention: cfg.Retention, SearchAttributes: worker.SearchAttributes,
		Logger: cfg.Logger, LogLevel: cfg.LogLevel,
	})
	if err != nil {
		return nil, devStartError(err)
	}
	s.Server = srv
	s.closers = append(s.closers, srv.Stop)
	if cfg.NoWorker {
		close(s.workerDone)
		s.StartedIn = time.Since(start)
		return s, nil
	}
	c, err := temporalclient.Dial(ctx, temporalclient.Config{
		Address: srv.FrontendAddress(), Namespace: srv.Namespace(),
		Logger: cfg.Logger, MetricsHandler: metrics.SDK,
	})
	if err != nil {
		return nil, temporalError(err)
	}
	s.Client = c
	s.closers = append(s.closers, c.Close)
	deps, closeDeps, err := worker.DefaultDependencies(cfg.Logger, metrics.Registry, c,
		notify.Links{UI: srv.UIURL(), Namespace: srv.Namespace()})
	if err != nil {
		return nil, err
	}
	s.closers = append(s.closers, closeDeps)
	wctx, cancel := context.WithCancel(ctx)
	s.cancel = cancel
	go func() {
		s.workerDone <- worker.Run(wctx, worker.Options{
			Client: c, Logger: cfg.Logger,
			Register: func(r worker.Registry) { worker.RegisterPatchflow(r, deps) },
		})
	}()
	s.StartedIn = time.Since(start)
	return s, nil
}

// Close stops the worker (letting running activities finish), then the
// client, server, UI and metrics endpoint, in reverse order of start.
func (s *DevStack) Close() error {
	var err error
	if s.cancel != nil {
		s.cancel()
		err = <-s.workerDone
	}
	for i := len(s.closers) - 1; i >= 0; i-- {
		s.closers[i]()
	}
	s.closers = nil
	return err
}

// devStartError names the flag that moves a busy port.
func devStartError(err error) error {
	var busy *devserver.PortInUseError
	if errors.As(err, &busy) {
		flag := "--port"
		if busy.What == "Temporal UI" {
			flag = "--ui-port"
		}
		return fmt.Errorf("%w; is another `patchflow dev` or Temporal server running? choose another port with %s", err, flag)
	}
	return err
}
