package policies

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/patchflow/patchflow/internal/yamldiag"
)

// badFiles lists every testdata/*.bad.yaml with the exact errors a user
// sees, in order (prometheus config_test.go style).
var badFiles = []struct {
	file string
	errs []string
}{
	{
		file: "testdata/approval.bad.yaml",
		errs: []string{
			`testdata/approval.bad.yaml:6:14: targets: inventory URL must be http:// or https:// with a host: scheme must be http or https, got "ftp://example.com/hosts"`,
			`testdata/approval.bad.yaml:9:12: approval: timeout applies to manual approval only, got it with mode auto`,
			`testdata/approval.bad.yaml:10:15: approval: on_timeout applies to manual approval only, got it with mode auto`,
			`testdata/approval.bad.yaml:12:21: rollback: decision_timeout must be at least 1s, got 0s`,
			`testdata/approval.bad.yaml:13:24: rollback: on_decision_timeout must be skip or abort, got "retry"`,
		},
	},
	{
		file: "testdata/vulns.bad.yaml",
		errs: []string{
			`testdata/vulns.bad.yaml:8:26: patches: cves[1]: "cve-24-1" is not a CVE id: want CVE-YYYY-NNNN (4 or more digits)`,
			`testdata/vulns.bad.yaml:8:36: patches: cves[2]: "CVE-2024-1\x1b[31m" is not a CVE id: want CVE-YYYY-NNNN (4 or more digits)`,
			`testdata/vulns.bad.yaml:9:13: patches: min_epss is a probability from 0 to 1, got 1.5`,
			`testdata/vulns.bad.yaml:12:15: approval: on_timeout proceed would roll out a plan nobody approved; approval by plan aborts on timeout, got proceed`,
			`testdata/vulns.bad.yaml:13:15: approval: risk_above is a risk score from 0 (off) to 100, got 101`,
			`testdata/vulns.bad.yaml:16:12: notifications.webhooks[0]: set only one of url, url_file and url_env`,
			`testdata/vulns.bad.yaml:18:15: notifications.webhooks[0]: format must be json or slack, got "teams"`,
			`testdata/vulns.bad.yaml:19:19: notifications.webhooks[0]: secret_env must be an environment variable name (letters, digits, _), got "not a name"`,
			`testdata/vulns.bad.yaml:20:16: notifications.webhooks[0]: timeout must be between 0 (default 10s) and 2m0s, got 5m0s`,
		},
	},
	{
		file: "testdata/calendar.bad.yaml",
		errs: []string{
			`testdata/calendar.bad.yaml:8:20: window: unknown day "funday"; use mon, tue, wed, thu, fri, sat, sun or a range such as mon-fri, got "mon,funday"`,
			`testdata/calendar.bad.yaml:10:11: window: jitter must be shorter than the window duration 2h, got 3h`,
		},
	},
	{
		file: "testdata/calendar_start.bad.yaml",
		errs: []string{
			`testdata/calendar_start.bad.yaml:8:38: window: start must be a 24-hour time HH:MM such as 02:00, got "25:00"`,
		},
	},
	{
		file: "testdata/checks.bad.yaml",
		errs: []string{
			`testdata/checks.bad.yaml:8:40: check "c1": command must name a program and its arguments, got an empty list`,
			`testdata/checks.bad.yaml:9:12: check "c1": name is used by checks[0] too; check names must be unique, got "c1"`,
			`testdata/checks.bad.yaml:9:33: check "c1": url must be an http:// or https:// URL ({host} is replaced by the host address): scheme must be http or https, got "ftp://x/"`,
			`testdata/checks.bad.yaml:9:60: check "c1": expect_status must be an HTTP status 100-599, got 700`,
			`testdata/checks.bad.yaml:10:5: checks[2]: name is required`,
			`testdata/checks.bad.yaml:10:26: checks[2]: address must be host:port with port 1-65535 ({host} is replaced by the host address), got "{host}"`,
			`testdata/checks.bad.yaml:11:5: check "p": prometheus must be the server's http(s) base URL, e.g. http://prometheus:9090: not a URL, got ""`,
			`testdata/checks.bad.yaml:11:5: check "p": a promql check needs threshold or before_after (or both), got neither`,
			`testdata/checks.bad.yaml:11:47: check "p": a promql check measures the fleet, so scope must be wave, got "host"`,
			`testdata/checks.bad.yaml:11:58: check "p": url applies to type http only, got it on type promql`,
			`testdata/checks.bad.yaml:12:88: check "q": threshold op must be one of < <= > >= == !=, got "=<"`,
			`testdata/checks.bad.yaml:12:119: check "q": before_after needs max_increase or max_increase_percent, got neither`,
			`testdata/checks.bad.yaml:13:12: check "bad name": name must be letters, digits, - _ . (at most 63), got "bad name"`,
			`testdata/checks.bad.yaml:13:30: check "bad name": type must be command, http, tcp or promql, got "smtp"`,
			`testdata/checks.bad.yaml:13:45: check "bad name": timeout must be at least 1s, got 0s`,
			`testdata/checks.bad.yaml:14:44: check "shell": command is one string with spaces; give an argv list such as [systemctl, stop, nginx] (no shell runs it), got "systemctl restart nginx"`,
			`testdata/checks.bad.yaml:14:79: check "shell": a command check runs on each host, so scope must be host, got wave`,
		},
	},
	{
		file: "testdata/cron_calendar.bad.yaml",
		errs: []string{
			`testdata/cron_calendar.bad.yaml:9:13: window: set cron or calendar, not both, got both`,
		},
	},
	{
		file: "testdata/cron_fields.bad.yaml",
		errs: []string{
			`testdata/cron_fields.bad.yaml:8:9: window: cron restricts both day-of-month (1) and day-of-week (mon); cron implementations disagree on what that means, restrict only one, got "0 2 1 * mon"`,
		},
	},
	{
		file: "testdata/duplicate_key.bad.yaml",
		errs: []string{
			`testdata/duplicate_key.bad.yaml:5:3: metadata: duplicate key "name" (first at 4:3)`,
			`testdata/duplicate_key.bad.yaml:10:1: policy: duplicate key "rollout" (first at 8:1)`,
		},
	},
	{
		file: "testdata/durations.bad.yaml",
		errs: []string{
			`testdata/durations.bad.yaml:8:12: patches: min_age: invalid duration "-1d": durations cannot be negative`,
			`testdata/durations.bad.yaml:11:12: approval: timeout: invalid duration "1y": unknown unit "y" (use ns, us, ms, s, m, h, d, w)`,
			`testdata/durations.bad.yaml:14:13: window: duration needs a unit (ns, us, ms, s, m, h, d, w), e.g. 1.5m, got 1.5`,
			`testdata/durations.bad.yaml:15:19: window: catchup_window: invalid duration "5 minutes": unknown unit " minutes" (use ns, us, ms, s, m, h, d, w)`,
			`testdata/durations.bad.yaml:17:13: sla: critical: invalid duration "99999999999999w": too long`,
		},
	},
	{
		file: "testdata/empty.bad.yaml",
		errs: []string{
			`testdata/empty.bad.yaml:1:1: policy: file is empty; expected a document starting with apiVersion: patchflow/v1 and kind: PatchPolicy`,
		},
	},
	{
		file: "testdata/kind.bad.yaml",
		errs: []string{
			`testdata/kind.bad.yaml:1:13: policy: apiVersion must be "patchflow/v1", got "patchflow/v2"`,
			`testdata/kind.bad.yaml:2:7: policy: kind must be "PatchPolicy", got "Inventory"`,
		},
	},
	{
		file: "testdata/list.bad.yaml",
		errs: []string{
			`testdata/list.bad.yaml:1:1: policy: document must be a mapping of fields (apiVersion, kind, metadata, ...), got a list`,
		},
	},
	{
		file: "testdata/malformed.bad.yaml",
		errs: []string{
			`testdata/malformed.bad.yaml:3:1: yaml: did not find expected ',' or ']'`,
		},
	},
	{
		file: "testdata/metadata.bad.yaml",
		errs: []string{
			`testdata/metadata.bad.yaml:4:9: metadata: name must be 1-63 characters of a-z, 0-9 and -, starting and ending alphanumeric, got "Web_Fleet"`,
			`testdata/metadata.bad.yaml:6:3: targets: inventory is required: a path relative to the policy file, or an http(s) URL`,
			`testdata/metadata.bad.yaml:6:12: targets: select[0]: "group=" is not key=value (e.g. group=web or env=prod)`,
			`testdata/metadata.bad.yaml:6:22: targets: select[1]: "env" is not key=value (e.g. group=web or env=prod)`,
		},
	},
	{
		file: "testdata/multidoc.bad.yaml",
		errs: []string{
			`testdata/multidoc.bad.yaml:5:1: policy: file holds more than one YAML document; put one policy per file`,
		},
	},
	{
		file: "testdata/nested.bad.yaml",
		errs: []string{
			`testdata/nested.bad.yaml:12:17: check "p95": unknown field "threshold.operator" (known fields: op, value)`,
			`testdata/nested.bad.yaml:12:39: check "p95": threshold.value must be a finite number, got "high"`,
			`testdata/nested.bad.yaml:13:20: check "p95": unknown field "before_after.max_increse" (did you mean "max_increase"?)`,
		},
	},
	{
		file: "testdata/no_schedule.bad.yaml",
		errs: []string{
			`testdata/no_schedule.bad.yaml:8:13: window: duration needs a schedule: add cron or calendar, got duration without one`,
		},
	},
	{
		file: "testdata/null.bad.yaml",
		errs: []string{
			`testdata/null.bad.yaml:7:10: policy: approval has no value; remove the key to use the default, or give a value`,
			`testdata/null.bad.yaml:10:6: rollout: waves[0] has no value; remove the key to use the default, or give a value`,
		},
	},
	{
		file: "testdata/packages.bad.yaml",
		errs: []string{
			`testdata/packages.bad.yaml:8:31: patches: classifications[1] must be security, critical, bugfix or feature, got "cosmetic"`,
			`testdata/packages.bad.yaml:8:41: patches: classification "security" is listed twice`,
			`testdata/packages.bad.yaml:9:17: patches: min_severity must be critical, high, medium or low, got "severe"`,
			`testdata/packages.bad.yaml:10:21: patches: unknown_severity must be include, exclude or as:<critical|high|medium|low>, got "as:urgent"`,
			`testdata/packages.bad.yaml:11:25: patches: include[1]: "lib[ssl" is not a valid glob (unbalanced [ ], or / or \)`,
			`testdata/packages.bad.yaml:11:36: patches: include[2]: "nginx/*" is not a valid glob (unbalanced [ ], or / or \)`,
			`testdata/packages.bad.yaml:11:47: patches: include[3]: "my package" contains ' ', which no package name has`,
			`testdata/packages.bad.yaml:12:13: patches: exclude[0]: empty package glob`,
			`testdata/packages.bad.yaml:13:19: patches: approve[1]: "-bad" is not a Debian or RPM package name (letters, digits, - . _ +, starting alphanumeric); use name or name=version`,
			`testdata/packages.bad.yaml:13:27: patches: approve[2]: "" is not a package version ([epoch:]version[-release], letters, digits, . + ~ - _); use name or name=version`,
			`testdata/packages.bad.yaml:13:36: patches: approve[3]: ":5.2" is not a package version ([epoch:]version[-release], letters, digits, . + ~ - _); use name or name=version`,
			`testdata/packages.bad.yaml:14:12: patches: "curl" is both approved (approve[0]) and rejected, got "curl"`,
			`testdata/packages.bad.yaml:14:18: patches: reject[1]: "1.24 beta" is not a package version ([epoch:]version[-release], letters, digits, . + ~ - _); use name or name=version`,
			`testdata/packages.bad.yaml:15:62: patches: interactive[1]: "SUSE-SLE-*" is a glob; list exact patch names (SUSE-SLE-...-2024-1234) or package names`,
			`testdata/packages.bad.yaml:15:76: patches: interactive[2]: "kernel default" is not a zypper patch or RPM package name (letters, digits, - . _ +, not starting with - or .)`,
			`testdata/packages.bad.yaml:15:107: patches: interactive[4]: "patch:x" is not a zypper patch or RPM package name (letters, digits, - . _ +, not starting with - or .)`,
			`testdata/packages.bad.yaml:15:118: patches: interactive[5]: "demo-kernel" is listed twice (interactive[3])`,
		},
	},
	{
		file: "testdata/sla_hooks.bad.yaml",
		errs: []string{
			`testdata/sla_hooks.bad.yaml:9:7: host: pre_hooks[0] must name a program and its arguments, got an empty list`,
			`testdata/sla_hooks.bad.yaml:10:8: host: pre_hooks[1] is one string with spaces; give an argv list such as [systemctl, stop, nginx] (no shell runs it), got "systemctl stop nginx"`,
			`testdata/sla_hooks.bad.yaml:11:8: host: pre_hooks[2]: the program name is empty`,
			`testdata/sla_hooks.bad.yaml:12:11: host: reboot must be if_required, always or never, got "sometimes"`,
			`testdata/sla_hooks.bad.yaml:13:22: host.timeouts: verify must be at least 1s, got 0s`,
			`testdata/sla_hooks.bad.yaml:15:13: sla: critical must not be longer than high (3d), got 1w`,
			`testdata/sla_hooks.bad.yaml:16:9: sla: high must not be longer than low (1d), got 3d`,
			`testdata/sla_hooks.bad.yaml:20:12: notifications.webhooks[0]: url must be an http:// or https:// URL with a host, got "mailto:sre@example.com"`,
			`testdata/sla_hooks.bad.yaml:21:32: notifications.webhooks[0]: event pattern "party" matches no event; events are cycle.started, cycle.approval_needed, cycle.approved, cycle.paused, cycle.resumed, wave.started, host.failed, host.rolled_back, wave.finished, budget.breached, sla.breached, cycle.finished, cycle.failed, cycle.aborted`,
			`testdata/sla_hooks.bad.yaml:21:39: notifications.webhooks[0]: event "cycle.finished" is listed twice`,
		},
	},
	{
		file: "testdata/staging.bad.yaml",
		errs: []string{
			`testdata/staging.bad.yaml:10:19: targets.staging: host "a" is listed twice (also hosts[0])`,
			`testdata/staging.bad.yaml:10:22: targets.staging: hosts[3] must be an inventory host name, got "c d"`,
			`testdata/staging.bad.yaml:11:12: targets.staging: count must be from 0 to 1000000, got -1`,
		},
	},
	{
		file: "testdata/staging_count.bad.yaml",
		errs: []string{
			`testdata/staging_count.bad.yaml:9:13: targets.staging: select equals targets.select, so staging would be every target host and the waves empty; narrow it or set count, got "group=web"`,
		},
	},
	{
		file: "testdata/tabs.bad.yaml",
		errs: []string{
			`testdata/tabs.bad.yaml:4:1: yaml: tab character in indentation; YAML indents with spaces only`,
		},
	},
	{
		file: "testdata/types.bad.yaml",
		errs: []string{
			`testdata/types.bad.yaml:5:11: metadata: labels must be a mapping, got a list`,
			`testdata/types.bad.yaml:8:11: targets: select must be a list, got "group=web"`,
			`testdata/types.bad.yaml:11:24: wave "a": count must be an integer, got "two"`,
			`testdata/types.bad.yaml:12:26: wave "b": percent must be a finite number, got "ten"`,
			`testdata/types.bad.yaml:13:17: rollout: max_parallel must be an integer, got "1.5"`,
			`testdata/types.bad.yaml:16:7: host: pre_hooks[0] must be a list (an argv list such as [systemctl, stop, nginx], not a shell string), got "systemctl stop nginx"`,
			`testdata/types.bad.yaml:17:11: host: reboot must be a single value, got a list`,
			`testdata/types.bad.yaml:19:12: host.timeouts: apply needs a unit (ns, us, ms, s, m, h, d, w), e.g. 30m, got 30`,
			`testdata/types.bad.yaml:20:13: host.timeouts: verify: invalid duration "soon": expected a number at "soon" (units ns, us, ms, s, m, h, d, w)`,
			`testdata/types.bad.yaml:22:20: rollback: on_host_failure must be true or false, got "yes"`,
			`testdata/types.bad.yaml:24:13: window: calendar must be a mapping of fields, got "daily"`,
		},
	},
	{
		file: "testdata/unknown_key.bad.yaml",
		errs: []string{
			`testdata/unknown_key.bad.yaml:7:1: policy: unknown field "windw" (did you mean "window"?)`,
			`testdata/unknown_key.bad.yaml:10:3: rollout: unknown field "max_paralel" (did you mean "max_parallel"?)`,
			`testdata/unknown_key.bad.yaml:12:27: wave "a": unknown field "maxParallel" (did you mean "max_parallel"?)`,
			`testdata/unknown_key.bad.yaml:14:3: window: unknown field "timeZone" (did you mean "timezone"?)`,
			`testdata/unknown_key.bad.yaml:16:3: host: unknown field "frobnicate" (known fields: post_hooks, pre_hooks, reboot, timeouts)`,
		},
	},
	{
		file: "testdata/waves.bad.yaml",
		errs: []string{
			`testdata/waves.bad.yaml:8:17: rollout: max_parallel must be from 1 to 1000, got 0`,
			`testdata/waves.bad.yaml:11:29: wave "shrink": count is smaller than the previous wave's 5; waves should grow, got 2`,
			`testdata/waves.bad.yaml:12:27: wave "zero": count must be from 1 to 1000000, got 0`,
			`testdata/waves.bad.yaml:13:28: wave "big": percent must be > 0 and <= 100, got 150`,
			`testdata/waves.bad.yaml:14:7: wave "both": set count or percent, not both, got count 1 and percent 10`,
			`testdata/waves.bad.yaml:15:7: wave "neither": needs count or percent (its size), got neither`,
			`testdata/waves.bad.yaml:15:37: wave "neither": max_parallel must be from 1 to 1000, got 0`,
			`testdata/waves.bad.yaml:17:28: wave "p20": percent is smaller than the previous wave's 50; waves should grow, got 20`,
			`testdata/waves.bad.yaml:18:14: wave "canary": name is used by waves[0] too; wave names must be unique, got "canary"`,
			`testdata/waves.bad.yaml:19:27: rollout.failure_budget: count must be from 0 to 1000000, got -1`,
			`testdata/waves.bad.yaml:19:40: rollout.failure_budget: percent must be between 0 and 100, got 120`,
			`testdata/waves.bad.yaml:20:21: rollout: on_budget_breach must be pause, rollback_wave or rollback_all, got "explode"`,
		},
	},
	{
		file: "testdata/window.bad.yaml",
		errs: []string{
			`testdata/window.bad.yaml:8:9: window: cron hour field: 25 is out of range 0-23, got "0 25 * * *"`,
			`testdata/window.bad.yaml:10:13: window: timezone must be an IANA zone such as Europe/Berlin or UTC, got "Mars/Olympus_Mons"`,
			`testdata/window.bad.yaml:11:20: window: blackout_dates[0] must be a date YYYY-MM-DD, got "2026-02-30"`,
			`testdata/window.bad.yaml:11:48: window: blackout date 2026-12-24 is listed twice (also blackout_dates[1])`,
		},
	},
	{
		file: "testdata/window_misc.bad.yaml",
		errs: []string{
			`testdata/window_misc.bad.yaml:8:9: window: cron day-of-month 31 never occurs in month 2, got "0 0 31 2 *"`,
		},
	},
	{
		file: "testdata/window_short.bad.yaml",
		errs: []string{
			`testdata/window_short.bad.yaml:9:13: window: duration (after jitter 15m) is shorter than one host's worst case 1h5m (precheck 5m + apply 30m + verify 10m + reboot 15m + 1 hooks x 5m), got 1h`,
		},
	},
}

