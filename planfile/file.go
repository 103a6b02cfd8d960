package planfile

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/patchflow/patchflow/domain"
	"github.com/patchflow/patchflow/internal/safetext"
)

// Version and Kind head every plan file.
const (
	APIVersion = "patchflow/v1"
	Kind       = "Plan"
)

// maxFileBytes bounds what Read accepts; maxPolicyBytes the policy a plan
// carries.
const (
	maxFileBytes   = 16 << 20
	maxPolicyBytes = 256 << 10
)

// File is a reviewed plan. Field order and names are stable: the JSON is
// meant to be diffed.
type File struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Policy     string `json:"policy"`
	// PolicySHA256 is the sha256 of the policy file the plan was made
	// from ("sha256:<hex>").
	PolicySHA256 string `json:"policy_sha256"`
	// PolicyText is that policy file, so applying the plan under a changed
	// policy lists what changed.
	PolicyText string `json:"policy_text"`
	// Created is when the dry run that made the plan started (UTC).
	Created time.Time `json:"created"`
	// Source is that dry-run cycle's workflow ID.
	Source string `json:"source"`
	// Entries are the pinned packages, in plan order.
	Entries []Entry `json:"entries"`
	// Waves are staging (when the policy has one) and each production
	// wave, in order, with their hosts.
	Waves []Wave `json:"waves"`
	// Hosts are every planned host with its pins and fingerprint.
	Hosts []Host `json:"hosts"`
	// SHA256 is the sha256 of the file with this field empty
	// ("sha256:<hex>"): the plan's identity.
	SHA256 string `json:"sha256"`
}

// Entry is one pinned package.
type Entry struct {
	Manager  string          `json:"manager"`
	Name     string          `json:"name"`
	Version  string          `json:"version"`
	Class    domain.Class    `json:"class"`
	Severity domain.Severity `json:"severity"`
	CVEs     []string        `json:"cves"`
	KEV      bool            `json:"kev"`
	Risk     int             `json:"risk"`
	Hosts    int             `json:"hosts"`
	// HistoryRisk and History are what earlier cycles' runs of the update
	// say (docs/vulnerabilities.md, "History risk"); absent when none.
	HistoryRisk int                  `json:"history_risk,omitempty"`
	History     *domain.EntryHistory `json:"history,omitempty"`
}

// Wave is one stage of the rollout.
type Wave struct {
	Name  string   `json:"name"`
	Hosts []string `json:"hosts"`
}

// Host is one planned host.
type Host struct {
	Name string `json:"name"`
	Wave string `json:"wave"`
	// Pins are positions in Entries.
	Pins []int `json:"pins"`
	// Fingerprint is the state the host was planned from (installed and
	// candidate versions of its pins, its running kernel).
	Fingerprint string `json:"fingerprint"`
	// Kernel is the running kernel the host was planned with.
	Kernel string `json:"kernel,omitempty"`
}

// Seal computes the file's sha256 and stores it.
func (f *File) Seal() error {
	sum, err := f.digest()
	if err != nil {
		return err
	}
	f.SHA256 = sum
	return nil
}

// digest is the sha256 of the file's canonical JSON with SHA256 empty.
func (f *File) digest() (string, error) {
	c := *f
	c.SHA256 = ""
	b, err := json.Marshal(c)
	if err != nil {
		return "", fmt.Errorf("plan: encode: %w", err)
	}
	sum := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(sum[:]), nil
}

// Write writes the file as indented JSON (the stable form to review and
// diff).
func (f *File) Write(w io.Writer) error {
	b, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		return fmt.Errorf("plan: encode: %w", err)
	}
	_, err = w.Write(append(b, '\n'))
	return err
}

