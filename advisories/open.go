package advisories

import (
	"fmt"
	"os"
	"path/filepath"
)

// OpenOptions tune Open.
type OpenOptions struct {
	// Releases, when set, keeps only these releases' records (on top of
	// each source's own releases).
	Releases []Release
}

// Open loads every cached source of cacheDir into an indexed DB, in the
// sources file's order of precedence. A cache with no source is an error
// that says to run `patchflow advisories sync`.
func Open(cacheDir string, opt OpenOptions) (*DB, error) {
	entries, err := Status(cacheDir)
	if err != nil {
		return nil, err
	}
	if len(entries) == 0 {
		return nil, fmt.Errorf("advisory cache %s is empty: run patchflow advisories sync", cacheDir)
	}
	b := NewBuilder()
	for _, e := range entries {
		rels := e.Releases
		if len(opt.Releases) > 0 {
			rels = opt.Releases
		}
		po := ParseOptions{Source: e.Name, MaxBytes: e.MaxBytes, Releases: rels}
		path := filepath.Join(cacheDir, e.Name, e.DataFile)
		st, err := parseSourceFile(e.Kind, path, po, b, b.Add)
		if err != nil {
			return nil, fmt.Errorf("advisory cache: source %s: %w; run patchflow advisories sync again", e.Name, err)
		}
		info := e.SourceInfo
		info.Records, info.Skipped = st.Records, st.Skips.Count
		b.AddSource(info)
		b.AddSkips(st.Skips)
	}
	return b.Build(), nil
}

// parseSourceFile parses a source's data file by kind. KEV and EPSS go to
// b (when not nil), records to emit.
func parseSourceFile(kind Kind, path string, opt ParseOptions, b *Builder, emit Emit) (Stats, error) {
	switch kind {
	case KindVulnListDebian:
		return ParseVulnListDebian(path, opt, emit)
	case KindOSV:
		return ParseOSV(path, opt, emit)
	}
	f, err := os.Open(path)
	if err != nil {
		return Stats{}, err
	}
	defer f.Close()
	info := SourceInfo{Name: opt.Source, Kind: kind}
	switch kind {
	case KindDebianTracker:
		in, err := maybeGunzip(f)
		if err != nil {
			return Stats{}, fmt.Errorf("debian tracker json: %v", err)
		}
		return ParseDebianTracker(in, opt, emit)
	case KindKEV:
		cat, st, err := ParseKEV(f, opt)
		if err == nil && b != nil {
			info.AsOf = st.AsOf
			b.SetKEV(cat, info)
		}
		return st, err
	case KindEPSS:
		sc, st, err := ParseEPSS(f, opt)
		if err == nil && b != nil {
			info.AsOf = st.AsOf
			b.SetEPSS(sc, info)
		}
		return st, err
	}
	return Stats{}, fmt.Errorf("unknown source kind %s", quote(string(kind)))
}
