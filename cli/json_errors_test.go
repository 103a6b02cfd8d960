package cli

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestJSONFailuresPrintNoJSON: a command that fails under --json prints
// nothing on stdout, so a script never parses half an answer; the error
// goes to stderr and the exit code says what happened (schemas/README.md).
func TestJSONFailuresPrintNoJSON(t *testing.T) {
	temporalServer(t)
	missing := filepath.Join(t.TempDir(), "missing.yaml")
	for _, tc := range []struct {
		args   []string
		code   int
		stderr string
	}{
		{[]string{"version", "--no-such-flag"}, ExitUsage, "unknown flag"},
		{[]string{"inventory", "list", "-i", missing}, ExitFailure, "missing.yaml"},
		{[]string{"inventory", "list", "-i", "../policies/examples/inventory/estate.yaml", "--select", "group=nowhere"}, ExitFailure, "nowhere"},
		{[]string{"policy", "explain", "../policies/testdata/waves.bad.yaml"}, ExitFailure, "waves.bad.yaml:"},
		{[]string{"cycle", "start", "-p", missing}, ExitFailure, "missing.yaml"},
		{[]string{"cycle", "status", "cycle/js-none/1999-01-01T00:00:00Z"}, ExitFailure, "cycle/js-none/1999-01-01T00:00:00Z"},
		{[]string{"cycle", "approve", "cycle/js-none/1999-01-01T00:00:00Z"}, ExitFailure, "cycle/js-none/1999-01-01T00:00:00Z"},
		{[]string{"host", "retry", "js-never-patched"}, ExitFailure, "no cycle has patched this host"},
		{[]string{"schedule", "describe", "js-none"}, ExitFailure, "no schedule for policy js-none"},
		{[]string{"schedule", "create", "-p", "../policies/testdata/minimal.good.yaml"}, ExitFailure, "has no window"},
	} {
		code, out, errOut := runOnServer(t, append(tc.args, "--json")...)
		if code != tc.code || out != "" || !strings.Contains(errOut, tc.stderr) {
			t.Errorf("patchflow %s --json: exit %d, want %d; stdout %q, want nothing; stderr %q, want %q",
				strings.Join(tc.args, " "), code, tc.code, out, errOut, tc.stderr)
		}
	}
}