func TestBadFiles(t *testing.T) {
	listed := map[string]bool{}
	for _, tc := range badFiles {
		listed[tc.file] = true
		t.Run(filepath.Base(tc.file), func(t *testing.T) {
			p, err := Load(tc.file)
			if err == nil {
				t.Fatalf("Load(%s) succeeded, want errors:\n%s", tc.file, strings.Join(tc.errs, "\n"))
			}
			if p != nil {
				t.Errorf("Load(%s) returned a policy along with errors", tc.file)
			}
			var errs yamldiag.Errors
			if !errors.As(err, &errs) {
				t.Fatalf("Load(%s) error is %T, want yamldiag.Errors", tc.file, err)
			}
			got := strings.Split(err.Error(), "\n")
			if strings.Join(got, "\n") != strings.Join(tc.errs, "\n") {
				t.Errorf("Load(%s) errors:\n%s\nwant:\n%s", tc.file, err, strings.Join(tc.errs, "\n"))
			}
			if len(errs) != len(tc.errs) {
				t.Errorf("Load(%s) returned %d errors, want %d", tc.file, len(errs), len(tc.errs))
			}
		})
	}
	// Every bad file must be in the table, so none goes unchecked.
	files, _ := filepath.Glob("testdata/*.bad.yaml")
	for _, f := range files {
		if !listed[f] {
			t.Errorf("%s has no entry in badFiles", f)
		}
	}
}

