package pkgmgr

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/patchflow/patchflow/transport"
)

// zypperConn answers zypper commands by their subcommand ("install",
// "list-patches") and other programs by name, recording what ran. The
// fleet tests drive real zypper; these pin down paths a real host shows
// rarely (an old zypper, a zypper that keeps answering 103).
type zypperConn struct {
	answers map[string][]transport.Result // served in turn; the last one repeats
	ran     []transport.Command
}

func (c *zypperConn) Host() string { return "sles1" }
func (c *zypperConn) Close() error { return nil }
func (c *zypperConn) Run(_ context.Context, cmd transport.Command) (transport.Result, error) {
	c.ran = append(c.ran, cmd)
	key := cmd.Args[0]
	if key == "zypper" {
		for _, a := range cmd.Args[1:] {
			if !strings.HasPrefix(a, "-") {
				key = a
				break
			}
		}
	}
	rs := c.answers[key]
	if len(rs) == 0 {
		return transport.Result{ExitCode: 127, Stderr: []byte(key + ": not scripted")}, nil
	}
	r := rs[0]
	if len(rs) > 1 {
		c.answers[key] = rs[1:]
	}
	return r, nil
}

func (c *zypperConn) count(key string) int {
	n := 0
	for _, cmd := range c.ran {
		if strings.Join(cmd.Args, " ") == key || (cmd.Args[0] == "zypper" && slices.Contains(cmd.Args, key)) || cmd.Args[0] == key {
			n++
		}
	}
	return n
}

func xmlResult(code int, body string) transport.Result {
	return transport.Result{ExitCode: code, Stdout: []byte("<?xml version='1.0'?>\n<stream>\n" + body + "</stream>\n")}
}

func TestZypperCommandsRunNonInteractiveInTheCLocale(t *testing.T) {
	c := &zypperConn{answers: map[string][]transport.Result{"refresh": {xmlResult(0, "")}}}
	if err := NewZypper(c, true).Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	cmd := c.ran[0]
	if strings.Join(cmd.Args, " ") != "zypper --non-interactive --xmlout refresh" || !cmd.Sudo ||
		cmd.Env["LANG"] != "C" || cmd.Env["LC_ALL"] != "C" || cmd.Env["ZYPP_LOCK_TIMEOUT"] != "30" {
		t.Errorf("refresh ran %+v, want zypper --non-interactive --xmlout, sudo, LANG=LC_ALL=C, ZYPP_LOCK_TIMEOUT=30", cmd)
	}
	if cmd.Timeout != zypperRefreshTimeout+ZypperLockWait {
		t.Errorf("timeout %s, want the refresh timeout plus the lock wait", cmd.Timeout)
	}
}

func TestZypperRefreshFailures(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("testdata", "zypper", "refresh-unreachable.4.xml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, code := range []int{4, zypperExitReposSkipped} {
		c := &zypperConn{answers: map[string][]transport.Result{"refresh": {{ExitCode: code, Stdout: data}}}}
		err := NewZypper(c, false).Refresh(context.Background())
		if KindOf(err) != FetchFailed || !strings.Contains(err.Error(), `host sles1: refresh package index: zypper skipped repositories "unreachable mirror"`) {
			t.Errorf("exit %d: %v, want fetch-failed naming the repository", code, err)
		}
	}
	c := &zypperConn{answers: map[string][]transport.Result{"refresh": {xmlResult(zypperExitNoRepos, `<message type="warning">No repositories defined. Operating only with the installed resolvables. Nothing can be installed.</message>`)}}}
	err = NewZypper(c, false).Refresh(context.Background())
	if KindOf(err) != Failed || !strings.Contains(err.Error(), "no enabled repository: add one with zypper addrepo") {
		t.Errorf("no repositories: %v", err)
	}
}

func TestZypperInstallNeverTrustsExitCode(t *testing.T) {
	// zypper says success but rpm still has the old version.
	c := &zypperConn{answers: map[string][]transport.Result{
		"list-patches": {xmlResult(0, "<update-status version=\"0.6\"><update-list/></update-status>")},
		"install":      {xmlResult(0, "")},
		"rpm":          {{Stdout: []byte("demo-app\t0:1.0.0-150500.1.1\tnoarch\n")}},
	}}
	err := NewZypper(c, false).Install(context.Background(), []Pin{{Name: "demo-app", Version: "1.0.1-150500.3.1"}})
	if KindOf(err) != Mismatch || err.Error() != "host sles1: install: zypper succeeded but demo-app is 1.0.0-150500.1.1, want 1.0.1-150500.3.1 (rpm -q demo-app)" {
		t.Errorf("err = %v", err)
	}
	if c.count("install") != 1 {
		t.Errorf("zypper install ran %d times", c.count("install"))
	}
}

func TestZypperRestartNeededIsBounded(t *testing.T) {
	// A zypper that keeps asking to be run again (103) is run three times,
	// then the verified state decides.
	c := &zypperConn{answers: map[string][]transport.Result{
		"list-patches": {xmlResult(0, "")},
		"install":      {xmlResult(zypperExitRestartNeeded, "")},
		"rpm":          {{Stdout: []byte("demo-app\t0:1.0.1-150500.3.1\tnoarch\n")}},
	}}
	if err := NewZypper(c, false).Install(context.Background(), []Pin{{Name: "demo-app", Version: "1.0.1-150500.3.1"}}); err != nil {
		t.Errorf("Install: %v", err)
	}
	if n := c.count("install"); n != 3 {
		t.Errorf("zypper install ran %d times, want 3", n)
	}
}

