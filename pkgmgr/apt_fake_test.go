package pkgmgr

import (
	"context"
	"reflect"
	"strings"
	"testing"

	"github.com/patchflow/patchflow/transport"
)

// scriptedConn answers each command by its program name, recording what ran.
type scriptedConn struct {
	answers map[string]transport.Result
	ran     []transport.Command
}

func (c *scriptedConn) Host() string { return "web1" }
func (c *scriptedConn) Close() error { return nil }
func (c *scriptedConn) Run(_ context.Context, cmd transport.Command) (transport.Result, error) {
	c.ran = append(c.ran, cmd)
	return c.answers[cmd.Args[0]], nil
}

func TestAptRefreshFailsOnIgnoredFetchErrors(t *testing.T) {
	// apt-get update exits 0 when a repository fails; the index is stale.
	c := &scriptedConn{answers: map[string]transport.Result{"apt-get": {
		Stdout: []byte("Hit:1 http://deb.debian.org/debian bookworm InRelease\nErr:2 http://10.213.3.2:8080 fleet InRelease\n  Could not connect to 10.213.3.2:8080\n"),
		Stderr: []byte("W: Failed to fetch http://10.213.3.2:8080/dists/fleet/InRelease  Could not connect\nW: Some index files failed to download. They have been ignored, or old ones used instead.\n"),
	}}}
	err := NewApt(c, true).Refresh(context.Background())
	if KindOf(err) != FetchFailed || !strings.Contains(err.Error(), "host web1: refresh package index failed") ||
		!strings.Contains(err.Error(), "W: Failed to fetch http://10.213.3.2:8080/dists/fleet/InRelease") {
		t.Errorf("err = %v", err)
	}
	if !c.ran[0].Sudo || c.ran[0].Env["LC_ALL"] != "C" {
		t.Errorf("apt-get update must run privileged in the C locale: %+v", c.ran[0])
	}
}

func TestAptRefreshOK(t *testing.T) {
	c := &scriptedConn{answers: map[string]transport.Result{"apt-get": {Stdout: []byte("Hit:1 http://r fleet InRelease\nReading package lists...\n")}}}
	if err := NewApt(c, false).Refresh(context.Background()); err != nil {
		t.Error(err)
	}
}

func TestAptInstallNeverTrustsExitCode(t *testing.T) {
	// apt says success but dpkg still has the old version.
	c := &scriptedConn{answers: map[string]transport.Result{
		"apt-get":    {},
		"dpkg-query": {Stdout: []byte("demo-app\tall\t1.0.0\tii \n")},
	}}
	err := NewApt(c, false).Install(context.Background(), []Pin{{Name: "demo-app", Version: "1.0.1"}})
	if KindOf(err) != Mismatch || err.Error() != "host web1: install: apt-get succeeded but demo-app is 1.0.0, want 1.0.1" {
		t.Errorf("err = %v", err)
	}
}

func TestAptInstallHalfConfiguredWithoutMessage(t *testing.T) {
	c := &scriptedConn{answers: map[string]transport.Result{
		"apt-get":    {ExitCode: 100, Stderr: []byte("E: Sub-process /usr/bin/dpkg returned an error code (1)\n")},
		"dpkg-query": {Stdout: []byte("demo-app\tall\t1.0.2\tiU \n")},
	}}
	err := NewApt(c, false).Install(context.Background(), []Pin{{Name: "demo-app", Version: "1.0.2"}})
	if KindOf(err) != Broken || !strings.Contains(err.Error(), "unpacked but not configured (dpkg status iU)") {
		t.Errorf("err = %v", err)
	}
}

func TestAptInstallArgv(t *testing.T) {
	c := &scriptedConn{answers: map[string]transport.Result{
		"apt-get":    {},
		"dpkg-query": {Stdout: []byte("demo-app\tall\t1:2.0-1\tii \nold-dep\tamd64\t\tun \n")},
	}}
	err := NewApt(c, true).Install(context.Background(), []Pin{{Name: "demo-app", Version: "1:2.0-1"}, {Name: "old-dep"}})
	if err != nil {
		t.Fatal(err)
	}
	got := strings.Join(c.ran[0].Args, " ")
	want := "apt-get install -y -q --allow-downgrades -o Dpkg::Options::=--force-confold -o Dpkg::Options::=--force-confdef demo-app=1:2.0-1 old-dep-"
	if got != want || !c.ran[0].Sudo || c.ran[0].Env["DEBIAN_FRONTEND"] != "noninteractive" {
		t.Errorf("ran %q (sudo %v env %v)\nwant %q", got, c.ran[0].Sudo, c.ran[0].Env, want)
	}
}

func TestAptPendingFallsBackWithoutPythonApt(t *testing.T) {
	c := &scriptedConn{answers: map[string]transport.Result{
		"python3": {ExitCode: 3},
		"apt-get": {Stdout: []byte("Inst demo-app [1.0.0] (1.0.1 Fleet:fleet/fleet [all])\n")},
	}}
	ups, err := NewApt(c, false).Pending(context.Background())
	if err != nil || len(ups) != 1 || ups[0].Candidate != "1.0.1" || ups[0].Class != Feature {
		t.Fatalf("Pending = %+v, %v", ups, err)
	}
	if got := strings.Join(c.ran[1].Args, " "); got != "apt-get -s -q dist-upgrade" {
		t.Errorf("fallback ran %q", got)
	}
}

func TestDetect(t *testing.T) {
	c := &scriptedConn{answers: map[string]transport.Result{"cat": {Stdout: []byte("PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nID=debian\n")}}}
	m, err := Detect(context.Background(), c, false)
	if err != nil || m.Kind() != "apt" {
		t.Errorf("Detect = %v, %v", m, err)
	}
	c = &scriptedConn{answers: map[string]transport.Result{"cat": {ExitCode: 1}, "sh": {ExitCode: 1}}}
	if _, err := Detect(context.Background(), c, false); KindOf(err) != Unsupported || !strings.Contains(err.Error(), "host web1: no supported package manager") {
		t.Errorf("nothing found: %v", err)
	}
}

func TestAptInstalledWithArchQualifier(t *testing.T) {
	c := &scriptedConn{answers: map[string]transport.Result{
		"dpkg-query": {Stdout: []byte("libc6\tamd64\t2.36-9+deb12u7\tii \nlibc6\ti386\t\tun \nfoo\tall\t1.0\trc \n")},
	}}
	got, err := NewApt(c, false).Installed(context.Background(), []string{"libc6", "libc6:amd64", "libc6:i386", "foo"})
	want := map[string]string{"libc6": "2.36-9+deb12u7", "libc6:amd64": "2.36-9+deb12u7", "libc6:i386": "", "foo": ""}
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("Installed = %v, %v; want %v", got, err, want)
	}
}
