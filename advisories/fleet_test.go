package advisories

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/patchflow/patchflow/domain"
	"github.com/patchflow/patchflow/localfleet"
)

// On the real test fleet: a Debian host with the real bookworm-security
// updates of libexpat1, liblzma5 and libpcre2-8-0, and a dnf host whose
// repository carries updateinfo. The library is fed what the scan
// activity will feed it: os-release, dpkg-query, the candidate .deb's
// changelog (downloaded by apt, read with dpkg-deb), the installed
// package's changelog, and `dnf updateinfo info`.
func TestFleetRealUpdates(t *testing.T) {
	localfleet.RequireRPM(t)
	f := localfleet.Start(t, localfleet.Config{Name: "adv", Subnet: 177, Hosts: 1, RPMHosts: 1, Logf: t.Logf})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	var deb, rpm string
	for _, h := range f.Hosts {
		if h.Kind == "apt" {
			deb = h.Name
		} else {
			rpm = h.Name
		}
	}
	run := func(host string, args ...string) []byte {
		t.Helper()
		out, err := f.Exec(ctx, host, args...)
		if err != nil {
			t.Fatal(err)
		}
		return out
	}

	osr := run(deb, "cat", "/etc/os-release")
	rel, err := ReleaseFromOSRelease(string(osr))
	if err != nil || rel != (Release{"debian", "bookworm"}) {
		t.Fatalf("release %v %v", rel, err)
	}
	host := Host{Release: rel, Family: FamilyOf("apt")}
	installed, skips := ParseDpkgQuery(run(deb, DpkgQueryArgs...))
	if len(installed) < 50 || skips.Count != 0 {
		t.Fatalf("dpkg-query: %d packages, skips %+v", len(installed), skips)
	}
	byName := map[string]InstalledPackage{}
	for _, p := range installed {
		byName[p.Name] = p
	}
	if len(f.SecurityDetails) == 0 {
		t.Skip("no real security update newer than the base exists on the mirror today")
	}
	run(deb, "apt-get", "update", "-q")
	db := testDB(t)
	cache := NewChangelogCache(0)
	results := map[string]UpdateAssessment{}
	for _, s := range f.SecurityDetails {
		inst := byName[s.Name]
		run(deb, "apt-get", "install", "--download-only", "-y", "-q", s.Name+"="+s.Fixed)
		debPath := fmt.Sprintf("/var/cache/apt/archives/%s_%s_amd64.deb", s.Name, strings.ReplaceAll(s.Fixed, ":", "%3a"))
		args, err := DebChangelogArgs(debPath, s.Name)
		if err != nil {
			t.Fatal(err)
		}
		src := or(inst.SourceName, s.Name)
		cl, err := cache.Get(ctx, src, s.Fixed, func(context.Context) (io.ReadCloser, error) {
			out, err := f.Exec(ctx, deb, args...)
			return io.NopCloser(bytes.NewReader(out)), err
		})
		if err != nil {
			t.Fatal(err)
		}
		a := db.AssessUpdate(host, UpdateInput{Name: s.Name, Installed: s.Installed, Candidate: s.Fixed,
			SourceName: inst.SourceName, SourceVersion: inst.SourceVersion, Changelog: cl})
		t.Logf("%s %s -> %s: cves %v advisories %v severity %s (%s) risk %d notes %q", s.Name, s.Installed, s.Fixed,
			a.CVEs, a.Advisories, a.Severity, a.SeveritySource, a.Risk, a.Notes)
		results[s.Name] = a
	}
	if a, ok := results["libexpat1"]; ok {
		if len(a.CVEs) == 0 || !a.Severity.Known() || !a.SecurityFix {
			t.Errorf("libexpat1: %+v, want the changelog's CVEs and a known severity", a)
		}
		cl, _ := cache.Get(ctx, "expat", a.Candidate, nil) // cached: no second download
		between, _ := cl.Between(a.Installed, a.Candidate)
		var want []string
		for _, e := range between {
			want = append(want, e.CVEs...)
		}
		for _, c := range want {
			if !slices.Contains(a.CVEs, c) {
				t.Errorf("libexpat1: %s named in the changelog between the versions, missing from %v", c, a.CVEs)
			}
		}
	}
	if a, ok := results["liblzma5"]; ok {
		if len(a.CVEs) != 0 || !slices.Contains(a.Advisories, "GHSA-5qpq-xqfv-j9pg") {
			t.Errorf("liblzma5: cves %v advisories %v, want only the GHSA", a.CVEs, a.Advisories)
		}
	}
	if cache.Loads() != len(results) {
		t.Errorf("%d changelog loads for %d updates", cache.Loads(), len(results))
	}

	// The installed liblzma5 carries its own changelog: the tracker's wrong
	// fixed version for CVE-2026-34743 does not flag it.
	if lz, ok := byName["liblzma5"]; ok {
		path, _ := InstalledChangelogPath("liblzma5")
		cl, err := ParseChangelog(bytes.NewReader(run(deb, "cat", path)))
		if err != nil {
			t.Fatal(err)
		}
		lz.Changelog = cl
		rep := db.AssessInstalled(host, []InstalledPackage{lz}, "")
		for _, p := range rep.Packages {
			for _, fd := range p.FixAvailable {
				if fd.ID == "CVE-2026-34743" {
					t.Errorf("installed liblzma5 %s flagged for CVE-2026-34743 despite its changelog", lz.Version)
				}
			}
		}
	}

	// The dnf host: real `dnf updateinfo info` output.
	run(rpm, "dnf", "-q", "makecache", "--refresh")
	out, err := f.Exec(ctx, rpm, "env", "LC_ALL=C", "dnf", "-q", "updateinfo", "info", "--available")
	if err != nil {
		t.Fatal(err)
	}
	if p := os.Getenv("PATCHFLOW_SAVE_UPDATEINFO"); p != "" {
		os.WriteFile(p, out, 0o644)
	}
	advs, skips, err := ParseUpdateinfoInfo(bytes.NewReader(out))
	if err != nil || skips.Count != 0 {
		t.Fatalf("updateinfo: %v %+v\n%s", err, skips, out)
	}
	i := slices.IndexFunc(advs, func(a UpdateinfoAdvisory) bool { return a.ID == localfleet.RPMSecurityAdvisory })
	if i < 0 {
		t.Fatalf("no %s in:\n%s", localfleet.RPMSecurityAdvisory, out)
	}
	if a := advs[i]; !slices.Equal(a.CVEs, []string{localfleet.RPMSecurityCVE}) || a.Severity != domain.SeverityHigh || a.Type != "security" || a.Issued.IsZero() && a.Updated.IsZero() {
		t.Errorf("%s: %+v", a.ID, a)
	}
}
