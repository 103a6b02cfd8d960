package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/operatorservice/v1"
	"go.temporal.io/sdk/client"
	sdklog "go.temporal.io/sdk/log"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/server/temporaltest"

	"github.com/patchflow/patchflow/domain"
	"github.com/patchflow/patchflow/workflows"
)

// testTemporal is this package's one in-process Temporal server (the real
// server, go.temporal.io/server/temporaltest, in memory), with a worker
// that runs the real workflows on the fake fleet. The first test that
// needs it starts it; it lives until the test binary exits (a server
// linked into a test binary costs seconds of linking, so there is one per
// package, and stopping it at exit would gain nothing).
var testTemporal struct {
	once  sync.Once
	ts    *temporaltest.TestServer
	fleet *fakeFleet
}

// temporalServer returns the package's server and fake fleet.
func temporalServer(t *testing.T) (*temporaltest.TestServer, *fakeFleet) {
	t.Helper()
	testTemporal.once.Do(func() {
		ts := temporaltest.NewServer(temporaltest.WithBaseClientOptions(client.Options{Logger: quietSDKLogger()}))
		c := ts.GetDefaultClient()
		attrs := map[string]enumspb.IndexedValueType{}
		for _, name := range workflows.SearchAttributes {
			attrs[name] = enumspb.INDEXED_VALUE_TYPE_KEYWORD
		}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if _, err := c.OperatorService().AddSearchAttributes(ctx, &operatorservice.AddSearchAttributesRequest{
			SearchAttributes: attrs, Namespace: ts.GetDefaultNamespace(),
		}); err != nil {
			panic(fmt.Sprintf("register search attributes on the test server: %v", err))
		}
		fleet := newFakeFleet()
		ts.NewWorker(workflows.TaskQueue, func(r worker.Registry) { fleet.register(r, c) })
		testTemporal.ts, testTemporal.fleet = ts, fleet
	})
	if testTemporal.ts == nil {
		t.Fatal("the test Temporal server did not start")
	}
	return testTemporal.ts, testTemporal.fleet
}

// runOnServer executes the command tree like main does, every Temporal
// client coming from the package's test server, and returns the exit code
// and both streams.
func runOnServer(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	ts, _ := temporalServer(t)
	var out, errOut bytes.Buffer
	f := &Factory{IO: IOStreams{In: strings.NewReader(""), Out: &out, ErrOut: &errOut}, Version: "test",
		TemporalClient: func(context.Context) (client.Client, error) {
			// A client on the server's connection: the verb closes it,
			// the connection stays.
			return client.NewClientFromExisting(ts.GetDefaultClient(), client.Options{Namespace: ts.GetDefaultNamespace()})
		}}
	code := Execute(f, args)
	return code, out.String(), errOut.String()
}

// writeFleetPolicy writes an inventory of hosts (group fleet) and a policy
// named name over it; extra is appended to the policy.
func writeFleetPolicy(t *testing.T, name string, hosts []string, extra string) string {
	t.Helper()
	dir := t.TempDir()
	inv := "[fleet]\n" + strings.Join(hosts, "\n") + "\n"
	if err := os.WriteFile(filepath.Join(dir, "hosts.ini"), []byte(inv), 0o600); err != nil {
		t.Fatal(err)
	}
	policy := fmt.Sprintf("apiVersion: patchflow/v1\nkind: PatchPolicy\nmetadata: {name: %s}\ntargets: {inventory: hosts.ini, select: [group=fleet]}\n%s", name, extra)
	path := filepath.Join(dir, name+".yaml")
	if err := os.WriteFile(path, []byte(policy), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// startOnServer starts a cycle of the policy without waiting and returns
// its ID.
func startOnServer(t *testing.T, policy string) string {
	t.Helper()
	code, out, errOut := runOnServer(t, "cycle", "start", "-p", policy, "--json")
	var started struct {
		CycleID string `json:"cycle_id"`
	}
	if code != ExitOK || json.Unmarshal([]byte(out), &started) != nil || started.CycleID == "" {
		t.Fatalf("cycle start -p %s --json: exit %d\n%s%s", policy, code, out, errOut)
	}
	return started.CycleID
}

// jsonOnServer runs a command with --json on the test server and decodes
// what it prints.
func jsonOnServer[T any](t *testing.T, args ...string) T {
	t.Helper()
	code, out, errOut := runOnServer(t, append(args, "--json")...)
	var v T
	if code != ExitOK || json.Unmarshal([]byte(out), &v) != nil {
		t.Fatalf("%s --json: exit %d\n%s%s", strings.Join(args, " "), code, out, errOut)
	}
	return v
}

// statusOnServer is `cycle status ID --json`.
func statusOnServer(t *testing.T, id string) workflows.CycleStatus {
	t.Helper()
	return jsonOnServer[workflows.CycleStatus](t, "cycle", "status", id)
}

// awaitStatus polls `cycle status` until ok holds; the cycle runs in the
// server, so polling is how a user waits for it too.
func awaitStatus(t *testing.T, id, what string, ok func(workflows.CycleStatus) bool) workflows.CycleStatus {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		st := statusOnServer(t, id)
		if ok(st) {
			return st
		}
		if time.Now().After(deadline) {
			t.Fatalf("cycle %s: %s did not happen within 60s: state %s (%s), counts %+v", id, what, st.State, st.Reason, st.Counts)
		}
		waitABit()
	}
}

// awaitState waits for a cycle state.
func awaitState(t *testing.T, id string, state domain.CycleState) workflows.CycleStatus {
	t.Helper()
	return awaitStatus(t, id, "state "+string(state), func(st workflows.CycleStatus) bool { return st.State == state })
}

// hostState is a host's state in a cycle's status, "" when not listed.
func hostState(st workflows.CycleStatus, host string) domain.HostState {
	for _, h := range st.Hosts {
		if h.Host == host {
			return h.State
		}
	}
	return ""
}

// quietSDKLogger drops the SDK's own logging: tests assert what a user sees.
func quietSDKLogger() sdklog.Logger {
	return sdklog.NewStructuredLogger(slog.New(slog.DiscardHandler))
}