func TestGoodFiles(t *testing.T) {
	files, _ := filepath.Glob("testdata/*.good.yaml")
	if len(files) < 3 {
		t.Fatalf("found %d good files in testdata, want at least 3", len(files))
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			p, err := Load(f)
			if err != nil {
				t.Fatalf("Load(%s):\n%v", f, err)
			}
			if p.Source != f {
				t.Errorf("Source = %q, want %q", p.Source, f)
			}
		})
	}
}

func TestLoadMissingFile(t *testing.T) {
	_, err := Load("testdata/does-not-exist.yaml")
	want := "testdata/does-not-exist.yaml: cannot read policy: open: no such file or directory"
	if err == nil || err.Error() != want {
		t.Fatalf("Load(missing) error = %v, want %q", err, want)
	}
	_, err = Load("testdata")
	if err == nil || !strings.Contains(err.Error(), "is a directory") {
		t.Fatalf("Load(directory) error = %v, want one saying it is a directory", err)
	}
}

func TestLoadTooBig(t *testing.T) {
	path := filepath.Join(t.TempDir(), "huge.yaml")
	// 50 MB of valid-looking YAML: refused by size before it is parsed.
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	line := []byte("# " + strings.Repeat("x", 97) + "\n")
	for i := 0; i < 50<<20/len(line); i++ {
		f.Write(line)
	}
	f.Close()
	_, err = Load(path)
	want := path + ": policy: file is larger than the 1024 KiB limit for policies, got 52428800 bytes"
	if err == nil || err.Error() != want {
		t.Fatalf("Load(50 MB) error = %v, want %q", err, want)
	}
	_, err = Parse("mem.yaml", make([]byte, MaxFileSize+1))
	if err == nil || !strings.Contains(err.Error(), "mem.yaml: policy: file is larger than the 1024 KiB limit") {
		t.Fatalf("Parse(1 MiB + 1) error = %v", err)
	}
}
