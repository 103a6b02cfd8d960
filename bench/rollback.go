package bench

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/patchflow/patchflow/domain"
)

// RollbackConfig sizes a rollback run.
type RollbackConfig struct {
	Hosts       int
	MaxParallel int // default 100
	Unreachable float64
	Uniform     bool // SimConfig.Uniform
	// NoDeadlockDetector: see Scenario.
	NoDeadlockDetector bool
	// Failing is how many hosts at the start of the last wave fail their
	// install (default 3): the first one breaches the budget.
	Failing        int
	Workers        int
	ProfileDir     string
	ProfileSeconds int
	Logf           func(format string, args ...any)
}

// RollbackSpec is the cycle of a rollback run: a canary of 10, 80% of the
// fleet, then the rest, max_parallel at once; a budget of exactly the
// unreachable hosts (tolerated failures), so the first failed install
// breaches it; on a breach every patched host is rolled back.
func RollbackSpec(policy string, maxParallel, tolerated int) domain.CycleSpec {
	spec := ScaleSpec(policy, maxParallel)
	spec.Waves = []domain.Wave{
		{Name: "canary", Count: 10, MaxParallel: 10},
		{Name: "main", Percent: 80, MaxParallel: maxParallel},
		{Name: "last", Percent: 100, MaxParallel: maxParallel},
	}
	spec.Budget = domain.Budget{MaxFailures: tolerated}
	spec.OnBudgetBreach = domain.BreachRollbackAll
	spec.Host.RollbackOnFailure = true
	return spec
}

// Rollback runs a cycle over cfg.Hosts simulated hosts whose last wave
// breaches its budget with rollback_all: the first hosts of that wave
// fail their install (a postinst error), and every host the cycle
// patched is rolled back through rollback waves. It measures the
// rollback's time and every history, and checks every host ends as it
// started.
func Rollback(ctx context.Context, t Target, cfg RollbackConfig) (ScaleResult, error) {
	if cfg.MaxParallel <= 0 {
		cfg.MaxParallel = 100
	}
	if cfg.Failing <= 0 {
		cfg.Failing = 3
	}
	fleet := SimConfig{Hosts: cfg.Hosts, Unreachable: cfg.Unreachable, Uniform: cfg.Uniform, ScannedBefore: time.Now()}
	probe, err := NewSimFleet(fleet)
	if err != nil {
		return ScaleResult{}, err
	}
	down := probe.Unreachable()
	var production []string
	for _, n := range probe.Names() {
		if !slices.Contains(down, n) {
			production = append(production, n)
		}
	}
	spec := RollbackSpec(fmt.Sprintf("rollback%d", cfg.Hosts), cfg.MaxParallel, len(down))
	planned, err := domain.PlanWaves(spec.Waves, len(production))
	if err != nil {
		return ScaleResult{}, fmt.Errorf("plan the rollback cycle's waves: %w", err)
	}
	waves := domain.AssignWaves(production, planned)
	last := waves[len(waves)-1]
	if len(waves) < 3 || len(last) < cfg.Failing {
		return ScaleResult{}, fmt.Errorf("rollback run: %d hosts give %d waves, the last of %d hosts; want 3 waves and at least %d hosts in the last", cfg.Hosts, len(waves), len(last), cfg.Failing)
	}
	fleet.FailInstall = last[:cfg.Failing]
	s := Scenario{
		Name: fmt.Sprintf("rollback %d%s", cfg.Hosts, uniformLabel(cfg.Uniform)), Fleet: fleet, Spec: spec, Workers: cfg.Workers,
		ProfileDir: cfg.ProfileDir, ProfileSeconds: cfg.ProfileSeconds, Logf: cfg.Logf,
		Check: checkRolledBack, NoDeadlockDetector: cfg.NoDeadlockDetector,
	}
	return RunScenario(ctx, t, s)
}

// checkRolledBack is the outcome of a rollback_all breach: the cycle
// failed saying so, no host stays patched, every host is back at the
// versions it had (the failing ones repaired too).
func checkRolledBack(res *ScaleResult, _ *SimFleet) []string {
	var p []string
	if res.State != domain.CycleFailed || !strings.Contains(res.Reason, "rolled back") {
		p = append(p, fmt.Sprintf("cycle ended %s (%s), want failed with every patched host rolled back", res.State, res.Reason))
	}
	if res.Counts.Patched != 0 || res.Counts.RolledBack == 0 {
		p = append(p, fmt.Sprintf("cycle counts %d patched, %d rolled back; want none patched", res.Counts.Patched, res.Counts.RolledBack))
	}
	if res.Sim.Changed != 0 || res.Sim.HalfConfigured != 0 {
		p = append(p, fmt.Sprintf("%d hosts not back at their versions, %d half-configured; want none", res.Sim.Changed, res.Sim.HalfConfigured))
	}
	if res.Rollback <= 0 {
		p = append(p, "no rollback wave ran")
	}
	return p
}
