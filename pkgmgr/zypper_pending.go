package pkgmgr

import (
	"context"
	"errors"
	"fmt"
	"path"
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/patchflow/patchflow/transport"
)

// zyppRawDir is libzypp's raw metadata cache (ZConfig repoMetadataPath):
// one directory per repository alias holding what zypper refresh fetched.
const zyppRawDir = "/var/cache/zypp/raw"

// Pending lists newer versions of installed packages with their class,
// severity and advisories from the repositories' patches, as zypper
// list-patches shows them. A package gets one Update per newer version a
// pending patch (status needed or optional) brings, so demo-app can show
// a security fix and, newer, an optional update, and a security-only plan
// can pin the fixed version `zypper patch --category security` would
// install; plus one for the newest version (zypper list-updates) when no
// patch brings it (Class feature, Severity unknown). Patches zypper holds
// back until the package stack is patched (its blocked list) are pending
// all the same. The updates of patches flagged interactive come marked
// with the patch's name (Update.Interactive) unless WithInteractive lists
// the patch or one of its packages: pending, but not to be planned, as
// zypper patch skips them. Sorted by name, arch, then version.
func (z *Zypper) Pending(ctx context.Context) ([]Update, error) {
	lu, err := z.query(ctx, "list pending updates", "list-updates")
	if err != nil {
		return nil, err
	}
	lp, err := z.query(ctx, "list patches", "list-patches")
	if err != nil {
		return nil, err
	}
	patches := pendingPatches(lp.out.Updates)
	infos, err := z.patchPackages(ctx, "list patches", patches)
	if err != nil {
		return nil, err
	}
	inst, err := z.rpmQuery(ctx, "list installed packages", nil)
	if err != nil {
		return nil, err
	}
	return zypperUpdates(lu.out.Updates, patches, infos, inst, z.includesInteractive), nil
}

// pendingPatches keeps the patches zypper would install: needed, or
// optional (optional and feature patches are "optional" until asked for).
func pendingPatches(ups []zypperUpdate) []zypperUpdate {
	var out []zypperUpdate
	for _, u := range ups {
		if u.Kind == "patch" && (u.Status == "needed" || u.Status == "optional") {
			out = append(out, u)
		}
	}
	return out
}

// includesInteractive reports whether WithInteractive lists the patch, one
// of the packages it updates, or "*".
func (z *Zypper) includesInteractive(patch string, packages []string) bool {
	for _, p := range z.withInteractive {
		if p == "*" || p == patch || slices.Contains(packages, p) {
			return true
		}
	}
	return false
}

// zypperClass maps a SUSE patch category to a class: security; the
// recommended fixes (recommended, optional, yast) are bug fixes;
// feature, document and anything new are features.
func zypperClass(category string) Class {
	switch strings.ToLower(category) {
	case "security":
		return Security
	case "recommended", "optional", "yast", "bugfix":
		return Bugfix
	}
	return Feature
}

// zypperSeverity maps SUSE's patch severity (critical, important,
// moderate, low, unspecified: the scale Red Hat uses too) to ours.
func zypperSeverity(s string) Severity { return dnfSeverity(s) }

// patchKey names a patch within a repository: patch names are unique per
// repository only.
func patchKey(alias, id string) string { return alias + "\x00" + id }

