package pkgmgr

import (
	"bytes"
	"compress/gzip"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/klauspost/compress/zstd"
	"github.com/patchflow/patchflow/transport"
)

// The inputs are real zypper 1.14.42 (libzypp 17.25.7, Debian bookworm)
// output from a test fleet zypper host; testdata/zypper/PROVENANCE.md says how
// each was made. A file's name ends with the exit code zypper gave.

// capturedRun reads testdata/zypper/<name>.<code>.xml as a zypper run.
func capturedRun(t *testing.T, file string) zypperRun {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "zypper", file))
	if err != nil {
		t.Fatal(err)
	}
	parts := strings.Split(file, ".")
	code, err := strconv.Atoi(parts[len(parts)-2])
	if err != nil {
		t.Fatalf("%s: no exit code in the name: %v", file, err)
	}
	out, perr := parseZypperXML(data)
	if perr != nil {
		t.Fatalf("%s: %v", file, perr)
	}
	return zypperRun{cmd: transport.Command{Args: []string{"zypper"}}, res: transport.Result{Stdout: data, ExitCode: code}, out: out}
}

func TestZypperCapturesClassify(t *testing.T) {
	for _, tc := range []struct {
		file      string
		succeeded bool
		kind      ErrorKind // of a failed run
		detail    string    // in run.detail()
	}{
		{"refresh.0.xml", true, "", ""},
		{"list-updates.0.xml", true, "", ""},
		{"patch-check.101.xml", true, "", ""}, // 101: security patches needed, informational
		{"needs-rebooting.102.xml", true, "", ""},
		{"install-downgrade.0.xml", true, "", ""},
		{"install-locked.7.xml", false, Locked, "System management is locked by the application with pid"},
		{"install-not-found.104.xml", false, NotFound, "Package 'demo-app=9.9.9-1' not found."},
		{"install-post-fails.107.xml", false, ScriptFailed, ""},
		{"download-disk-full.8.xml", false, DiskFull, "Error code: Write error"},
		{"refresh-unreachable.4.xml", false, FetchFailed, "Skipping repository 'unreachable mirror' because of the above error."},
		{"list-updates-skipped.106.xml", false, FetchFailed, "Valid metadata not found at specified URL"},
		{"verify-problem.4.xml", false, Failed, "Problem: nothing provides no-such-capability needed by demo-broken-1.0-1.noarch"},
		{"install-stack-patch.103.xml", false, Failed, ""},
	} {
		t.Run(tc.file, func(t *testing.T) {
			run := capturedRun(t, tc.file)
			if run.succeeded() != tc.succeeded {
				t.Errorf("succeeded() = %v, want %v", run.succeeded(), tc.succeeded)
			}
			if !tc.succeeded && tc.kind != "" {
				if got := classifyZypper(run); got != tc.kind {
					t.Errorf("classifyZypper = %s, want %s (messages %q)", got, tc.kind, run.out.allText())
				}
			}
			if d := run.detail(); !strings.Contains(d, tc.detail) || strings.ContainsAny(d, "\n\t") || len(d) > 410 {
				t.Errorf("detail() = %q, want one line of at most 400 characters containing %q", d, tc.detail)
			}
		})
	}
}

