package domain

import (
	"fmt"
	"strings"
	"testing"
)

func TestHistoryRiskFormula(t *testing.T) {
	tests := []struct {
		h    EntryHistory
		want int
	}{
		{EntryHistory{}, 0},
		{EntryHistory{Basis: HistoryBasisPath, Runs: 1, Failed: 1, RolledBack: 1}, 75},
		{EntryHistory{Basis: HistoryBasisPath, Runs: 1, Failed: 1}, 50},
		{EntryHistory{Basis: HistoryBasisPath, Runs: 3, Failed: 3, RolledBack: 3}, 100},
		{EntryHistory{Basis: HistoryBasisPath, Runs: 20, Failed: 1, RolledBack: 1}, 7},
		{EntryHistory{Basis: HistoryBasisPath, Runs: 50}, 0},
		{EntryHistory{Basis: HistoryBasisPackage, Runs: 3, Failed: 3, RolledBack: 3}, 50},
		{EntryHistory{Basis: HistoryBasisPackage, Runs: 1, Failed: 1, RolledBack: 1}, 38},
	}
	for _, tt := range tests {
		if got := tt.h.Risk(); got != tt.want {
			t.Errorf("%+v: risk %d, want %d", tt.h, got, tt.want)
		}
	}
}

// earlierRuns are host runs as three earlier cycles recorded them on a
// Debian fleet: demo-lib 1.0 -> 1.1 fails its postinst on two hosts and is
// rolled back; demo-app installs everywhere; a precheck failure and a busy
// host say nothing about any package.
func earlierRuns() []HostRun {
	pins := []Pin{{Name: "demo-app", Version: "1.0.1"}, {Name: "demo-lib", Version: "1.1"}}
	snap := []Pin{{Name: "demo-app", Version: "1.0.0"}, {Name: "demo-lib", Version: "1.0"}}
	postinst := "applying failed: PackageScriptFailed: host ev-h3: install demo-app=1.0.1 demo-lib=1.1: package demo-lib 1.1 is left half-configured (dpkg status iF): dpkg: error processing package demo-lib (--configure): installed demo-lib package post-installation script subprocess returned error exit status 1; rolled back to snapshot; no operator decision within 3s"
	return []HostRun{
		{Cycle: "c1", Manager: "apt", State: HostPatched, Pins: pins, Snapshot: snap},
		{Cycle: "c1", Manager: "apt", State: HostFailed, Reason: postinst, Pins: pins, Snapshot: snap},
		{Cycle: "c2", Manager: "apt", State: HostSkipped, Reason: strings.Replace(postinst, "no operator decision within 3s", "skipped by operator", 1), Pins: pins, Snapshot: snap},
		{Cycle: "c2", Manager: "apt", State: HostFailed, Reason: "prechecking failed: host unreachable: dial tcp 10.213.15.4:22: connect: no route to host; host unchanged", Pins: pins, Snapshot: snap},
		{Cycle: "c3", Manager: "apt", State: HostSkipped, Reason: "busy: patched by cycle/other/2026-01-01T00:00:00Z", Pins: pins, Snapshot: snap},
		{Cycle: "c3", Manager: "apt", State: HostPatched, Pins: pins[:1], Snapshot: snap[:1]},
	}
}

func TestHistoryBookBlamesThePackageTheFailureNames(t *testing.T) {
	b := NewHistoryBook([]string{"demo-app", "demo-lib", "openssl"})
	for _, r := range earlierRuns() {
		b.Add(r)
	}
	lib := b.Entry("apt", "demo-lib", "1.1")
	want := EntryHistory{Basis: HistoryBasisPath, Runs: 3, Failed: 2, RolledBack: 2, Cycles: 2,
		Paths: []UpgradePath{{From: "1.0", To: "1.1", Runs: 3, Failed: 2, RolledBack: 2}}}
	if fmt.Sprint(lib) != fmt.Sprint(want) {
		t.Errorf("demo-lib 1.1: %+v\nwant %+v", lib, want)
	}
	if lib.Risk() != 75 {
		t.Errorf("demo-lib risk %d, want 75 (round(100 x 3/4))", lib.Risk())
	}
	app := b.Entry("apt", "demo-app", "1.0.1")
	if app.Runs != 4 || app.Failed != 0 || app.RolledBack != 0 || app.Cycles != 3 || app.Risk() != 0 {
		t.Errorf("demo-app: %+v, want 4 clean runs over 3 cycles", app)
	}
	if got := b.Entry("apt", "openssl", "3.0.15"); got.Runs != 0 || got.Risk() != 0 || got.Text() != "no earlier run" {
		t.Errorf("openssl never ran: %+v", got)
	}
	if got := b.Entry("dnf", "demo-lib", "1.1"); got.Runs != 0 {
		t.Errorf("a dnf demo-lib took apt's history: %+v", got)
	}
	if got := lib.Text(); got != "2 of 3 runs failed, 2 rolled back (this upgrade, 2 cycles)" {
		t.Errorf("text %q", got)
	}
}

