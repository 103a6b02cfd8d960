package bench

import (
	"bufio"
	"bytes"
	_ "embed"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
)

// The simulated hosts' backlog is a real one: testdata/bookworm-pending.out
// is what patchflow's apt driver read from a Debian 12 host months behind
// on updates (the driver's own python3-apt script, run there unchanged),
// and testdata/bookworm-priority.tsv is each package's Priority, Section
// and Source from that host's apt cache. testdata/PROVENANCE.md says how
// they were taken.

//go:embed testdata/bookworm-pending.out
var bookwormPending []byte

//go:embed testdata/bookworm-priority.tsv
var bookwormPriority []byte

// simPackage is one package of the backlog: installed at Old on a host
// that has it pending, Candidate offered by the repository.
type simPackage struct {
	Name, Arch, Old, Candidate string
	Priority, Source           string
	Origins                    []aptOrigin
	// pending is its entry in the pending-updates answer, rendered once.
	pending []byte
}

// aptOrigin is one origin of a candidate, as python3-apt reports it.
type aptOrigin struct {
	Origin    string `json:"origin"`
	Label     string `json:"label"`
	Archive   string `json:"archive"`
	Codename  string `json:"codename"`
	Site      string `json:"site"`
	Component string `json:"component"`
}

// core reports whether nearly every Debian host has the package: the
// priorities debootstrap installs.
func (p simPackage) core() bool {
	return p.Priority == "required" || p.Priority == "important" || p.Priority == "standard"
}

// loadBacklog parses the embedded fixture: the packages in the order the
// driver listed them (name order), with their priorities.
func loadBacklog() ([]simPackage, error) {
	_, js, ok := bytes.Cut(bookwormPending, []byte("PATCHFLOW-JSON "))
	if !ok {
		return nil, fmt.Errorf("testdata/bookworm-pending.out: no PATCHFLOW-JSON line")
	}
	var raw []struct {
		Name      string      `json:"name"`
		Arch      string      `json:"arch"`
		Installed string      `json:"installed"`
		Candidate string      `json:"candidate"`
		Origins   []aptOrigin `json:"origins"`
	}
	if err := json.Unmarshal(js, &raw); err != nil {
		return nil, fmt.Errorf("testdata/bookworm-pending.out: %w", err)
	}
	prio := map[string][2]string{}
	sc := bufio.NewScanner(bytes.NewReader(bookwormPriority))
	for sc.Scan() {
		f := strings.Split(sc.Text(), "\t")
		if len(f) == 4 && !strings.HasPrefix(f[0], "#") {
			src, _, _ := strings.Cut(f[3], " ")
			prio[f[0]] = [2]string{f[1], src}
		}
	}
	out := make([]simPackage, 0, len(raw))
	for _, r := range raw {
		p, ok := prio[r.Name]
		if !ok {
			return nil, fmt.Errorf("testdata/bookworm-priority.tsv: no line for %s", r.Name)
		}
		sp := simPackage{Name: r.Name, Arch: r.Arch, Old: r.Installed, Candidate: r.Candidate,
			Priority: p[0], Source: p[1], Origins: r.Origins}
		entry := map[string]any{"name": r.Name, "arch": r.Arch, "installed": r.Installed,
			"candidate": r.Candidate, "origins": r.Origins}
		js, err := json.Marshal(entry)
		if err != nil {
			return nil, fmt.Errorf("render pending entry of %s: %w", r.Name, err)
		}
		sp.pending = js
		out = append(out, sp)
	}
	return out, nil
}

// simRole is a kind of host in the simulated fleet (web, database, ...):
// hosts of one role have the same packages installed, as real fleets
// built from a few images do.
type simRole struct {
	weight   int
	packages []int // positions in the universe
}

// roleSizes are the pending updates of each role before per-host
// variation, and roleWeights how many hosts of 12 have each role: a mean
// of about 100 pending updates, from about 50 to the whole backlog.
var (
	roleSizes   = []int{55, 77, 97, 112, 127, 140}
	roleWeights = []int{1, 2, 3, 3, 2, 1}
)

// uniformRole is the role of every host of a uniform fleet: 97 updates.
const uniformRole = 2

// hostAlreadyHas is the chance that a host already installed one of its
// role's updates (someone upgraded a package by hand): hosts of a role
// share most, not all, of their backlog.
const hostAlreadyHas = 0.02

// buildRoles gives every role the core packages (every host has them)
// and whole source packages (a source's binaries come together) in a
// role-specific order until the role's size is reached.
func buildRoles(universe []simPackage, seed uint64) []simRole {
	var core []int
	bySource := map[string][]int{}
	var sources []string
	for i, p := range universe {
		if p.core() {
			core = append(core, i)
			continue
		}
		if bySource[p.Source] == nil {
			sources = append(sources, p.Source)
		}
		bySource[p.Source] = append(bySource[p.Source], i)
	}
	slices.Sort(sources)
	roles := make([]simRole, len(roleSizes))
	for r, size := range roleSizes {
		rng := rand.New(rand.NewPCG(seed, uint64(1000+r)))
		order := slices.Clone(sources)
		rng.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
		pkgs := slices.Clone(core)
		for _, s := range order {
			if len(pkgs) >= size {
				break
			}
			pkgs = append(pkgs, bySource[s]...)
		}
		slices.Sort(pkgs)
		roles[r] = simRole{weight: roleWeights[r], packages: pkgs}
	}
	return roles
}

// pickRole chooses a role by weight.
func pickRole(roles []simRole, rng *rand.Rand) int {
	total := 0
	for _, r := range roles {
		total += r.weight
	}
	n := rng.IntN(total)
	for i, r := range roles {
		if n < r.weight {
			return i
		}
		n -= r.weight
	}
	return len(roles) - 1
}