// zypperUpdates joins list-updates, the pending patches, their package
// lists and the installed packages into Updates (see Pending).
// interactive reports whether an interactive patch, updating the named
// packages, is included.
func zypperUpdates(lu []zypperUpdate, patches []zypperUpdate, infos map[string]patchInfo,
	inst map[string][]rpmPkg, interactive func(patch string, packages []string) bool) []Update {
	newest := map[string]string{} // name.arch -> newest installed evr
	for _, ps := range inst {
		for _, p := range ps {
			if v, ok := newest[p.name+"."+p.arch]; !ok || Compare("zypper", p.evr, v) > 0 {
				newest[p.name+"."+p.arch] = p.evr
			}
		}
	}
	type key struct{ name, arch, evr string }
	byKey := map[key]*Update{}
	var order []key
	// heldBy is the interactive patch holding a version back; offered
	// versions come from a patch zypper installs without asking, and one
	// such patch is enough to offer the version.
	heldBy := map[key]string{}
	offered := map[key]bool{}
	for _, p := range patches {
		info := infos[patchKey(p.Source.Alias, p.Name)]
		held := false
		if p.Interactive {
			names := make([]string, len(info.Packages))
			for i, pk := range info.Packages {
				names[i] = pk.Name
			}
			held = !interactive(p.Name, names)
		}
		for _, pk := range info.Packages {
			have, ok := newest[pk.Name+"."+pk.Arch]
			if !ok || Compare("zypper", pk.EVR, have) <= 0 {
				continue // not installed, or already at this version or newer
			}
			k := key{pk.Name, pk.Arch, pk.EVR}
			if held {
				if _, ok := heldBy[k]; !ok {
					heldBy[k] = p.Name
				}
			} else {
				offered[k] = true
			}
			u := byKey[k]
			if u == nil {
				u = &Update{Name: pk.Name, Arch: pk.Arch, Installed: have, Candidate: pk.EVR, Source: p.Source.Alias,
					Severity: SeverityUnknown, Advisories: []string{}}
				byKey[k] = u
				order = append(order, k)
			}
			class := zypperClass(p.Category)
			u.Class = strongerDNFClass(u.Class, class)
			// Severity rates vulnerabilities: as for dnf, only a security
			// patch's counts, so one policy treats bug fixes alike on
			// every package manager.
			if sev := zypperSeverity(p.Severity); class == Security && severityOrder[sev] > severityOrder[u.Severity] {
				u.Severity = sev
			}
			for _, id := range patchAdvisories(p) {
				if !slices.Contains(u.Advisories, id) {
					u.Advisories = append(u.Advisories, id)
				}
			}
		}
	}
	for _, l := range lu {
		if l.Kind != "package" || l.Name == "" || l.Edition == "" {
			continue
		}
		k := key{l.Name, l.Arch, normalizeEVR(l.Edition)}
		if byKey[k] != nil {
			continue
		}
		have := newest[l.Name+"."+l.Arch]
		if have == "" {
			have = normalizeEVR(l.EditionOld)
		}
		byKey[k] = &Update{Name: l.Name, Arch: l.Arch, Installed: have, Candidate: k.evr, Source: l.Source.Alias,
			Class: Feature, Severity: SeverityUnknown, Advisories: []string{}}
		order = append(order, k)
	}
	out := make([]Update, 0, len(order))
	for _, k := range order {
		u := *byKey[k]
		if !offered[k] {
			u.Interactive = heldBy[k]
		}
		sort.Strings(u.Advisories)
		out = append(out, u)
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Name != out[j].Name {
			return out[i].Name < out[j].Name
		}
		if out[i].Arch != out[j].Arch {
			return out[i].Arch < out[j].Arch
		}
		return Compare("zypper", out[i].Candidate, out[j].Candidate) < 0
	})
	return out
}

// patchAdvisories are the ids a patch names: its own name (SUSE's patch
// id) and the CVEs it fixes.
func patchAdvisories(p zypperUpdate) []string {
	ids := []string{p.Name}
	for _, is := range p.Issues {
		if strings.EqualFold(is.Type, "cve") && is.ID != "" && !slices.Contains(ids, is.ID) {
			ids = append(ids, is.ID)
		}
	}
	return ids
}

// aliasRE is what patchflow accepts as a repository alias in a path below
// zyppRawDir: SUSE's aliases use letters, digits and . _ : + @ -.
var aliasRE = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9._:+@-]{0,199}$`)

// hrefRE is a repomd location below the repository: repodata/<file>.
var hrefRE = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9._+-]{0,199}(/[A-Za-z0-9_][A-Za-z0-9._+-]{0,199}){0,3}$`)

