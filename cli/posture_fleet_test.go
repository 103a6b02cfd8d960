package cli

import (
	"bufio"
	"compress/gzip"
	"context"
	"encoding/csv"
	"fmt"
	"hash/fnv"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/client"

	"github.com/patchflow/patchflow/activities"
	"github.com/patchflow/patchflow/domain"
	"github.com/patchflow/patchflow/hostscan"
	"github.com/patchflow/patchflow/report"
	"github.com/patchflow/patchflow/workflows"
)

// postureFleet stands in for the host activities of assessments and
// cycles in the posture tests: an estate of Debian hosts a month behind,
// each with 50-150 pending point-release updates and the real security
// updates of expat and openssl (their CVE ids read from the packages'
// real changelogs in testdata/posture) and glibc's KEV-listed
// CVE-2023-4911. A host's name says how it behaves: "down" cannot be
// reached, "reboot" runs a kernel a newer installed one fixes (reboot
// pending), "lag" has repositories without openssl's fix (fix not in
// repos), and a host put in hang blocks its scan until released.
// Installs really change what a fake host has.
type postureFleet struct {
	security []fakeSecurityUpdate
	mu       sync.Mutex
	have     map[string]map[string]string // host -> package -> installed version
	seen     map[string]time.Time         // host, package, candidate -> first seen
	hang     map[string]chan struct{}
	hanging  chan string
}

// fakeSecurityUpdate is one real security update of the estate.
type fakeSecurityUpdate struct {
	name, from, to string
	severity       domain.Severity
	cves           []string
	kev            bool
	kevDue         string
}

var cvePattern = regexp.MustCompile(`CVE-[0-9]{4}-[0-9]{4,}`)

// changelogCVEs reads the CVE ids of the entries of a real Debian
// changelog newer than version from; the fake estate needs some.
func changelogCVEs(t *testing.T, file, from string) []string {
	t.Helper()
	out := readChangelogCVEs(t, file, from)
	if len(out) == 0 {
		t.Fatalf("%s names no CVE after %s", file, from)
	}
	return out
}

// readChangelogCVEs reads the CVE ids a gzipped Debian changelog names in
// its entries newer than version from, in order of appearance.
func readChangelogCVEs(t *testing.T, file, from string) []string {
	t.Helper()
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	out := []string{}
	sc := bufio.NewScanner(zr)
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, " ") && strings.Contains(line, "("+from+")") {
			break
		}
		for _, c := range cvePattern.FindAllString(line, -1) {
			if !seen[c] {
				seen[c] = true
				out = append(out, c)
			}
		}
	}
	return out
}

