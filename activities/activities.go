// Package activities implements the activities of patchflow's workflows
// (workflows.ActivityNames): everything that touches a host or the
// inventory. One struct holds the dependencies and is registered once; its
// method names are the activity names the workflows call.
//
// Every activity is idempotent (installing a pinned version twice is
// harmless), heartbeats during long package operations, and returns a
// non-retryable application error (type workflows.Err*) for permanent
// failures: a bad name, an unknown host, a package not in any repository,
// a changed host key, a failed maintainer script.
package activities

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/patchflow/patchflow/domain"
	"github.com/patchflow/patchflow/hostscan"
	"github.com/patchflow/patchflow/inventory"
	"github.com/patchflow/patchflow/notify"
	"github.com/patchflow/patchflow/pkgmgr"
	"github.com/patchflow/patchflow/transport"
	"github.com/patchflow/patchflow/workflows"
)

// Deps are what the activities need from the worker process.
type Deps struct {
	// Pool holds one connection per host (required).
	Pool *transport.Pool
	// LoadInventory reads an inventory source; default LoadInventory (a
	// file path or an http(s) URL).
	LoadInventory func(source string) (*inventory.Inventory, error)
	// Client, when set, lets HostLock name the cycle that holds a busy host.
	Client client.Client
	// Logger defaults to slog.Default().
	Logger *slog.Logger
	// RebootPoll is how often WaitForHost tries a rebooting host; default 2s.
	RebootPoll time.Duration
	// Scanner scans hosts and identifies their updates; default one with
	// the advisory feeds of the default cache (hostscan.OpenFeeds).
	Scanner *hostscan.Scanner
	// Notifier delivers webhook events; default one without metrics or
	// UI links.
	Notifier *notify.Sender
}

// Activities implements every activity of workflows.ActivityNames.
type Activities struct {
	d        Deps
	kinds    sync.Map // host name -> package manager kind, detected once
	invCache inventoryCache
}

// New returns the activities to register on a worker:
// worker.RegisterActivity(activities.New(deps)).
func New(d Deps) *Activities {
	if d.LoadInventory == nil {
		d.LoadInventory = LoadInventory
	}
	if d.Logger == nil {
		d.Logger = slog.Default()
	}
	if d.RebootPoll <= 0 {
		d.RebootPoll = 2 * time.Second
	}
	if d.Scanner == nil {
		d.Scanner = hostscan.New(hostscan.OpenFeeds(""), d.Logger)
	}
	if d.Notifier == nil {
		d.Notifier = notify.NewSender(notify.Options{Logger: d.Logger})
	}
	return &Activities{d: d}
}

// lookup finds a host by name in the inventory source.
func (a *Activities) lookup(source, name string) (inventory.Host, error) {
	inv, err := a.loadInventory(source, false)
	if err != nil {
		return inventory.Host{}, temporal.NewNonRetryableApplicationError(
			fmt.Sprintf("load inventory %s: %v", source, err), workflows.ErrInvalidInput, nil)
	}
	h, ok := inv.Lookup(name)
	if !ok {
		return inventory.Host{}, temporal.NewNonRetryableApplicationError(
			fmt.Sprintf("host %q is not in inventory %s any more; remove it from the cycle or restore it", name, source),
			workflows.ErrUnknownHost, nil)
	}
	return h, nil
}

// session is one host's connection and package manager.
type session struct {
	host inventory.Host
	conn transport.Conn
	mgr  pkgmgr.Manager
}

// open connects to a host and picks its package manager (detected on first
// use, then remembered by host name).
func (a *Activities) open(ctx context.Context, source, name string) (*session, error) {
	h, err := a.lookup(source, name)
	if err != nil {
		return nil, err
	}
	conn, err := a.d.Pool.Get(ctx, h)
	if err != nil {
		return nil, classify(err)
	}
	var mgr pkgmgr.Manager
	if kind, ok := a.kinds.Load(name); ok {
		mgr, err = pkgmgr.New(kind.(string), conn, h.Become)
	} else {
		mgr, err = pkgmgr.Detect(ctx, conn, h.Become)
		if err == nil {
			a.kinds.Store(name, mgr.Kind())
		}
	}
	if err != nil {
		return nil, classify(err)
	}
	return &session{host: h, conn: conn, mgr: mgr}, nil
}

// classify wraps err for Temporal: permanent failures become non-retryable
// application errors with a workflows.Err* type, the rest stay retryable.
func classify(err error) error {
	if err == nil {
		return nil
	}
	var app *temporal.ApplicationError
	if errors.As(err, &app) {
		return err
	}
	// The cause is left out: its text is already the message, and a cause
	// crosses the wire only as text anyway.
	msg := err.Error()
	perm := func(typ string) error { return temporal.NewNonRetryableApplicationError(msg, typ, nil) }
	switch transport.KindOf(err) {
	case transport.HostKeyChanged, transport.HostKeyUnknown:
		return perm(workflows.ErrHostKey)
	case transport.AuthRefused, transport.SudoPassword:
		return perm(workflows.ErrAuth)
	case transport.Invalid:
		return perm(workflows.ErrInvalidInput)
	}
	switch pkgmgr.KindOf(err) {
	case pkgmgr.NotFound:
		return perm(workflows.ErrPackageNotFound)
	case pkgmgr.InvalidInput:
		return perm(workflows.ErrInvalidInput)
	case pkgmgr.ScriptFailed:
		return perm(workflows.ErrScriptFailed)
	case pkgmgr.Broken, pkgmgr.Unsupported:
		return perm(workflows.ErrPackageManager)
	case pkgmgr.DiskFull:
		return perm(workflows.ErrDiskFull)
	case pkgmgr.Mismatch:
		return perm(workflows.ErrMismatch)
	}
	// Unreachable, timeouts, a held lock, a failed fetch: worth retrying.
	return temporal.NewApplicationError(msg, "Transient")
}

func toPins(ps []domain.Pin) []pkgmgr.Pin {
	out := make([]pkgmgr.Pin, len(ps))
	for i, p := range ps {
		out[i] = pkgmgr.Pin{Name: p.Name, Version: p.Version}
	}
	return out
}

// validPins rejects names and versions outside the package manager's
// grammar before anything reaches the host.
func validPins(kind, host string, pins []domain.Pin) error {
	for _, p := range toPins(pins) {
		if err := pkgmgr.ValidPin(kind, p); err != nil {
			return temporal.NewNonRetryableApplicationError(
				fmt.Sprintf("host %s: pin %s: %v", host, p, err), workflows.ErrInvalidInput, nil)
		}
	}
	return nil
}