func TestZypperCapturesDetails(t *testing.T) {
	if got := lockedPackages(capturedRun(t, "install-package-locked.4.xml").out); !reflect.DeepEqual(got, []string{"demo-tool"}) {
		t.Errorf("lockedPackages = %q, want demo-tool", got)
	}
	if got := lockHolder(capturedRun(t, "install-locked.7.xml").out); got != " by pid 22 (zypper)" {
		t.Errorf("lockHolder = %q", got)
	}
	for _, f := range []string{"refresh-unreachable.4.xml", "list-updates-skipped.106.xml"} {
		if got := skippedRepos(capturedRun(t, f).out); !reflect.DeepEqual(got, []string{"unreachable mirror"}) {
			t.Errorf("%s: skippedRepos = %q", f, got)
		}
	}
	post := capturedRun(t, "install-post-fails.107.xml")
	want := []string{"warning: %post(demo-app-1.0.2-150500.5.1.noarch) scriptlet failed, exit status 1"}
	if got := scriptletFailures(zypperResult(post)); !reflect.DeepEqual(got, want) {
		t.Errorf("scriptletFailures = %q, want %q", got, want)
	}
	if up := post.out.Summary.Upgrade; len(up) != 1 || up[0].Name != "demo-app" || up[0].Edition != "1.0.2-150500.5.1" {
		t.Errorf("install summary upgrades %+v", up)
	}
	stack := capturedRun(t, "install-stack-patch.103.xml")
	if !changed(stack) {
		t.Error("a stack install exiting 103 did not count as changed")
	}
	var kinds []string
	for _, s := range stack.out.Summary.changes() {
		kinds = append(kinds, s.kind()+":"+s.Name)
	}
	if strings.Join(kinds, " ") != "patch:PF-SLE-15-SP5-2026-1005 package:demo-stack" {
		t.Errorf("stack install summary = %v, want the patch and demo-stack", kinds)
	}
	var removed []string
	for _, s := range capturedRun(t, "remove-dry-run.0.xml").out.Summary.Remove {
		removed = append(removed, s.Name)
	}
	if strings.Join(removed, " ") != "demo-lib demo-plugin" {
		t.Errorf("remove --dry-run of demo-lib removes %v, want demo-lib and demo-plugin (it requires demo-lib)", removed)
	}
	if ch := capturedRun(t, "verify-broken.0.xml").out.Summary.changes(); len(ch) != 1 || ch[0].Name != "demo-lib" {
		t.Errorf("verify of a broken dependency proposes %+v, want to install demo-lib", ch)
	}
	if ch := capturedRun(t, "verify-clean.0.xml").out.Summary.changes(); len(ch) != 0 {
		t.Errorf("verify on a clean host proposes %+v", ch)
	}
	search := capturedRun(t, "search.0.xml").out.Solvables
	if len(search) != 3 || search[2].Status != "installed" || search[0].Edition != "1.0.2-150500.5.1" {
		t.Errorf("search solvables = %+v", search)
	}
	repos := capturedRun(t, "repos.0.xml").out.Repos
	if len(repos) != 1 || repos[0].Alias != "patchflow" || !repos[0].Enabled || repos[0].URL != "http://10.213.60.2:8080/zypper/" {
		t.Errorf("repos = %+v", repos)
	}
}

func TestZypperListPatchesReadsBlockedAndFlags(t *testing.T) {
	ups := capturedRun(t, "list-patches.0.xml").out.Updates
	by := map[string]zypperUpdate{}
	for _, u := range ups {
		by[u.Name] = u
	}
	stack, sec, kern := by["PF-SLE-15-SP5-2026-1005"], by["PF-SLE-15-SP5-2026-1001"], by["PF-SLE-15-SP5-2026-1004"]
	if !stack.PkgManager || stack.Blocked || stack.Category != "recommended" || stack.Severity != "important" {
		t.Errorf("stack patch = %+v, want pkgmanager, not blocked, recommended/important", stack)
	}
	// With a package stack patch pending, zypper lists every other patch
	// in its blocked list: pending all the same.
	if !sec.Blocked || sec.Status != "needed" || sec.Category != "security" || sec.Source.Alias != "patchflow" ||
		!reflect.DeepEqual(patchAdvisories(sec), []string{"PF-SLE-15-SP5-2026-1001", "CVE-2026-0001"}) || sec.IssueDate.Unix != 1768435200 {
		t.Errorf("security patch = %+v", sec)
	}
	if !kern.Interactive || !kern.Restart || kern.Severity != "critical" {
		t.Errorf("demo-kernel patch = %+v, want interactive, reboot suggested, critical", kern)
	}
	if n := len(pendingPatches(ups)); n != len(ups) || n < 40 {
		t.Errorf("%d of %d patches pending, want all (needed or optional) and an estate's worth", n, len(ups))
	}
}

