package bench

import (
	"context"
	"fmt"
	"os"
	"time"

	commonpb "go.temporal.io/api/common/v1"
	enumspb "go.temporal.io/api/enums/v1"
	querypb "go.temporal.io/api/query/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"

	"github.com/patchflow/patchflow/domain"
	"github.com/patchflow/patchflow/workflows"
)

// runMonitored starts the scenario's cycle and waits for its result while
// watching it: progress in the log every 30 seconds, CPU profiles when it
// starts scanning and rolling out, and a stop (with the cycle terminated)
// when a workflow task of the cycle or of its current wave keeps failing,
// a worker dies, or no host finishes for s.StallAfter.
func runMonitored(ctx context.Context, t Target, s Scenario, workers []*SimWorker, logf func(string, ...any), res *ScaleResult) (CycleRun, error) {
	start := time.Now()
	id := workflows.CycleID(s.Spec.Policy, start)
	run, err := t.Client.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: id, TaskQueue: workflows.TaskQueue},
		workflows.PatchCycle, workflows.CycleInput{Spec: s.Spec})
	if err != nil {
		return CycleRun{}, fmt.Errorf("start cycle %s: %w", id, err)
	}
	out := CycleRun{ID: id}
	done := make(chan error, 1)
	go func() {
		var r workflows.CycleResult
		err := run.Get(ctx, &r)
		if err != nil {
			if fr, ok := workflows.ResultOf(err); ok {
				r, err = fr, nil
			}
		}
		out.Result = r
		done <- err
	}()
	mctx, stop := context.WithCancel(ctx)
	defer stop()
	m := &monitor{t: t, s: s, id: id, workers: workers, logf: logf, res: res, lastProgress: time.Now()}
	stalled := make(chan error, 1)
	go func() { stalled <- m.watch(mctx) }()
	select {
	case err := <-done:
		out.Wall = time.Since(start)
		stop()
		<-stalled
		if err != nil {
			return out, fmt.Errorf("cycle %s: %w", id, err)
		}
		return out, nil
	case serr := <-stalled:
		out.Wall = time.Since(start)
		out.Result.CycleStatus = m.last
		tctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if terr := t.Client.TerminateWorkflow(tctx, id, "", "patchbench: "+serr.Error()); terr != nil {
			logf("%s: terminate %s: %v", s.Name, id, terr)
		}
		return out, serr
	}
}

type monitor struct {
	t            Target
	s            Scenario
	id           string
	workers      []*SimWorker
	logf         func(string, ...any)
	res          *ScaleResult
	last         workflows.CycleStatus
	wave         string
	progress     string
	key          string // state and progress: a change is progress
	lastProgress time.Time
	profiled     map[domain.CycleState]bool
	profiling    bool
}

// watch returns nil when ctx ends, or why the cycle is stuck.
func (m *monitor) watch(ctx context.Context) error {
	tick := time.NewTicker(5 * time.Second)
	defer tick.Stop()
	lastLog := time.Now()
	profDone := make(chan []string, 4)
	for {
		select {
		case <-ctx.Done():
			if m.profiling {
				m.res.Profiles = append(m.res.Profiles, <-profDone...)
			}
			return nil
		case p := <-profDone:
			m.res.Profiles = append(m.res.Profiles, p...)
			m.profiling = false
		case <-tick.C:
		}
		for _, w := range m.workers {
			if exited, err := w.Exited(); exited {
				return fmt.Errorf("sim worker %d exited (%v): %s", w.PID, err, tailFile(w.LogPath, 5))
			}
		}
		if err := m.check(ctx); err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return err
		}
		if m.s.ProfileDir != "" && !m.profiling && (m.last.State == domain.CycleScanning || m.last.State == domain.CycleRollingOut) && !m.profiled[m.last.State] {
			if m.profiled == nil {
				m.profiled = map[domain.CycleState]bool{}
			}
			m.profiled[m.last.State] = true
			m.profiling = true
			label := string(m.last.State)
			go func() {
				// A profile that outlasts the cycle is still taken whole.
				profDone <- captureCPU(context.WithoutCancel(ctx), m.workers[0], m.s.ProfileDir, m.s.Name+"-"+label, m.s.ProfileSeconds)
			}()
		}
		if time.Since(lastLog) >= 30*time.Second {
			lastLog = time.Now()
			rss, _ := procMemMiB(m.workers[0].PID)
			pid := m.t.ServerPID
			if pid == 0 {
				pid = os.Getpid()
			}
			srss, _ := procMemMiB(pid)
			m.logf("%s: %s %s, wave %d: %s; worker RSS %.0f MiB, server RSS %.0f MiB, load %s", m.s.Name, m.id, m.last.State, m.last.Wave, m.progress, rss, srss, LoadAvg())
		}
	}
}

