package advisories

import (
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// Kind is the format of a source.
type Kind string

// Kinds of sources.
const (
	KindDebianTracker  Kind = "debian-tracker"   // security-tracker.debian.org/tracker/data/json
	KindVulnListDebian Kind = "vuln-list-debian" // a directory or zip of vuln-list-debian records
	KindOSV            Kind = "osv"              // a directory, zip or file of OSV records
	KindKEV            Kind = "kev"              // CISA KEV catalogue, JSON or CSV
	KindEPSS           Kind = "epss"             // FIRST EPSS daily csv(.gz)
)

// Kinds lists the source kinds.
func Kinds() []Kind {
	return []Kind{KindDebianTracker, KindVulnListDebian, KindOSV, KindKEV, KindEPSS}
}

func validKind(k Kind) bool {
	for _, x := range Kinds() {
		if x == k {
			return true
		}
	}
	return false
}

// Source is one configured advisory source.
type Source struct {
	Name string `json:"name"`
	Kind Kind   `json:"kind"`
	// Location is a local file or directory (relative paths are relative
	// to the sources file) or an http(s) URL.
	Location string `json:"location"`
	// MaxBytes bounds the data (DefaultMaxBytes when 0).
	MaxBytes int64 `json:"max_bytes,omitempty"`
	// Timeout bounds a fetch (DefaultFetchTimeout when 0).
	Timeout time.Duration `json:"timeout,omitempty"`
	// AllowLinkLocal lets a URL reach link-local and cloud metadata
	// addresses (169.254.0.0/16, fe80::/10, fd00:ec2::254), refused by
	// default.
	AllowLinkLocal bool `json:"allow_link_local,omitempty"`
	// Releases, when set, keeps only these releases' records in memory
	// ("debian:bookworm", "almalinux:9").
	Releases []Release `json:"releases,omitempty"`
}

// Remote reports whether the location is an http(s) URL.
func (s Source) Remote() bool {
	return strings.HasPrefix(s.Location, "http://") || strings.HasPrefix(s.Location, "https://")
}

// SourcesFile is a parsed sources file:
//
//	apiVersion: patchflow/v1
//	kind: AdvisorySources
//	sources:
//	  - name: debian-tracker
//	    kind: debian-tracker
//	    location: https://mirror.example.org/security-tracker/data/json
//	    releases: [debian:bookworm]
//	  - name: kev
//	    kind: kev
//	    location: mirror/known_exploited_vulnerabilities.json
//
// The order of sources is their precedence when they disagree.
type SourcesFile struct {
	Path    string
	Sources []Source
}

// SourcesError is one problem in a sources file, with its position.
type SourcesError struct {
	File      string
	Line, Col int
	Msg       string
}

func (e SourcesError) Error() string {
	return fmt.Sprintf("%s:%d:%d: %s", e.File, e.Line, e.Col, e.Msg)
}

// SourcesErrors are every problem of a sources file.
type SourcesErrors []SourcesError

func (es SourcesErrors) Error() string {
	parts := make([]string, len(es))
	for i, e := range es {
		parts[i] = e.Error()
	}
	return strings.Join(parts, "\n")
}

// maxSourcesFile bounds a sources file.
const maxSourcesFile = 1 << 20

// LoadSources reads and validates a sources file. Problems are returned
// together as SourcesErrors, each with file:line:col.
func LoadSources(path string) (*SourcesFile, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("advisory sources: %w", err)
	}
	if fi.Size() > maxSourcesFile {
		return nil, fmt.Errorf("advisory sources %s: %w (%d bytes)", path, ErrTooLarge, maxSourcesFile)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("advisory sources: %w", err)
	}
	return ParseSources(data, path)
}

