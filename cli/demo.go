package cli

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"runtime"
	"time"

	"github.com/spf13/cobra"

	"github.com/patchflow/patchflow/localfleet"
	"github.com/patchflow/patchflow/workflows"
)

// DemoOptions are the flags of `patchflow demo`.
type DemoOptions struct {
	IO             IOStreams
	Hosts          int
	Keep           bool
	Exit           bool
	IP             string
	Port           int
	UIPort         int
	MetricsAddress string
	Subnet         int
	Context        context.Context
}

// NewCmdDemo builds `patchflow demo`.
func NewCmdDemo(f *Factory, runF func(*DemoOptions) error) *cobra.Command {
	opts := &DemoOptions{IO: f.IO}
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Patch a demo fleet of real Debian hosts on this machine",
		Long: `Build (or reuse) a demo fleet of real Debian hosts on this machine, start the
embedded Temporal server, UI and worker, and run two cycles:

  1. demo-patch: real Debian security updates and demo-app 1.0.1, proven on a
     staging host, then a canary and two waves;
  2. demo-bad-patch: demo-app 1.0.2, whose postinst fails: it fails in the
     canary, the canary is rolled back, and no other host is touched.

The hosts are network namespaces with their own sshd and dpkg, on the private
network 10.213.<subnet>.0/24 that never leaves the machine. Needs root on
Linux. Everything stays up for inspection in the Temporal UI until Ctrl-C;
then the fleet is removed (--keep keeps it).`,
		Args: wrapArgs(cobra.NoArgs),
		RunE: func(*cobra.Command, []string) error {
			if opts.Hosts < 4 || opts.Hosts > 200 {
				return UsageError("--hosts must be 4..200 (staging, a canary and two waves), got %d", opts.Hosts)
			}
			if opts.Subnet < 1 || opts.Subnet > 254 {
				return UsageError("--subnet must be 1..254 (the fleet's network is 10.213.<subnet>.0/24), got %d", opts.Subnet)
			}
			if err := checkListenFlags(opts.IP, opts.Port, opts.UIPort, false, opts.MetricsAddress); err != nil {
				return err
			}
			warnIfExposed(opts.IO.ErrOut, opts.IP)
			if runF != nil {
				return runF(opts)
			}
			return demoRun(opts)
		},
	}
	fl := cmd.Flags()
	fl.IntVar(&opts.Hosts, "hosts", 10, "hosts in the demo fleet")
	fl.BoolVar(&opts.Keep, "keep", false, "keep the demo fleet when patchflow exits")
	fl.BoolVar(&opts.Exit, "exit", false, "exit after the cycles instead of waiting for Ctrl-C")
	fl.StringVar(&opts.IP, "ip", "127.0.0.1", "address the server, UI and metrics listen on")
	fl.IntVar(&opts.Port, "port", 7233, "Temporal frontend gRPC port")
	fl.IntVar(&opts.UIPort, "ui-port", 8233, "Temporal UI port")
	fl.StringVar(&opts.MetricsAddress, "metrics-address", "127.0.0.1:9464", "host:port of the Prometheus /metrics endpoint")
	fl.IntVar(&opts.Subnet, "subnet", 100, "the demo fleet's network: 10.213.<subnet>.0/24")
	return cmd
}

// demoPrerequisites names what is missing and how to get it.
func demoPrerequisites() error {
	if runtime.GOOS != "linux" {
		return fmt.Errorf("patchflow demo builds real hosts with Linux network namespaces; it runs on Linux only (this is %s)", runtime.GOOS)
	}
	if os.Geteuid() != 0 {
		return errors.New("patchflow demo needs root: it creates network namespaces, mounts and sshd processes for the demo hosts; run it with sudo")
	}
	return nil
}

