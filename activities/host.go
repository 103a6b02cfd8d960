package activities

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"go.temporal.io/sdk/temporal"

	"github.com/patchflow/patchflow/domain"
	"github.com/patchflow/patchflow/transport"
	"github.com/patchflow/patchflow/workflows"
)

// Prepare is a host's first step: Precheck, then Snapshot, in one
// activity (one round trip less per host).
func (a *Activities) Prepare(ctx context.Context, in workflows.HostInput) (workflows.SnapshotResult, error) {
	ctx, done := a.beat(ctx)
	defer done()
	if err := a.precheck(ctx, in); err != nil {
		return workflows.SnapshotResult{}, err
	}
	return a.snapshot(ctx, in)
}

// Precheck checks the host is reachable and its package manager healthy:
// no broken or half-configured package, no held lock, enough disk.
func (a *Activities) Precheck(ctx context.Context, in workflows.HostInput) error {
	ctx, done := a.beat(ctx)
	defer done()
	return a.precheck(ctx, in)
}

func (a *Activities) precheck(ctx context.Context, in workflows.HostInput) error {
	s, err := a.open(ctx, in.Inventory, in.Host)
	if err != nil {
		return err
	}
	if err := validPins(s.mgr.Kind(), in.Host, in.Pins); err != nil {
		return err
	}
	return classify(s.mgr.Health(ctx))
}

// Snapshot records the installed version of every planned package (the
// rollback target) and checks those versions can still be fetched, so a
// rollback will not find its path gone.
func (a *Activities) Snapshot(ctx context.Context, in workflows.HostInput) (workflows.SnapshotResult, error) {
	ctx, done := a.beat(ctx)
	defer done()
	return a.snapshot(ctx, in)
}

func (a *Activities) snapshot(ctx context.Context, in workflows.HostInput) (workflows.SnapshotResult, error) {
	s, err := a.open(ctx, in.Inventory, in.Host)
	if err != nil {
		return workflows.SnapshotResult{}, err
	}
	if err := validPins(s.mgr.Kind(), in.Host, in.Pins); err != nil {
		return workflows.SnapshotResult{}, err
	}
	names := make([]string, len(in.Pins))
	for i, p := range in.Pins {
		names[i] = p.Name
	}
	installed, err := s.mgr.Installed(ctx, names)
	if err != nil {
		return workflows.SnapshotResult{}, classify(err)
	}
	var res workflows.SnapshotResult
	for _, n := range names {
		res.Pins = append(res.Pins, domain.Pin{Name: n, Version: installed[n]})
	}
	if err := s.mgr.Available(ctx, toPins(res.Pins)); err != nil {
		return workflows.SnapshotResult{}, temporal.NewNonRetryableApplicationError(
			fmt.Sprintf("host %s: rollback path unavailable, the installed versions cannot be fetched again: %v", in.Host, err),
			workflows.ErrPackageNotFound, nil)
	}
	return res, nil
}

// ApplyPins installs the pinned versions (heartbeating while the package
// manager runs) and reports whether the host now wants a reboot.
func (a *Activities) ApplyPins(ctx context.Context, in workflows.HostInput) (workflows.ApplyResult, error) {
	return a.install(ctx, "install", in)
}

// Rollback installs the snapshot pins (downgrades, removals of packages the
// patch added) and reports whether the host wants a reboot.
func (a *Activities) Rollback(ctx context.Context, in workflows.HostInput) (workflows.ApplyResult, error) {
	return a.install(ctx, "rollback", in)
}

func (a *Activities) install(ctx context.Context, op string, in workflows.HostInput) (workflows.ApplyResult, error) {
	ctx, done := a.beat(ctx)
	defer done()
	s, err := a.open(ctx, in.Inventory, in.Host)
	if err != nil {
		return workflows.ApplyResult{}, err
	}
	if err := validPins(s.mgr.Kind(), in.Host, in.Pins); err != nil {
		return workflows.ApplyResult{}, err
	}
	if len(in.Pins) > 0 {
		if err := s.mgr.Install(ctx, toPins(in.Pins)); err != nil {
			return workflows.ApplyResult{}, classify(err)
		}
	}
	reboot, err := s.mgr.RebootRequired(ctx)
	if err != nil {
		return workflows.ApplyResult{}, classify(err)
	}
	a.d.Logger.Info(op+" done", "host", in.Host, "pins", len(in.Pins), "reboot_required", reboot)
	return workflows.ApplyResult{RebootRequired: reboot}, nil
}

// Verify compares installed versions with the pins, audits the package
// manager (unless SkipHealth) and runs the checks; it returns what does not
// match rather than an error, so the workflow shows every problem.
func (a *Activities) Verify(ctx context.Context, in workflows.HostInput) (workflows.VerifyResult, error) {
	ctx, done := a.beat(ctx)
	defer done()
	return a.verify(ctx, in)
}

func (a *Activities) verify(ctx context.Context, in workflows.HostInput) (workflows.VerifyResult, error) {
	s, err := a.open(ctx, in.Inventory, in.Host)
	if err != nil {
		return workflows.VerifyResult{}, err
	}
	var res workflows.VerifyResult
	names := make([]string, len(in.Pins))
	for i, p := range in.Pins {
		names[i] = p.Name
	}
	installed, err := s.mgr.Installed(ctx, names)
	if err != nil {
		return res, classify(err)
	}
	for _, p := range in.Pins {
		if got := installed[p.Name]; !versionMatches(s.mgr.Kind(), p.Version, got) {
			res.Problems = append(res.Problems, fmt.Sprintf("%s is %s, want %s", p.Name, orAbsent(got), orAbsent(p.Version)))
		}
	}
	if !in.SkipHealth {
		if err := s.mgr.Health(ctx); err != nil {
			res.Problems = append(res.Problems, "package manager: "+err.Error())
		}
	}
	res.Problems = append(res.Problems, a.runChecks(ctx, s, in.Checks, nil)...)
	sort.Strings(res.Problems)
	return res, nil
}

// RunHook runs one pre or post hook; a non-zero exit is a permanent failure
// (hooks run once: they may not be idempotent).
func (a *Activities) RunHook(ctx context.Context, in workflows.HostInput) error {
	if in.Hook == nil || len(in.Hook.Command) == 0 {
		return temporal.NewNonRetryableApplicationError("run hook on "+in.Host+": no command given", workflows.ErrInvalidInput, nil)
	}
	ctx, done := a.beat(ctx)
	defer done()
	s, err := a.open(ctx, in.Inventory, in.Host)
	if err != nil {
		return err
	}
	cmd := transport.Command{Args: in.Hook.Command, Sudo: in.Hook.Sudo, Timeout: in.Hook.Timeout}
	res, err := s.conn.Run(ctx, cmd)
	if err != nil {
		return classify(err)
	}
	if res.ExitCode != 0 {
		err := transport.Check(res, nil, in.Host, cmd)
		return temporal.NewNonRetryableApplicationError(fmt.Sprintf("hook %s: %v", in.Hook.Name, err), workflows.ErrHookFailed, nil)
	}
	return nil
}

func orAbsent(v string) string {
	if v == "" {
		return "absent"
	}
	return v
}

// versionMatches compares a pinned version with the installed one. For
// rpm a pin may leave out the release ("1.0.1" for "1.0.1-1", as dnf
// itself accepts in name-version specs).
func versionMatches(kind, want, got string) bool {
	if want == got {
		return true
	}
	return kind == "dnf" && want != "" && !strings.Contains(want, "-") && strings.HasPrefix(got, want+"-")
}
