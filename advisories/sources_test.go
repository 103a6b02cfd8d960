package advisories

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestLoadSourcesGood(t *testing.T) {
	sf, err := LoadSources("testdata/sources/good.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if len(sf.Sources) != 5 {
		t.Fatalf("%d sources", len(sf.Sources))
	}
	s := sf.Sources[0]
	if !s.Remote() || s.MaxBytes != 256<<20 || s.Timeout != 5*time.Minute || len(s.Releases) != 1 || s.Releases[0] != (Release{"debian", "bookworm"}) {
		t.Errorf("tracker %+v", s)
	}
	if want := filepath.Join("testdata", "vuln-list-debian"); sf.Sources[1].Location != want {
		t.Errorf("relative location %q, want %q (relative to the sources file)", sf.Sources[1].Location, want)
	}
}

func TestLoadSourcesBad(t *testing.T) {
	_, err := LoadSources("testdata/sources/bad.yaml")
	var errs SourcesErrors
	if !errors.As(err, &errs) {
		t.Fatalf("err %v, want SourcesErrors", err)
	}
	want := []string{
		`bad.yaml:1:13: apiVersion must be patchflow/v1, got "patchflow/v2"`,
		`bad.yaml:4:11: source "Tracker": name "Tracker" must be lowercase`,
		`bad.yaml:6:15: source "Tracker": location "ftp://mirror.example.org/json": only http and https URLs are fetched`,
		`bad.yaml:8:11: source "kev": unknown kind "kve" (one of debian-tracker, vuln-list-debian, osv, kev, epss)`,
		`bad.yaml:10:5: source "kev": unknown field "colour"`,
		`bad.yaml:11:5: source "kev" is defined twice`,
		`bad.yaml:16:16: source "epss": max_bytes must be a positive number of bytes, got "lots"`,
		`bad.yaml:17:14: source "epss": timeout must be a positive duration`,
		`bad.yaml:18:23: source "epss": allow_link_local must be true or false`,
		`bad.yaml:19:16: source "epss": release "bookworm" must be DISTRO:VERSION`,
		`bad.yaml:14:5: source "epss": location is missing`,
	}
	all := err.Error()
	for _, w := range want {
		if !strings.Contains(all, w) {
			t.Errorf("errors:\n%s\nwant a line containing %q", all, w)
		}
	}
	for name, data := range map[string]string{
		"empty":   "",
		"list":    "- a\n",
		"missing": "apiVersion: patchflow/v1\n",
	} {
		if _, err := ParseSources([]byte(data), name+".yaml"); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}
