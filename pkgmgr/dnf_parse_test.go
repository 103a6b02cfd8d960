package pkgmgr

import (
	"context"
	"reflect"
	"strings"
	"testing"

	"github.com/patchflow/patchflow/transport"
)

// Output of dnf 4.14 (Debian bookworm) on a test fleet dnf host.
const (
	updateinfoOut = `PFSA-2026:0001 Important/Sec. demo-app-1.0.1-1.noarch
PFEA-2026:0003 enhancement    demo-app-1.0.2-1.noarch
PFBA-2026:0002 bugfix         demo-lib-1.1-1.noarch
RHSA-2026:0101 Critical/Sec.  openssl-libs-1:3.0.7-27.el9.x86_64
RHSA-2026:0102 Unknown/Sec.   zlib-1.2.11-40.el9.x86_64
`
	updateinfoCVEOut = `CVE-2026-0001  Important/Sec. demo-app-1.0.1-1.noarch
CVE-2026-0100  Critical/Sec.  openssl-libs-1:3.0.7-27.el9.x86_64
`
	repoqueryOut = "demo-app\t0:1.0.1-1\tnoarch\tpatchflow\n" +
		"demo-app\t0:1.0.2-1\tnoarch\tpatchflow\n" +
		"demo-lib\t0:1.1-1\tnoarch\tpatchflow\n" +
		"openssl-libs\t1:3.0.7-27.el9\tx86_64\tbaseos\n" +
		"zlib\t0:1.2.11-40.el9\tx86_64\tbaseos\n" +
		"tzdata\t0:2026a-1.el9\tnoarch\tbaseos\n" +
		"tzdata\t0:2026b-1.el9\tnoarch\tbaseos\n"
)

func TestDNFUpdatesClassifyFromUpdateinfo(t *testing.T) {
	advs := append(parseUpdateinfoList(updateinfoOut), parseUpdateinfoList(updateinfoCVEOut)...)
	inst := map[string]string{"demo-app": "1.0.0-1", "demo-lib": "1.0-1", "openssl-libs": "1:3.0.7-24.el9", "zlib": "1.2.11-39.el9", "tzdata": "2025c-1.el9"}
	got := dnfUpdates(parseRepoquery(repoqueryOut), advs, inst)
	want := []Update{
		{"demo-app", "noarch", "1.0.0-1", "1.0.1-1", "patchflow", Security, High, []string{"CVE-2026-0001", "PFSA-2026:0001"}, ""},
		{"demo-app", "noarch", "1.0.0-1", "1.0.2-1", "patchflow", Feature, SeverityUnknown, []string{"PFEA-2026:0003"}, ""},
		{"demo-lib", "noarch", "1.0-1", "1.1-1", "patchflow", Bugfix, SeverityUnknown, []string{"PFBA-2026:0002"}, ""},
		{"openssl-libs", "x86_64", "1:3.0.7-24.el9", "1:3.0.7-27.el9", "baseos", Security, Critical, []string{"CVE-2026-0100", "RHSA-2026:0101"}, ""},
		// Only the newest of versions no advisory names, as a feature.
		{"tzdata", "noarch", "2025c-1.el9", "2026b-1.el9", "baseos", Feature, SeverityUnknown, []string{}, ""},
		{"zlib", "x86_64", "1.2.11-39.el9", "1.2.11-40.el9", "baseos", Security, SeverityUnknown, []string{"RHSA-2026:0102"}, ""},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("dnfUpdates =\n%+v\nwant\n%+v", got, want)
	}
}

