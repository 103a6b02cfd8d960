package cli

import (
	"context"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"

	"github.com/patchflow/patchflow/domain"
	"github.com/patchflow/patchflow/workflows"
)

// startDevProcess runs `patchflow dev` as its own process and waits until
// its frontend accepts connections.
func startDevProcess(t *testing.T, db string, port int) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(os.Args[0], "dev", "--db", db, "--port", strconv.Itoa(port),
		"--ui-port", "0", "--metrics-address", "127.0.0.1:0", "--no-worker")
	cmd.Env = append(os.Environ(), "PATCHFLOW_TEST_RUN_CLI=1")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	deadline := time.Now().Add(60 * time.Second)
	for {
		c, err := client.Dial(client.Options{HostPort: addr})
		if err == nil {
			_, err = c.CheckHealth(context.Background(), &client.CheckHealthRequest{})
			c.Close()
			if err == nil {
				return cmd
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("patchflow dev did not come up on %s: %v", addr, err)
		}
		waitABit()
	}
}

// TestDevSurvivesSIGKILL is the README's promise: kill -9 patchflow dev,
// start it again, and earlier workflow executions are still there.
func TestDevSurvivesSIGKILL(t *testing.T) {
	db := filepath.Join(t.TempDir(), "temporal.db")
	port := freeLocalPort(t)
	dev := startDevProcess(t, db, port)
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	c, err := client.Dial(client.Options{HostPort: addr})
	if err != nil {
		t.Fatal(err)
	}
	// With --no-worker nothing runs the cycle: it stays open, as a cycle
	// would be when the process dies mid-rollout.
	id := "cycle/kill-test/" + time.Now().UTC().Format(time.RFC3339)
	spec := domain.CycleSpec{Policy: "kill-test"}
	if _, err := c.ExecuteWorkflow(context.Background(), client.StartWorkflowOptions{ID: id, TaskQueue: workflows.TaskQueue},
		"PatchCycle", workflows.CycleInput{Spec: spec}); err != nil {
		t.Fatalf("start %s: %v", id, err)
	}
	c.Close()
	if err := dev.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = dev.Wait()

	startDevProcess(t, db, port)
	c, err = client.Dial(client.Options{HostPort: addr})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	desc, err := c.DescribeWorkflowExecution(context.Background(), id, "")
	if err != nil {
		t.Fatalf("after kill -9 and restart, %s is gone: %v", id, err)
	}
	if s := desc.WorkflowExecutionInfo.Status; s != enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING {
		t.Fatalf("after kill -9 and restart, %s is %v, want still running", id, s)
	}
}