func TestHistoryBookFallsBackToThePackageForANewUpgrade(t *testing.T) {
	b := NewHistoryBook([]string{"demo-lib"})
	for _, r := range earlierRuns() {
		b.Add(r)
	}
	h := b.Entry("apt", "demo-lib", "1.2")
	if h.Basis != HistoryBasisPackage || h.Runs != 3 || h.Failed != 2 || h.Risk() != 38 {
		t.Errorf("demo-lib 1.2 (new): %+v risk %d, want the package's runs at half weight (38)", h, h.Risk())
	}
	if !strings.Contains(h.Text(), "other versions") {
		t.Errorf("text %q does not say the runs were of other versions", h.Text())
	}
}

func TestHistoryBookBlamesEveryPinWhenTheFailureNamesNone(t *testing.T) {
	b := NewHistoryBook([]string{"a", "b"})
	pins := []Pin{{Name: "a", Version: "2"}, {Name: "b", Version: "2"}}
	b.Add(HostRun{Cycle: "c", State: HostFailed, Reason: "verifying failed: check http-200: GET /healthz returned 503", Pins: pins})
	b.Add(HostRun{Cycle: "c", State: HostFailed, Reason: "check after bake: tcp {host}:443 refused", Pins: pins[:1]})
	b.Add(HostRun{Cycle: "c", State: HostRolledBack, Reason: "rollback requested by an operator; rolled back to snapshot", Pins: pins[1:]})
	a, bb := b.Entry("apt", "a", "2"), b.Entry("apt", "b", "2")
	if a.Runs != 2 || a.Failed != 2 || a.RolledBack != 0 {
		t.Errorf("a: %+v, want 2 runs, both failed", a)
	}
	if bb.Runs != 2 || bb.Failed != 1 || bb.RolledBack != 1 || bb.Risk() != 50 {
		t.Errorf("b: %+v risk %d, want 2 runs, 1 failed, 1 rolled back by an operator, risk 50", bb, bb.Risk())
	}
	if a.Paths[0].From != "" {
		t.Errorf("a was not installed before: path %+v", a.Paths[0])
	}
}

func TestNamedNeedsAWholePackageName(t *testing.T) {
	for _, tt := range []struct {
		text, name string
		want       bool
	}{
		{"error processing package demo-lib (--configure)", "demo-lib", true},
		{"error processing package demo-lib2 (--configure)", "demo-lib", false},
		{"error processing package libdemo-lib", "demo-lib", false},
		{"demo-lib", "demo-lib", true},
		{"demo-lib:amd64 (1.1) failed", "demo-lib", true},
		{"openssl, demo-lib: failed", "demo-lib", true},
		// apt's message lists every pin, then names the one that broke.
		{"host ev-h4: install demo-app=1.0.1 demo-lib=1.1: package demo-lib 1.1 is left half-configured", "demo-app", false},
		{"host ev-h4: install demo-app=1.0.1 demo-lib=1.1: package demo-lib 1.1 is left half-configured", "demo-lib", true},
		// dnf and zypper list every pin's state after "now".
		{"install zlib=1 demo-lib=1.1: a package script failed (dnf exited 0): demo-lib 1.1: %post failed; now demo-lib is 1.1, zlib is 1", "zlib", false},
		{"install zlib=1 demo-lib=1.1: a package script failed (dnf exited 0): demo-lib 1.1: %post failed; now demo-lib is 1.1, zlib is 1", "demo-lib", true},
	} {
		if got := named(tt.text, tt.name); got != tt.want {
			t.Errorf("named(%q, %q) = %v", tt.text, tt.name, got)
		}
	}
}

