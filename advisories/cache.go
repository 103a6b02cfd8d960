package advisories

import (
	"archive/zip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// CacheEntry is a cached source's meta.json: the source as configured,
// its data file, and what the data held when it was synced.
type CacheEntry struct {
	SourceInfo
	// Order is the source's position in the sources file: its precedence.
	Order    int       `json:"order"`
	DataFile string    `json:"data_file"`
	Bytes    int64     `json:"bytes"`
	SHA256   string    `json:"sha256"`
	Releases []Release `json:"releases,omitempty"`
	MaxBytes int64     `json:"max_bytes,omitempty"`
}

const metaFile = "meta.json"

// CacheEnv names the environment variable that sets the cache directory
// for the CLI and the worker alike.
const CacheEnv = "PATCHFLOW_ADVISORY_CACHE"

// DefaultCacheDir is where `patchflow advisories sync` stores sources and
// the worker reads them when no directory is given: $PATCHFLOW_ADVISORY_CACHE,
// else $XDG_CACHE_HOME/patchflow/advisories (the platform's user cache
// directory).
func DefaultCacheDir() string {
	if d := os.Getenv(CacheEnv); d != "" {
		return d
	}
	d, err := os.UserCacheDir()
	if err != nil {
		d = os.TempDir()
	}
	return filepath.Join(d, "patchflow", "advisories")
}

// Progress reports sync progress: a phase of one source ("fetch",
// "parse", "done" or "failed"), bytes done of total (total -1 when the
// server did not say), and the result when done.
type Progress struct {
	Source string
	Phase  string
	Done   int64
	Total  int64
	Entry  *CacheEntry
	Err    error
}

// SyncResult is one source's sync outcome.
type SyncResult struct {
	Source Source
	Entry  *CacheEntry // the new cache entry, nil on failure
	Err    error
}

// Sync fetches every source into cacheDir (local files and directories are
// copied, http(s) URLs downloaded with the source's size limit and
// timeout, link-local and metadata addresses refused), parses it to check
// it and count its records, and only then replaces the cached copy: the
// data file first under a name of its own, then meta.json by an atomic
// rename, so a reader never sees a half-written source and a failed sync
// keeps the previous one. Cache entries of sources no longer configured
// are removed. Sync never runs in workflow code: the CLI and the worker
// call it. The error joins every source's failure; the results say which
// succeeded.
func Sync(ctx context.Context, sources []Source, cacheDir string, progress func(Progress)) ([]SyncResult, error) {
	if len(sources) == 0 {
		return nil, errNoSources
	}
	if progress == nil {
		progress = func(Progress) {}
	}
	if err := os.MkdirAll(cacheDir, 0o755); err != nil {
		return nil, fmt.Errorf("advisory cache: %w", err)
	}
	var results []SyncResult
	var errs []error
	for i, s := range sources {
		e, err := syncOne(ctx, s, i, cacheDir, progress)
		if err != nil {
			err = fmt.Errorf("source %s: %w", s.Name, err)
			errs = append(errs, err)
			progress(Progress{Source: s.Name, Phase: "failed", Err: err})
		} else {
			progress(Progress{Source: s.Name, Phase: "done", Entry: e})
		}
		results = append(results, SyncResult{Source: s, Entry: e, Err: err})
		if ctx.Err() != nil {
			break
		}
	}
	pruneCache(cacheDir, sources)
	return results, errors.Join(errs...)
}

func syncOne(ctx context.Context, s Source, order int, cacheDir string, progress func(Progress)) (*CacheEntry, error) {
	dir := filepath.Join(cacheDir, s.Name)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	tmp, err := os.CreateTemp(dir, ".fetch-*")
	if err != nil {
		return nil, err
	}
	defer os.Remove(tmp.Name())
	defer tmp.Close()
	h := sha256.New()
	w := io.MultiWriter(tmp, h)
	fetched := time.Now().UTC()
	var lastMod time.Time
	var n int64
	progress(Progress{Source: s.Name, Phase: "fetch", Total: -1})
	switch {
	case s.Remote():
		lastMod, n, err = fetchURL(ctx, s.Location, w, fetchOptions{maxBytes: s.MaxBytes, timeout: s.Timeout,
			allowLinkLocal: s.AllowLinkLocal, progress: func(done, total int64) {
				progress(Progress{Source: s.Name, Phase: "fetch", Done: done, Total: total})
			}})
	default:
		n, err = copyLocal(s, w)
	}
	if err != nil {
		return nil, err
	}
	if err := tmp.Sync(); err != nil {
		return nil, err
	}
	if err := tmp.Close(); err != nil {
		return nil, err
	}
	progress(Progress{Source: s.Name, Phase: "parse", Done: n, Total: n})
	opt := ParseOptions{Source: s.Name, MaxBytes: s.MaxBytes, Releases: s.Releases}
	st, err := parseSourceFile(s.Kind, tmp.Name(), opt, nil, func(Record) {})
	if err != nil {
		return nil, err
	}
	sum := hex.EncodeToString(h.Sum(nil))
	e := &CacheEntry{
		SourceInfo: SourceInfo{Name: s.Name, Kind: s.Kind, Location: redactLocation(s), FetchedAt: fetched,
			Records: st.Records, Skipped: st.Skips.Count},
		Order: order, DataFile: "data-" + sum[:16] + dataExt(s.Kind), Bytes: n, SHA256: sum,
		Releases: s.Releases, MaxBytes: s.MaxBytes,
	}
	switch {
	case !st.AsOf.IsZero():
		e.AsOf, e.AsOfFrom = st.AsOf, "data"
	case !lastMod.IsZero():
		e.AsOf, e.AsOfFrom = lastMod, "last-modified"
	default:
		e.AsOf, e.AsOfFrom = fetched, "fetched"
	}
	if err := os.Rename(tmp.Name(), filepath.Join(dir, e.DataFile)); err != nil {
		return nil, err
	}
	if err := writeJSONAtomic(filepath.Join(dir, metaFile), e); err != nil {
		return nil, err
	}
	// Old data files are unreferenced now.
	old, _ := filepath.Glob(filepath.Join(dir, "data-*"))
	for _, f := range old {
		if filepath.Base(f) != e.DataFile {
			os.Remove(f)
		}
	}
	return e, nil
}

func redactLocation(s Source) string {
	if s.Remote() {
		return redactURL(s.Location)
	}
	return s.Location
}

func dataExt(k Kind) string {
	switch k {
	case KindOSV, KindVulnListDebian:
		return ".zip"
	case KindEPSS:
		return ".csv"
	}
	return ".json"
}

// copyLocal copies a local file, or zips a local directory's *.json
// records, into w, within the source's size limit.
func copyLocal(s Source, w io.Writer) (int64, error) {
	fi, err := os.Stat(s.Location)
	if err != nil {
		return 0, err
	}
	max := s.MaxBytes
	if max <= 0 {
		max = DefaultMaxBytes
	}
	if !fi.IsDir() {
		f, err := os.Open(s.Location)
		if err != nil {
			return 0, err
		}
		defer f.Close()
		return io.Copy(w, newLimitReader(f, max, s.Location))
	}
	if s.Kind != KindOSV && s.Kind != KindVulnListDebian {
		return 0, fmt.Errorf("%s is a directory; a %s source is one file", s.Location, s.Kind)
	}
	cw := &countWriter{w: w}
	zw := zip.NewWriter(cw)
	var total int64
	err = filepath.WalkDir(s.Location, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.Type().IsRegular() || !strings.HasSuffix(d.Name(), ".json") {
			return nil
		}
		rel, _ := filepath.Rel(s.Location, p)
		f, err := os.Open(p)
		if err != nil {
			return err
		}
		defer f.Close()
		zf, err := zw.Create(filepath.ToSlash(rel))
		if err != nil {
			return err
		}
		n, err := io.Copy(zf, newLimitReader(f, maxRecordBytes, rel))
		total += n
		if total > max {
			return fmt.Errorf("%s: %w (%d bytes)", s.Location, ErrTooLarge, max)
		}
		return err
	})
	if err != nil {
		return 0, err
	}
	if err := zw.Close(); err != nil {
		return 0, err
	}
	return cw.n, nil
}

