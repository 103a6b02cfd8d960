package posture

import (
	"context"
	"fmt"
	"strings"
	"time"

	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"

	"github.com/patchflow/patchflow/domain"
	"github.com/patchflow/patchflow/schedules"
	"github.com/patchflow/patchflow/workflows"
)

// queryTimeout bounds one status query of a parked cycle (a worker must
// answer it).
const queryTimeout = 10 * time.Second

// Future is a patch that will run: a parked cycle that goes on when its
// window opens, or a schedule's next cycle.
type Future struct {
	CycleID    string
	ScheduleID string
	Opens      time.Time
	// A parked cycle: its hosts still to patch, with their wave, and the
	// packages of its plan.
	hostWave map[string]int
	planned  map[string]bool
	// A schedule: the spec its cycles run and its targets today.
	spec    *domain.CycleSpec
	targets Targets
}

// patches reports whether the future patch installs update u on host,
// and in which wave.
func (f Future) patches(host string, u domain.Pending) (int, bool) {
	if f.spec == nil {
		w, ok := f.hostWave[host]
		return w, ok && f.planned[u.Name]
	}
	if f.spec.Patches.Admit(domain.PlanEntry{Manager: u.Manager, Name: u.Name, Version: u.Candidate, Class: u.Class, Vulns: u.Vulns}) != "" {
		return 0, false
	}
	return f.targets.WaveOf(*f.spec, host)
}

// Futures lists the parked cycles and the active cycle schedules, with
// what each will patch; notes say what could not be read.
func (r *Reader) Futures(ctx context.Context) ([]Future, []string) {
	var out []Future
	var notes []string
	// Every running cycle is asked, not only those visibility lists as
	// parked: the search attribute reaches visibility a moment after the
	// cycle parks, and running cycles are few (one per policy at a time).
	err := r.list(ctx, "WorkflowType = '"+typeCycle+"' AND ExecutionStatus = 'Running'", func(e Execution) error {
		f, parked, err := r.parked(ctx, e.ID)
		if err != nil {
			notes = append(notes, fmt.Sprintf("cycle %s: %v; its hosts are not shown as scheduled by it", e.ID, shortText(err.Error())))
		}
		if parked && len(f.hostWave) > 0 {
			out = append(out, f)
		}
		return nil
	})
	if err != nil {
		notes = append(notes, "running cycles not listed: "+shortText(err.Error()))
	}
	entries, err := schedules.List(ctx, r.C)
	if err != nil {
		notes = append(notes, "schedules not listed: "+shortText(err.Error()))
	}
	invs := r.inventories()
	for _, e := range entries {
		if e.Paused || len(e.NextActionTimes) == 0 || strings.HasPrefix(e.ID, AssessScheduleIDPrefix) {
			continue
		}
		spec, ok := r.scheduledSpec(ctx, e.ID)
		if !ok || spec.DryRun {
			continue
		}
		inv, err := invs.get(spec.Inventory.Source)
		if err != nil {
			notes = append(notes, fmt.Sprintf("schedule %s: %v", e.ID, err))
			continue
		}
		t, err := resolveTargets(inv, spec)
		if err != nil {
			notes = append(notes, fmt.Sprintf("schedule %s: targets do not resolve: %v", e.ID, err))
			continue
		}
		out = append(out, Future{ScheduleID: e.ID, Opens: e.NextActionTimes[0], spec: &spec, targets: t})
	}
	return out, notes
}

// parked reads a running cycle and, when it is parked, when it goes on,
// its plan's packages and its hosts still pending, paged.
func (r *Reader) parked(ctx context.Context, id string) (Future, bool, error) {
	qctx, cancel := context.WithTimeout(ctx, queryTimeout)
	defer cancel()
	var st workflows.CycleStatus
	v, err := r.C.QueryWorkflow(qctx, id, "", workflows.QueryStatus)
	if err != nil {
		return Future{}, false, fmt.Errorf("status query (is a worker running?): %w", err)
	}
	if err := v.Get(&st); err != nil {
		return Future{}, false, err
	}
	if st.State != domain.CycleParked {
		return Future{}, false, nil
	}
	f := Future{CycleID: id, hostWave: map[string]int{}, planned: map[string]bool{}}
	if st.Window != nil {
		f.Opens = st.Window.ParkedUntil
		if f.Opens.IsZero() {
			f.Opens = st.Window.NextOpens
		}
	}
	if f.Opens.IsZero() {
		return Future{}, false, fmt.Errorf("parked without a window opening")
	}
	for _, e := range st.Plan.Entries {
		f.planned[e.Name] = true
	}
	for offset := 0; ; {
		var page workflows.HostsPage
		v, err := r.C.QueryWorkflow(qctx, id, "", workflows.QueryHosts,
			workflows.HostsQuery{Offset: offset, Limit: 1000, States: []domain.HostState{domain.HostPending}})
		if err != nil {
			return Future{}, false, fmt.Errorf("hosts query: %w", err)
		}
		if err := v.Get(&page); err != nil {
			return Future{}, false, err
		}
		for _, h := range page.Hosts {
			f.hostWave[h.Host] = h.Wave
		}
		offset += len(page.Hosts)
		if len(page.Hosts) == 0 || offset >= page.Total {
			break
		}
	}
	// A cycle that parked before its first batch has no host records
	// yet: its stages name the hosts still to patch.
	if len(f.hostWave) == 0 {
		for _, s := range st.Stages {
			if s.Counts.Pending == 0 {
				continue
			}
			wave := 0
			if s.Stage != "staging" {
				if _, err := fmt.Sscanf(s.Stage, "%d", &wave); err != nil {
					continue
				}
			}
			if len(s.Hosts) == 0 {
				return f, true, fmt.Errorf("wave %s has %d hosts to patch but the status does not name them", s.Stage, s.Counts.Pending)
			}
			for _, h := range s.Hosts {
				f.hostWave[h] = wave
			}
		}
	}
	return f, true, nil
}

// scheduledSpec reads the cycle spec a cycle schedule starts its cycles
// with; false for a schedule that does not start PatchCycle.
func (r *Reader) scheduledSpec(ctx context.Context, id string) (domain.CycleSpec, bool) {
	d, err := r.C.ScheduleClient().GetHandle(ctx, id).Describe(ctx)
	if err != nil {
		return domain.CycleSpec{}, false
	}
	a, ok := d.Schedule.Action.(*client.ScheduleWorkflowAction)
	if !ok || len(a.Args) == 0 || fmt.Sprint(a.Workflow) != typeCycle {
		return domain.CycleSpec{}, false
	}
	var in workflows.CycleInput
	switch p := a.Args[0].(type) {
	case *commonpb.Payload:
		if converter.GetDefaultDataConverter().FromPayload(p, &in) != nil {
			return domain.CycleSpec{}, false
		}
	case workflows.CycleInput:
		in = p
	default:
		return domain.CycleSpec{}, false
	}
	return in.Spec, true
}