func TestParseUpdateinfoListSkipsNoise(t *testing.T) {
	out := "Last metadata expiration check: 0:00:01 ago on Wed Nov 25 13:26:08 2026.\n" +
		"i PFBA-2026:0002 bugfix demo-lib-1.1-1.noarch\nPFXA-1 newpackage demo-new-1-1.noarch\nweird line\n"
	got := parseUpdateinfoList(out)
	want := []dnfAdvisory{
		{id: "PFBA-2026:0002", class: Bugfix, severity: SeverityUnknown, nevra: "demo-lib-1.1-1.noarch"},
		{id: "PFXA-1", class: Feature, severity: SeverityUnknown, nevra: "demo-new-1-1.noarch"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("parseUpdateinfoList = %+v, want %+v", got, want)
	}
}

func TestSameVersion(t *testing.T) {
	for _, c := range []struct {
		installed, pin string
		want           bool
	}{
		{"1.0.1-1", "1.0.1-1", true},
		{"1.0.1-1", "0:1.0.1-1", true},
		{"1.0.1-1", "1.0.1", true}, // a pin without release takes any release
		{"1.0.1-2", "1.0.1-1", false},
		{"1:1.0.1-1", "1.0.1-1", false},
		{"1:1.0.1-1", "1:1.0.1", true},
		{"1.0.10-1", "1.0.1", false},
	} {
		if got := sameVersion(c.installed, c.pin); got != c.want {
			t.Errorf("sameVersion(%q, %q) = %v, want %v", c.installed, c.pin, got, c.want)
		}
	}
}

func TestScriptletFailures(t *testing.T) {
	res := transport.Result{
		Stdout: []byte("Running transaction\n  Running scriptlet: demo-app-1.0.2-1.noarch\nwarning: %post(demo-app-1.0.2-1.noarch) scriptlet failed, exit status 1\n\nUpgraded:\n  demo-app-1.0.2-1.noarch\n\nComplete!\n"),
		Stderr: []byte("Error in POSTIN scriptlet in rpm package demo-app\n"),
	}
	got := scriptletFailures(res)
	want := []string{"Error in POSTIN scriptlet in rpm package demo-app", "warning: %post(demo-app-1.0.2-1.noarch) scriptlet failed, exit status 1"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("scriptletFailures = %q, want %q", got, want)
	}
	if got := scriptletFailures(transport.Result{Stdout: []byte("Upgraded:\n  demo-app-1.0.1-1.noarch\nComplete!\n")}); len(got) != 0 {
		t.Errorf("scriptletFailures of a clean run = %q", got)
	}
}

func TestClassifyDNFOutput(t *testing.T) {
	for _, c := range []struct {
		res  transport.Result
		want ErrorKind
	}{
		{transport.Result{ExitCode: 200, Stderr: []byte("RPMDB already locked by 42\n")}, Locked},
		{transport.Result{ExitCode: 1, Stderr: []byte("Error: Unable to find a match: demo-app-9.9\n")}, NotFound},
		{transport.Result{ExitCode: 1, Stderr: []byte("Error: Failed to download metadata for repo 'patchflow': Cannot download repomd.xml: Curl error (7)\n")}, FetchFailed},
		{transport.Result{ExitCode: 1, Stderr: []byte("Error in PREIN scriptlet in rpm package demo-x\n")}, ScriptFailed},
		{transport.Result{ExitCode: 1, Stderr: []byte("[Errno 28] No space left on device\n")}, DiskFull},
		{transport.Result{ExitCode: 1, Stderr: []byte("Error: something else\n")}, Failed},
	} {
		if got := classifyDNFOutput(c.res); got != c.want {
			t.Errorf("classifyDNFOutput(%q) = %s, want %s", c.res.Stderr, got, c.want)
		}
	}
}

// dnfConn answers dnf commands by subcommand and rpm queries from a table.
type dnfConn struct {
	answers map[string]transport.Result // "dnf install", "rpm", "cat", ...
	ran     []transport.Command
}

func (c *dnfConn) Host() string { return "db1" }
func (c *dnfConn) Close() error { return nil }
func (c *dnfConn) Run(_ context.Context, cmd transport.Command) (transport.Result, error) {
	c.ran = append(c.ran, cmd)
	key := cmd.Args[0]
	if key == "dnf" {
		for _, a := range cmd.Args[1:] {
			if !strings.HasPrefix(a, "-") {
				key += " " + a
				break
			}
		}
	}
	return c.answers[key], nil
}

func TestDNFInstallNeverTrustsExitCode(t *testing.T) {
	// dnf exits 0 but rpm still has the old version.
	c := &dnfConn{answers: map[string]transport.Result{
		"dnf install": {},
		"rpm":         {Stdout: []byte("demo-app\t0:1.0.0-1\tnoarch\n")},
	}}
	err := NewDNF(c, true).Install(context.Background(), []Pin{{Name: "demo-app", Version: "1.0.1-1"}})
	if KindOf(err) != Mismatch || err.Error() != "host db1: install: dnf succeeded but demo-app is 1.0.0-1, want 1.0.1-1 (rpm -q demo-app)" {
		t.Errorf("err = %v", err)
	}
	inst := c.ran[0]
	if got := strings.Join(inst.Args, " "); got != "dnf --assumeyes --setopt=exit_on_lock=True --setopt=strict=True install -- demo-app-1.0.1-1" || !inst.Sudo {
		t.Errorf("install ran %q (sudo %v)", got, inst.Sudo)
	}
}

func TestDNFInstallRemovesAbsentPins(t *testing.T) {
	c := &dnfConn{answers: map[string]transport.Result{
		"dnf install": {},
		"dnf remove":  {},
		"rpm":         {Stdout: []byte("demo-app\t0:1.0.0-1\tnoarch\npackage demo-new is not installed\n"), ExitCode: 1},
	}}
	err := NewDNF(c, false).Install(context.Background(), []Pin{{Name: "demo-app", Version: "1.0.0-1"}, {Name: "demo-new"}})
	if err != nil {
		t.Fatal(err)
	}
	for _, cmd := range c.ran {
		if cmd.Args[0] == "dnf" && strings.Contains(strings.Join(cmd.Args, " "), "remove") {
			t.Errorf("removed %q though it is not installed", cmd.Args)
		}
	}
}

func TestDNFDetectFromOSRelease(t *testing.T) {
	c := &dnfConn{answers: map[string]transport.Result{"cat": {Stdout: []byte("NAME=\"Rocky Linux\"\nID=\"rocky\"\nID_LIKE=\"rhel centos fedora\"\n")}}}
	m, err := Detect(context.Background(), c, false)
	if err != nil || m.Kind() != "dnf" {
		t.Errorf("Detect on Rocky = %v, %v, want dnf", m, err)
	}
}

func TestDNFPendingReadsTheSystemCacheThroughSudo(t *testing.T) {
	c := &dnfConn{answers: map[string]transport.Result{
		"dnf repoquery":  {Stdout: []byte("demo-app\t0:1.0.1-1\tnoarch\tpatchflow\n")},
		"dnf updateinfo": {Stdout: []byte("PFSA-2026:0001 Important/Sec. demo-app-1.0.1-1.noarch\n")},
		"rpm":            {Stdout: []byte("demo-app\t0:1.0.0-1\tnoarch\n")},
	}}
	ups, err := NewDNF(c, true).Pending(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	want := []Update{{"demo-app", "noarch", "1.0.0-1", "1.0.1-1", "patchflow", Security, High, []string{"PFSA-2026:0001"}, ""}}
	if !reflect.DeepEqual(ups, want) {
		t.Errorf("Pending = %+v, want %+v", ups, want)
	}
	for _, cmd := range c.ran {
		if cmd.Args[0] == "dnf" && !cmd.Sudo {
			t.Errorf("%q ran without sudo: it would read the user's own, possibly stale, metadata cache", cmd.Args)
		}
	}
}
