package bench

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/patchflow/patchflow/activities"
	"github.com/patchflow/patchflow/domain"
	"github.com/patchflow/patchflow/inventory"
	"github.com/patchflow/patchflow/localfleet"
	"github.com/patchflow/patchflow/pkgmgr"
	"github.com/patchflow/patchflow/transport"
	"github.com/patchflow/patchflow/workflows"
)

// The task every tool does on every host: refresh the index, install the
// pinned version, check the installed version.
const (
	comparePackage = "demo-app"
	compareFrom    = "1.0.0"
	compareTo      = "1.0.1"
)

// Tool names in the comparison table.
const (
	ToolGoLoop            = "go ssh loop (transport.Pool + pkgmgr)"
	ToolPatchflow         = "patchflow cycle"
	ToolAnsible           = "ansible-playbook (apt module)"
	ToolAnsiblePipelining = "ansible-playbook (apt module, pipelining)"
)

// CompareRun is one tool's run over the fleet.
type CompareRun struct {
	Tool  string
	Hosts int
	Forks int
	Wall  time.Duration
	// Scan is, for patchflow, the cycle's fleet-wide scan phase within
	// Wall (first scan activity start to last completion).
	Scan time.Duration
}

// HostsPerSec is hosts / wall time.
func (r CompareRun) HostsPerSec() float64 { return float64(r.Hosts) / r.Wall.Seconds() }

// Tools lists the tools Compare runs, the Ansible ones only when
// ansible-playbook is on PATH.
func Tools() []string {
	tools := []string{ToolGoLoop, ToolPatchflow}
	if _, err := exec.LookPath("ansible-playbook"); err == nil {
		tools = append(tools, ToolAnsible, ToolAnsiblePipelining)
	}
	return tools
}

// Compare runs each tool rounds times over the fleet, forks hosts at once,
// interleaving tools round by round so machine load drifts hit all alike,
// and resetting every host to demo-app 1.0.0 before each run.
func Compare(ctx context.Context, st *Stack, f *localfleet.Fleet, tools []string, forks, rounds int, logf func(string, ...any)) ([]CompareRun, error) {
	var runs []CompareRun
	for r := 0; r < rounds; r++ {
		for _, tool := range tools {
			if err := ResetFleet(ctx, f, forks); err != nil {
				return runs, err
			}
			var wall, scan time.Duration
			var err error
			switch tool {
			case ToolGoLoop:
				wall, err = runGoLoop(ctx, f, forks)
			case ToolPatchflow:
				wall, scan, err = runPatchflow(ctx, st, f, forks, fmt.Sprintf("cmp%d", r))
			case ToolAnsible:
				wall, err = runAnsible(ctx, f, forks, false)
			case ToolAnsiblePipelining:
				wall, err = runAnsible(ctx, f, forks, true)
			default:
				err = fmt.Errorf("unknown tool %q", tool)
			}
			if err != nil {
				return runs, fmt.Errorf("%s, round %d: %w", tool, r+1, err)
			}
			if err := checkFleet(ctx, f, compareTo, forks); err != nil {
				return runs, fmt.Errorf("%s, round %d: %w", tool, r+1, err)
			}
			logf("compare: round %d %s: %v", r+1, tool, wall.Round(time.Millisecond))
			runs = append(runs, CompareRun{Tool: tool, Hosts: len(f.Hosts), Forks: forks, Wall: wall, Scan: scan})
		}
	}
	return runs, nil
}

// ResetFleet downgrades demo-app to 1.0.0 on every host (through the
// fleet's own exec, not ssh) so each tool's run does the same work.
func ResetFleet(ctx context.Context, f *localfleet.Fleet, parallel int) error {
	return eachHost(f, parallel, func(h string) error {
		_, err := f.Exec(ctx, h, "env", "DEBIAN_FRONTEND=noninteractive", "apt-get", "install", "-y", "-q",
			"--allow-downgrades", comparePackage+"="+compareFrom)
		return err
	})
}

// checkFleet confirms from dpkg itself that every host has want.
func checkFleet(ctx context.Context, f *localfleet.Fleet, want string, parallel int) error {
	return eachHost(f, parallel, func(h string) error {
		out, err := f.Exec(ctx, h, "dpkg-query", "-W", "-f=${Version}", comparePackage)
		if err != nil {
			return err
		}
		if got := strings.TrimSpace(string(out)); got != want {
			return fmt.Errorf("host %s: %s is %s after the run, want %s", h, comparePackage, got, want)
		}
		return nil
	})
}

