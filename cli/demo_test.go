package cli

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/patchflow/patchflow/localfleet"
)

// TestDemo runs the README's first command (`patchflow demo`, here with
// --exit and a smaller fleet) and checks the story it tells: the good
// cycle completes on every host, the bad one fails in the canary and
// rolls it back, and the fleet is removed afterwards.
func TestDemo(t *testing.T) {
	localfleet.Require(t)
	var out, errOut bytes.Buffer
	opts := &DemoOptions{
		IO: IOStreams{In: strings.NewReader(""), Out: &out, ErrOut: &errOut}, Hosts: 4, Exit: true,
		IP: "127.0.0.1", Port: freeLocalPort(t), UIPort: freeLocalPort(t), MetricsAddress: "127.0.0.1:0",
		Subnet: 7, Context: context.Background(),
	}
	if err := demoRun(opts); err != nil {
		t.Fatalf("demo: %v\nstdout:\n%s\nstderr:\n%s", err, out.String(), errOut.String())
	}
	summary := out.String()
	t.Logf("demo output:\n%s", summary)
	for _, want := range []string{
		"cycle/demo-patch/", "completed  4",
		"cycle/demo-bad-patch/", "failed     0        0       1",
		"rolled_back  applying failed: PackageScriptFailed: host demo-h1: install demo-app=1.0.2",
		"See both cycles and every host in the Temporal UI: http://127.0.0.1:",
	} {
		if !strings.Contains(summary, want) {
			t.Errorf("demo output lacks %q", want)
		}
	}
	if !strings.Contains(errOut.String(), "fleet demo down") {
		t.Errorf("demo did not remove its fleet:\n%s", errOut.String())
	}
}