func demoRun(opts *DemoOptions) error {
	if err := demoPrerequisites(); err != nil {
		return err
	}
	w := opts.IO.ErrOut
	ctx, stop := signalContext(opts.Context)
	defer stop()

	termf(w, "building the demo fleet: %d Debian hosts on 10.213.%d.0/24 (the first run builds a base system, about a minute)\n", opts.Hosts, opts.Subnet)
	start := time.Now()
	fleet, err := localfleet.Up(ctx, localfleet.Config{
		Name: "demo", Subnet: opts.Subnet, Hosts: opts.Hosts,
		Logf: func(format string, args ...any) { termf(w, "  "+format+"\n", args...) },
	})
	if err != nil {
		return fmt.Errorf("demo fleet: %w", err)
	}
	defer func() {
		if opts.Keep {
			termf(w, "keeping the demo fleet (--keep); inventory %s\n", fleet.InventoryPath)
			return
		}
		if err := fleet.Down(); err != nil {
			termf(w, "removing the demo fleet: %v\n", err)
		}
	}()
	termf(w, "demo fleet up in %s; real security updates in its repository: %v\n", time.Since(start).Round(100*time.Millisecond), fleet.SecurityUpdates)

	// The demo's bad patch makes the SDK log the failed activity; the
	// cycle summary tells the same story in the user's terms.
	logger := slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelError + 4}))
	stack, err := startDevStack(ctx, devStackConfig{
		IP: opts.IP, Port: opts.Port, UIPort: opts.UIPort, MetricsAddress: opts.MetricsAddress,
		Retention: 7 * 24 * time.Hour, Logger: logger, LogLevel: slog.LevelError,
	})
	if err != nil {
		return err
	}
	defer stack.Close()
	printDevBanner(w, stack, "", false)

	good, bad, err := writeDemoPolicies(fleet.Dir, fleet.InventoryPath)
	if err != nil {
		return err
	}
	var results []workflows.CycleResult
	for _, path := range []string{good, bad} {
		r, err := demoCycle(ctx, opts.IO, stack, path)
		if err != nil {
			return err
		}
		results = append(results, r)
	}

	fmt.Fprintln(opts.IO.Out, "\ndemo summary:")
	t := newTable(opts.IO.Out, "CYCLE", "STATE", "PATCHED", "FAILED", "ROLLED BACK")
	for _, r := range results {
		c := r.Counts
		t.row(r.CycleID, string(r.State), fmt.Sprint(c.Patched), fmt.Sprint(c.Failed+c.NeedsRepair), fmt.Sprint(c.RolledBack))
	}
	t.flush()
	termf(opts.IO.Out, "\nSee both cycles and every host in the Temporal UI: %s\n", stack.Server.UIURL())
	termf(opts.IO.Out, "Metrics: %s\n", stack.MetricsURL)
	termf(opts.IO.Out, "The policies are in %s; run one again in another shell:\n  patchflow cycle start -p %s --wait\n", fleet.Dir, good)
	if opts.Exit {
		return nil
	}
	fmt.Fprintln(opts.IO.Out, "Press Ctrl-C to stop and remove the demo fleet.")
	<-ctx.Done()
	return nil
}

// demoCycle starts one cycle of the policy at path on the dev stack and
// shows it to its end.
func demoCycle(ctx context.Context, io IOStreams, stack *DevStack, path string) (workflows.CycleResult, error) {
	in, err := specFromPolicy(path, io)
	if err != nil {
		return workflows.CycleResult{}, err
	}
	termf(io.ErrOut, "\n== cycle of policy %s (%s)\n", in.Spec.Policy, path)
	id, err := startCycle(ctx, stack.Client, in, time.Now())
	if err != nil {
		return workflows.CycleResult{}, err
	}
	termf(io.ErrOut, "started %s: %s/namespaces/%s/workflows/%s\n", id, stack.Server.UIURL(), stack.Server.Namespace(), url.PathEscape(id))
	r, err := watchCycle(ctx, stack.Client, id, newCycleProgress(io.ErrOut))
	if err != nil {
		return r, err
	}
	printCycleSummary(io.Out, r)
	return r, nil
}
