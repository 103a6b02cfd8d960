package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/patchflow/patchflow/domain"
	"github.com/patchflow/patchflow/hostscan"
	"github.com/patchflow/patchflow/inventory"
	"github.com/patchflow/patchflow/pkgmgr"
	"github.com/patchflow/patchflow/transport"
	"github.com/spf13/cobra"
)

// InventoryScanOptions are the flags of `patchflow inventory scan`.
type InventoryScanOptions struct {
	IO            IOStreams
	InventoryPath string
	Select        []string
	Parallel      int
	NoRefresh     bool
	// Exposures also lists what the installed packages are exposed to
	// with no fix to install, apart from the pending updates.
	Exposures bool
	Timeout   time.Duration
	JSON      bool
	// Dialer reaches ssh hosts; nil means transport.NewSSHDialer().
	Dialer transport.Dialer
	// AdvisoryCache is the advisory feeds' cache ("" the default).
	AdvisoryCache string
}

// InventoryScanResult is the `inventory scan --json` object.
type InventoryScanResult struct {
	Source   string     `json:"source"`
	Selector string     `json:"selector"`
	Hosts    []HostScan `json:"hosts"`
	Failed   int        `json:"failed"` // hosts whose scan failed
}

// HostScan is one host's scan: its pending updates, or the error that
// stopped it.
type HostScan struct {
	Host    string          `json:"host"`
	Manager string          `json:"manager,omitempty"`
	Release string          `json:"release,omitempty"`
	Updates []domain.Update `json:"updates"`
	// Notes say what the identification could not do on the host.
	Notes []string `json:"notes,omitempty"`
	// With --exposures: the vulnerabilities of the installed packages that
	// no pending update fixes (no fix yet, no DSA, postponed, end of life,
	// undetermined) and those of the running kernel a newer installed one
	// fixes (reboot_pending), the running kernel, and whether the host
	// waits for a reboot.
	Exposures     []domain.Exposure `json:"exposures,omitempty"`
	RunningKernel string            `json:"running_kernel,omitempty"`
	RebootPending bool              `json:"reboot_pending,omitempty"`
	Error         *ScanError        `json:"error,omitempty"`
	Duration      time.Duration     `json:"duration_ns"`
}

// ScanError says which operation failed on a host and why.
type ScanError struct {
	Op      string `json:"op"`
	Kind    string `json:"kind,omitempty"`
	Message string `json:"message"`
}

// NewCmdInventoryScan builds `patchflow inventory scan`.
func NewCmdInventoryScan(f *Factory, runF func(*InventoryScanOptions) error) *cobra.Command {
	opts := &InventoryScanOptions{IO: f.IO}
	cmd := &cobra.Command{
		Use:   "scan -i FILE [--select TERMS]... [--parallel N] [--json]",
		Short: "Show each host's pending updates, their classification and what they fix",
		Long: `Connect to every selected host (SSH, or the local transport), refresh its
package index and list the pending updates: installed and candidate
version, class (security, bugfix, feature), the source (apt origin/suite,
dnf or zypper repository) the class was decided from, and what each update
fixes: its CVEs (or other advisory ids), severity, KEV membership, EPSS and
risk, exactly as a cycle's scan identifies them (docs/vulnerabilities.md):
from the candidate's changelog on Debian hosts, dnf's and zypper's
updateinfo, and the advisory feeds synced with "patchflow advisories sync"
(--advisory-cache, default $PATCHFLOW_ADVISORY_CACHE or the user cache).
The scan reads each host's first-seen records but does not write them.

With --exposures the scan also assesses the installed packages and lists,
in a second table (exposures in --json), the vulnerabilities no pending
update fixes: no fix yet, no DSA, postponed, end of life, undetermined;
and those of the running kernel that a newer installed kernel fixes
(reboot_pending: only the running kernel counts as exposed). They are kept
apart from the updates, whose fixes are released.

Hosts are scanned in parallel (--parallel, default 10). A host that fails
is reported with the operation that failed (connect, refresh, ...) and
does not stop the others. Progress goes to stderr.

Exit codes: 0 every host scanned, 1 a host failed or the inventory or
selection is invalid, 2 usage error.`,
		Example: `  patchflow inventory scan -i inventory.yaml
  patchflow inventory scan -i hosts.ini --select group=web --parallel 20 --json`,
		Args: wrapArgs(cobra.NoArgs),
		RunE: func(*cobra.Command, []string) error {
			if opts.InventoryPath == "" {
				return UsageError("inventory scan: -i/--inventory FILE is required")
			}
			if opts.Parallel < 1 {
				return UsageError("inventory scan: --parallel must be at least 1, got %d", opts.Parallel)
			}
			if err := checkPositive("inventory scan: --timeout", opts.Timeout); err != nil {
				return err
			}
			if runF != nil {
				return runF(opts)
			}
			return inventoryScanRun(context.Background(), opts)
		},
	}
	cmd.Flags().StringVarP(&opts.InventoryPath, "inventory", "i", "", "inventory `FILE` (patchflow YAML or Ansible INI/YAML)")
	cmd.Flags().StringVar(&opts.AdvisoryCache, "advisory-cache", "", "advisory feeds' cache `DIR` (default $PATCHFLOW_ADVISORY_CACHE or the user cache)")
	cmd.Flags().StringArrayVar(&opts.Select, "select", nil, "select hosts by `TERMS` such as group=web,env=prod (repeatable; all terms apply)")
	cmd.Flags().IntVar(&opts.Parallel, "parallel", 10, "scan at most `N` hosts at once")
	cmd.Flags().BoolVar(&opts.NoRefresh, "no-refresh", false, "use what the hosts have: skip apt-get update / dnf makecache and download no package to read its changelog")
	cmd.Flags().DurationVar(&opts.Timeout, "timeout", 10*time.Minute, "give up on a host after `DURATION`")
	cmd.Flags().BoolVar(&opts.Exposures, "exposures", false, "also list the installed packages' vulnerabilities that no pending update fixes, apart from the updates")
	cmd.Flags().BoolVar(&opts.JSON, "json", false, "print the result as JSON")
	return cmd
}

