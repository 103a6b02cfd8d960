package bench

import (
	"context"
	"fmt"
	"time"

	"github.com/patchflow/patchflow/domain"
)

// MaxHistoryEvents is the history size no patchflow workflow may exceed
// (Temporal warns at 10,240 events and a long history slows every
// replay).
const MaxHistoryEvents = HistoryWarnEvents

// ScaleConfig sizes a scale run.
type ScaleConfig struct {
	Hosts       int           // simulated hosts
	MaxParallel int           // hosts in flight in the main wave; default 100
	Latency     time.Duration // added to every simulated command
	// Unreachable is the share of hosts that cannot be reached (scale
	// runs use DefaultUnreachable).
	Unreachable float64
	// Uniform gives every host the same backlog (SimConfig.Uniform).
	Uniform bool
	// NoDeadlockDetector: see Scenario.
	NoDeadlockDetector bool
	// Workers is the number of sim worker processes; default 1.
	Workers int
	// ProfileDir and ProfileSeconds: see Scenario.
	ProfileDir     string
	ProfileSeconds int
	Logf           func(format string, args ...any)
}

// ScaleSpec is the cycle of a scale run: every pending update of every
// host, a canary of 10, then the rest max_parallel at once; no staging,
// bake or checks, so only orchestration and host work are measured. The
// budget tolerates 5% failed hosts, so the unreachable ones do not stop
// the rollout.
func ScaleSpec(policy string, maxParallel int) domain.CycleSpec {
	return domain.CycleSpec{
		Policy:    policy,
		Inventory: domain.InventorySpec{Source: "sim", Select: []string{"group=" + SimGroup}},
		Approval:  domain.ApprovalSpec{Mode: "auto"},
		Waves: []domain.Wave{
			{Name: "canary", Count: 10, MaxParallel: 10},
			{Name: "rest", Percent: 100, MaxParallel: maxParallel},
		},
		Budget:         domain.Budget{MaxPercent: 5},
		OnBudgetBreach: domain.BreachPause,
		ScanParallel:   50,
		Host:           domain.HostSteps{Reboot: "never", DecisionTimeout: time.Minute, CommandTimeout: time.Minute},
	}
}

// Scale runs a full cycle over cfg.Hosts simulated hosts on the stack's
// embedded server, the worker in its own process, and measures it (see
// RunScenario). It fails when a reachable host is not patched exactly
// once, when an unreachable one is not failed, or when a history or
// payload passes a Temporal limit; the result is filled in either case.
func Scale(ctx context.Context, st *Stack, cfg ScaleConfig) (ScaleResult, error) {
	if cfg.MaxParallel <= 0 {
		cfg.MaxParallel = 100
	}
	s := Scenario{
		Name:               fmt.Sprintf("scale %d%s", cfg.Hosts, uniformLabel(cfg.Uniform)),
		Fleet:              SimConfig{Hosts: cfg.Hosts, Unreachable: cfg.Unreachable, Latency: cfg.Latency, Uniform: cfg.Uniform, ScannedBefore: time.Now()},
		Spec:               ScaleSpec(fmt.Sprintf("scale%d", cfg.Hosts), cfg.MaxParallel),
		Workers:            cfg.Workers,
		NoDeadlockDetector: cfg.NoDeadlockDetector,
		ProfileDir:         cfg.ProfileDir,
		ProfileSeconds:     cfg.ProfileSeconds,
		Logf:               cfg.Logf,
	}
	return RunScenario(ctx, st.Target(), s)
}

// Target is the stack as a scenario target.
func (s *Stack) Target() Target {
	return Target{Name: "embedded", Address: s.Server.FrontendAddress(), Namespace: s.Server.Namespace(), Client: s.Client}
}

func uniformLabel(uniform bool) string {
	if uniform {
		return " uniform"
	}
	return ""
}
