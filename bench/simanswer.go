package bench

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"strings"
	"time"

	"github.com/patchflow/patchflow/hostscan"
	"github.com/patchflow/patchflow/transport"
)

// answer runs one command on a simulated host (h.mu held): the commands
// patchflow's apt driver and activities send, answered as Debian 12 would.
// Anything else exits 127, which TestSimFleetAnswersEveryScanCommand
// catches.
func (f *SimFleet) answer(h *simHost, cmd transport.Command) transport.Result {
	a := cmd.Args
	switch {
	case a[0] == "cat" && len(a) == 2 && a[1] == "/etc/os-release":
		return ok("PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nNAME=\"Debian GNU/Linux\"\nVERSION_ID=\"12\"\nVERSION_CODENAME=bookworm\nID=debian\n")
	case a[0] == "apt-get" && has(a, "update"):
		return ok("Hit:1 http://deb.debian.org/debian bookworm InRelease\nHit:2 http://deb.debian.org/debian-security bookworm-security InRelease\nReading package lists...\n")
	case a[0] == "apt-get" && has(a, "install"):
		return f.aptInstall(h, a)
	case a[0] == "dpkg-query":
		return f.dpkgQuery(h, a)
	case a[0] == "apt-cache" && len(a) > 1 && a[1] == "madison":
		return f.madison(a[2:])
	case a[0] == "python3" && len(a) == 2 && a[1] == "-":
		return f.pending(h)
	case a[0] == "python3" && len(a) > 1 && a[1] == "-c":
		return ok("") // the dpkg lock probe: no lock held
	case a[0] == "dpkg" && has(a, "--audit"):
		return f.audit(h)
	case a[0] == "test":
		return transport.Result{ExitCode: 1} // no /var/run/reboot-required
	case a[0] == "bash" && len(a) == 7 && a[1] == "-c" && strings.Contains(a[2], "changelog.Debian.gz"):
		return f.changelog(a[4], a[5])
	case a[0] == "sh" && len(a) >= 4 && a[1] == "-c":
		return f.shell(h, a[2], a[4:], cmd.Stdin)
	case a[0] == "df":
		var b strings.Builder
		b.WriteString("Filesystem 1024-blocks Used Available Capacity Mounted on\n")
		for _, p := range a[1:] {
			if !strings.HasPrefix(p, "-") {
				fmt.Fprintf(&b, "/dev/vda1 20509264 6300480 13144692 33%% %s\n", p)
			}
		}
		return ok(b.String())
	}
	return transport.Result{ExitCode: 127, Stderr: []byte("sim: " + a[0] + ": command not found\n")}
}

// aptInstall applies `apt-get install [--download-only] name=version...
// name-...` as apt would: every version must exist (else nothing changes,
// exit 100); on a host whose installs fail, the first upgraded package's
// postinst fails, leaving it half-configured (exit 100, dpkg's messages).
func (f *SimFleet) aptInstall(h *simHost, a []string) transport.Result {
	type change struct {
		pkg int
		to  pkgState
	}
	var changes []change
	for _, arg := range a[2:] {
		if strings.HasPrefix(arg, "-") || strings.HasPrefix(arg, "Dpkg::") {
			continue
		}
		name, ver, versioned := strings.Cut(arg, "=")
		if !versioned {
			name, removal := strings.CutSuffix(arg, "-")
			i, known := f.index[name]
			if !removal || !known {
				return transport.Result{ExitCode: 100, Stderr: []byte("E: Unable to locate package " + name + "\n")}
			}
			changes = append(changes, change{i, pkgAbsent})
			continue
		}
		i, known := f.index[name]
		if !known {
			return transport.Result{ExitCode: 100, Stderr: []byte("E: Unable to locate package " + name + "\n")}
		}
		switch ver {
		case f.universe[i].Old:
			changes = append(changes, change{i, pkgOld})
		case f.universe[i].Candidate:
			changes = append(changes, change{i, pkgCurrent})
		default:
			return transport.Result{ExitCode: 100, Stderr: []byte(fmt.Sprintf("E: Version '%s' for '%s' was not found\n", ver, name))}
		}
	}
	if has(a, "--download-only") {
		return ok(fmt.Sprintf("%d upgraded, 0 newly installed, 0 to remove and 0 not upgraded.\nDownload complete and in download only mode\n", len(changes)))
	}
	failed := -1
	changed := false
	for _, c := range changes {
		to := c.to
		if to == pkgCurrent && h.failInstall && failed < 0 && h.state[c.pkg] != pkgCurrent {
			failed, to = c.pkg, pkgHalf
		}
		changed = changed || h.state[c.pkg] != to
		h.state[c.pkg] = to
	}
	if changed {
		h.installs++
	}
	if failed >= 0 {
		p := f.universe[failed].Name
		return transport.Result{ExitCode: 100, Stdout: []byte("Setting up " + p + " (" + f.universe[failed].Candidate + ") ...\n"),
			Stderr: []byte("dpkg: error processing package " + p + " (--configure):\n installed " + p +
				" package post-installation script subprocess returned error exit status 1\nErrors were encountered while processing:\n " +
				p + "\nE: Sub-process /usr/bin/dpkg returned an error code (1)\n")}
	}
	return ok(fmt.Sprintf("%d packages changed\n", len(changes)))
}

