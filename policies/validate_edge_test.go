package policies

import (
	"strings"
	"testing"
	"time"
)

// Loose validation found by review: each value below was accepted.
func TestLooseValuesRefused(t *testing.T) {
	old := windowNow
	windowNow = func() time.Time { return time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC) }
	defer func() { windowNow = old }()
	var blackouts []string
	for y := 2026; y <= 2040; y++ {
		blackouts = append(blackouts, `"`+time.Date(y, 1, 1, 0, 0, 0, 0, time.UTC).Format(time.DateOnly)+`"`)
	}
	for name, tc := range map[string]struct{ body, want string }{
		"http port":       {"checks: [{name: h, type: http, url: \"http://{host}:99999/health\"}]\n", `t.yaml:5:37: check "h": url must be an http:// or https:// URL ({host} is replaced by the host address): port must be 1-65535, got 99999, got "http://{host}:99999/health"`},
		"prometheus port": {"checks: [{name: p, type: promql, prometheus: \"http://prom:0\", query: up, threshold: {op: <, value: 1}}]\n", `t.yaml:5:46: check "p": prometheus must be the server's http(s) base URL, e.g. http://prometheus:9090: port must be 1-65535, got 0, got "http://prom:0"`},
		"webhook port":    {"notifications: {webhooks: [{url: \"https://hooks:70000/x\"}]}\n", `t.yaml:5:34: notifications.webhooks[0]: url port must be 1-65535, got "70000"`},
		"inventory port":  {"", ""},
		"promql brace":    {"checks: [{name: p, type: promql, prometheus: \"http://prom:9090\", query: \"up{\", threshold: {op: <, value: 1}}]\n", `t.yaml:5:73: check "p": query is not valid PromQL: '{' at column 3 is never closed, got "up{"`},
		"window period":   {"window: {cron: \"0 2 * * *\", duration: 25h}\n", `t.yaml:5:39: window: duration is longer than the 1d between two window starts (0 2 * * *), so windows would overlap: shorten it or start windows less often, got 25h`},
		"calendar period": {"window: {calendar: {days: [sat, sun], start: \"01:00\"}, duration: 30h}\n", `t.yaml:5:66: window: duration is longer than the 1d between two window starts (0 1 * * 0,6), so windows would overlap: shorten it or start windows less often, got 30h`},
		"never opens":     {"window: {cron: \"0 2 1 1 *\", duration: 2h, blackout_dates: [" + strings.Join(blackouts, ", ") + "]}\n", `t.yaml:5:16: window: the window never opens: no start in the next 8 years falls outside blackout_dates; check the schedule and blackout_dates, got "0 2 1 1 *"`},
		"approval 1ns":    {"approval: {mode: manual, timeout: 1ns}\n", `t.yaml:5:35: approval: timeout must be at least 1m for manual approval (an operator has to answer in time), got 1ns`},
		"check 1ns":       {"checks: [{name: c, type: tcp, address: \"{host}:22\", timeout: 1ns}]\n", `t.yaml:5:62: check "c": timeout must be at least 1s, got 1ns`},
		"apply 1ns":       {"host: {timeouts: {apply: 1ns}}\n", `t.yaml:5:26: host.timeouts: apply must be at least 1s, got 1ns`},
		"max_parallel":    {"rollout: {max_parallel: 9223372036854775807}\n", `t.yaml:5:25: rollout: max_parallel must be from 1 to 1000, got 9223372036854775807`},
		"wave parallel":   {"rollout: {waves: [{count: 1, max_parallel: 100000}]}\n", `t.yaml:5:44: rollout.waves[0]: max_parallel must be from 1 to 1000, got 100000`},
		"wave count":      {"rollout: {waves: [{count: 9223372036854775807}]}\n", `t.yaml:5:27: rollout.waves[0]: count must be from 1 to 1000000, got 9223372036854775807`},
		"hook dash":       {"host: {pre_hooks: [[-rf, /]]}\n", `t.yaml:5:21: host: pre_hooks[0]: the program name must not start with '-' (it would be read as an option), got "-rf"`},
		"command dash":    {"checks: [{name: c, type: command, command: [--version]}]\n", `t.yaml:5:45: check "c": command: the program name must not start with '-' (it would be read as an option), got "--version"`},
	} {
		if tc.body == "" {
			continue
		}
		_, err := Parse("t.yaml", []byte("apiVersion: patchflow/v1\nkind: PatchPolicy\nmetadata: {name: t}\ntargets: {inventory: hosts.yaml}\n"+tc.body))
		if err == nil || err.Error() != tc.want {
			t.Errorf("%s: error\n%v\nwant\n%s", name, err, tc.want)
		}
	}
	_, err := Parse("t.yaml", []byte("apiVersion: patchflow/v1\nkind: PatchPolicy\nmetadata: {name: t}\ntargets: {inventory: \"https://cmdb:99999/inv\"}\n"))
	if err == nil || !strings.Contains(err.Error(), "port must be 1-65535, got 99999") {
		t.Errorf("inventory URL port: %v", err)
	}
	// Windows that do not overlap and open are accepted.
	for _, body := range []string{
		"window: {cron: \"0 2 * * *\", duration: 24h}\n",
		"window: {calendar: {days: [sat], start: \"01:00\"}, duration: 30h}\n",
		"window: {cron: \"0 2 29 2 *\", duration: 2h}\n",
	} {
		if _, err := Parse("t.yaml", []byte(header+body)); err != nil {
			t.Errorf("%s: %v", body, err)
		}
	}
}