// patchPackages reads the package lists of patches from the updateinfo in
// libzypp's raw metadata cache, repository by repository, keyed by
// patchKey. A pending patch whose list cannot be found is an error: its
// packages would otherwise pass for plain updates of class feature.
func (z *Zypper) patchPackages(ctx context.Context, op string, patches []zypperUpdate) (map[string]patchInfo, error) {
	host := z.r.host()
	byAlias := map[string]map[string]bool{}
	var aliases []string
	for _, p := range patches {
		a := p.Source.Alias
		if byAlias[a] == nil {
			byAlias[a] = map[string]bool{}
			aliases = append(aliases, a)
		}
		byAlias[a][p.Name] = true
	}
	sort.Strings(aliases)
	out := map[string]patchInfo{}
	for _, alias := range aliases {
		if !aliasRE.MatchString(alias) {
			return nil, &Error{Host: host, Op: op, Kind: Failed,
				Msg: fmt.Sprintf("host %s: %s: repository alias %q is not one patchflow reads metadata for (letters, digits, . _ : + @ -)", host, op, excerpt(alias))}
		}
		dir := path.Join(zyppRawDir, alias)
		repomd, err := z.readFile(ctx, op, dir+"/repodata/repomd.xml")
		if err != nil {
			return nil, z.noPatchList(op, alias, byAlias[alias], err)
		}
		href, err := repomdUpdateinfo(repomd)
		if err == nil && href == "" {
			err = errors.New("repomd.xml lists no updateinfo")
		}
		if err == nil && (!hrefRE.MatchString(href) || strings.Contains(href, "..")) {
			err = fmt.Errorf("repomd.xml names updateinfo %q, not a path below the repository", excerpt(href))
		}
		if err != nil {
			return nil, z.noPatchList(op, alias, byAlias[alias], err)
		}
		data, err := z.readFile(ctx, op, dir+"/"+href)
		if err != nil {
			return nil, z.noPatchList(op, alias, byAlias[alias], err)
		}
		infos, err := parseUpdateinfo(data, func(id string) bool { return byAlias[alias][id] })
		if err != nil {
			return nil, z.noPatchList(op, alias, byAlias[alias], err)
		}
		for _, in := range infos {
			out[patchKey(alias, in.ID)] = in
		}
		var missing []string
		for id := range byAlias[alias] {
			if _, ok := out[patchKey(alias, id)]; !ok {
				missing = append(missing, id)
			}
		}
		if len(missing) > 0 {
			sort.Strings(missing)
			return nil, z.noPatchList(op, alias, byAlias[alias], fmt.Errorf("its updateinfo lacks %s", excerptN(strings.Join(missing, ", "), 200)))
		}
	}
	return out, nil
}

// noPatchList is the error for patches whose package lists cannot be read
// (a missing or unreadable metadata file). Transport failures and failed
// reads other than a missing file pass through: they say themselves.
func (z *Zypper) noPatchList(op, alias string, ids map[string]bool, err error) error {
	var e *Error
	if errors.As(err, &e) && e.Kind != NotFound {
		return err
	}
	var te *transport.Error
	if errors.As(err, &te) {
		return err
	}
	host := z.r.host()
	var names []string
	for id := range ids {
		names = append(names, id)
	}
	sort.Strings(names)
	return &Error{Host: host, Op: op, Kind: FetchFailed, Err: err,
		Msg: fmt.Sprintf("host %s: %s: cannot read which packages patches %s of repository %s bring from %s: %v; run zypper refresh --force %s so zypper fetches the repository's metadata again",
			host, op, excerptN(strings.Join(names, ", "), 120), excerpt(alias), path.Join(zyppRawDir, alias), err, excerpt(alias))}
}

// readChunk is how much of a file one command reads: below the
// transport's output limit, so a large updateinfo arrives in pieces.
const readChunk = 3 << 20

// maxRawFile bounds a metadata file read from a host (compressed).
const maxRawFile = 256 << 20

// readFile reads a file of the host in chunks with dd. A missing file is a
// NotFound *Error.
func (z *Zypper) readFile(ctx context.Context, op, file string) ([]byte, error) {
	var buf []byte
	for off := 0; ; off += readChunk {
		c := z.r.cmd(true, zypperQueryTimeout, "dd", "if="+file, "bs=1048576",
			fmt.Sprintf("skip=%d", off/(1<<20)), fmt.Sprintf("count=%d", readChunk/(1<<20)), "status=none")
		res, err := z.r.run(ctx, c)
		if err != nil {
			return nil, err
		}
		if res.ExitCode != 0 {
			kind := Failed
			if strings.Contains(string(res.Stderr), "No such file") {
				kind = NotFound
			}
			return nil, z.r.errorFor("read "+file, kind, c, res, "")
		}
		buf = append(buf, res.Stdout...)
		if len(res.Stdout) < readChunk {
			return buf, nil
		}
		if len(buf) > maxRawFile {
			return nil, &Error{Host: z.r.host(), Op: op, Cmd: c.String(), Kind: Failed,
				Msg: fmt.Sprintf("host %s: %s: %s is larger than %d MiB; patchflow does not read it", z.r.host(), op, file, maxRawFile>>20)}
		}
	}
}
