package cli

import (
	"fmt"
	"io"
	"text/tabwriter"
)

// printExposureTable prints, under the updates, what `inventory scan
// --exposures` found the installed packages exposed to with no pending
// update to fix it, one row per vulnerability, and which hosts wait for a
// reboot to run a fixed kernel. Failed hosts are left out: the updates
// table already says they failed.
func printExposureTable(w io.Writer, res InventoryScanResult) error {
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "HOST\tEXPOSED PACKAGE\tVERSION\tVULNERABILITY\tSTATE\tSEVERITY\tKEV\tFIXED IN")
	for _, hs := range res.Hosts {
		if hs.Error != nil {
			continue
		}
		if len(hs.Exposures) == 0 {
			termf(tw, "%s\t(no exposure without a pending fix)\t-\t-\t-\t-\t-\t-\n", hs.Host)
		}
		for _, e := range hs.Exposures {
			termf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", hs.Host, e.Package, e.Version, e.ID, e.State, e.Severity, kevText(e.KEV), orDash(e.Fixed))
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, hs := range res.Hosts {
		if hs.Error == nil && hs.RebootPending {
			if _, err := termf(w, "%s waits for a reboot (running kernel %s)\n", hs.Host, orDash(hs.RunningKernel)); err != nil {
				return err
			}
		}
	}
	return nil
}
