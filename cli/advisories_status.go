package cli

import (
	"fmt"
	"strconv"
	"time"

	"github.com/spf13/cobra"

	"github.com/patchflow/patchflow/advisories"
)

// AdvisoriesStatusOptions are the flags of `patchflow advisories status`.
type AdvisoriesStatusOptions struct {
	IO       IOStreams
	CacheDir string
	JSON     bool
	// Now is the clock ages are measured against (tests set it).
	Now func() time.Time
}

// AdvisoriesStatusResult is the `advisories status --json` object.
type AdvisoriesStatusResult struct {
	Cache   string                  `json:"cache"`
	Sources []AdvisoriesSourceState `json:"sources"`
}

// AdvisoriesSourceState is one cached source in `advisories status --json`.
type AdvisoriesSourceState struct {
	Name     string               `json:"name"`
	Kind     advisories.Kind      `json:"kind"`
	Location string               `json:"location"`
	AsOf     time.Time            `json:"as_of"`
	AsOfFrom string               `json:"as_of_from"`
	Fetched  time.Time            `json:"fetched_at"`
	Records  int                  `json:"records"`
	Skipped  int                  `json:"skipped"`
	AgeSecs  int64                `json:"age_seconds"`
	Bytes    int64                `json:"bytes"`
	SHA256   string               `json:"sha256"`
	Releases []advisories.Release `json:"releases,omitempty"`
}

// NewCmdAdvisoriesStatus builds `patchflow advisories status`.
func NewCmdAdvisoriesStatus(f *Factory, runF func(*AdvisoriesStatusOptions) error) *cobra.Command {
	opts := &AdvisoriesStatusOptions{IO: f.IO, Now: time.Now}
	cmd := &cobra.Command{
		Use:   "status [--cache DIR] [--json]",
		Short: "Show each cached advisory source, its as-of time, record count and age",
		Long: `Show the sources in the cache, in the order of precedence they had in the
sources file: kind, location, the data's own as-of time (KEV dateReleased,
EPSS score_date, the newest OSV or DSA date; else the server's
Last-Modified, else the fetch time), how many records it held, how many
were skipped, and its age. An old source cannot know about new packages:
scans say so ("not in KEV as of 2025-08-25").

Exit codes: 0 shown (also when the cache is empty), 1 the cache is
damaged, 2 usage error.`,
		Example: `  patchflow advisories status
  patchflow advisories status --cache /var/cache/patchflow/advisories --json`,
		Args: wrapArgs(cobra.NoArgs),
		RunE: func(*cobra.Command, []string) error {
			if opts.CacheDir == "" {
				opts.CacheDir = advisories.DefaultCacheDir()
			}
			if runF != nil {
				return runF(opts)
			}
			return advisoriesStatusRun(opts)
		},
	}
	cmd.Flags().StringVar(&opts.CacheDir, "cache", "", "cache `DIR` (default $PATCHFLOW_ADVISORY_CACHE, else the user cache directory)")
	cmd.Flags().BoolVar(&opts.JSON, "json", false, "print the result as JSON")
	return cmd
}

func advisoriesStatusRun(opts *AdvisoriesStatusOptions) error {
	entries, err := advisories.Status(opts.CacheDir)
	if err != nil {
		return err
	}
	now := opts.Now()
	res := AdvisoriesStatusResult{Cache: opts.CacheDir, Sources: []AdvisoriesSourceState{}}
	for _, e := range entries {
		res.Sources = append(res.Sources, AdvisoriesSourceState{Name: e.Name, Kind: e.Kind, Location: e.Location,
			AsOf: e.AsOf, AsOfFrom: e.AsOfFrom, Fetched: e.FetchedAt, Records: e.Records, Skipped: e.Skipped,
			AgeSecs: int64(now.Sub(e.AsOf).Seconds()), Bytes: e.Bytes, SHA256: e.SHA256, Releases: e.Releases})
	}
	if opts.JSON {
		return printJSON(opts.IO.Out, res)
	}
	if len(res.Sources) == 0 {
		_, err := fmt.Fprintf(opts.IO.ErrOut, "no advisory source in %s; run patchflow advisories sync\n", advisories.Sanitize(opts.CacheDir))
		return err
	}
	t := newTable(opts.IO.Out, "NAME", "KIND", "AS OF", "AGE", "RECORDS", "SKIPPED", "LOCATION")
	for _, s := range res.Sources {
		asOf := s.AsOf.UTC().Format(time.DateOnly)
		if s.AsOfFrom != "data" {
			asOf += " (" + s.AsOfFrom + ")"
		}
		t.row(advisories.Sanitize(s.Name), string(s.Kind), asOf, age(now.Sub(s.AsOf)),
			strconv.Itoa(s.Records), strconv.Itoa(s.Skipped), advisories.Sanitize(s.Location))
	}
	t.flush()
	return nil
}

// age is a short, human duration: 45m, 7h, 12d.
func age(d time.Duration) string {
	switch {
	case d < 0:
		return "future"
	case d < time.Hour:
		return fmt.Sprintf("%dm", int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh", int(d.Hours()))
	}
	return fmt.Sprintf("%dd", int(d.Hours()/24))
}