// kevDueDate reads CISA's due date of a CVE from the KEV subset.
func kevDueDate(t *testing.T, cve string) string {
	t.Helper()
	f, err := os.Open("testdata/posture/known_exploited_vulnerabilities.subset.csv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	col := -1
	for i, h := range rows[0] {
		if h == "dueDate" {
			col = i
		}
	}
	for _, r := range rows[1:] {
		if r[0] == cve {
			return r[col]
		}
	}
	t.Fatalf("%s is not in the KEV subset", cve)
	return ""
}

func newPostureFleet(t *testing.T) *postureFleet {
	return &postureFleet{
		security: []fakeSecurityUpdate{
			{name: "libexpat1", from: "2.5.0-1+deb12u3", to: "2.5.0-1+deb12u5", severity: domain.SeverityMedium,
				cves: changelogCVEs(t, "testdata/posture/libexpat1_2.5.0-1+deb12u5.changelog.Debian.gz", "2.5.0-1+deb12u3")},
			{name: "libssl3", from: "3.0.22-1~deb12u1", to: "3.0.22-1~deb12u2", severity: domain.SeverityHigh,
				cves: changelogCVEs(t, "testdata/posture/libssl3_3.0.22-1~deb12u2.changelog.Debian.gz", "3.0.22-1~deb12u1")},
			{name: "libc6", from: "2.36-9+deb12u1", to: "2.36-9+deb12u3", severity: domain.SeverityHigh,
				cves: []string{"CVE-2023-4911"}, kev: true, kevDue: kevDueDate(t, "CVE-2023-4911")},
		},
		have: map[string]map[string]string{}, seen: map[string]time.Time{},
		hang: map[string]chan struct{}{}, hanging: make(chan string, 16),
	}
}

// pointReleasePackages are real bookworm packages a host a month behind
// has point-release updates for.
var pointReleasePackages = strings.Fields(`adduser apt apt-utils base-files bash bsdutils coreutils cpio cron curl
dash debconf debianutils diffutils dmsetup dpkg e2fsprogs fdisk findutils gcc-12-base gpgv grep gzip hostname
init-system-helpers iproute2 iputils-ping isc-dhcp-client kmod less libacl1 libapparmor1 libattr1 libaudit1
libblkid1 libbpf1 libbsd0 libbz2-1.0 libcap-ng0 libcap2 libcom-err2 libcrypt1 libcryptsetup12 libcurl4 libdb5.3
libdebconfclient0 libdevmapper1.02.1 libedit2 libelf1 libext2fs2 libfdisk1 libffi8 libgcc-s1 libgcrypt20
libgmp10 libgnutls30 libgpg-error0 libgssapi-krb5-2 libhogweed6 libidn2-0 libip4tc2 libjson-c5 libk5crypto3
libkeyutils1 libkmod2 libkrb5-3 libkrb5support0 libldap-2.5-0 liblz4-1 libmd0 libmnl0 libmount1 libncursesw6
libnettle8 libnghttp2-14 libnsl2 libp11-kit0 libpam-modules libpam-runtime libpam0g libpcre2-8-0 libpsl5
librtmp1 libsasl2-2 libseccomp2 libselinux1 libsemanage2 libsepol2 libsmartcols1 libsqlite3-0 libss2
libssh2-1 libstdc++6 libsystemd0 libtasn1-6 libtext-iconv-perl libtinfo6 libtirpc3 libudev1 libunistring2
libuuid1 libxtables12 libxxhash0 libzstd1 login logrotate logsave lsb-base mawk mount nano ncurses-base
ncurses-bin netbase openssh-client openssh-server openssh-sftp-server passwd perl-base procps python3
python3-apt python3-minimal python3.11 python3.11-minimal readline-common rsyslog sed sensible-utils sudo
systemd systemd-sysv sysvinit-utils tar tzdata ucf udev usrmerge util-linux vim-common vim-tiny wget
whiptail xz-utils zlib1g`)

// pending lists what host has pending: its point-release updates (50-150,
// by its name) and the security updates it does not have yet.
func (f *postureFleet) pending(host string, now time.Time) []domain.Pending {
	f.mu.Lock()
	defer f.mu.Unlock()
	have := f.have[host]
	if have == nil {
		have = map[string]string{}
		for _, s := range f.security {
			have[s.name] = s.from
		}
		f.have[host] = have
	}
	h := fnv.New32a()
	h.Write([]byte(host))
	n := 50 + int(h.Sum32()%101)
	var out []domain.Pending
	for i := range n {
		name := pointReleasePackages[i%len(pointReleasePackages)]
		if i >= len(pointReleasePackages) {
			name += fmt.Sprintf("-extra%d", i/len(pointReleasePackages))
		}
		out = append(out, domain.Pending{Manager: "apt", Name: name, Installed: "1.0-1", Candidate: "1.0-1+deb12u1",
			Class: domain.ClassBugfix, Vulns: domain.Vulns{Severity: domain.SeverityUnknown}, Since: f.firstSeen(host, name, now)})
	}
	for _, s := range f.security {
		if have[s.name] == s.to || (s.name == "libssl3" && strings.Contains(host, "lag")) {
			continue
		}
		out = append(out, domain.Pending{Manager: "apt", Name: s.name, Installed: have[s.name], Candidate: s.to,
			Class: domain.ClassSecurity, Since: f.firstSeen(host, s.name, now),
			Vulns: domain.Vulns{Severity: s.severity, SeveritySource: "changelog", CVEs: s.cves, KEV: s.kev, KEVDueDate: s.kevDue}})
	}
	return out
}

// firstSeen is when the update was first seen pending on the host: ten
// days before the first scan, as if earlier scans had recorded it (the
// estate is a month behind), so SLAs of a week are breached.
func (f *postureFleet) firstSeen(host, pkg string, now time.Time) time.Time {
	k := host + "\x00" + pkg
	if t, ok := f.seen[k]; ok {
		return t
	}
	t := now.Add(-10 * 24 * time.Hour).UTC().Truncate(time.Second)
	f.seen[k] = t
	return t
}

// exposures are what host's installed packages are exposed to with no
// update to install.
func (f *postureFleet) exposures(host string) (kernel string, reboot bool, out []domain.Exposure) {
	kernel = "6.1.0-28-amd64"
	if strings.Contains(host, "reboot") {
		kernel, reboot = "6.1.0-17-amd64", true
		out = append(out, domain.Exposure{Package: "linux-image-6.1.0-17-amd64", Version: "6.1.69-1", ID: "CVE-2024-1086",
			State: domain.RebootPending, Severity: domain.SeverityHigh, KEV: true, Fixed: "6.1.76-1"})
	}
	if strings.Contains(host, "lag") {
		for _, s := range f.security {
			if s.name == "libssl3" {
				out = append(out, domain.Exposure{Package: "libssl3", Version: s.from, ID: s.cves[0], State: "fixed",
					Severity: s.severity, Fixed: s.to})
			}
		}
	}
	return kernel, reboot, out
}

// hold makes host's next scans block until the returned release is
// called; the scan reports on f.hanging when it starts waiting.
func (f *postureFleet) hold(host string) (release func()) {
	ch := make(chan struct{})
	f.mu.Lock()
	f.hang[host] = ch
	f.mu.Unlock()
	var once sync.Once
	return func() {
		once.Do(func() {
			f.mu.Lock()
			delete(f.hang, host)
			f.mu.Unlock()
			close(ch)
		})
	}
}

// ScanHosts scans a batch as the real activity does: a compact table, the
// exposures of an assessment, and the hosts it could not reach.
func (f *postureFleet) ScanHosts(ctx context.Context, in workflows.ScanBatchInput) (workflows.ScanBatchResult, error) {
	var t domain.PendingTable
	var ex domain.ExposureTable
	var res workflows.ScanBatchResult
	now := time.Now()
	for _, h := range in.Hosts {
		f.mu.Lock()
		ch := f.hang[h]
		f.mu.Unlock()
		if ch != nil {
			f.hanging <- h
			for waiting := true; waiting; {
				select {
				case <-ch:
					waiting = false
				case <-ctx.Done():
					return res, ctx.Err()
				case <-time.After(time.Second):
					activity.RecordHeartbeat(ctx, h)
				}
			}
		}
		if strings.Contains(h, "down") {
			res.Failed = append(res.Failed, workflows.HostProblem{Host: h,
				Problem: "scan " + h + ": ssh: dial tcp 10.213.99.7:22: connect: no route to host"})
			continue
		}
		t.Add(h, "apt", f.pending(h, now))
		if in.Assess {
			hs := &t.Hosts[len(t.Hosts)-1]
			kernel, reboot, exps := f.exposures(h)
			hs.Release, hs.RunningKernel, hs.RebootPending = "debian:bookworm", kernel, reboot
			for _, e := range exps {
				hs.Exposed = append(hs.Exposed, ex.Intern(e))
			}
		}
	}
	res.Updates, res.Hosts, res.Exposures = t.Updates, t.Hosts, ex.Rows
	return res, nil
}

func (f *postureFleet) version(host, pkg string) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	if v, ok := f.have[host][pkg]; ok {
		return v
	}
	for _, s := range f.security {
		if s.name == pkg {
			return s.from
		}
	}
	return "1.0-1"
}