// capturedUpdateinfo reads the raw updateinfo libzypp cached on the host.
func capturedUpdateinfo(t *testing.T) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "zypper", "raw-updateinfo.xml.gz"))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func TestZypperUpdatesFromCaptures(t *testing.T) {
	lu := capturedRun(t, "list-updates.0.xml").out.Updates
	patches := pendingPatches(capturedRun(t, "list-patches.0.xml").out.Updates)
	list, err := parseUpdateinfo(capturedUpdateinfo(t), func(string) bool { return true })
	if err != nil {
		t.Fatal(err)
	}
	infos := map[string]patchInfo{}
	for _, p := range list {
		infos[patchKey("patchflow", p.ID)] = p
	}
	// Installed: what list-updates says each package is at, and
	// demo-plugin (nothing newer).
	inst := map[string][]rpmPkg{"demo-plugin": {{"demo-plugin", "1.0-150500.1.1", "noarch"}}}
	for _, u := range lu {
		inst[u.Name] = []rpmPkg{{u.Name, u.EditionOld, u.Arch}}
	}
	none := func(string, []string) bool { return false }
	got := zypperUpdates(lu, patches, infos, inst, none)
	if len(got) != 81 {
		t.Errorf("%d updates, want 81: 75 estate versions and 6 demo ones (demo-kernel's marked interactive)", len(got))
	}
	want := map[string]Update{
		"demo-app 1.0.1-150500.3.1": {"demo-app", "noarch", "1.0.0-150500.1.1", "1.0.1-150500.3.1", "patchflow", Security, High, []string{"CVE-2026-0001", "PF-SLE-15-SP5-2026-1001"}, ""},
		"demo-app 1.0.2-150500.5.1": {"demo-app", "noarch", "1.0.0-150500.1.1", "1.0.2-150500.5.1", "patchflow", Bugfix, SeverityUnknown, []string{"PF-SLE-15-SP5-2026-1003"}, ""},
		"demo-lib 1.1-150500.3.1":   {"demo-lib", "noarch", "1.0-150500.1.1", "1.1-150500.3.1", "patchflow", Bugfix, SeverityUnknown, []string{"PF-SLE-15-SP5-2026-1002"}, ""},
		"demo-stack 1.1-150500.3.1": {"demo-stack", "noarch", "1.0-150500.1.1", "1.1-150500.3.1", "patchflow", Bugfix, SeverityUnknown, []string{"PF-SLE-15-SP5-2026-1005"}, ""},
		"demo-tool 1.1-150500.3.1":  {"demo-tool", "noarch", "1.0-150500.1.1", "1.1-150500.3.1", "patchflow", Feature, SeverityUnknown, []string{"PF-SLE-15-SP5-2026-1006"}, ""},
		"estate-01 2.1-150500.3.1":  {"estate-01", "x86_64", "2.0-150500.1.1", "2.1-150500.3.1", "patchflow", Security, Critical, []string{"CVE-2025-41000", "CVE-2025-41001", "PF-SLE-15-SP5-2026-2001"}, ""},
		"estate-10 2.1-150500.3.1":  {"estate-10", "noarch", "2.0-150500.1.1", "2.1-150500.3.1", "patchflow", Bugfix, SeverityUnknown, []string{"PF-SLE-15-SP5-2026-2004"}, ""},
		"estate-22 2.1-150500.3.1":  {"estate-22", "noarch", "2.0-150500.1.1", "2.1-150500.3.1", "patchflow", Bugfix, SeverityUnknown, []string{"PF-SLE-15-SP5-2026-2008"}, ""},
		"estate-13 2.1-150500.3.1":  {"estate-13", "x86_64", "2.0-150500.1.1", "2.1-150500.3.1", "patchflow", Feature, SeverityUnknown, []string{"PF-SLE-15-SP5-2026-2005"}, ""},
		"estate-28 2.1-150500.3.1":  {"estate-28", "noarch", "2.0-150500.1.1", "2.1-150500.3.1", "patchflow", Bugfix, SeverityUnknown, []string{"PF-SLE-15-SP5-2026-2010"}, ""},
		"estate-28 2.2-150500.5.1":  {"estate-28", "noarch", "2.0-150500.1.1", "2.2-150500.5.1", "patchflow", Security, High, []string{"CVE-2026-52028", "PF-SLE-15-SP5-2026-3028"}, ""},
		"estate-25 2.1-150500.3.1":  {"estate-25", "x86_64", "2.0-150500.1.1", "2.1-150500.3.1", "patchflow", Security, Low, []string{"CVE-2025-41056", "CVE-2025-41057", "PF-SLE-15-SP5-2026-2009"}, ""},
	}
	seen := 0
	for i, u := range got {
		if i > 0 && (got[i-1].Name > u.Name || got[i-1].Name == u.Name && Compare("zypper", got[i-1].Candidate, u.Candidate) >= 0) {
			t.Errorf("updates not sorted by name, then version: %s %s after %s %s", u.Name, u.Candidate, got[i-1].Name, got[i-1].Candidate)
		}
		if (u.Name == "demo-kernel") != (u.Interactive != "") {
			t.Errorf("update %+v: only demo-kernel's, from an interactive patch not included, is marked interactive", u)
		}
		if w, ok := want[u.Name+" "+u.Candidate]; ok {
			seen++
			if !reflect.DeepEqual(u, w) {
				t.Errorf("update\n%+v\nwant\n%+v", u, w)
			}
		}
	}
	if seen != len(want) {
		t.Errorf("found %d of the %d expected updates", seen, len(want))
	}
	if u, ok := findUpdateIn(got, "demo-kernel", "1.1-150500.3.1"); !ok || u.Interactive != "PF-SLE-15-SP5-2026-1004" || u.Class != Security || u.Severity != Critical {
		t.Errorf("without the interactive patch included, demo-kernel = %+v (%v), want security, critical, marked interactive by PF-SLE-15-SP5-2026-1004", u, ok)
	}
	// Listed by WithInteractive, by patch or by package name, the
	// interactive patch is offered as any other.
	for _, listed := range []string{"PF-SLE-15-SP5-2026-1004", "demo-kernel", "*"} {
		z := (&Zypper{}).WithInteractive(listed)
		got = zypperUpdates(lu, patches, infos, inst, z.includesInteractive)
		if u, ok := findUpdateIn(got, "demo-kernel", "1.1-150500.3.1"); !ok || u.Interactive != "" || u.Class != Security || u.Severity != Critical {
			t.Errorf("with %s included, demo-kernel = %+v (%v), want security, critical, not marked", listed, u, ok)
		}
	}
	// Another patch's name, or a package the patch does not update,
	// includes nothing.
	for _, listed := range []string{"PF-SLE-15-SP5-2026-1001", "demo-app", "PF-SLE-15-SP5-2026"} {
		z := (&Zypper{}).WithInteractive(listed)
		got = zypperUpdates(lu, patches, infos, inst, z.includesInteractive)
		if u, _ := findUpdateIn(got, "demo-kernel", "1.1-150500.3.1"); u.Interactive == "" {
			t.Errorf("with only %s listed, demo-kernel = %+v, want it marked interactive", listed, u)
		}
	}
}

