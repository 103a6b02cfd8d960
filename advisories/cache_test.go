package advisories

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// feedServer serves a tracker dump on loopback, as a user's mirror would.
type feedServer struct {
	*httptest.Server
	tracker atomic.Value // string
	hits    atomic.Int64
}

func newFeedServer(t *testing.T) *feedServer {
	fs := &feedServer{}
	fs.tracker.Store(string(readFile(t, "testdata/debian-tracker-json/debian_security_tracker_mock.json")))
	mux := http.NewServeMux()
	mux.HandleFunc("/tracker/data/json", func(w http.ResponseWriter, r *http.Request) {
		fs.hits.Add(1)
		w.Header().Set("Last-Modified", "Mon, 02 Nov 2026 10:00:00 GMT")
		w.Write([]byte(fs.tracker.Load().(string)))
	})
	mux.HandleFunc("/kev.json", func(w http.ResponseWriter, r *http.Request) {
		http.ServeFile(w, r, "testdata/kev/known_exploited_vulnerabilities.subset.json")
	})
	mux.HandleFunc("/missing", func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "SECRET-BODY-CONTENT from the server", http.StatusNotFound)
	})
	mux.HandleFunc("/slow", func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(`{"apparmor":`))
		w.(http.Flusher).Flush()
		<-r.Context().Done()
	})
	fs.Server = httptest.NewServer(mux)
	t.Cleanup(fs.Close)
	return fs
}