// Prepare snapshots the planned packages.
func (f *postureFleet) Prepare(_ context.Context, in workflows.HostInput) (workflows.SnapshotResult, error) {
	var r workflows.SnapshotResult
	for _, p := range in.Pins {
		r.Pins = append(r.Pins, domain.Pin{Name: p.Name, Version: f.version(in.Host, p.Name)})
	}
	return r, nil
}

// Precheck passes.
func (f *postureFleet) Precheck(context.Context, workflows.HostInput) error { return nil }

// ApplyPins installs the pins.
func (f *postureFleet) ApplyPins(_ context.Context, in workflows.HostInput) (workflows.ApplyResult, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.have[in.Host] == nil {
		f.have[in.Host] = map[string]string{}
	}
	for _, p := range in.Pins {
		f.have[in.Host][p.Name] = p.Version
	}
	return workflows.ApplyResult{}, nil
}

// Verify compares the host with its pins.
func (f *postureFleet) Verify(_ context.Context, in workflows.HostInput) (workflows.VerifyResult, error) {
	var r workflows.VerifyResult
	for _, p := range in.Pins {
		if got := f.version(in.Host, p.Name); got != p.Version {
			r.Problems = append(r.Problems, fmt.Sprintf("%s is %q, want %q", p.Name, got, p.Version))
		}
	}
	return r, nil
}

