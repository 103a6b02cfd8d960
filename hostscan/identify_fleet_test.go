package hostscan

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/patchflow/patchflow/domain"
	"github.com/patchflow/patchflow/localfleet"
)

// TestIdentifyOnFleet scans two real Debian hosts with no advisory feed at
// all: every real bookworm-security update of the fleet is identified from
// its candidate's changelog.Debian.gz (CVEs or, where the changelog names
// none, its other ids, and a severity from the upload's urgency), the
// severity says where it came from, and each changelog is fetched once for
// both hosts.
func TestIdentifyOnFleet(t *testing.T) {
	f := localfleet.Start(t, localfleet.Config{Name: "hs", Subnet: 11, Hosts: 2, Logf: t.Logf})
	if len(f.SecurityDetails) == 0 {
		t.Fatal("the mirror has no security update newer than the base; the fixture should have found one")
	}
	sc := New(nil, nil)
	ctx := context.Background()
	scans := map[string]map[string]domain.Update{}
	for _, h := range f.Hosts {
		res, err := sc.Scan(ctx, target(t, f.InventoryPath, h.Name), Options{Refresh: true})
		if err != nil {
			t.Fatal(err)
		}
		if res.Release != "debian:bookworm" {
			t.Errorf("%s release %q, want debian:bookworm (notes %v)", h.Name, res.Release, res.Notes)
		}
		by := map[string]domain.Update{}
		for _, u := range res.Updates {
			by[u.Name] = u
		}
		scans[h.Name] = by
	}
	h := f.Hosts[0].Name
	for _, s := range f.SecurityDetails {
		u, ok := scans[h][s.Name]
		if !ok {
			t.Errorf("%s %s -> %s not pending on %s", s.Name, s.Installed, s.Fixed, h)
			continue
		}
		t.Logf("%s %s -> %s: class %s, severity %s (%s), %d CVEs %v, advisories %v, risk %d",
			u.Name, u.Installed, u.Candidate, u.Class, u.Severity, u.SeveritySource, len(u.CVEs), u.CVEs, u.Advisories, u.Risk)
		if u.Class != domain.ClassSecurity {
			t.Errorf("%s class %s, want security", u.Name, u.Class)
		}
		if len(u.CVEs)+len(u.Advisories) == 0 {
			t.Errorf("%s %s names no CVE and no advisory; its changelog between %s and %s names its fixes", u.Name, u.Candidate, s.Installed, s.Fixed)
		}
		for _, c := range u.CVEs {
			if !strings.HasPrefix(c, "CVE-") {
				t.Errorf("%s lists %q as a CVE", u.Name, c)
			}
		}
		if len(u.CVEs) > 0 && (!u.Severity.Known() || u.SeveritySource == "") {
			t.Errorf("%s fixes %v but has severity %q from %q; the upload's urgency rates it", u.Name, u.CVEs, u.Severity, u.SeveritySource)
		}
		// xz-utils 5.4.1-1+deb12u2 names only a GHSA (Debian #1147318):
		// no CVE may be invented for it.
		if u.Name == "liblzma5" && u.Installed == "5.4.1-1+deb12u1" && u.Candidate == "5.4.1-1+deb12u2" {
			if len(u.CVEs) != 0 || !slices.Contains(u.Advisories, "GHSA-5qpq-xqfv-j9pg") {
				t.Errorf("liblzma5 deb12u1 -> deb12u2: CVEs %v advisories %v, want only GHSA-5qpq-xqfv-j9pg", u.CVEs, u.Advisories)
			}
		}
		other := scans[f.Hosts[1].Name][s.Name]
		if !slices.Equal(other.CVEs, u.CVEs) {
			t.Errorf("%s: the two hosts disagree: %v and %v", s.Name, u.CVEs, other.CVEs)
		}
	}
	// One fetch per distinct (source, version) for both hosts: the second
	// host's scan reads every changelog from the cache.
	distinct := map[string]bool{}
	for _, u := range scans[h] {
		if u.Class != domain.ClassFeature {
			distinct[u.Name+"="+u.Candidate] = true
		}
	}
	if loads := sc.Changelogs.Loads(); loads > len(distinct) {
		t.Errorf("%d changelog loads for %d distinct updates on two hosts: each must be read once", loads, len(distinct))
	}
}
