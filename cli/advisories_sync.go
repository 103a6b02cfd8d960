package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/patchflow/patchflow/advisories"
)

// AdvisoriesSyncOptions are the flags of `patchflow advisories sync`.
type AdvisoriesSyncOptions struct {
	IO IOStreams
	// SourcesPath is the sources file (--sources).
	SourcesPath string
	// CacheDir is the cache directory (--cache).
	CacheDir string
}

// NewCmdAdvisoriesSync builds `patchflow advisories sync`.
func NewCmdAdvisoriesSync(f *Factory, runF func(*AdvisoriesSyncOptions) error) *cobra.Command {
	opts := &AdvisoriesSyncOptions{IO: f.IO}
	cmd := &cobra.Command{
		Use:   "sync [--sources FILE] [--cache DIR]",
		Short: "Fetch every configured advisory source into the cache",
		Long: `Fetch every source of the sources file into the cache directory: local
files are copied (a directory of records is packed into one zip), http(s)
URLs are downloaded within the source's max_bytes and timeout;
link-local and cloud metadata addresses are refused unless the source sets
allow_link_local. Each source is parsed before it replaces its cached copy,
so a broken or truncated download keeps the previous one. Sources no longer
in the file are removed from the cache.

Progress is live on a terminal and one line per step otherwise.

Exit codes: 0 every source synced, 1 a source failed (the others are still
synced) or the sources file is invalid, 2 usage error.`,
		Example: `  patchflow advisories sync --sources /etc/patchflow/advisories.yaml
  PATCHFLOW_ADVISORY_CACHE=/var/cache/patchflow/advisories patchflow advisories sync`,
		Args: wrapArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if opts.CacheDir == "" {
				opts.CacheDir = advisories.DefaultCacheDir()
			}
			if runF != nil {
				return runF(opts)
			}
			return advisoriesSyncRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringVar(&opts.SourcesPath, "sources", "advisories.yaml", "sources `FILE` (apiVersion: patchflow/v1, kind: AdvisorySources)")
	cmd.Flags().StringVar(&opts.CacheDir, "cache", "", "cache `DIR` (default $PATCHFLOW_ADVISORY_CACHE, else the user cache directory)")
	return cmd
}

func advisoriesSyncRun(ctx context.Context, opts *AdvisoriesSyncOptions) error {
	if ctx == nil {
		ctx = context.Background()
	}
	sf, err := advisories.LoadSources(opts.SourcesPath)
	var errs advisories.SourcesErrors
	if errors.As(err, &errs) {
		for _, e := range errs {
			fmt.Fprintf(opts.IO.ErrOut, "error: %s\n", advisories.Sanitize(e.Error()))
		}
		return SilentError(ExitFailure)
	}
	if err != nil {
		return errors.New(advisories.Sanitize(err.Error()))
	}
	p := newSyncProgress(opts.IO.ErrOut)
	results, err := advisories.Sync(ctx, sf.Sources, opts.CacheDir, p.update)
	p.finish()
	ok := 0
	for _, r := range results {
		if r.Err == nil {
			ok++
		}
	}
	fmt.Fprintf(opts.IO.Out, "synced %d of %d sources into %s\n", ok, len(sf.Sources), advisories.Sanitize(opts.CacheDir))
	if err != nil {
		return fmt.Errorf("advisories sync: %d of %d sources failed (see above); their previous copies, if any, are kept", len(sf.Sources)-ok, len(sf.Sources))
	}
	return nil
}

// syncProgress shows sync progress: on a terminal one line per source,
// redrawn while it downloads; otherwise one plain line per step, so logs
// stay readable.
type syncProgress struct {
	w        io.Writer
	live     bool
	drawing  bool
	lastDraw time.Time
}

func newSyncProgress(w io.Writer) *syncProgress { return &syncProgress{w: w, live: IsTerminal(w)} }

func (p *syncProgress) update(ev advisories.Progress) {
	name := advisories.Sanitize(ev.Source)
	var line string
	switch ev.Phase {
	case "fetch":
		if !p.live {
			if ev.Done == 0 {
				fmt.Fprintf(p.w, "%s: fetching\n", name)
			}
			return
		}
		// Redraw at most ten times a second.
		if time.Since(p.lastDraw) < 100*time.Millisecond && ev.Done > 0 {
			return
		}
		p.lastDraw = time.Now()
		line = fmt.Sprintf("%s: fetching %s", name, byteCount(ev.Done, ev.Total))
	case "parse":
		line = fmt.Sprintf("%s: checking %s", name, byteCount(ev.Done, -1))
	case "done":
		e := ev.Entry
		line = fmt.Sprintf("%s: %s, %d skipped, as of %s (%s)", name, count(e.Records, "record"), e.Skipped, e.AsOf.Format(time.DateOnly), e.AsOfFrom)
	case "failed":
		line = "error: " + advisories.Sanitize(ev.Err.Error())
	default:
		return
	}
	if !p.live {
		fmt.Fprintln(p.w, line)
		return
	}
	fmt.Fprintf(p.w, "\r\x1b[K%s", line)
	p.drawing = true
	if ev.Phase == "done" || ev.Phase == "failed" {
		fmt.Fprintln(p.w)
		p.drawing = false
	}
}

func (p *syncProgress) finish() {
	if p.drawing {
		fmt.Fprintln(p.w)
	}
}

func byteCount(n, total int64) string {
	h := func(b int64) string {
		switch {
		case b >= 1<<20:
			return fmt.Sprintf("%.1f MB", float64(b)/(1<<20))
		case b >= 1<<10:
			return fmt.Sprintf("%.1f kB", float64(b)/(1<<10))
		}
		return fmt.Sprintf("%d B", b)
	}
	if total > 0 {
		return strings.TrimSpace(h(n) + " of " + h(total))
	}
	return h(n)
}

func count(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}