// Read decodes a plan file strictly and checks it: its kind, its shape and
// that its sha256 matches its content (an edited plan is refused).
func Read(r io.Reader) (*File, error) {
	b, err := io.ReadAll(io.LimitReader(r, maxFileBytes+1))
	if err != nil {
		return nil, fmt.Errorf("plan: read: %w", err)
	}
	if len(b) > maxFileBytes {
		return nil, fmt.Errorf("plan: larger than %d MiB; is this a patchflow plan?", maxFileBytes>>20)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var f File
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("plan: not a patchflow plan file: %v", shortJSONError(err))
	}
	if err := f.Validate(); err != nil {
		return nil, err
	}
	sum, err := f.digest()
	if err != nil {
		return nil, err
	}
	if sum != f.SHA256 {
		return nil, fmt.Errorf("plan: its content does not match its sha256 (%s): the file was edited after it was made; make a new plan", f.SHA256)
	}
	return &f, nil
}

// Validate checks the plan's shape: what a plan that patchflow made
// always satisfies.
func (f *File) Validate() error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf("plan: "+format, args...)) }
	if f.APIVersion != APIVersion || f.Kind != Kind {
		bad("apiVersion %s kind %s, want %s %s", safetext.Excerpt(f.APIVersion), safetext.Excerpt(f.Kind), APIVersion, Kind)
	}
	if f.Policy == "" || f.Source == "" || f.Created.IsZero() || f.PolicySHA256 == "" || f.SHA256 == "" {
		bad("policy, policy_sha256, source, created and sha256 are required")
	}
	if len(f.Hosts) == 0 {
		bad("plans no host")
	}
	if len(f.Hosts) > domain.MaxReviewedHosts {
		bad("plans %d hosts, at most %d are reviewed in one plan: plan a selection of the fleet", len(f.Hosts), domain.MaxReviewedHosts)
	}
	if PolicySHA256([]byte(f.PolicyText)) != f.PolicySHA256 {
		bad("policy_text does not match policy_sha256")
	}
	waveOf := map[string]string{}
	for _, w := range f.Waves {
		for _, h := range w.Hosts {
			if _, dup := waveOf[h]; dup {
				bad("host %s is in two waves", safetext.Excerpt(h))
			}
			waveOf[h] = w.Name
		}
	}
	seen := map[string]bool{}
	for _, h := range f.Hosts {
		name := safetext.Excerpt(h.Name)
		switch {
		case seen[h.Name]:
			bad("host %s listed twice", name)
		case !strings.HasPrefix(h.Fingerprint, "sha256:"):
			bad("host %s has no fingerprint: a plan never applies to an unknown state", name)
		case len(h.Pins) == 0:
			bad("host %s has no pin", name)
		case waveOf[h.Name] != h.Wave:
			bad("host %s is in wave %s, which does not list it", name, safetext.Excerpt(h.Wave))
		}
		seen[h.Name] = true
		for _, p := range h.Pins {
			if p < 0 || p >= len(f.Entries) {
				bad("host %s pins entry %d of %d", name, p, len(f.Entries))
			}
		}
	}
	if len(waveOf) != len(seen) {
		bad("the waves list %d hosts, the plan has %d", len(waveOf), len(seen))
	}
	return errors.Join(errs...)
}

// PolicySHA256 is the sha256 of a policy file as a plan records it.
func PolicySHA256(text []byte) string {
	sum := sha256.Sum256(text)
	return "sha256:" + hex.EncodeToString(sum[:])
}

// HostPins returns a host's pins.
func (f *File) HostPins(h Host) []domain.Pin {
	out := make([]domain.Pin, 0, len(h.Pins))
	for _, p := range h.Pins {
		e := f.Entries[p]
		out = append(out, domain.Pin{Name: e.Name, Version: e.Version})
	}
	return out
}

// Age is how old the plan is at now.
func (f *File) Age(now time.Time) time.Duration { return now.Sub(f.Created) }

func shortJSONError(err error) string {
	s := safetext.Terminal(err.Error())
	if len(s) > 120 {
		s = s[:117] + "..."
	}
	return s
}