// check reads the cycle's and its current wave's state and fails when a
// workflow task keeps failing or nothing has moved for too long.
func (m *monitor) check(ctx context.Context) error {
	qctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	// History lengths move with every finished scan batch, host or part,
	// where the status moves only when a part ends.
	events, err := stuckTask(qctx, m.t, m.id)
	if err != nil {
		return err
	}
	if m.wave != "" {
		n, err := stuckTask(qctx, m.t, m.wave)
		if err != nil {
			return err
		}
		events += n
	}
	var cs workflows.CycleStatus
	if v, err := m.t.Client.QueryWorkflow(qctx, m.id, "", workflows.QueryStatus); err == nil && v.Get(&cs) == nil {
		m.last = cs
		m.wave = cs.CurrentWorkflow
		progress := fmt.Sprintf("%d of %d hosts done", cs.Counts.Done(), cs.Counts.Total)
		if cs.CurrentWorkflow != "" {
			var ws workflows.WaveStatus
			if v, err := m.t.Client.QueryWorkflow(qctx, cs.CurrentWorkflow, "", workflows.QueryStatus); err == nil && v.Get(&ws) == nil {
				progress += fmt.Sprintf(", %s: %d of %d done, %d in flight", shortWorkflow(cs.CurrentWorkflow, m.id), ws.Counts.Done(), ws.Counts.Total, len(ws.InFlight))
			}
		}
		if key := fmt.Sprintf("%s %s %d", cs.State, progress, events); key != m.key {
			m.key, m.lastProgress = key, time.Now()
		}
		m.progress = progress
		if cs.Paused || cs.State == domain.CyclePaused || cs.AwaitingApproval {
			// No operator will come: a benchmark cycle that waits for one
			// is stuck.
			return fmt.Errorf("%w: cycle %s is %s and waits for an operator: %s", errStalled, m.id, cs.State, cs.Reason)
		}
	}
	if time.Since(m.lastProgress) > m.s.StallAfter {
		return fmt.Errorf("%w: no host finished for %v (%s %s: %s)", errStalled, m.s.StallAfter, m.id, m.last.State, m.progress)
	}
	return nil
}

// stuckTask returns the workflow's history length, and fails when its
// pending workflow task has failed three times or more, quoting the last
// failure: a task that fails on every attempt never heals by itself (a
// payload over the limit, a nondeterminism error, a panic).
func stuckTask(ctx context.Context, t Target, id string) (int64, error) {
	d, err := t.Client.DescribeWorkflowExecution(ctx, id, "")
	if err != nil {
		return 0, nil
	}
	events := d.GetWorkflowExecutionInfo().GetHistoryLength()
	wt := d.GetPendingWorkflowTask()
	if wt == nil || wt.GetAttempt() < 3 {
		return events, nil
	}
	msg := "(no failure recorded)"
	resp, err := t.Client.WorkflowService().GetWorkflowExecutionHistoryReverse(ctx, &workflowservice.GetWorkflowExecutionHistoryReverseRequest{
		Namespace: t.Namespace, Execution: &commonpb.WorkflowExecution{WorkflowId: id}, MaximumPageSize: 100})
	if err == nil {
		for _, ev := range resp.GetHistory().GetEvents() {
			if a := ev.GetWorkflowTaskFailedEventAttributes(); a != nil {
				msg = fmt.Sprintf("%s: %s", a.GetCause(), a.GetFailure().GetMessage())
				break
			}
		}
	}
	return events, fmt.Errorf("%w: workflow %s: workflow task failing (attempt %d): %s; history %d events, %s",
		errStalled, id, wt.GetAttempt(), msg, d.GetWorkflowExecutionInfo().GetHistoryLength(), mib(d.GetWorkflowExecutionInfo().GetHistorySizeBytes()))
}

// querySizes measures the encoded answers of the cycle's status query and
// of a first page of its hosts query, as the server returns them.
func querySizes(ctx context.Context, t Target, id string) (status, hosts int) {
	q := func(typ string, arg any) int {
		req := &workflowservice.QueryWorkflowRequest{Namespace: t.Namespace, Execution: &commonpb.WorkflowExecution{WorkflowId: id},
			Query: &querypb.WorkflowQuery{QueryType: typ}}
		if arg != nil {
			p, err := converter.GetDefaultDataConverter().ToPayloads(arg)
			if err != nil {
				return 0
			}
			req.Query.QueryArgs = p
		}
		resp, err := t.Client.WorkflowService().QueryWorkflow(ctx, req)
		if err != nil {
			return 0
		}
		return resp.GetQueryResult().Size()
	}
	return q(workflows.QueryStatus, nil), q(workflows.QueryHosts, workflows.HostsQuery{Limit: 1000})
}

// rollbackSpan is the time from the first rollback wave's start to the
// last one's close.
func rollbackSpan(ctx context.Context, t Target, cycleID string) time.Duration {
	runs, err := t.Client.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{Namespace: t.Namespace, PageSize: 1000,
		Query: fmt.Sprintf("PatchCycle = %q AND WorkflowType = 'Wave'", cycleID)})
	if err != nil {
		return 0
	}
	var first, last time.Time
	for _, e := range runs.GetExecutions() {
		if kindOf(cycleID, "Wave", e.GetExecution().GetWorkflowId()) != KindRollback || e.GetStatus() == enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING {
			continue
		}
		s, c := e.GetStartTime().AsTime(), e.GetCloseTime().AsTime()
		if first.IsZero() || s.Before(first) {
			first = s
		}
		if c.After(last) {
			last = c
		}
	}
	if first.IsZero() {
		return 0
	}
	return last.Sub(first)
}
