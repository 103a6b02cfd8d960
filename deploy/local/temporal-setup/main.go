// Command temporal-setup prepares a self-hosted Temporal cluster for
// patchflow: it registers the namespace with its retention (or updates the
// retention), registers patchflow's search attributes as Keyword and waits
// until they can be queried. With --wait-workers it then waits until the
// given worker processes poll patchflow's task queue. deploy/local/topology
// runs it; it works against any self-hosted cluster the TEMPORAL_*
// variables or an envconfig profile point at:
//
//	go run ./deploy/local/temporal-setup --address temporal.example:7233 --namespace patching
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"time"

	"go.temporal.io/sdk/client"

	"github.com/patchflow/patchflow/temporalclient"
	"github.com/patchflow/patchflow/topology"
	"github.com/patchflow/patchflow/workflows"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "temporal-setup:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	fs := flag.NewFlagSet("temporal-setup", flag.ContinueOnError)
	address := fs.String("address", "", "Temporal frontend host:port (default: TEMPORAL_ADDRESS, the profile, or "+temporalclient.DefaultAddress+")")
	namespace := fs.String("namespace", "", "namespace (default: TEMPORAL_NAMESPACE, the profile, or default)")
	retention := fs.Duration("retention", 720*time.Hour, "how long closed workflows stay inspectable")
	timeout := fs.Duration("timeout", 2*time.Minute, "give up after this long (the server may still be starting)")
	waitWorkers := fs.String("wait-workers", "", "comma-separated worker process IDs to wait for on the task queue "+workflows.TaskQueue)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q; see -help", fs.Args())
	}
	pids, err := parsePIDs(*waitWorkers)
	if err != nil {
		return err
	}
	opts, err := temporalclient.Options(temporalclient.Config{
		Address: *address, Namespace: *namespace,
		Logger: slog.New(slog.DiscardHandler),
	})
	if err != nil {
		return err
	}
	// Lazy: the first call connects, so a server that is still starting is
	// retried rather than refused.
	c, err := client.NewLazyClient(opts)
	if err != nil {
		return fmt.Errorf("connect to Temporal at %s: %w", opts.HostPort, err)
	}
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()

	start := time.Now()
	err = topology.EnsureNamespace(ctx, c, topology.NamespaceSpec{
		Name: opts.Namespace, Retention: *retention, SearchAttributes: workflows.SearchAttributes,
	})
	if err != nil {
		return fmt.Errorf("temporal at %s: %w", opts.HostPort, err)
	}
	fmt.Printf("namespace %s ready: retention %s, search attributes %s (%.1fs)\n",
		opts.Namespace, *retention, strings.Join(workflows.SearchAttributes, ", "), time.Since(start).Seconds())
	if len(pids) == 0 {
		return nil
	}
	if err := topology.WaitPolling(ctx, c, opts.Namespace, workflows.TaskQueue, pids, start.Add(-time.Minute)); err != nil {
		return fmt.Errorf("temporal at %s: %w", opts.HostPort, err)
	}
	fmt.Printf("workers %v polling task queue %s (%.1fs)\n", pids, workflows.TaskQueue, time.Since(start).Seconds())
	return nil
}

func parsePIDs(s string) ([]int, error) {
	var pids []int
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f == "" {
			continue
		}
		pid, err := strconv.Atoi(f)
		if err != nil || pid <= 0 {
			if len(f) > 24 {
				f = f[:24] + "..."
			}
			return nil, fmt.Errorf("--wait-workers: %q is not a process ID", f)
		}
		pids = append(pids, pid)
	}
	return pids, nil
}
