package hostscan

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/patchflow/patchflow/domain"
	"github.com/patchflow/patchflow/localfleet"
	"github.com/patchflow/patchflow/pkgmgr"
)

func TestMergeFirstSeen(t *testing.T) {
	t0 := time.Date(2026, 11, 1, 8, 0, 0, 0, time.UTC)
	now := t0.Add(72 * time.Hour)
	known := map[string]time.Time{"openssl=3.0.2": t0, "curl=8.1": t0, "zlib=1.3": t0}
	// curl 8.1 was installed, 8.2 is a new update; zlib 1.3 was never
	// installed and 1.3.1 replaced it in the repository.
	ups := []domain.Update{{Name: "openssl", Installed: "3.0.1", Candidate: "3.0.2"}, {Name: "curl", Installed: "8.1", Candidate: "8.2"},
		{Name: "zlib", Installed: "1.2", Candidate: "1.3.1"}}
	keep, changed := mergeFirstSeen("apt", ups, known, now)
	if !changed {
		t.Error("curl 8.1 gone and 8.2 new: want the file rewritten")
	}
	if !ups[0].FirstSeen.Equal(t0) || !ups[1].FirstSeen.Equal(now) || !ups[2].FirstSeen.Equal(t0) {
		t.Errorf("first seen openssl %v curl %v zlib %v, want %v (kept), %v (new after an install) and %v (superseded, never installed)",
			ups[0].FirstSeen, ups[1].FirstSeen, ups[2].FirstSeen, t0, now, t0)
	}
	if _, ok := keep["curl=8.1"]; ok || len(keep) != 3 {
		t.Errorf("kept %v, want only the three pending candidates", keep)
	}
	if _, changed := mergeFirstSeen("apt", ups, keep, now.Add(time.Hour)); changed {
		t.Error("same pending updates again: want no write")
	}
	if keep, changed := mergeFirstSeen("apt", nil, nil, now); changed || len(keep) != 0 {
		t.Errorf("nothing pending and no file: got %v changed=%v, want no write", keep, changed)
	}
}

// TestFirstSeenOnFleet scans a real host as the deploy user (sudo -n for
// the file under /var/lib): the file is written on the first scan, the
// second scan keeps its times, and installing an update prunes its record.
func TestFirstSeenOnFleet(t *testing.T) {
	f := localfleet.Start(t, localfleet.Config{Name: "cm", Subnet: 10, Hosts: 1, Logf: t.Logf})
	h := f.Hosts[0].Name
	tg := target(t, f.DeployInventoryPath, h)
	sc := New(nil, nil)
	ctx := context.Background()

	onHost := func() map[string]time.Time {
		t.Helper()
		out, err := f.Exec(ctx, h, "cat", FirstSeenPath)
		if err != nil {
			t.Fatalf("read the first-seen file: %v", err)
		}
		var file firstSeenFile
		if err := json.Unmarshal(out, &file); err != nil {
			t.Fatalf("first-seen file is not JSON: %v\n%s", err, out)
		}
		return file.Updates
	}
	scan := func() map[string]domain.Update {
		t.Helper()
		res, err := sc.Scan(ctx, tg, Options{Refresh: true})
		if err != nil {
			t.Fatal(err)
		}
		by := map[string]domain.Update{}
		for _, u := range res.Updates {
			by[u.Name] = u
		}
		return by
	}

	before := time.Now().Add(-time.Second)
	first := scan()
	// demo-lib's candidate installs cleanly (demo-app's newest fails its
	// postinst on purpose).
	app, ok := first["demo-lib"]
	if !ok {
		t.Fatalf("demo-lib not pending on %s: %+v", h, first)
	}
	if app.FirstSeen.Before(before) || app.FirstSeen.After(time.Now()) {
		t.Errorf("demo-lib first seen %v, want the time of the first scan (after %v)", app.FirstSeen, before)
	}
	file := onHost()
	if len(file) != len(first) {
		t.Errorf("file holds %d records, want one per pending update (%d): %v", len(file), len(first), file)
	}
	if got := file[firstSeenKey(app)]; !got.Equal(app.FirstSeen) {
		t.Errorf("file says %s first seen %v, the scan %v", firstSeenKey(app), got, app.FirstSeen)
	}

	// Backdate the records as an older scan would have left them: the next
	// scan must report those times, not its own.
	old := map[string]time.Time{}
	for k, v := range file {
		old[k] = v.Add(-48 * time.Hour)
	}
	body, _ := json.Marshal(firstSeenFile{Version: 1, Updates: old})
	if _, err := f.Exec(ctx, h, "sh", "-c", `printf '%s' "$1" > "$2"`, "sh", string(body), FirstSeenPath); err != nil {
		t.Fatalf("backdate the first-seen file: %v", err)
	}
	second := scan()
	for name, u := range second {
		if want := old[firstSeenKey(u)]; !u.FirstSeen.Equal(want) {
			t.Errorf("second scan: %s first seen %v, want %v from the file", name, u.FirstSeen, want)
		}
	}

	if err := tg.Mgr.Install(ctx, []pkgmgr.Pin{{Name: "demo-lib", Version: app.Candidate}}); err != nil {
		t.Fatal(err)
	}
	third := scan()
	file = onHost()
	if _, still := file[firstSeenKey(app)]; still {
		t.Errorf("demo-lib %s installed, but the file still records it: %v", app.Candidate, file)
	}
	if len(file) != len(third) {
		t.Errorf("file holds %d records after the install, want %d (the pending updates): %v", len(file), len(third), file)
	}
	for name, u := range third {
		if want := old[firstSeenKey(u)]; !u.FirstSeen.Equal(want) {
			t.Errorf("after the install: %s first seen %v, want %v", name, u.FirstSeen, want)
		}
	}
}