func findUpdateIn(ups []Update, name, candidate string) (Update, bool) {
	for _, u := range ups {
		if u.Name == name && u.Candidate == candidate {
			return u, true
		}
	}
	return Update{}, false
}

func TestZypperUpdatesWithoutPatchesAreFeatures(t *testing.T) {
	lu := capturedRun(t, "list-updates.0.xml").out.Updates
	inst := map[string][]rpmPkg{}
	for _, u := range lu {
		inst[u.Name] = []rpmPkg{{u.Name, u.EditionOld, u.Arch}}
	}
	got := zypperUpdates(lu, nil, nil, inst, func(string, []string) bool { return false })
	if len(got) != len(lu) {
		t.Fatalf("%d updates from %d list-updates entries", len(got), len(lu))
	}
	for _, u := range got {
		if u.Class != Feature || u.Severity != SeverityUnknown || len(u.Advisories) != 0 || u.Installed == "" {
			t.Errorf("an update no patch names = %+v, want feature, unknown severity, installed version known", u)
		}
	}
}

func TestParseUpdateinfoCompressions(t *testing.T) {
	gz := capturedUpdateinfo(t)
	zr, err := gzip.NewReader(bytes.NewReader(gz))
	if err != nil {
		t.Fatal(err)
	}
	plain, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	enc, _ := zstd.NewWriter(nil)
	zst := enc.EncodeAll(plain, nil)
	all := func(string) bool { return true }
	want, err := parseUpdateinfo(gz, all)
	if err != nil {
		t.Fatal(err)
	}
	if len(want) != 41 || want[0].ID != "PF-SLE-15-SP5-2026-1001" ||
		!reflect.DeepEqual(want[0].Packages, []patchPackage{{"demo-app", "noarch", "1.0.1-150500.3.1"}}) {
		t.Errorf("parseUpdateinfo: %d patches, first %+v", len(want), want[0])
	}
	for name, data := range map[string][]byte{"plain": plain, "zstd": zst} {
		got, err := parseUpdateinfo(data, all)
		if err != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("%s: %d patches, %v; want the gzip result", name, len(got), err)
		}
	}
	if _, err := parseUpdateinfo([]byte{0xfd, '7', 'z', 'X', 'Z', 0, 1}, all); err == nil || !strings.Contains(err.Error(), "xz") {
		t.Errorf("xz: %v, want an error naming xz", err)
	}
	one, err := parseUpdateinfo(gz, func(id string) bool { return id == "PF-SLE-15-SP5-2026-2001" })
	if err != nil || len(one) != 1 || len(one[0].Packages) != 3 {
		t.Errorf("keep one patch: %+v, %v; want PF-SLE-15-SP5-2026-2001 with its 3 packages", one, err)
	}
	ep, err := parseUpdateinfo([]byte(`<updates><update><id>X-1</id><pkglist><collection>
		<package name="kernel-default" epoch="1" version="6.4.0" release="150600.23.7.3" arch="x86_64"/>
		<package name="kernel-default" epoch="1" version="6.4.0" release="150600.23.7.3" arch="src"/>
		</collection></pkglist></update></updates>`), all)
	if err != nil || !reflect.DeepEqual(ep, []patchInfo{{"X-1", []patchPackage{{"kernel-default", "x86_64", "1:6.4.0-150600.23.7.3"}}}}) {
		t.Errorf("epoch and source package: %+v, %v", ep, err)
	}
}