type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

func writeJSONAtomic(path string, v any) error {
	data, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".meta-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(append(data, '\n')); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// pruneCache removes cache entries of sources that are no longer
// configured: only directories holding a meta.json, so a wrong --cache
// never deletes anything else.
func pruneCache(cacheDir string, sources []Source) {
	keep := map[string]bool{}
	for _, s := range sources {
		keep[s.Name] = true
	}
	dirs, _ := os.ReadDir(cacheDir)
	for _, d := range dirs {
		if !d.IsDir() || keep[d.Name()] {
			continue
		}
		p := filepath.Join(cacheDir, d.Name())
		if _, err := os.Stat(filepath.Join(p, metaFile)); err == nil {
			os.RemoveAll(p)
		}
	}
}

// Status reads the cache entries of cacheDir in precedence order. A
// missing cache directory is an empty status, not an error.
func Status(cacheDir string) ([]CacheEntry, error) {
	dirs, err := os.ReadDir(cacheDir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("advisory cache: %w", err)
	}
	var out []CacheEntry
	for _, d := range dirs {
		if !d.IsDir() {
			continue
		}
		p := filepath.Join(cacheDir, d.Name(), metaFile)
		data, err := os.ReadFile(p)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("advisory cache: %w", err)
		}
		var e CacheEntry
		if err := json.Unmarshal(data, &e); err != nil || e.Name == "" || e.DataFile == "" || strings.ContainsAny(e.DataFile, `/\`) {
			return nil, fmt.Errorf("advisory cache: %s is damaged; run patchflow advisories sync again", p)
		}
		out = append(out, e)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Order < out[j].Order })
	return out, nil
}
