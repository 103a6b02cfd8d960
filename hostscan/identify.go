package hostscan

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/patchflow/patchflow/advisories"
	"github.com/patchflow/patchflow/domain"
	"github.com/patchflow/patchflow/transport"
)

// identifyTimeout bounds each command of the identification (os-release,
// the package database query, one changelog).
const identifyTimeout = 2 * time.Minute

// changelogsAtOnce is how many candidate changelogs one host fetches at
// once (each an `apt-get download` on the host the first time a worker
// needs that version).
const changelogsAtOnce = 4

// identify fills in what each update fixes: CVEs and other ids, severity
// and where it came from, KEV, EPSS and risk, and marks an update that
// fixes a vulnerability a security update even when it came through a
// point release. What cannot be read is a note, never a failed scan.
func (s *Scanner) identify(ctx context.Context, t Target, res *Result, info map[string]advisories.UpdateinfoAdvisory, opt Options) {
	exposures := opt.Exposures
	if len(res.Updates) == 0 && !exposures {
		return
	}
	note := func(format string, args ...any) { res.Notes = append(res.Notes, fmt.Sprintf(format, args...)) }
	var db *advisories.DB
	if s.Feeds != nil {
		var err error
		if db, err = s.Feeds.DB(); err != nil {
			note("advisory feeds: %v", err)
		}
	}
	if db == nil {
		db = advisories.NewBuilder().Build()
	}
	host := advisories.Host{Family: advisories.FamilyOf(t.Mgr.Kind())}
	if rel, err := s.release(ctx, t); err != nil {
		note("release unknown, feeds not matched: %v", err)
	} else {
		host.Release = rel
		res.Release = rel.String()
	}
	installed := s.installedPackages(ctx, t, host.Family, note)
	inputs := make([]advisories.UpdateInput, len(res.Updates))
	for i, u := range res.Updates {
		in := advisories.UpdateInput{Name: u.Name, Arch: u.Arch, Installed: u.Installed, Candidate: u.Candidate,
			VendorSeverity: advisories.Severity(u.Severity), PackageDate: u.Published}
		if p, ok := installed[u.Name]; ok {
			in.SourceName, in.SourceVersion = p.SourceName, p.SourceVersion
		}
		in.Updateinfo = updateinfoOf(u, info)
		inputs[i] = in
	}
	if host.Family == advisories.Deb {
		s.attachChangelogs(ctx, t, res.Updates, inputs, opt.Refresh, note)
	}
	assessed := db.AssessUpdates(host, inputs)
	for i, a := range assessed {
		res.Updates[i].Vulns = merged(res.Updates[i], a)
		if a.SecurityFix && res.Updates[i].Class != domain.ClassSecurity {
			// A fix through a point release is still a security fix.
			res.Updates[i].Class = domain.ClassSecurity
		}
	}
	res.Notes = append(res.Notes, assessmentNotes(db, res.Updates, assessed)...)
	if exposures {
		s.exposures(ctx, t, res, db, host, installed, note)
	}
}

// merged is the update's identification after the assessment: the
// assessment's ids and scores, its severity when it states one (else the
// package manager's).
func merged(u domain.Update, a advisories.UpdateAssessment) domain.Vulns {
	v := u.Vulns
	if sev := domain.Severity(a.Severity); sev.Known() {
		v.Severity, v.SeveritySource = sev, a.SeveritySource
	} else if v.Severity.Known() && v.SeveritySource == "" {
		v.SeveritySource = "package manager"
	}
	v.CVEs = a.CVEs
	v.Advisories = union(v.Advisories, a.Advisories)
	v.KEV, v.KEVDateAdded, v.KEVDueDate, v.EPSS, v.Risk = a.KEV, a.KEVDateAdded, a.KEVDueDate, a.EPSS, a.Risk
	return v
}

// updateinfoOf returns the advisories a package manager ties to the
// update: dnf's from `updateinfo info`; zypper's patch ids and CVE
// references come with the update itself.
func updateinfoOf(u domain.Update, info map[string]advisories.UpdateinfoAdvisory) []advisories.UpdateinfoAdvisory {
	var out []advisories.UpdateinfoAdvisory
	var cves []string
	for _, id := range u.Advisories {
		if a, ok := info[id]; ok {
			out = append(out, a)
		} else if advisories.IsCVE(id) {
			cves = append(cves, id)
		}
	}
	if len(cves) > 0 {
		out = append(out, advisories.UpdateinfoAdvisory{ID: strings.Join(nonCVE(u.Advisories), ","), Type: string(u.Class),
			Severity: advisories.Severity(u.Severity), CVEs: cves})
	}
	return out
}

