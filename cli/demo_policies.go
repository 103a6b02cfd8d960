package cli

import (
	"fmt"
	"os"
	"path/filepath"
)

// demoPolicy is the first demo cycle: a real Debian security update and
// the good demo package, proven on a staging host, then a canary and two
// waves.
const demoPolicy = `# patchflow demo: security updates and demo-app 1.0.1 on the demo fleet.
apiVersion: patchflow/v1
kind: PatchPolicy
metadata:
  name: demo-patch
  description: staging, a canary, then two waves
targets:
  inventory: %s
  select: [group=fleet]
  staging:
    select: [group=staging]
patches:
  classifications: [security]
  approve: [demo-app=1.0.1]      # pin the good demo release next to the security fixes
rollout:
  max_parallel: 3
  waves:
    - {name: canary, count: 1, bake: 2s}
    - {name: half, percent: 50, bake: 2s}
    - {name: rest, percent: 100}
  failure_budget: {count: 1}
  on_budget_breach: rollback_wave
host:
  reboot: if_required
  timeouts: {precheck: 1m, apply: 5m, reboot: 2m, verify: 1m, hook: 1m}
checks:
  - name: dpkg-audit
    type: command
    command: [dpkg, --audit]
rollback:
  on_host_failure: true
  decision_timeout: 10s
  on_decision_timeout: skip
`

// demoBadPolicy is the second demo cycle: demo-app 1.0.2, whose postinst
// fails. Without staging it reaches the canary, fails there, and the
// canary is rolled back to its snapshot; the budget of zero stops the
// rollout before any other host is touched.
const demoBadPolicy = `# patchflow demo: a bad patch (demo-app 1.0.2's postinst fails).
apiVersion: patchflow/v1
kind: PatchPolicy
metadata:
  name: demo-bad-patch
  description: a bad package fails in the canary and is rolled back
targets:
  inventory: %s
  select: [group=fleet]
patches:
  classifications: [security]
  approve: [demo-app=1.0.2]
rollout:
  waves:
    - {name: canary, count: 1}
    - {name: rest, percent: 100, max_parallel: 3}
  failure_budget: {count: 0}
  on_budget_breach: rollback_all
host:
  timeouts: {precheck: 1m, apply: 5m, reboot: 2m, verify: 1m, hook: 1m}
rollback:
  on_host_failure: true
  decision_timeout: 10s
  on_decision_timeout: skip
`

// writeDemoPolicies writes both policies next to the demo fleet, so the
// user can read them and start them again with `patchflow cycle start`.
func writeDemoPolicies(dir, inventoryPath string) (good, bad string, err error) {
	good = filepath.Join(dir, "demo-patch.yaml")
	bad = filepath.Join(dir, "demo-bad-patch.yaml")
	for path, text := range map[string]string{good: demoPolicy, bad: demoBadPolicy} {
		if err := os.WriteFile(path, []byte(fmt.Sprintf(text, inventoryPath)), 0o644); err != nil {
			return "", "", fmt.Errorf("write demo policy %s: %w", path, err)
		}
	}
	return good, bad, nil
}
