package posture

import (
	"fmt"
	"testing"
	"time"

	"github.com/patchflow/patchflow/domain"
	"github.com/patchflow/patchflow/report"
	"github.com/patchflow/patchflow/workflows"
)

// bigShard is a full assessment shard of a month-behind estate: 500
// hosts, 100 pending updates each out of 400 distinct ones (one in four
// a security update with three CVEs), the policy requiring the security
// ones, and two exposures per host.
func bigShard() *workflows.AssessShardResult {
	at := time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)
	r := &workflows.AssessShardResult{Assessed: at}
	for i := range 400 {
		u := domain.Pending{Manager: "apt", Name: fmt.Sprintf("pkg-%d", i), Installed: "1.0-1", Candidate: "1.0-1+deb12u1",
			Class: domain.ClassBugfix, Since: at.Add(-time.Duration(i) * time.Hour)}
		if i%4 == 0 {
			u.Class = domain.ClassSecurity
			u.Severity = domain.SeverityHigh
			u.CVEs = []string{fmt.Sprintf("CVE-2026-%05d", i), fmt.Sprintf("CVE-2026-%05d", i+1), fmt.Sprintf("CVE-2025-%05d", i)}
		}
		r.Updates = append(r.Updates, u)
	}
	for i := range 20 {
		r.Exposures = append(r.Exposures, domain.Exposure{Package: fmt.Sprintf("lib-%d", i), Version: "2.0-1",
			ID: fmt.Sprintf("CVE-2024-%05d", i), State: "no_fix_yet", Severity: domain.SeverityMedium})
	}
	for h := range 500 {
		host := workflows.AssessedHost{HostScan: domain.HostScan{Host: fmt.Sprintf("web-%d", h), Manager: "apt"}, Assessed: at}
		for k := range 100 {
			i := (h*7 + k*4) % 400
			host.Updates = append(host.Updates, i)
			if r.Updates[i].Class == domain.ClassSecurity {
				host.Required = append(host.Required, i)
			}
		}
		host.Exposed = []int{h % 20, (h + 1) % 20}
		r.Hosts = append(r.Hosts, host)
	}
	return r
}

// BenchmarkComplianceShard is the work `report compliance` does per shard
// it reads: the shard's 500 hosts as report rows.
func BenchmarkComplianceShard(b *testing.B) {
	s := Shard{ID: "assess/web/t/shard/1", Result: bigShard()}
	b.ReportAllocs()
	for b.Loop() {
		if hosts := complianceHosts("web", s, nil); len(hosts) != 500 {
			b.Fatal(len(hosts))
		}
	}
}

// BenchmarkCVEAuditShard is the work `cve audit` of five CVEs does per
// shard it reads.
func BenchmarkCVEAuditShard(b *testing.B) {
	r := bigShard()
	cves := []string{"CVE-2026-00000", "CVE-2026-00001", "CVE-2025-00200", "CVE-2024-00003", "CVE-2021-44228"}
	b.ReportAllocs()
	for b.Loop() {
		states := map[report.CVEState]int{}
		for _, h := range r.Hosts {
			for _, c := range cves {
				var m cveMeta
				states[classify(r, h, c, &m).state]++
			}
		}
		if states[report.CVENotAffected] == 0 {
			b.Fatal(states)
		}
	}
}