func TestZypperRebootRequiredOnOldZypper(t *testing.T) {
	// zypper before 1.14 has no needs-rebooting (exit 2, unknown command):
	// libzypp's flag file answers.
	for code, want := range map[int]bool{0: true, 1: false} {
		c := &zypperConn{answers: map[string][]transport.Result{
			"needs-rebooting": {{ExitCode: zypperExitSyntax, Stderr: []byte("Unknown command 'needs-rebooting'")}},
			"sh":              {{ExitCode: code}},
		}}
		got, err := NewZypper(c, false).RebootRequired(context.Background())
		if err != nil || got != want {
			t.Errorf("flag test exit %d: %v, %v; want %v", code, got, err, want)
		}
	}
	c := &zypperConn{answers: map[string][]transport.Result{"needs-rebooting": {xmlResult(zypperExitLocked, `<message type="error">System management is locked by the application with pid 4242 (packagekitd).</message>`)}}}
	if _, err := NewZypper(c, false).RebootRequired(context.Background()); KindOf(err) != Locked || !strings.Contains(err.Error(), "held by pid 4242 (packagekitd)") {
		t.Errorf("locked: %v", err)
	}
}

func TestZypperPatchMetadataPathsAreChecked(t *testing.T) {
	patch := `<update-status version="0.6"><update-list><update kind="patch" name="P-1" status="needed" category="security"><source url="http://r/" alias="../../etc"/></update></update-list></update-status>`
	c := &zypperConn{answers: map[string][]transport.Result{
		"list-updates": {xmlResult(0, "")},
		"list-patches": {xmlResult(0, patch)},
	}}
	_, err := NewZypper(c, false).Pending(context.Background())
	if err == nil || !strings.Contains(err.Error(), `repository alias "../../etc" is not one patchflow reads metadata for`) {
		t.Errorf("Pending with a path in the alias: %v", err)
	}
	if n := c.count("dd"); n != 0 {
		t.Errorf("%d files read for an alias that is a path", n)
	}
	// A repomd that points outside the repository is refused too.
	c = &zypperConn{answers: map[string][]transport.Result{
		"list-updates": {xmlResult(0, "")},
		"list-patches": {xmlResult(0, strings.Replace(patch, "../../etc", "main", 1))},
		"dd":           {{Stdout: []byte(`<repomd><data type="updateinfo"><location href="../../../etc/shadow"/></data></repomd>`)}},
	}}
	_, err = NewZypper(c, false).Pending(context.Background())
	if KindOf(err) != FetchFailed || !strings.Contains(err.Error(), "not a path below the repository") || c.count("dd") != 1 {
		t.Errorf("Pending with an updateinfo outside the repository: %v (%d reads)", err, c.count("dd"))
	}
	// A missing metadata cache says how to get it back.
	c = &zypperConn{answers: map[string][]transport.Result{
		"list-updates": {xmlResult(0, "")},
		"list-patches": {xmlResult(0, strings.Replace(patch, "../../etc", "main", 1))},
		"dd":           {{ExitCode: 1, Stderr: []byte("dd: failed to open '/var/cache/zypp/raw/main/repodata/repomd.xml': No such file or directory")}},
	}}
	_, err = NewZypper(c, false).Pending(context.Background())
	if KindOf(err) != FetchFailed || !strings.Contains(err.Error(), "run zypper refresh --force main") {
		t.Errorf("Pending without a metadata cache: %v", err)
	}
}

func TestZypperValidatesBeforeAnythingRuns(t *testing.T) {
	c := &zypperConn{answers: map[string][]transport.Result{}}
	z := NewZypper(c, false)
	for _, p := range []Pin{{Name: "demo-app;reboot", Version: "1"}, {Name: "demo-app", Version: "1.0$(reboot)"}, {Name: "--root=/", Version: "1"}} {
		for op, err := range map[string]error{
			"Install":   z.Install(context.Background(), []Pin{p}),
			"Download":  z.Download(context.Background(), []Pin{p}),
			"Available": z.Available(context.Background(), []Pin{p}),
		} {
			if KindOf(err) != InvalidInput {
				t.Errorf("%s(%v) = %v, want invalid-input", op, p, err)
			}
		}
	}
	if len(c.ran) != 0 {
		t.Errorf("%d commands reached the host", len(c.ran))
	}
}

func TestZypperDetectFromOSRelease(t *testing.T) {
	for name, osr := range map[string]string{
		"SLES 15 SP5":     "NAME=\"SLES\"\nVERSION=\"15-SP5\"\nID=\"sles\"\nID_LIKE=\"suse\"\n",
		"openSUSE Leap":   "NAME=\"openSUSE Leap\"\nID=\"opensuse-leap\"\nID_LIKE=\"suse opensuse\"\n",
		"Tumbleweed":      "NAME=\"openSUSE Tumbleweed\"\nID=\"opensuse-tumbleweed\"\nID_LIKE=\"opensuse suse\"\n",
		"SLE Micro 5.5":   "NAME=\"SLE Micro\"\nID=\"sle-micro\"\nID_LIKE=\"suse\"\n",
		"SLES for SAP 15": "NAME=\"SLES_SAP\"\nID=\"sles_sap\"\nID_LIKE=\"suse\"\n",
	} {
		c := &zypperConn{answers: map[string][]transport.Result{"cat": {{Stdout: []byte(osr)}}}}
		m, err := Detect(context.Background(), c, false)
		if err != nil || m.Kind() != "zypper" {
			t.Errorf("Detect on %s = %v, %v, want zypper", name, m, err)
		}
	}
}