// dpkgQuery answers `dpkg-query -W -f FORMAT names...` in the apt
// driver's format: name, architecture, version, status abbreviation.
func (f *SimFleet) dpkgQuery(h *simHost, a []string) transport.Result {
	var out, errOut strings.Builder
	exit := 0
	for _, name := range a[4:] {
		i, known := f.index[name]
		if !known || h.state[i] == pkgAbsent {
			fmt.Fprintf(&errOut, "dpkg-query: no packages found matching %s\n", name)
			exit = 1
			continue
		}
		status := "ii"
		if h.state[i] == pkgHalf {
			status = "iF"
		}
		fmt.Fprintf(&out, "%s\t%s\t%s\t%s\n", name, f.universe[i].Arch, f.version(i, h.state[i]), status)
	}
	return transport.Result{Stdout: []byte(out.String()), Stderr: []byte(errOut.String()), ExitCode: exit}
}

// madison lists both versions the repositories offer for each package.
func (f *SimFleet) madison(names []string) transport.Result {
	var b strings.Builder
	for _, n := range names {
		i, known := f.index[n]
		if !known {
			continue
		}
		p := f.universe[i]
		suite := "bookworm/main"
		if len(p.Origins) > 0 && p.Origins[0].Codename != "" {
			suite = p.Origins[0].Codename + "/" + p.Origins[0].Component
		}
		fmt.Fprintf(&b, "%10s | %s | http://deb.debian.org/debian %s %s Packages\n", n, p.Candidate, suite, p.Arch)
		fmt.Fprintf(&b, "%10s | %s | http://deb.debian.org/debian bookworm/main %s Packages\n", n, p.Old, p.Arch)
	}
	return ok(b.String())
}

// pending answers the driver's python3-apt script: one entry per package
// at its old version, as the real host printed it.
func (f *SimFleet) pending(h *simHost) transport.Result {
	var b bytes.Buffer
	b.WriteString("PATCHFLOW-JSON [")
	first := true
	for i, s := range h.state {
		if s != pkgOld {
			continue
		}
		if !first {
			b.WriteString(", ")
		}
		first = false
		b.Write(f.universe[i].pending)
	}
	b.WriteString("]\n")
	return transport.Result{Stdout: b.Bytes()}
}

// audit answers dpkg --audit: half-configured packages are listed.
func (f *SimFleet) audit(h *simHost) transport.Result {
	var half []string
	for i, s := range h.state {
		if s == pkgHalf {
			half = append(half, " "+f.universe[i].Name)
		}
	}
	if len(half) == 0 {
		return ok("")
	}
	return ok("The following packages are only half configured, probably due to problems\nconfiguring them the first time.  The configuration should be retried using\ndpkg --configure <package> or the configure option menu in dselect:\n" +
		strings.Join(half, "\n") + "\n\n")
}

