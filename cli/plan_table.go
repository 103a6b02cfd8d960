package cli

import (
	"fmt"
	"io"

	"github.com/patchflow/patchflow/domain"
)

// printPlanTable prints a cycle's plan: each pinned update with what it
// fixes, its advisory risk and its history risk (what earlier cycles' runs
// of it say; "-" when none ran before).
func printPlanTable(w io.Writer, p domain.Plan) {
	tw := newTable(w, "MANAGER", "PACKAGE", "VERSION", "CLASS", "SEVERITY", "FIXES", "KEV", "RISK", "HISTORY", "HOSTS")
	for _, e := range p.Entries {
		tw.row(e.Manager, e.Name, e.Version, string(e.Class), string(e.Severity), fixesText(e.Vulns), kevText(e.KEV),
			fmt.Sprint(e.Risk), historyText(e), fmt.Sprint(e.Hosts))
	}
	tw.flush()
}

// historyText is an entry's history risk with its counts: "75 (2/3
// failed)", "0 (0/10 failed)", "-" when no earlier run is known.
func historyText(e domain.PlanEntry) string {
	h := e.History
	if h == nil || h.Runs == 0 {
		return "-"
	}
	s := fmt.Sprintf("%d (%d/%d failed", e.HistoryRisk, h.Failed, h.Runs)
	if h.Basis == domain.HistoryBasisPackage {
		s += ", other versions"
	}
	return s + ")"
}
