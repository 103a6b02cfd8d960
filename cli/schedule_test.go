package cli

import (
	"strings"
	"testing"
)

// Bad input is refused before anything reaches Temporal: the address
// below is never dialled (nothing listens on port 1).
func TestScheduleCreateRefusesBadPolicies(t *testing.T) {
	noWindow := writeCyclePolicy(t, "nowindow", "hosts.ini", "")
	for _, tc := range []struct {
		policy string
		want   []string
	}{
		{noWindow, []string{"policy nowindow has no window: add window.cron or window.calendar"}},
		{"../policies/testdata/window.bad.yaml", []string{"Mars/Olympus_Mons", "hour", "2026-02-30"}},
		{"../policies/testdata/window_short.bad.yaml", []string{"shorter than one host's worst case"}},
	} {
		for _, verb := range []string{"create", "update"} {
			code, out, errOut := run(t, "schedule", verb, "-p", tc.policy, "--address", "127.0.0.1:1")
			if code != ExitFailure || out != "" {
				t.Errorf("schedule %s %s: exit %d, stdout %q; want exit 1", verb, tc.policy, code, out)
			}
			for _, w := range tc.want {
				if !strings.Contains(errOut, w) {
					t.Errorf("schedule %s %s: error lacks %q:\n%s", verb, tc.policy, w, errOut)
				}
			}
		}
	}
	if code, _, errOut := run(t, "schedule", "create"); code != ExitUsage || !strings.Contains(errOut, "a policy is required") {
		t.Errorf("schedule create without -p: exit %d %q", code, errOut)
	}
	if code, _, errOut := run(t, "cycle", "extend-window", "cycle/x/y"); code != ExitUsage || !strings.Contains(errOut, "--duration") {
		t.Errorf("extend-window without --duration: exit %d %q", code, errOut)
	}
}
