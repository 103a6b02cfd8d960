package pkgmgr

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/patchflow/patchflow/transport"
)

// addCaptures seeds a fuzz target with the real zypper captures.
func addCaptures(f *testing.F, pattern string) {
	files, _ := filepath.Glob(filepath.Join("testdata", "zypper", pattern))
	if len(files) == 0 {
		f.Fatalf("no captures match %s", pattern)
	}
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
}

// FuzzZypperXML: zypper's --xmlout stream never panics the parser, and
// what it keeps (messages, an error's detail) is valid UTF-8 without
// control characters in what an error quotes.
func FuzzZypperXML(f *testing.F) {
	addCaptures(f, "*.xml")
	f.Fuzz(func(t *testing.T, data []byte) {
		out, _ := parseZypperXML(data)
		for _, m := range out.Messages {
			if !utf8.ValidString(m.Text) {
				t.Fatalf("message %q is not UTF-8", m.Text)
			}
		}
		for _, code := range []int{0, 4, zypperExitLocked, zypperExitScriptFailed} {
			run := zypperRun{cmd: transport.Command{Args: []string{"zypper"}}, res: transport.Result{Stdout: data, ExitCode: code}, out: out}
			classifyZypper(run)
			d := run.detail()
			if strings.ContainsAny(d, "\n\r\t\x00") || utf8.RuneCountInString(d) > 410 {
				t.Fatalf("detail %q is not one short line", d)
			}
			skippedRepos(out)
			lockHolder(out)
		}
		// The join never panics on whatever parsed.
		zypperUpdates(out.Updates, pendingPatches(out.Updates), nil, nil, func(string, []string) bool { return true })
	})
}

// FuzzUpdateinfo: an updateinfo.xml (compressed or not) or repomd.xml
// from a host's metadata cache never panics its parsers, and every
// package they return is a binary package with a name and a version.
func FuzzUpdateinfo(f *testing.F) {
	addCaptures(f, "raw-*")
	f.Add([]byte(`<updates><update><id>X-1</id><pkglist><collection><package name="a" epoch="1" version="2" release="3" arch="x86_64"/></collection></pkglist></update></updates>`))
	f.Fuzz(func(t *testing.T, data []byte) {
		ps, _ := parseUpdateinfo(data, func(string) bool { return true })
		for _, p := range ps {
			if p.ID == "" {
				t.Fatalf("a patch without an id: %+v", p)
			}
			for _, pk := range p.Packages {
				if pk.Name == "" || pk.EVR == "" || pk.Arch == "src" || pk.Arch == "nosrc" {
					t.Fatalf("patch %s: package %+v", p.ID, pk)
				}
			}
		}
		repomdUpdateinfo(data)
	})
}