// eachHost runs fn for every fleet host, parallel at once, and joins the
// errors.
func eachHost(f *localfleet.Fleet, parallel int, fn func(host string) error) error {
	sem := make(chan struct{}, max(parallel, 1))
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		errs []string
	)
	for _, h := range f.Hosts {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			if err := fn(h.Name); err != nil {
				mu.Lock()
				errs = append(errs, err.Error())
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if len(errs) > 0 {
		return fmt.Errorf("%d of %d hosts failed: %s", len(errs), len(f.Hosts), strings.Join(errs, "; "))
	}
	return nil
}

func newSSHPool() *transport.Pool {
	return transport.NewPool(transport.NewSSHDialer(transport.WithSSHConfigFile(""), transport.WithAgentSocket("")))
}

// runGoLoop is the floor: forks goroutines, each over an SSH connection
// from transport.Pool, running the apt driver's Refresh, Install and
// Installed, with nothing durable around them.
func runGoLoop(ctx context.Context, f *localfleet.Fleet, forks int) (time.Duration, error) {
	inv, err := inventory.Load(f.InventoryPath)
	if err != nil {
		return 0, fmt.Errorf("load fleet inventory %s: %w", f.InventoryPath, err)
	}
	pool := newSSHPool()
	defer pool.Close()
	start := time.Now()
	err = eachHost(f, forks, func(name string) error {
		h, ok := inv.Lookup(name)
		if !ok {
			return fmt.Errorf("host %s not in %s", name, f.InventoryPath)
		}
		c, err := pool.Get(ctx, h)
		if err != nil {
			return err
		}
		m := pkgmgr.NewApt(c, h.Become)
		if err := m.Refresh(ctx); err != nil {
			return err
		}
		if err := m.Install(ctx, []pkgmgr.Pin{{Name: comparePackage, Version: compareTo}}); err != nil {
			return err
		}
		got, err := m.Installed(ctx, []string{comparePackage})
		if err != nil {
			return err
		}
		if got[comparePackage] != compareTo {
			return fmt.Errorf("host %s: %s is %q, want %s", name, comparePackage, got[comparePackage], compareTo)
		}
		return nil
	})
	return time.Since(start), err
}

// CompareSpec is patchflow's side of the comparison: one wave of every
// host, forks at once, no staging, no bake, no checks.
func CompareSpec(policy string, f *localfleet.Fleet, forks int) domain.CycleSpec {
	return domain.CycleSpec{
		Policy:         policy,
		Inventory:      domain.InventorySpec{Source: f.InventoryPath, Select: []string{"group=fleet"}},
		Patches:        domain.PatchRules{Include: []string{comparePackage}, Approve: []string{comparePackage + "=" + compareTo}},
		Approval:       domain.ApprovalSpec{Mode: "auto"},
		Waves:          []domain.Wave{{Name: "all", Percent: 100, MaxParallel: forks}},
		OnBudgetBreach: domain.BreachPause,
		ScanParallel:   forks,
		Host:           domain.HostSteps{Reboot: "never", DecisionTimeout: time.Minute, CommandTimeout: 2 * time.Minute},
	}
}

// runPatchflow runs CompareSpec on the embedded server with a fresh
// in-process worker (cold SSH connections, as the other tools start), and
// returns its wall time and the part of it its scan phase took.
func runPatchflow(ctx context.Context, st *Stack, f *localfleet.Fleet, forks int, policy string) (wall, scan time.Duration, err error) {
	pool := newSSHPool()
	defer pool.Close()
	stop, err := st.StartWorker(activities.Deps{Pool: pool, Client: st.Client, Logger: discardSlog()})
	if err != nil {
		return 0, 0, err
	}
	defer stop()
	run, err := RunCycle(ctx, st.Client, CompareSpec(policy, f, forks))
	if err != nil {
		return run.Wall, 0, err
	}
	spans, err := activitySpans(ctx, st.Client, run.ID)
	return run.Wall, spans[workflows.ActScanHosts], err
}

// ansiblePlaybook is the same task for Ansible: refresh and install the
// pinned version with the apt module, then check the version.
const ansiblePlaybook = `- hosts: fleet
  gather_facts: false
  tasks:
    - name: install the pinned version
      ansible.builtin.apt:
        name: demo-app=1.0.1
        update_cache: true
        allow_downgrade: true
    - name: check the installed version
      ansible.builtin.command: dpkg-query -W -f=${Version} demo-app
      register: installed
      changed_when: false
      failed_when: installed.stdout != "1.0.1"
`

// runAnsible runs the playbook with forks forks over the fleet's INI
// inventory, with a fresh SSH control directory so it starts cold.
func runAnsible(ctx context.Context, f *localfleet.Fleet, forks int, pipelining bool) (time.Duration, error) {
	dir, err := os.MkdirTemp("", "patchbench-ansible-")
	if err != nil {
		return 0, fmt.Errorf("ansible work dir: %w", err)
	}
	defer os.RemoveAll(dir)
	book := filepath.Join(dir, "patch.yml")
	if err := os.WriteFile(book, []byte(ansiblePlaybook), 0o644); err != nil {
		return 0, fmt.Errorf("write playbook: %w", err)
	}
	cmd := exec.CommandContext(ctx, "ansible-playbook", "-i", f.AnsibleInventoryPath, "-f", fmt.Sprint(forks), book)
	cmd.Env = append(os.Environ(),
		"ANSIBLE_SSH_CONTROL_PATH_DIR="+filepath.Join(dir, "cp"),
		"ANSIBLE_LOCAL_TEMP="+filepath.Join(dir, "tmp"),
		"ANSIBLE_NOCOLOR=1", "ANSIBLE_RETRY_FILES_ENABLED=0",
		fmt.Sprintf("ANSIBLE_PIPELINING=%t", pipelining))
	start := time.Now()
	out, err := cmd.CombinedOutput()
	wall := time.Since(start)
	if err != nil {
		return wall, fmt.Errorf("ansible-playbook %s on %s: %w\n%s", book, f.AnsibleInventoryPath, err, tailLines(string(out), 15))
	}
	return wall, nil
}

func tailLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
