package hostscan

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/patchflow/patchflow/advisories"
	"github.com/patchflow/patchflow/domain"
	"github.com/patchflow/patchflow/pkgmgr"
	"github.com/patchflow/patchflow/transport"
)

// Target is one host to scan: its connection and package manager.
type Target struct {
	// Name is the host's inventory name, for messages.
	Name string
	Conn transport.Conn
	Mgr  pkgmgr.Manager
	// Sudo runs privileged commands through sudo (the inventory's become).
	Sudo bool
}

// Result is one host's scan.
type Result struct {
	Manager string `json:"manager"`
	// Release is the distribution release matching keyed the host by
	// ("debian:bookworm"), empty when it could not be read.
	Release string          `json:"release,omitempty"`
	Updates []domain.Update `json:"updates"`
	// Notes say what the identification could not do on this host.
	Notes []string `json:"notes,omitempty"`
	// An assessment (Options.Exposures) also reports what the installed
	// packages are exposed to with no update to install, the running
	// kernel, and whether the host waits for a reboot.
	Exposures     []domain.Exposure `json:"exposures,omitempty"`
	RunningKernel string            `json:"running_kernel,omitempty"`
	RebootPending bool              `json:"reboot_pending,omitempty"`
}

// Options tune one scan.
type Options struct {
	// Refresh renews the package index first, and lets the scan download
	// a candidate package to read its changelog; without it the scan
	// fetches nothing and reads only what the host has cached.
	Refresh bool
	// Exposures also assesses the installed packages (an assessment, not
	// a cycle's scan).
	Exposures bool
	// Kernel reads the running kernel (for a plan's fingerprints).
	Kernel bool
	// Interactive lists the interactive zypper patches (by patch or
	// package name) the scan offers as any other: the policy's
	// patches.interactive (pkgmgr Zypper.WithInteractive). The updates of
	// other interactive patches come marked (domain.Update.Interactive).
	Interactive []string
}

// Scanner scans hosts. One Scanner serves a whole process (a worker, or
// one `inventory scan`), so hosts share its changelog cache.
type Scanner struct {
	// Feeds is the synced advisory data; nil identifies updates from the
	// hosts' own data only.
	Feeds *Feeds
	// Changelogs caches parsed changelogs by (source, version) across
	// hosts.
	Changelogs *advisories.ChangelogCache
	Logger     *slog.Logger
	// Now stamps first-seen records; time.Now by default.
	Now func() time.Time
	// ReadOnly reads the hosts' first-seen records but never writes them
	// (`inventory scan` looks; only cycles and assessments record).
	ReadOnly bool
}

// New returns a Scanner with its defaults filled in.
func New(feeds *Feeds, logger *slog.Logger) *Scanner {
	if logger == nil {
		logger = slog.Default()
	}
	return &Scanner{Feeds: feeds, Changelogs: advisories.NewChangelogCache(0), Logger: logger, Now: time.Now}
}

// Scan refreshes the host's package index (when asked), lists its pending
// updates classified by the driver, and stamps and identifies each. A
// failure to list is the scan's error; the stamps and the identification
// cost what they cannot find, never the scan: a note says so.
func (s *Scanner) Scan(ctx context.Context, t Target, opt Options) (Result, error) {
	res := Result{Manager: t.Mgr.Kind(), Updates: []domain.Update{}}
	mgr := t.Mgr
	if z, ok := mgr.(*pkgmgr.Zypper); ok && len(opt.Interactive) > 0 {
		mgr = z.WithInteractive(opt.Interactive...)
	}
	if opt.Refresh {
		if err := mgr.Refresh(ctx); err != nil {
			return res, fmt.Errorf("refresh: %w", err)
		}
	}
	pending, err := mgr.Pending(ctx)
	if err != nil {
		return res, fmt.Errorf("list pending updates: %w", err)
	}
	for _, u := range pending {
		res.Updates = append(res.Updates, domain.Update{
			Name: u.Name, Arch: u.Arch, Installed: u.Installed, Candidate: u.Candidate, Source: u.Source,
			Class:       domain.Class(u.Class),
			Vulns:       domain.Vulns{Severity: domain.Severity(u.Severity).OrUnknown(), Advisories: u.Advisories},
			Interactive: u.Interactive,
		})
	}
	info := s.updateinfo(ctx, t, res.Updates)
	stampPublished(res.Updates, info)
	s.recordFirstSeen(ctx, t, res.Updates)
	s.identify(ctx, t, &res, info, opt)
	if opt.Kernel && !opt.Exposures {
		if k, err := runningKernel(ctx, t); err == nil {
			res.RunningKernel = k
		} else {
			res.Notes = append(res.Notes, "running kernel unknown: "+err.Error())
		}
	}
	return res, nil
}

func (s *Scanner) now() time.Time {
	if s.Now == nil {
		return time.Now()
	}
	return s.Now()
}