func TestRepomdUpdateinfo(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("testdata", "zypper", "raw-repomd.xml"))
	if err != nil {
		t.Fatal(err)
	}
	href, err := repomdUpdateinfo(data)
	if err != nil || !strings.HasPrefix(href, "repodata/") || !strings.HasSuffix(href, "-updateinfo.xml.gz") || !hrefRE.MatchString(href) {
		t.Errorf("repomdUpdateinfo = %q, %v", href, err)
	}
	if href, err := repomdUpdateinfo([]byte(`<repomd><data type="primary"><location href="repodata/p.xml.gz"/></data></repomd>`)); href != "" || err != nil {
		t.Errorf("a repository without updateinfo: %q, %v", href, err)
	}
}

func TestParseZypperXMLKeepsWhatParsedBeforeACut(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("testdata", "zypper", "install-post-fails.107.xml"))
	if err != nil {
		t.Fatal(err)
	}
	cut := data[:bytes.Index(data, []byte("<prompt"))+20]
	out, err := parseZypperXML(cut)
	if err == nil {
		t.Error("a cut stream parsed without error")
	}
	if out.Summary == nil || len(out.Messages) < 3 {
		t.Errorf("a cut stream kept %d messages and summary %v, want what came before the cut", len(out.Messages), out.Summary)
	}
	if _, err := parseZypperXML([]byte("sudo: a password is required\n")); err == nil {
		t.Error("text that is not zypper XML parsed")
	}
	out, err = parseZypperXML([]byte("<?xml version='1.0'?>\n<stream><message type=\"error\">bad \xff byte \x01 &amp; more</message></stream>"))
	if err != nil || len(out.Messages) != 1 || out.Messages[0].Text != "bad \uFFFD byte   & more" {
		t.Errorf("non-UTF-8 message: %+v, %v", out, err)
	}
	if got := excerptN("a\x01b\tc\nd "+strings.Repeat("x", 50), 20); got != `a\x01b c d xxxxxxxxxxxx...` {
		t.Errorf("excerptN = %q", got)
	}
}

// BenchmarkZypperScanParse measures what Pending does on the worker for a
// host with ~80 pending updates: parse list-updates and list-patches,
// stream the updateinfo, join.
func BenchmarkZypperScanParse(b *testing.B) {
	read := func(name string) []byte {
		data, err := os.ReadFile(filepath.Join("testdata", "zypper", name))
		if err != nil {
			b.Fatal(err)
		}
		return data
	}
	luData, lpData, ui := read("list-updates.0.xml"), read("list-patches.0.xml"), read("raw-updateinfo.xml.gz")
	b.ReportAllocs()
	for b.Loop() {
		lu, err := parseZypperXML(luData)
		if err != nil {
			b.Fatal(err)
		}
		lp, err := parseZypperXML(lpData)
		if err != nil {
			b.Fatal(err)
		}
		patches := pendingPatches(lp.Updates)
		ids := map[string]bool{}
		for _, p := range patches {
			ids[p.Name] = true
		}
		list, err := parseUpdateinfo(ui, func(id string) bool { return ids[id] })
		if err != nil {
			b.Fatal(err)
		}
		infos := map[string]patchInfo{}
		for _, p := range list {
			infos[patchKey("patchflow", p.ID)] = p
		}
		inst := map[string][]rpmPkg{}
		for _, u := range lu.Updates {
			inst[u.Name] = []rpmPkg{{u.Name, u.EditionOld, u.Arch}}
		}
		if ups := zypperUpdates(lu.Updates, patches, infos, inst, func(string, []string) bool { return false }); len(ups) != 81 {
			b.Fatalf("%d updates", len(ups))
		}
	}
}
