package deploy

import (
	"slices"
	"strings"
	"testing"
)

// dashboardRowPanels returns the panels under each row title. An expanded
// row keeps its panels after it in the dashboard's top-level list, a
// collapsed one inside its own panels.
func dashboardRowPanels(d dashboard) map[string][]panel {
	rows := map[string][]panel{}
	current := ""
	for _, p := range d.Panels {
		if p.Type == "row" {
			current = p.Title
			rows[current] = append(rows[current], p.Panels...)
			continue
		}
		rows[current] = append(rows[current], p)
	}
	return rows
}

// dashboardVars gives Grafana's variables values they take, so that a
// panel's query can be run as PromQL.
var dashboardVars = strings.NewReplacer("$__rate_interval", "1m", "$window", "1h", "$policy", ".*")

// rowQueries returns the PromQL of every query of a row's panels, with the
// variables replaced, each with its panel's title.
func rowQueries(t *testing.T, d dashboard, row string) map[string]string {
	t.Helper()
	ps := dashboardRowPanels(d)[row]
	if len(ps) == 0 {
		t.Fatalf("dashboard has no row %q with panels", row)
	}
	out := map[string]string{}
	for _, p := range ps {
		for i, tg := range p.Targets {
			out[p.Title+" #"+string(rune('A'+i))] = dashboardVars.Replace(tg.Expr)
		}
	}
	return out
}

// postureRow and notificationsRow are the dashboard rows of the
// assessments' security posture and of webhook notifications, with the
// series each must show.
var (
	postureRow    = "Security posture (assessments)"
	postureSeries = []string{
		"patchflow:assessment_hosts:latest", "patchflow:assessment_missing_fixes:latest",
		"patchflow:assessment_missing_kev_fixes:latest", "patchflow:assessment_oldest_critical_seconds:latest",
		"patchflow:assessment_sla_breached_fixes:latest", "patchflow:assessment_age_seconds",
		"patchflow:assessment_compliance_ratio:latest",
	}
	notificationsRow    = "Notifications"
	notificationsSeries = []string{
		"patchflow:notifications:increase1h", "patchflow:notification_failure_ratio:10m",
		"patchflow:notification_attempts:increase1h", "patchflow:notification_duration_seconds:p95_1h",
		"patchflow_notifications_total", "patchflow_notification_duration_seconds_bucket",
	}
)

// TestDashboardRows checks that the posture row shows every assessment
// series, each filtered by the Policy variable (the rules carry policy),
// and that the notifications row shows deliveries, failures, attempts and
// latency.
func TestDashboardRows(t *testing.T) {
	d := loadDashboard(t)
	for _, r := range []struct {
		row    string
		series []string
	}{{postureRow, postureSeries}, {notificationsRow, notificationsSeries}} {
		shown := map[string]bool{}
		for where, expr := range rowQueries(t, d, r.row) {
			for _, sel := range selectors(expr) {
				shown[sel.Name] = true
				if r.row == postureRow && !slices.Contains(sel.Labels, "policy") {
					t.Errorf("%s: panel %s shows %s for every policy; filter it with policy=~\"$policy\"", r.row, where, sel.Name)
				}
			}
		}
		for _, s := range r.series {
			if !shown[s] {
				t.Errorf("dashboard row %q does not show %s", r.row, s)
			}
		}
	}
}

// TestDashboardLayout checks that no two panels overlap and that every
// panel fits Grafana's 24 columns: Grafana would move an overlapping one
// somewhere else.
func TestDashboardLayout(t *testing.T) {
	ps := loadDashboard(t).Panels
	for i, p := range ps {
		g := p.GridPos
		if g.W <= 0 || g.H <= 0 || g.X < 0 || g.X+g.W > 24 {
			t.Errorf("panel %q: gridPos %+v does not fit 24 columns", p.Title, g)
		}
		for _, o := range ps[:i] {
			h := o.GridPos
			if g.X < h.X+h.W && h.X < g.X+g.W && g.Y < h.Y+h.H && h.Y < g.Y+g.H {
				t.Errorf("panels %q and %q overlap", o.Title, p.Title)
			}
		}
	}
}
