package worker

import (
	"context"
	"fmt"
	"log/slog"

	"go.temporal.io/sdk/client"
	sdkworker "go.temporal.io/sdk/worker"

	"github.com/patchflow/patchflow/workflows"
)

// Options configure a patchflow worker.
type Options struct {
	Client client.Client
	Logger *slog.Logger
	// Register adds workflows and activities; see RegisterPatchflow.
	Register func(sdkworker.Registry)
	// MaxConcurrentActivities bounds activities in flight on this worker;
	// 0 keeps the SDK default.
	MaxConcurrentActivities int
}

// Run polls the patchflow task queue until ctx is done, then stops
// gracefully: running activities get the SDK's stop timeout to finish and
// anything left is retried by another worker, because every activity is
// idempotent.
func Run(ctx context.Context, opts Options) error {
	w := sdkworker.New(opts.Client, workflows.TaskQueue, sdkworker.Options{
		MaxConcurrentActivityExecutionSize: opts.MaxConcurrentActivities,
		WorkerStopTimeout:                  10e9, // 10 s
	})
	if opts.Register != nil {
		opts.Register(w)
	}
	if err := w.Start(); err != nil {
		return fmt.Errorf("start worker on task queue %s: %w", workflows.TaskQueue, err)
	}
	if opts.Logger != nil {
		opts.Logger.Info("worker started", "task_queue", workflows.TaskQueue)
	}
	<-ctx.Done()
	w.Stop()
	return nil
}