func inventoryScanRun(ctx context.Context, opts *InventoryScanOptions) error {
	inv, sel, hosts, err := selectHosts(opts.IO, opts.InventoryPath, opts.Select)
	if err != nil {
		return err
	}
	dialer := opts.Dialer
	if dialer == nil {
		dialer = transport.NewSSHDialer()
	}
	pool := transport.NewPool(dialer)
	defer pool.Close()
	scanner := hostscan.New(hostscan.OpenFeeds(opts.AdvisoryCache), nil)
	scanner.ReadOnly = true

	res := InventoryScanResult{Source: inv.Source, Selector: sel.String(), Hosts: make([]HostScan, len(hosts))}
	prog := newScanProgress(opts.IO.ErrOut, len(hosts))
	sem := make(chan struct{}, opts.Parallel)
	var wg sync.WaitGroup
	for i, h := range hosts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			hctx, cancel := context.WithTimeout(ctx, opts.Timeout)
			defer cancel()
			res.Hosts[i] = scanHost(hctx, scanner, pool, h, hostscan.Options{Refresh: !opts.NoRefresh, Exposures: opts.Exposures})
			prog.done(res.Hosts[i])
		}()
	}
	wg.Wait()
	prog.finish()
	for _, hs := range res.Hosts {
		if hs.Error != nil {
			res.Failed++
		}
	}
	if opts.JSON {
		if err := printJSON(opts.IO.Out, res); err != nil {
			return err
		}
	} else {
		if err := printScanTable(opts.IO.Out, res); err != nil {
			return err
		}
		if opts.Exposures {
			if err := printExposureTable(opts.IO.Out, res); err != nil {
				return err
			}
		}
		printScanErrors(opts.IO.ErrOut, res)
	}
	if res.Failed > 0 {
		return SilentError(ExitFailure)
	}
	return nil
}

// scanHost connects, detects the package manager and scans the host as a
// cycle does; the first failure ends the host's scan.
func scanHost(ctx context.Context, scanner *hostscan.Scanner, pool *transport.Pool, h inventory.Host, opt hostscan.Options) HostScan {
	start := time.Now()
	hs := HostScan{Host: h.Name, Updates: []domain.Update{}}
	fail := func(op string, err error) HostScan {
		hs.Error = &ScanError{Op: op, Kind: errorKind(err), Message: err.Error()}
		hs.Duration = time.Since(start)
		return hs
	}
	conn, err := pool.Get(ctx, h)
	if err != nil {
		return fail("connect", err)
	}
	m, err := pkgmgr.Detect(ctx, conn, h.Become)
	if err != nil {
		return fail("detect package manager", err)
	}
	hs.Manager = m.Kind()
	res, err := scanner.Scan(ctx, hostscan.Target{Name: h.Name, Conn: conn, Mgr: m, Sudo: h.Become}, opt)
	if err != nil {
		op, _, _ := strings.Cut(err.Error(), ":")
		return fail(op, err)
	}
	hs.Release, hs.Updates, hs.Notes = res.Release, res.Updates, res.Notes
	hs.Exposures, hs.RunningKernel, hs.RebootPending = res.Exposures, res.RunningKernel, res.RebootPending
	hs.Duration = time.Since(start)
	return hs
}