func nonCVE(ids []string) []string {
	var out []string
	for _, id := range ids {
		if !advisories.IsCVE(id) {
			out = append(out, id)
		}
	}
	return out
}

// release reads the host's /etc/os-release.
func (s *Scanner) release(ctx context.Context, t Target) (advisories.Release, error) {
	cmd := transport.Command{Args: []string{"cat", "/etc/os-release"}, Timeout: identifyTimeout}
	res, err := t.Conn.Run(ctx, cmd)
	if err := transport.Check(res, err, t.Name, cmd); err != nil {
		return advisories.Release{}, err
	}
	return advisories.ReleaseFromOSRelease(string(res.Stdout))
}

// installedPackages reads the package database once: each installed
// package's source package and version, which matching keys by.
func (s *Scanner) installedPackages(ctx context.Context, t Target, fam advisories.Family, note func(string, ...any)) map[string]advisories.InstalledPackage {
	if fam == "" {
		return nil
	}
	args, parse := advisories.DpkgQueryArgs, advisories.ParseDpkgQuery
	if fam == advisories.RPM {
		args, parse = advisories.RPMQueryArgs, advisories.ParseRPMQuery
	}
	cmd := transport.Command{Args: args, Timeout: identifyTimeout, Env: map[string]string{"LC_ALL": "C"}}
	res, err := t.Conn.Run(ctx, cmd)
	if err := transport.Check(res, err, t.Name, cmd); err != nil {
		note("installed packages unreadable, matching by binary names: %v", err)
		return nil
	}
	pkgs, _ := parse(res.Stdout)
	out := make(map[string]advisories.InstalledPackage, len(pkgs))
	for _, p := range pkgs {
		out[p.Name] = p
	}
	return out
}

// attachChangelogs gives each Debian update its candidate's changelog:
// read once per (source, version) by this process (the Scanner's cache),
// from the host's apt cache or, when the scan may fetch, one `apt-get
// download` on the host.
func (s *Scanner) attachChangelogs(ctx context.Context, t Target, ups []domain.Update, inputs []advisories.UpdateInput, fetch bool, note func(string, ...any)) {
	var (
		wg     sync.WaitGroup
		mu     sync.Mutex
		failed []string
		sem    = make(chan struct{}, changelogsAtOnce)
	)
	for i := range ups {
		if ups[i].Class == domain.ClassFeature {
			continue // backports and other origins: not where fixes are tracked
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			in := &inputs[i]
			source := in.SourceName
			if source == "" {
				source = in.Name
			}
			cl, err := s.Changelogs.Get(ctx, source, in.Candidate, func(ctx context.Context) (io.ReadCloser, error) {
				return s.fetchChangelog(ctx, t, in.Name, in.Candidate, fetch)
			})
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				failed = append(failed, in.Name)
				s.Logger.Debug("changelog unavailable", "host", t.Name, "package", in.Name, "version", in.Candidate, "error", err)
				return
			}
			in.Changelog = cl
		}()
	}
	wg.Wait()
	if len(failed) > 0 {
		note("changelogs unavailable for %s", strings.Join(failed, ", "))
	}
}

// fetchChangelog reads a candidate's changelog.Debian.gz on the host.
func (s *Scanner) fetchChangelog(ctx context.Context, t Target, pkg, version string, fetch bool) (io.ReadCloser, error) {
	args, err := advisories.DebCandidateChangelogArgs(pkg, version, fetch)
	if err != nil {
		return nil, err
	}
	cmd := transport.Command{Args: args, Timeout: identifyTimeout, Env: map[string]string{"LC_ALL": "C"}}
	res, err := t.Conn.Run(ctx, cmd)
	if err := transport.Check(res, err, t.Name, cmd); err != nil {
		return nil, err
	}
	if res.Truncated {
		return nil, fmt.Errorf("changelog of %s %s on %s exceeds the output limit", pkg, version, t.Name)
	}
	return io.NopCloser(bytes.NewReader(res.Stdout)), nil
}

func union(a, b []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, s := range append(append([]string{}, a...), b...) {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}