func TestRiskiestFirstKeepsOrderAmongEquals(t *testing.T) {
	p := Plan{Entries: []PlanEntry{{Name: "demo-app"}, {Name: "demo-lib", HistoryRisk: 75}, {Name: "openssl", HistoryRisk: 10}}}
	refs := map[string][]int{"h1": {0}, "h2": {0, 2}, "h3": {0, 1}, "h4": {0}, "h5": {1}}
	got := p.RiskiestFirst([]string{"h1", "h2", "h3", "h4", "h5"}, func(h string) []int { return refs[h] })
	if strings.Join(got, " ") != "h3 h5 h2 h1 h4" {
		t.Errorf("order %v", got)
	}
}

func TestWhyManualNamesTheUpdate(t *testing.T) {
	h := &EntryHistory{Basis: HistoryBasisPath, Runs: 3, Failed: 2, RolledBack: 2, Cycles: 2}
	p := Plan{Entries: []PlanEntry{{Name: "demo-app", Version: "1.0.1", Vulns: Vulns{Risk: 30}}, {Name: "demo-lib", Version: "1.1", HistoryRisk: 75, History: h}}}
	tests := []struct {
		a    ApprovalSpec
		want string
	}{
		{ApprovalSpec{}, ""},
		{ApprovalSpec{HistoryRiskAbove: 75}, ""},
		{ApprovalSpec{HistoryRiskAbove: 50}, "history risk 75 of demo-lib 1.1 is above the policy's 50: 2 of 3 runs failed, 2 rolled back (this upgrade, 2 cycles)"},
		{ApprovalSpec{RiskAbove: 20, HistoryRiskAbove: 50}, "risk 30 of demo-app 1.0.1 is above the policy's 20"},
		{ApprovalSpec{Mode: ApprovalManual}, "the policy approves by manual"},
	}
	for _, tt := range tests {
		if got := tt.a.WhyManual(p); got != tt.want {
			t.Errorf("%+v: %q, want %q", tt.a, got, tt.want)
		}
		if tt.a.Manual(p) != (tt.want != "") {
			t.Errorf("%+v: Manual disagrees with WhyManual", tt.a)
		}
	}
	bad := CycleSpec{Approval: ApprovalSpec{HistoryRiskAbove: 101}}
	if err := bad.Validate(); err == nil || !strings.Contains(err.Error(), "history_risk_above must be 0 (never) to 100, got 101") {
		t.Errorf("validate: %v", err)
	}
}

// BenchmarkHistoryBook is the PatchHistory activity's own work over its
// bound: 50 cycles of 1,000 hosts with 80 pins each, 5 % of runs failing
// (postinst named), learned for a plan of 120 packages.
func BenchmarkHistoryBook(b *testing.B) {
	const cycles, hosts, pinsPerHost, planned = 50, 1000, 80, 120
	pins := make([]Pin, pinsPerHost)
	snap := make([]Pin, pinsPerHost)
	names := make([]string, planned)
	for i := range names {
		names[i] = fmt.Sprintf("pkg%03d", i)
	}
	for i := range pins {
		pins[i] = Pin{Name: names[i], Version: "2.0"}
		snap[i] = Pin{Name: names[i], Version: "1.0"}
	}
	runs := make([]HostRun, 0, hosts)
	for h := range hosts {
		r := HostRun{Manager: "apt", State: HostPatched, Pins: pins, Snapshot: snap}
		if h%20 == 0 {
			r.State = HostFailed
			r.Reason = fmt.Sprintf("applying failed: host h%d: install ...: package %s 2.0 is left half-configured; rolled back to snapshot", h, names[h%pinsPerHost])
		}
		runs = append(runs, r)
	}
	b.ReportAllocs()
	for b.Loop() {
		book := NewHistoryBook(names)
		for c := range cycles {
			id := fmt.Sprintf("cycle/web/%d", c)
			for _, r := range runs {
				r.Cycle = id
				book.Add(r)
			}
		}
		for _, n := range names {
			_ = book.Entry("apt", n, "2.0")
		}
	}
}

func TestHistoryBookFindsFromVersionsInAnySnapshotOrder(t *testing.T) {
	b := NewHistoryBook([]string{"a", "b"})
	b.Add(HostRun{Cycle: "c", State: HostPatched, Pins: []Pin{{Name: "a", Version: "2"}, {Name: "b", Version: "5"}},
		Snapshot: []Pin{{Name: "b", Version: "4"}, {Name: "a", Version: "1"}}})
	if a, bb := b.Entry("", "a", "2"), b.Entry("", "b", "5"); a.Paths[0].From != "1" || bb.Paths[0].From != "4" {
		t.Errorf("paths %+v and %+v, want from 1 and from 4", a.Paths, bb.Paths)
	}
}
