package pkgmgr_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/patchflow/patchflow/localfleet"
	"github.com/patchflow/patchflow/transport"
)

// capture writes what a zypper command prints on the host to
// testdata/zypper/<name>.<exit code>.xml when PATCHFLOW_CAPTURE=1: the
// parser tests' inputs are real zypper output, made this way.
func capture(t *testing.T, c transport.Conn, name string, args ...string) {
	t.Helper()
	if os.Getenv("PATCHFLOW_CAPTURE") != "1" {
		return
	}
	cmd := transport.Command{Args: append([]string{"zypper", "--non-interactive", "--xmlout"}, args...),
		Env: map[string]string{"LANG": "C", "LC_ALL": "C", "ZYPP_LOCK_TIMEOUT": "3"}, Timeout: time.Minute}
	res, err := c.Run(context.Background(), cmd)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join("testdata", "zypper", fmt.Sprintf("%s.%d.xml", name, res.ExitCode))
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, res.Stdout, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("captured %s (%s)", path, cmd)
}

// captureRaw copies the repository metadata libzypp keeps in its raw
// cache (repomd.xml and the updateinfo it names) to testdata/zypper when
// PATCHFLOW_CAPTURE=1.
func captureRaw(t *testing.T, f *localfleet.Fleet, host string) {
	t.Helper()
	if os.Getenv("PATCHFLOW_CAPTURE") != "1" {
		return
	}
	const dir = "/var/cache/zypp/raw/patchflow/repodata"
	out, err := f.Exec(context.Background(), host, "sh", "-c", `cd "$1" && ls repomd.xml *-updateinfo.xml.gz`, "sh", dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range strings.Fields(string(out)) {
		data, err := f.Exec(context.Background(), host, "cat", dir+"/"+name)
		if err != nil {
			t.Fatal(err)
		}
		to := "raw-repomd.xml"
		if name != "repomd.xml" {
			to = "raw-updateinfo.xml.gz"
		}
		if err := os.WriteFile(filepath.Join("testdata", "zypper", to), data, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("captured %s from %s/%s", to, dir, name)
	}
}