// errorKind names the kind of a transport or package manager error.
func errorKind(err error) string {
	if k := pkgmgr.KindOf(err); k != "" {
		return string(k)
	}
	if k := transport.KindOf(err); k != transport.Unknown {
		return string(k)
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return string(transport.Timeout)
	}
	return ""
}

func printScanTable(w io.Writer, res InventoryScanResult) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "HOST\tPACKAGE\tINSTALLED\tCANDIDATE\tCLASS\tSEVERITY\tFIXES\tKEV\tRISK\tSOURCE")
	for _, hs := range res.Hosts {
		switch {
		case hs.Error != nil:
			termf(tw, "%s\t(failed: %s)\t-\t-\t-\t-\t-\t-\t-\t-\n", hs.Host, hs.Error.Op)
		case len(hs.Updates) == 0:
			termf(tw, "%s\t(up to date)\t-\t-\t-\t-\t-\t-\t-\t-\n", hs.Host)
		}
		for _, u := range hs.Updates {
			termf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%d\t%s\n", hs.Host, u.Name, u.Installed, u.Candidate, u.Class,
				u.Severity, fixesText(u.Vulns), kevText(u.KEV), u.Risk, orDash(u.Source))
		}
	}
	return tw.Flush()
}

// fixesText sums up what an update fixes for a table cell: the CVEs (the
// first two and a count), else its other advisory ids, else "-".
func fixesText(v domain.Vulns) string {
	ids := v.CVEs
	if len(ids) == 0 {
		ids = v.Advisories
	}
	switch {
	case len(ids) == 0:
		return "-"
	case len(ids) <= 2:
		return strings.Join(ids, ",")
	}
	return fmt.Sprintf("%s,%s +%d", ids[0], ids[1], len(ids)-2)
}

func kevText(kev bool) string {
	if kev {
		return "KEV"
	}
	return "-"
}

// printScanErrors prints, on stderr under the table, what the scan of
// each host could not do: its notes (changelogs unavailable, an advisory
// source older than a package), then each failed host's error.
func printScanErrors(w io.Writer, res InventoryScanResult) {
	for _, hs := range res.Hosts {
		for _, n := range hs.Notes {
			termf(w, "note: host %s: %s\n", hs.Host, n)
		}
	}
	for _, hs := range res.Hosts {
		if hs.Error == nil {
			continue
		}
		msg := hs.Error.Message
		// Transport and package manager messages already start "host X: ".
		msg = strings.TrimPrefix(msg, "host "+hs.Host+": ")
		termf(w, "error: host %s: %s: %s\n", hs.Host, hs.Error.Op, msg)
	}
	if n := len(res.Hosts); n > 0 {
		termf(w, "%d of %d hosts scanned, %d failed\n", n-res.Failed, n, res.Failed)
	}
}

// scanProgress reports finished hosts on stderr: a line rewritten in place
// on a terminal, one plain line per host otherwise.
type scanProgress struct {
	mu    sync.Mutex
	w     io.Writer
	tty   bool
	total int
	n     int
}

func newScanProgress(w io.Writer, total int) *scanProgress {
	return &scanProgress{w: w, tty: IsTerminal(w), total: total}
}

func (p *scanProgress) done(hs HostScan) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.n++
	status := fmt.Sprintf("%d updates", len(hs.Updates))
	if hs.Error != nil {
		status = "failed: " + hs.Error.Op
	}
	if p.tty {
		termf(p.w, "\r\033[Kscanned %d/%d hosts (%s: %s)", p.n, p.total, hs.Host, status)
		return
	}
	termf(p.w, "scanned %d/%d hosts: %s: %s\n", p.n, p.total, hs.Host, status)
}

func (p *scanProgress) finish() {
	if p.tty && p.n > 0 {
		fmt.Fprint(p.w, "\r\033[K")
	}
}
