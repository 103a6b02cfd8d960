// Package worker runs patchflow's workers: the registration of every
// workflow and activity, the worker's lifecycle on the patchflow task queue,
// and the one Prometheus registry and /metrics endpoint of a process (the
// SDK's metrics and patchflow's own). Reaching Temporal is package
// temporalclient's.
package worker

import (
	"fmt"
	"log/slog"

	"github.com/prometheus/client_golang/prometheus"
	"go.temporal.io/sdk/client"
	sdkworker "go.temporal.io/sdk/worker"

	"github.com/patchflow/patchflow/activities"
	"github.com/patchflow/patchflow/hostscan"
	"github.com/patchflow/patchflow/notify"
	"github.com/patchflow/patchflow/transport"
	"github.com/patchflow/patchflow/workflows"
)

// Registry is where workflows and activities are registered.
type Registry = sdkworker.Registry

// SearchAttributes are the custom search attributes patchflow's workflows
// upsert; servers must have them registered (`patchflow dev` does).
var SearchAttributes = workflows.SearchAttributes

// Dependencies are what activities need from the process.
type Dependencies struct {
	Logger *slog.Logger
	// Pool holds one SSH connection per host, reused across activities.
	Pool *transport.Pool
	// Client lets activities name the cycle that holds a busy host.
	Client client.Client
	// Notifier delivers the policies' webhook events.
	Notifier *notify.Sender
}

// DefaultDependencies builds the activity dependencies of a worker process
// (SSH with the user's keys, agent, ~/.ssh/config and known_hosts) and a
// func that closes the open connections on shutdown.
// links are put into notifications: the Temporal UI's base URL (empty:
// no links) and the namespace.
func DefaultDependencies(logger *slog.Logger, reg prometheus.Registerer, c client.Client, links notify.Links) (Dependencies, func(), error) {
	m, err := notify.NewMetrics(reg)
	if err != nil {
		return Dependencies{}, nil, fmt.Errorf("register notification metrics: %w", err)
	}
	pool := transport.NewPool(transport.NewSSHDialer())
	d := Dependencies{Logger: logger, Pool: pool, Client: c,
		Notifier: notify.NewSender(notify.Options{Metrics: m, Links: links, Heartbeat: notify.ActivityHeartbeat, Logger: logger})}
	return d, func() { _ = pool.Close() }, nil
}

// RegisterPatchflow registers every patchflow workflow and activity on r.
func RegisterPatchflow(r Registry, d Dependencies) {
	workflows.Register(r)
	r.RegisterActivity(activities.New(activities.Deps{Pool: d.Pool, Client: d.Client, Logger: d.Logger,
		Scanner: hostscan.New(hostscan.OpenFeeds(""), d.Logger), Notifier: d.Notifier}))
}