// Rollback returns the host to its snapshot.
func (f *postureFleet) Rollback(ctx context.Context, in workflows.HostInput) (workflows.ApplyResult, error) {
	return f.ApplyPins(ctx, in)
}

// VerifyHosts is the final verify.
func (f *postureFleet) VerifyHosts(ctx context.Context, in workflows.TargetBatch) (workflows.TargetBatchResult, error) {
	var r workflows.TargetBatchResult
	for _, t := range in.Targets {
		v, _ := f.Verify(ctx, workflows.HostInput{Host: t.Host, Pins: t.PinsFrom(in.PlanPins)})
		if len(v.Problems) > 0 {
			r.Failed = append(r.Failed, workflows.HostProblem{Host: t.Host, Problem: strings.Join(v.Problems, "; ")})
		}
	}
	return r, nil
}

// RunChecks passes.
func (f *postureFleet) RunChecks(context.Context, workflows.ChecksInput) (workflows.ChecksResult, error) {
	return workflows.ChecksResult{}, nil
}

// staleSource is the advisory source the fake worker's data comes from:
// ten days old, past the reports' 72-hour limit.
const staleSource = "debian-security-tracker"

// register adds the real workflows and read-only activities (inventory,
// host locks, AssessContext on the namespace's exceptions) and the fake
// host activities to r.
func (f *postureFleet) register(r registry, c client.Client, dir string) {
	workflows.Register(r)
	real := activities.New(activities.Deps{Client: c, Scanner: hostscan.New(hostscan.OpenFeeds(dir), nil)})
	reg := func(fn any, name string) { r.RegisterActivityWithOptions(fn, activity.RegisterOptions{Name: name}) }
	reg(real.ResolveTargets, workflows.ActResolveTargets)
	reg(real.HostLock, workflows.ActHostLock)
	reg(real.HostResults, workflows.ActHostResults)
	reg(func(ctx context.Context, in workflows.AssessContextInput) (workflows.AssessContext, error) {
		out, err := real.AssessContext(ctx, in)
		out.Sources = append(out.Sources, report.SourceInput{Name: staleSource, AsOf: time.Now().Add(-10 * 24 * time.Hour)})
		return out, err
	}, workflows.ActAssessContext)
	reg(f.ScanHosts, workflows.ActScanHosts)
	reg(f.Prepare, workflows.ActPrepare)
	reg(f.Precheck, workflows.ActPrecheck)
	reg(f.Prepare, workflows.ActSnapshot)
	reg(f.ApplyPins, workflows.ActApplyPins)
	reg(f.Verify, workflows.ActVerify)
	reg(f.Rollback, workflows.ActRollback)
	reg(f.VerifyHosts, workflows.ActVerifyHosts)
	reg(f.VerifyHosts, workflows.ActDownloadHosts)
	reg(f.RunChecks, workflows.ActRunChecks)
}
