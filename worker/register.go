package worker

import (
	"log/slog"

	"github.com/prometheus/client_golang/prometheus"
	sdkworker "go.temporal.io/sdk/worker"
)

// Registry is where workflows and activities are registered.
type Registry = sdkworker.Registry

// SearchAttributes are the custom search attributes patchflow's workflows
// upsert; servers must have them registered (`patchflow dev` does).
var SearchAttributes = []string{
	"PatchPolicy", "PatchCycle", "PatchCycleState", "PatchWave", "PatchHost", "PatchHostState",
}

// Dependencies are what activities need from the process: a logger and the
// registry for patchflow's activity-side metrics.
type Dependencies struct {
	Logger   *slog.Logger
	Registry prometheus.Registerer
}

// DefaultDependencies builds the activity dependencies of a worker process
// and a func that releases them (open SSH connections) on shutdown.
func DefaultDependencies(logger *slog.Logger, reg prometheus.Registerer) (Dependencies, func()) {
	return Dependencies{Logger: logger, Registry: reg}, func() {}
}

// RegisterPatchflow registers every patchflow workflow and activity on r.
func RegisterPatchflow(r Registry, d Dependencies) {
	_ = r
	_ = d
}
