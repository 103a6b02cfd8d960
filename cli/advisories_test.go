package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// advisorySources writes a sources file naming the real extracts of the
// advisories package's testdata (as local files a user mirrors).
func advisorySources(t *testing.T, extra string) string {
	t.Helper()
	td, err := filepath.Abs("../advisories/testdata")
	if err != nil {
		t.Fatal(err)
	}
	data := `apiVersion: patchflow/v1
kind: AdvisorySources
sources:
  - name: vuln-list
    kind: vuln-list-debian
    location: ` + td + `/vuln-list-debian
  - name: almalinux
    kind: osv
    location: ` + td + `/almalinux
  - name: kev
    kind: kev
    location: ` + td + `/kev/known_exploited_vulnerabilities.subset.csv
  - name: epss
    kind: epss
    location: ` + td + `/epss/epss_scores-2026-02-21.csv.gz
` + extra
	p := filepath.Join(t.TempDir(), "advisories.yaml")
	if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestAdvisoriesSyncThenStatus(t *testing.T) {
	cache := t.TempDir()
	code, out, errOut := run(t, "advisories", "sync", "--sources", advisorySources(t, ""), "--cache", cache)
	if code != ExitOK {
		t.Fatalf("sync exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	if !strings.Contains(out, "synced 4 of 4 sources into "+cache) {
		t.Errorf("stdout %q", out)
	}
	// Not a terminal: one plain line per step.
	for _, want := range []string{"kev: fetching\n", "kev: 5 records, 0 skipped, as of 2024-05-30 (data)\n", "vuln-list: 16 records, 0 skipped, as of 2026-09-04 (data)\n"} {
		if !strings.Contains(errOut, want) {
			t.Errorf("progress:\n%s\nwant %q", errOut, want)
		}
	}

	code, out, errOut = run(t, "advisories", "status", "--cache", cache, "--json")
	if code != ExitOK {
		t.Fatalf("status exit %d: %s", code, errOut)
	}
	var res AdvisoriesStatusResult
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("status --json: %v\n%s", err, out)
	}
	if len(res.Sources) != 4 || res.Sources[0].Name != "vuln-list" || res.Sources[3].Name != "epss" || res.Sources[3].Records != 1 {
		t.Fatalf("sources %+v", res.Sources)
	}
	if s := res.Sources[2]; s.Kind != "kev" || s.AsOf.Format(time.DateOnly) != "2024-05-30" || s.AgeSecs <= 0 || len(s.SHA256) != 64 {
		t.Errorf("kev %+v", s)
	}

	code, out, _ = run(t, "advisories", "status", "--cache", cache)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if code != ExitOK || len(lines) != 5 || !strings.HasPrefix(lines[0], "NAME") || !strings.Contains(lines[3], "kev ") || !strings.Contains(lines[3], "2024-05-30") {
		t.Errorf("status table (exit %d):\n%s", code, out)
	}
}

func TestAdvisoriesSyncReportsEveryProblem(t *testing.T) {
	bad := filepath.Join(t.TempDir(), "bad.yaml")
	os.WriteFile(bad, []byte("apiVersion: patchflow/v1\nkind: AdvisorySources\nsources:\n  - name: kev\n    kind: kve\n    location: x.json\n    colour: red\n"), 0o644)
	code, _, errOut := run(t, "advisories", "sync", "--sources", bad, "--cache", t.TempDir())
	if code != ExitFailure {
		t.Fatalf("exit %d, want 1", code)
	}
	for _, want := range []string{bad + `:5:11: source "kev": unknown kind "kve"`, bad + `:7:5: source "kev": unknown field "colour"`} {
		if !strings.Contains(errOut, want) {
			t.Errorf("stderr:\n%s\nwant %q", errOut, want)
		}
	}

	// One source fails: the others are synced, the exit code says so.
	cache := t.TempDir()
	sources := advisorySources(t, "  - name: broken\n    kind: kev\n    location: /nonexistent/kev.json\n")
	code, out, errOut := run(t, "advisories", "sync", "--sources", sources, "--cache", cache)
	if code != ExitFailure || !strings.Contains(out, "synced 4 of 5 sources") || !strings.Contains(errOut, "error: source broken: stat /nonexistent/kev.json: no such file or directory") {
		t.Errorf("exit %d\nstdout %s\nstderr %s", code, out, errOut)
	}
}

// Control characters in what status prints are escaped, never sent to
// the terminal.
func TestAdvisoriesStatusEscapesControlCharacters(t *testing.T) {
	dir := t.TempDir()
	evil := filepath.Join(dir, "kev\x1b[2J\r.json")
	data, err := os.ReadFile("../advisories/testdata/kev/known_exploited_vulnerabilities.subset.json")
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(evil, data, 0o644)
	src := filepath.Join(dir, "s.yaml")
	os.WriteFile(src, []byte("apiVersion: patchflow/v1\nkind: AdvisorySources\nsources:\n  - name: kev\n    kind: kev\n    location: \"kev\\e[2J\\r.json\"\n"), 0o644)
	cache := filepath.Join(dir, "cache")
	if code, _, errOut := run(t, "advisories", "sync", "--sources", src, "--cache", cache); code != ExitOK {
		t.Fatalf("sync: %s", errOut)
	}
	code, out, _ := run(t, "advisories", "status", "--cache", cache)
	if code != ExitOK || strings.ContainsAny(out, "\x1b\r") || !strings.Contains(out, `kev\x1b[2J\r.json`) {
		t.Errorf("status output %q, want the escape sequence shown escaped", out)
	}
}

func TestAdvisoriesStatusOfAnEmptyCache(t *testing.T) {
	cache := t.TempDir()
	code, out, errOut := run(t, "advisories", "status", "--cache", cache)
	if code != ExitOK || out != "" || !strings.Contains(errOut, "no advisory source in "+cache+"; run patchflow advisories sync") {
		t.Errorf("exit %d out %q err %q", code, out, errOut)
	}
	code, out, _ = run(t, "advisories", "status", "--cache", cache, "--json")
	if code != ExitOK || !strings.Contains(out, `"sources": []`) {
		t.Errorf("json: %d %s", code, out)
	}
	if code, _, errOut := run(t, "advisories", "status", "extra"); code != ExitUsage {
		t.Errorf("extra argument: exit %d %s", code, errOut)
	}
}
