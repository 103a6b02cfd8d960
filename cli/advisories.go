package cli

import (
	"github.com/spf13/cobra"
)

// NewCmdAdvisories builds `patchflow advisories`, the parent of the
// commands that fetch and inspect vulnerability data: sync
// (advisories_sync.go) and status (advisories_status.go).
func NewCmdAdvisories(f *Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "advisories",
		Short: "Fetch and inspect vulnerability data (Debian tracker, OSV, KEV, EPSS)",
		Long: `Fetch the configured vulnerability sources into a local cache and show
how old each one is. Scans and plans read the cache to say which CVEs an
update fixes, how severe they are, whether they are in CISA KEV and their
EPSS score; no workflow ever fetches a feed.

Sources are listed in a YAML file (apiVersion: patchflow/v1, kind:
AdvisorySources): each has a name, a kind (debian-tracker, vuln-list-debian,
osv, kev, epss) and a location, a local file or directory or an http(s) URL
you mirror. See docs/vulnerabilities.md.

The cache directory is --cache, else $PATCHFLOW_ADVISORY_CACHE, else
$XDG_CACHE_HOME/patchflow/advisories.`,
		Args: wrapArgs(cobra.NoArgs),
	}
	cmd.AddCommand(
		NewCmdAdvisoriesSync(f, nil),
		NewCmdAdvisoriesStatus(f, nil),
	)
	return cmd
}