// shell answers the two small scripts the activities run to keep a file
// on the host (the first-seen records): read one file (exit 3 when it does
// not exist) and replace one file with stdin.
func (f *SimFleet) shell(h *simHost, script string, args []string, stdin []byte) transport.Result {
	switch {
	case strings.Contains(script, "exec cat") && len(args) == 1:
		if data, found := h.files[args[0]]; found {
			return transport.Result{Stdout: data}
		}
		if args[0] == hostscan.FirstSeenPath {
			if data := f.firstSeen(h); data != nil {
				return transport.Result{Stdout: data}
			}
		}
		return transport.Result{ExitCode: 3}
	case strings.Contains(script, "mv -f") && len(args) == 2:
		if h.files == nil {
			h.files = map[string][]byte{}
		}
		h.files[args[1]] = append([]byte(nil), stdin...)
		return ok("")
	}
	return transport.Result{ExitCode: 127, Stderr: []byte("sim: unsupported script: " + script + "\n")}
}

// scanSpacing is how far apart the daily scans before ScannedBefore
// reached consecutive hosts (about 40 hosts a second).
const scanSpacing = 25 * time.Millisecond

// firstSeen renders the first-seen file the daily scans before
// ScannedBefore left on the host: each pending update first seen at the
// 02:00 UTC scan after its source package's release, 1-30 days before;
// nil when there were no such scans. It is computed, not stored, so a
// fleet of 100,000 hosts costs no memory for it.
func (f *SimFleet) firstSeen(h *simHost) []byte {
	if f.cfg.ScannedBefore.IsZero() {
		return nil
	}
	day := f.cfg.ScannedBefore.UTC().Truncate(24 * time.Hour)
	recs := map[string]time.Time{}
	for i, s := range h.state {
		if s != pkgOld {
			continue
		}
		p := f.universe[i]
		days := 1 + int(hashOf(f.cfg.Seed, p.Source)%30)
		at := day.Add(-time.Duration(days)*24*time.Hour + 2*time.Hour + time.Duration(h.pos)*scanSpacing)
		recs[p.Name+"="+p.Candidate] = at.Truncate(time.Second)
	}
	if len(recs) == 0 {
		return nil
	}
	data, err := json.MarshalIndent(struct {
		Version int                  `json:"version"`
		Updates map[string]time.Time `json:"updates"`
	}{1, recs}, "", "  ")
	if err != nil {
		return nil
	}
	return append(data, '\n')
}

func hashOf(seed uint64, s string) uint64 {
	h := fnv.New64a()
	fmt.Fprintf(h, "%d\x00%s", seed, s)
	return h.Sum64()
}

func ok(stdout string) transport.Result { return transport.Result{Stdout: []byte(stdout)} }

func has(args []string, s string) bool {
	for _, a := range args {
		if a == s {
			return true
		}
	}
	return false
}

// changelog answers the scan's read of a candidate's changelog.Debian.gz
// (advisories.DebCandidateChangelogArgs): one gzipped entry for the
// candidate naming no CVE, as a point-release update's would. Real CVE
// extraction is tested on real changelogs (advisories); here only the
// cost of the read (once per distinct package and version) is measured.
func (f *SimFleet) changelog(pkg, version string) transport.Result {
	if _, known := f.index[pkg]; !known {
		return transport.Result{ExitCode: 1, Stderr: []byte("E: Unable to locate package " + pkg + "\n")}
	}
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	fmt.Fprintf(zw, "%s (%s) bookworm; urgency=medium\n\n  * New upstream point release.\n\n -- Debian Maintainers <maint@debian.org>  Sat, 05 Dec 2026 10:00:00 +0000\n\n", pkg, version)
	if err := zw.Close(); err != nil {
		return transport.Result{ExitCode: 1, Stderr: []byte(err.Error())}
	}
	return transport.Result{Stdout: buf.Bytes()}
}