func testSources(t *testing.T, srv *feedServer) []Source {
	abs := func(p string) string {
		a, err := filepath.Abs(p)
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	return []Source{
		{Name: "debian-tracker", Kind: KindDebianTracker, Location: srv.URL + "/tracker/data/json"},
		{Name: "vuln-list", Kind: KindVulnListDebian, Location: abs("testdata/vuln-list-debian")},
		{Name: "almalinux", Kind: KindOSV, Location: abs("testdata/almalinux")},
		{Name: "kev", Kind: KindKEV, Location: srv.URL + "/kev.json"},
		{Name: "epss", Kind: KindEPSS, Location: abs("testdata/epss/epss_scores-2026-02-21.csv.gz")},
	}
}

func TestSyncStatusOpen(t *testing.T) {
	srv := newFeedServer(t)
	cache := t.TempDir()
	var phases []string
	res, err := Sync(context.Background(), testSources(t, srv), cache, func(p Progress) {
		if p.Phase != "fetch" {
			phases = append(phases, p.Source+":"+p.Phase)
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != 5 || !slices.Contains(phases, "kev:done") || !slices.Contains(phases, "vuln-list:parse") {
		t.Fatalf("results %d phases %v", len(res), phases)
	}
	st, err := Status(cache)
	if err != nil || len(st) != 5 {
		t.Fatalf("status %v %+v", err, st)
	}
	want := []struct {
		name    string
		records int
		asOf    string
		from    string
	}{
		{"debian-tracker", 15, "2026-11-02", "last-modified"},
		{"vuln-list", 16, "2026-09-04", "data"},
		{"almalinux", 4, "2026-06-03", "data"},
		{"kev", 5, "2025-08-25", "data"},
		{"epss", 1, "2026-02-21", "data"},
	}
	for i, w := range want {
		e := st[i]
		if e.Name != w.name || e.Records != w.records || e.AsOf.Format(time.DateOnly) != w.asOf || e.AsOfFrom != w.from {
			t.Errorf("status[%d] = %s records %d as of %s from %s, want %+v", i, e.Name, e.Records, e.AsOf.Format(time.DateOnly), e.AsOfFrom, w)
		}
	}
	db, err := Open(cache, OpenOptions{})
	if err != nil {
		t.Fatal(err)
	}
	a := db.AssessUpdate(bookworm, UpdateInput{Name: "libc6", SourceName: "glibc", Installed: "2.36-9+deb12u2", Candidate: "2.36-9+deb12u3"})
	if !a.KEV || !slices.Equal(a.CVEs, []string{"CVE-2023-4911"}) {
		t.Errorf("from the cache: %+v", a)
	}
	if rep := db.AssessInstalled(bookworm, []InstalledPackage{{Name: "apparmor", Version: "3.0.8-3"}}, ""); rep.NoFix != 1 {
		t.Errorf("apparmor from the synced tracker: %+v", rep)
	}
	// The URL is fetched by the sync that names it, once; status, opening
	// the cache and matching read the cache and never the network.
	if n := srv.hits.Load(); n != 1 {
		t.Errorf("the tracker URL was fetched %d times by one sync, a status, an open and two matches; want 1", n)
	}

	// A broken download keeps the previous copy.
	before := st[0]
	srv.tracker.Store(`{"apparmor":{"CVE-2014-1424":{"releases":`)
	_, err = Sync(context.Background(), testSources(t, srv), cache, nil)
	if err == nil || !strings.Contains(err.Error(), "source debian-tracker: debian tracker json: truncated") {
		t.Fatalf("err %v, want the truncated tracker named", err)
	}
	st, _ = Status(cache)
	if st[0].SHA256 != before.SHA256 || st[0].Records != 15 {
		t.Errorf("after a failed sync: %+v, want the previous copy", st[0])
	}
	if _, err := Open(cache, OpenOptions{}); err != nil {
		t.Errorf("open after a failed sync: %v", err)
	}

	// A source dropped from the configuration leaves the cache.
	if _, err := Sync(context.Background(), testSources(t, srv)[3:], cache, nil); err != nil {
		t.Fatal(err)
	}
	if st, _ := Status(cache); len(st) != 2 || st[0].Name != "kev" {
		t.Errorf("after dropping sources: %+v", st)
	}
}

func TestSyncRefusesAndLimits(t *testing.T) {
	srv := newFeedServer(t)
	cache := t.TempDir()
	u := strings.Replace(srv.URL, "http://", "http://user:hunter2@", 1)
	cases := []struct {
		name string
		src  Source
		want string
	}{
		{"link-local", Source{Name: "a", Kind: KindKEV, Location: "http://169.254.169.254/latest/meta-data"}, "address refused"},
		{"aws ipv6 metadata", Source{Name: "b", Kind: KindKEV, Location: "http://[fd00:ec2::254]/"}, "address refused"},
		{"http error", Source{Name: "c", Kind: KindKEV, Location: u + "/missing?token=abc"}, "HTTP 404 Not Found"},
		{"size limit", Source{Name: "d", Kind: KindKEV, Location: srv.URL + "/kev.json", MaxBytes: 100}, "exceeds its size limit"},
		{"timeout", Source{Name: "e", Kind: KindDebianTracker, Location: srv.URL + "/slow", Timeout: 300 * time.Millisecond}, "timed out"},
		{"wrong kind", Source{Name: "f", Kind: KindEPSS, Location: srv.URL + "/kev.json"}, "is this FIRST's EPSS csv?"},
		{"missing file", Source{Name: "g", Kind: KindKEV, Location: filepath.Join(cache, "nope.json")}, "no such file"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Sync(context.Background(), []Source{c.src}, cache, nil)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err %v, want %q", err, c.want)
			}
			for _, secret := range []string{"SECRET-BODY", "hunter2", "token=abc"} {
				if strings.Contains(err.Error(), secret) {
					t.Errorf("error %q leaks %q", err, secret)
				}
			}
			if c.name == "link-local" && !errors.Is(err, ErrBlockedAddress) {
				t.Errorf("err %v, want ErrBlockedAddress", err)
			}
		})
	}
	if st, _ := Status(cache); len(st) != 0 {
		t.Errorf("failed syncs left cache entries: %+v", st)
	}
	// Allowed explicitly, the link-local address is dialled (and fails in
	// some other way here, or answers): the refusal is gone.
	err := checkAddress("169.254.169.254:80", true)
	if err != nil {
		t.Errorf("allow_link_local: %v", err)
	}
}

func TestStatusAndOpenOfAnEmptyOrDamagedCache(t *testing.T) {
	dir := t.TempDir()
	if st, err := Status(filepath.Join(dir, "none")); err != nil || len(st) != 0 {
		t.Errorf("missing cache: %v %v", st, err)
	}
	if _, err := Open(dir, OpenOptions{}); err == nil || !strings.Contains(err.Error(), "run patchflow advisories sync") {
		t.Errorf("empty cache: %v", err)
	}
	os.MkdirAll(filepath.Join(dir, "kev"), 0o755)
	os.WriteFile(filepath.Join(dir, "kev", "meta.json"), []byte(`{"name":"kev","data_file":"../../etc/passwd"}`), 0o644)
	if _, err := Status(dir); err == nil || !strings.Contains(err.Error(), "damaged") {
		t.Errorf("damaged meta: %v", err)
	}
}
