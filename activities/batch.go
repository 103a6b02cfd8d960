package activities

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"go.temporal.io/sdk/temporal"

	"github.com/patchflow/patchflow/domain"
	"github.com/patchflow/patchflow/hostscan"
	"github.com/patchflow/patchflow/workflows"
)

// ScanHosts scans a batch of hosts, in.Parallel at once, heartbeating as
// hosts finish. A host that cannot be scanned is listed in Failed (after
// one retry for transient errors) instead of failing the batch. The scans
// come back as one compact table: each distinct pending update once,
// every host pointing at its own.
func (a *Activities) ScanHosts(ctx context.Context, in workflows.ScanBatchInput) (workflows.ScanBatchResult, error) {
	ctx, done := a.beat(ctx)
	defer done()
	results := make([]*hostscan.Result, len(in.Hosts))
	problems := make([]string, len(in.Hosts))
	opt := hostscan.Options{Refresh: in.Refresh, Exposures: in.Assess, Kernel: in.Fingerprint, Interactive: in.Interactive}
	a.forEach(ctx, len(in.Hosts), in.Parallel, func(i int) {
		var err error
		for attempt := 1; attempt <= 2; attempt++ {
			var r hostscan.Result
			if r, err = a.scanHost(ctx, in.Inventory, in.Hosts[i], opt); err == nil {
				results[i] = &r
				return
			}
			if permanent(err) || ctx.Err() != nil {
				break
			}
			sleep(ctx, 2*time.Second)
		}
		problems[i] = message(err)
	})
	var res workflows.ScanBatchResult
	var table domain.PendingTable
	var exposures domain.ExposureTable
	for i, r := range results {
		if r == nil {
			res.Failed = append(res.Failed, workflows.HostProblem{Host: in.Hosts[i], Problem: problems[i]})
			continue
		}
		ups := make([]domain.Pending, len(r.Updates))
		for j, u := range r.Updates {
			if in.Assess || in.Fingerprint {
				ups[j] = u.PendingWithInstalled(r.Manager)
			} else {
				ups[j] = u.Pending(r.Manager)
			}
		}
		table.Add(in.Hosts[i], r.Manager, ups)
		table.Hosts[len(table.Hosts)-1].RunningKernel = r.RunningKernel
		if in.Assess {
			h := &table.Hosts[len(table.Hosts)-1]
			h.Release, h.RunningKernel, h.RebootPending = r.Release, r.RunningKernel, r.RebootPending
			for _, e := range r.Exposures {
				h.Exposed = append(h.Exposed, exposures.Intern(e))
			}
		}
	}
	res.Updates, res.Hosts, res.Exposures = table.Updates, table.Hosts, exposures.Rows
	return res, ctx.Err()
}

// VerifyHosts verifies a batch of hosts against their pins (versions and
// package manager health); each failing host gets one problem line.
func (a *Activities) VerifyHosts(ctx context.Context, in workflows.TargetBatch) (workflows.TargetBatchResult, error) {
	ctx, done := a.beat(ctx)
	defer done()
	problems := make([]string, len(in.Targets))
	a.forEach(ctx, len(in.Targets), in.Parallel, func(i int) {
		t := in.Targets[i]
		v, err := a.verify(ctx, workflows.HostInput{Inventory: in.Inventory, Host: t.Host, Pins: t.PinsFrom(in.PlanPins)})
		switch {
		case err != nil:
			problems[i] = message(err)
		case len(v.Problems) > 0:
			problems[i] = strings.Join(v.Problems, "; ")
		}
	})
	var res workflows.TargetBatchResult
	for i, p := range problems {
		if p != "" {
			res.Failed = append(res.Failed, workflows.HostProblem{Host: in.Targets[i].Host, Problem: p})
		}
	}
	return res, ctx.Err()
}

// DownloadHosts fetches each host's pins into its package cache without
// installing them (dnf/apt download-only), heartbeating as hosts finish.
func (a *Activities) DownloadHosts(ctx context.Context, in workflows.TargetBatch) (workflows.TargetBatchResult, error) {
	ctx, done := a.beat(ctx)
	defer done()
	problems := make([]string, len(in.Targets))
	a.forEach(ctx, len(in.Targets), in.Parallel, func(i int) {
		t := in.Targets[i]
		pins := t.PinsFrom(in.PlanPins)
		s, err := a.open(ctx, in.Inventory, t.Host)
		if err == nil {
			err = validPins(s.mgr.Kind(), t.Host, pins)
		}
		if err == nil {
			err = classify(s.mgr.Download(ctx, toPins(pins)))
		}
		if err != nil {
			problems[i] = message(err)
		}
	})
	var res workflows.TargetBatchResult
	for i, p := range problems {
		if p != "" {
			res.Failed = append(res.Failed, workflows.HostProblem{Host: in.Targets[i].Host, Problem: p})
		}
	}
	return res, ctx.Err()
}

// forEach runs fn(0..n-1) with at most parallel at once (default 10) and
// heartbeats the progress.
func (a *Activities) forEach(ctx context.Context, n, parallel int, fn func(i int)) {
	if parallel <= 0 {
		parallel = 10
	}
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		done int
		sem  = make(chan struct{}, parallel)
	)
	for i := 0; i < n; i++ {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			fn(i)
			mu.Lock()
			done++
			d := done
			mu.Unlock()
			progress(ctx, fmt.Sprintf("%d of %d hosts done", d, n))
		}()
	}
	wg.Wait()
}

func permanent(err error) bool {
	var app *temporal.ApplicationError
	return errors.As(err, &app) && app.NonRetryable()
}

// message is an error's text without the SDK's "(type: X, retryable: Y)".
func message(err error) string {
	var app *temporal.ApplicationError
	if errors.As(err, &app) {
		return app.Message()
	}
	return err.Error()
}

func sleep(ctx context.Context, d time.Duration) {
	select {
	case <-ctx.Done():
	case <-time.After(d):
	}
}
