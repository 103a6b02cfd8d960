package cli

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

// run executes the command tree like main does and returns the exit code
// and both streams.
func run(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	f := &Factory{IO: IOStreams{In: strings.NewReader(""), Out: &out, ErrOut: &errOut}, Version: "test"}
	code := Execute(f, args)
	return code, out.String(), errOut.String()
}

func TestExitCodes(t *testing.T) {
	tests := []struct {
		args    []string
		code    int
		errText string
	}{
		{[]string{"no-such-command"}, ExitUsage, `unknown command "no-such-command"`},
		{[]string{"version", "--no-such-flag"}, ExitUsage, "unknown flag: --no-such-flag"},
		{[]string{"dev", "--ephemeral", "--db", "x.db"}, ExitUsage, "--db and --ephemeral exclude each other"},
		{[]string{"worker", "--address", "127.0.0.1:1", "--metrics-address", ""}, ExitNoTemporal, "cannot reach Temporal at 127.0.0.1:1"},
	}
	for _, tt := range tests {
		code, _, errOut := run(t, tt.args...)
		if code != tt.code || !strings.Contains(errOut, tt.errText) {
			t.Errorf("patchflow %s: exit %d, stderr %q; want exit %d and %q", strings.Join(tt.args, " "), code, errOut, tt.code, tt.errText)
		}
	}
}

func TestUnreachableNamesHowToFix(t *testing.T) {
	_, _, errOut := run(t, "worker", "--address", "127.0.0.1:1", "--metrics-address", "")
	for _, want := range []string{"patchflow dev", "TEMPORAL_ADDRESS", "--address"} {
		if !strings.Contains(errOut, want) {
			t.Errorf("unreachable error %q does not mention %q", errOut, want)
		}
	}
}

func TestHelpDocumentsExitCodes(t *testing.T) {
	code, out, _ := run(t, "--help")
	if code != 0 || !strings.Contains(out, "4  cannot reach Temporal") || !strings.Contains(out, "3  the cycle finished with failed") {
		t.Fatalf("--help: exit %d, output lacks the exit codes:\n%s", code, out)
	}
}

func TestVersionJSON(t *testing.T) {
	code, out, _ := run(t, "version", "--json")
	var v VersionInfo
	if err := json.Unmarshal([]byte(out), &v); err != nil || code != 0 {
		t.Fatalf("version --json: exit %d, %v: %q", code, err, out)
	}
	if v.Version != "test" || !strings.HasPrefix(v.GoVersion, "go") {
		t.Fatalf("version --json = %+v", v)
	}
}

func TestCompletion(t *testing.T) {
	code, out, _ := run(t, "completion", "bash")
	if code != 0 || !strings.Contains(out, "__start_patchflow") {
		t.Fatalf("completion bash: exit %d, output does not define the completion function", code)
	}
}