var sourceNameRe = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{0,62}$`)

// ParseSources parses sources file content; path names it in errors and
// anchors relative locations.
func ParseSources(data []byte, path string) (*SourcesFile, error) {
	var errs SourcesErrors
	bad := func(n *yaml.Node, format string, args ...any) {
		errs = append(errs, SourcesError{File: path, Line: n.Line, Col: n.Column, Msg: fmt.Sprintf(format, args...)})
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("%s: %v", path, err)
	}
	if len(doc.Content) == 0 {
		return nil, SourcesErrors{{File: path, Line: 1, Col: 1, Msg: "empty file; want apiVersion: patchflow/v1, kind: AdvisorySources, sources: [...]"}}
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		bad(root, "want a mapping with apiVersion, kind and sources")
		return nil, errs
	}
	sf := &SourcesFile{Path: path}
	var seenAPI, seenKind, seenSources bool
	for i := 0; i+1 < len(root.Content); i += 2 {
		k, v := root.Content[i], root.Content[i+1]
		switch k.Value {
		case "apiVersion":
			seenAPI = true
			if v.Value != "patchflow/v1" {
				bad(v, "apiVersion must be patchflow/v1, got %s", quote(v.Value))
			}
		case "kind":
			seenKind = true
			if v.Value != "AdvisorySources" {
				bad(v, "kind must be AdvisorySources, got %s", quote(v.Value))
			}
		case "sources":
			seenSources = true
			if v.Kind != yaml.SequenceNode {
				bad(v, "sources must be a list")
				continue
			}
			names := map[string]bool{}
			for _, item := range v.Content {
				s, ok := parseSource(item, path, bad)
				switch {
				case s.Name != "" && names[s.Name]:
					bad(item, "source %s is defined twice", quote(s.Name))
				case ok:
					sf.Sources = append(sf.Sources, s)
				}
				names[s.Name] = true
			}
		default:
			bad(k, "unknown field %s (known: apiVersion, kind, sources)", quote(k.Value))
		}
	}
	if !seenAPI {
		bad(root, "apiVersion: patchflow/v1 is missing")
	}
	if !seenKind {
		bad(root, "kind: AdvisorySources is missing")
	}
	if !seenSources {
		bad(root, "sources is missing")
	}
	if len(errs) > 0 {
		sort.SliceStable(errs, func(i, j int) bool {
			if errs[i].Line != errs[j].Line {
				return errs[i].Line < errs[j].Line
			}
			return errs[i].Col < errs[j].Col
		})
		return nil, errs
	}
	return sf, nil
}

// parseSource reads one source mapping; ok is false when it has errors.
func parseSource(n *yaml.Node, path string, bad func(*yaml.Node, string, ...any)) (Source, bool) {
	var s Source
	if n.Kind != yaml.MappingNode {
		bad(n, "a source must be a mapping with name, kind and location")
		return s, false
	}
	before := 0
	fail := func(node *yaml.Node, format string, args ...any) {
		before++
		label := "source"
		if s.Name != "" {
			label = "source " + quote(s.Name)
		}
		bad(node, label+": "+format, args...)
	}
	var kindNode, locNode *yaml.Node
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		switch k.Value {
		case "name":
			s.Name = v.Value
			if !sourceNameRe.MatchString(v.Value) {
				fail(v, "name %s must be lowercase letters, digits, '.', '_' or '-' (at most 63)", quote(v.Value))
			}
		case "kind":
			s.Kind, kindNode = Kind(v.Value), v
		case "location":
			s.Location, locNode = v.Value, v
		case "max_bytes":
			nb, err := strconv.ParseInt(v.Value, 10, 64)
			if err != nil || nb <= 0 {
				fail(v, "max_bytes must be a positive number of bytes, got %s", quote(v.Value))
			}
			s.MaxBytes = nb
		case "timeout":
			d, err := time.ParseDuration(v.Value)
			if err != nil || d <= 0 {
				fail(v, "timeout must be a positive duration such as 5m, got %s", quote(v.Value))
			}
			s.Timeout = d
		case "allow_link_local":
			b, err := strconv.ParseBool(v.Value)
			if err != nil || v.Kind != yaml.ScalarNode {
				fail(v, "allow_link_local must be true or false, got %s", quote(v.Value))
			}
			s.AllowLinkLocal = b
		case "releases":
			if v.Kind != yaml.SequenceNode {
				fail(v, "releases must be a list such as [debian:bookworm]")
				continue
			}
			for _, r := range v.Content {
				d, ver, ok := strings.Cut(r.Value, ":")
				if !ok || d == "" || ver == "" {
					fail(r, "release %s must be DISTRO:VERSION such as debian:bookworm or almalinux:9", quote(r.Value))
					continue
				}
				s.Releases = append(s.Releases, Release{d, ver})
			}
		default:
			fail(k, "unknown field %s (known: name, kind, location, max_bytes, timeout, allow_link_local, releases)", quote(k.Value))
		}
	}
	switch {
	case s.Name == "":
		fail(n, "name is missing")
	}
	switch {
	case kindNode == nil:
		fail(n, "kind is missing (one of %s)", kindList())
	case !validKind(s.Kind):
		fail(kindNode, "unknown kind %s (one of %s)", quote(string(s.Kind)), kindList())
	}
	switch {
	case locNode == nil || s.Location == "":
		fail(n, "location is missing (a file, a directory or an http(s) URL)")
	case strings.Contains(s.Location, "://") && !s.Remote():
		fail(locNode, "location %s: only http and https URLs are fetched", quote(s.Location))
	case s.Remote():
		if u, err := url.Parse(s.Location); err != nil || u.Host == "" {
			fail(locNode, "location is not a valid URL")
		}
	default:
		if !filepath.IsAbs(s.Location) {
			s.Location = filepath.Join(filepath.Dir(path), s.Location)
		}
	}
	return s, before == 0
}

func kindList() string {
	var ks []string
	for _, k := range Kinds() {
		ks = append(ks, string(k))
	}
	return strings.Join(ks, ", ")
}

// errNoSources is returned when a sources file lists none.
var errNoSources = errors.New("no advisory sources configured")