func TestPromQLSyntax(t *testing.T) {
	for _, q := range []string{
		`up`,
		`up{instance="{host}:9100"} == 0`,
		`sum(rate(http_requests_total{job="api",code=~"5.."}[5m])) / sum(rate(http_requests_total[5m]))`,
		`histogram_quantile(0.95, sum by (le) (rate(http_request_duration_seconds_bucket{job!~'x|y',}[5m])))`,
		`{"my.dotted.metric", env="prod"}`,
		`max_over_time(rate(x[5m])[1h:1m]) # a comment with { and (`,
		"sum(up{job=`node`}) by (instance)",
	} {
		if err := checkPromQL(q); err != nil {
			t.Errorf("checkPromQL(%q) = %v", q, err)
		}
	}
	for q, want := range map[string]string{
		`up{`:                 `'{' at column 3 is never closed`,
		`sum(up`:              `'(' at column 4 is never closed`,
		`up}`:                 `'}' at column 3 closes nothing`,
		`up{job=node}`:        `label matcher at column 8 needs a quoted value after =`,
		`up{job="x}`:          `string is never closed at column 8`,
		`up{job~"x"}`:         `label matcher at column 7 needs one of = != =~ !~`,
		`rate(x[5q])`:         `range [5q] at column 7 is not a duration such as [5m] or a subquery such as [1h:1m]`,
		`up{job="a" env="b"}`: `label matchers are separated by ',' (column 12)`,
		`  `:                  `query is empty`,
	} {
		if err := checkPromQL(q); err == nil || err.Error() != want {
			t.Errorf("checkPromQL(%q) = %v, want %s", q, err, want)
		}
	}
}

// Merge keys work where the docs say YAML's do: in map fields and with a
// list of mappings, aliased or written in place; strictness stays.
func TestMergeKeysEverywhere(t *testing.T) {
	p, err := Parse("m.yaml", []byte("apiVersion: patchflow/v1\nkind: PatchPolicy\nmetadata:\n  name: m\n  labels:\n    <<: &l {team: sre, env: dev}\n    env: prod\n"+
		"targets: {inventory: hosts.yaml}\nrollout:\n  waves:\n    - &w {name: a, count: 1}\n    - <<: [*w, {max_parallel: 3}]\n      name: b\n      count: 2\n"))
	if err != nil {
		t.Fatal(err)
	}
	if p.Metadata.Labels["team"] != "sre" || p.Metadata.Labels["env"] != "prod" || p.Rollout.Waves[1].MaxParallel != 3 || p.Rollout.Waves[1].Count != 2 {
		t.Errorf("merged: labels %v waves %+v", p.Metadata.Labels, p.Rollout.Waves)
	}
	_, err = Parse("m.yaml", []byte(header+"rollback:\n  <<: {mode: manual}\n"))
	if err == nil || !strings.Contains(err.Error(), `rollback: unknown field "mode"`) {
		t.Errorf("a merged unknown field: %v", err)
	}
}

// FuzzPromQL checks that the PromQL syntax check never panics or hangs and
// accepts what it should whenever the query is a plain metric name.
func FuzzPromQL(f *testing.F) {
	for _, q := range []string{`up{`, `sum(rate(x{a="b",c=~"d"}[5m:1m]))`, "{`x`}", `up # {`, `a{b="\"}"}`} {
		f.Add(q)
	}
	f.Fuzz(func(t *testing.T, q string) {
		err := checkPromQL(q)
		if labelRe.MatchString(q) && labelRe.FindString(q) == q && err != nil {
			t.Fatalf("metric name %q refused: %v", q, err)
		}
	})
}
