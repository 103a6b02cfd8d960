package notify

import (
	"context"
	"strings"
	"testing"
	"time"
)

func TestWebhookValidate(t *testing.T) {
	cases := []struct {
		hook Webhook
		want []string // field: message fragments, in order
	}{
		{Webhook{URL: "https://hooks.example.com/patchflow"}, nil},
		{Webhook{URLEnv: "SLACK_WEBHOOK_URL", Format: "slack", SecretFile: "/etc/patchflow/hook.secret", Events: []string{"cycle.*"}, Timeout: 30 * time.Second}, nil},
		{Webhook{}, []string{"url: url is required"}},
		{Webhook{URL: "ftp://x.example/"}, []string{"url: url must be an http:// or https:// URL"}},
		{Webhook{URL: "https://bot:hunter2@hooks.example.com/x"}, []string{"url: url https://hooks.example.com/x carries credentials"}},
		{Webhook{URL: "https://a.example", URLEnv: "X"}, []string{"url: set only one of url, url_file and url_env"}},
		{Webhook{URLEnv: "1BAD"}, []string{"url_env: url_env must be an environment variable name"}},
		{Webhook{URL: "https://a.example", Format: "teams"}, []string{`format: format must be json or slack, got "teams"`}},
		{Webhook{URL: "https://a.example", SecretFile: "/s", SecretEnv: "S"}, []string{"secret_file: set only one of secret_file and secret_env"}},
		{Webhook{URL: "https://a.example", SecretEnv: "MY-SECRET"}, []string{"secret_env: secret_env must be an environment variable name"}},
		{Webhook{URL: "https://a.example", Events: []string{"cycle.*", "cycle.finish", "host.[", "cycle.*"}}, []string{
			`events[1]: event pattern "cycle.finish" matches no event`,
			`events[2]: event pattern "host.[" is not a valid glob`,
			`events[3]: event "cycle.*" is listed twice`,
		}},
		{Webhook{URL: "https://a.example", Timeout: time.Hour}, []string{"timeout: timeout must be between 0 (default 10s) and 2m0s, got 1h0m0s"}},
	}
	for i, c := range cases {
		errs := c.hook.Validate()
		if len(errs) != len(c.want) {
			t.Errorf("case %d: %v; want %d errors %v", i, errs, len(c.want), c.want)
			continue
		}
		for j, e := range errs {
			if !strings.HasPrefix(e.Error(), c.want[j]) {
				t.Errorf("case %d: error %d = %q, want prefix %q", i, j, e.Error(), c.want[j])
			}
		}
	}
	// The password never appears in the error.
	if errs := (Webhook{URL: "https://bot:hunter2@hooks.example.com/x"}).Validate(); strings.Contains(errs.Error(), "hunter2") {
		t.Errorf("error quotes the password: %v", errs)
	}
}

// A URL that is itself a secret (url_env) never shows beyond its host.
func TestSecretURLNotShown(t *testing.T) {
	rc := newReceiver(t, nil)
	rc.srv.Close()
	t.Setenv("PATCHFLOW_TEST_HOOK_URL", rc.url+"/T000/B000/XXXXSECRETPATH")
	b := fastBackoff
	b.MaxElapsed = 100 * time.Millisecond
	res, err := newTestSender(Options{Backoff: b}).Deliver(context.Background(), Webhook{URLEnv: "PATCHFLOW_TEST_HOOK_URL", Format: FormatSlack}, sampleEvents()[0])
	if err == nil {
		t.Fatal("delivered to a closed receiver")
	}
	for _, s := range []string{err.Error(), res.Webhook} {
		if strings.Contains(s, "SECRETPATH") || !strings.Contains(s, "url_env PATCHFLOW_TEST_HOOK_URL") {
			t.Errorf("%q shows the secret URL's path or does not say where it came from", s)
		}
	}
	t.Setenv("PATCHFLOW_TEST_HOOK_URL", "not a url SECRETPATH")
	_, err = newTestSender(Options{}).Deliver(context.Background(), Webhook{URLEnv: "PATCHFLOW_TEST_HOOK_URL"}, sampleEvents()[0])
	if err == nil || strings.Contains(err.Error(), "SECRETPATH") {
		t.Errorf("error %v; want one that does not quote the variable", err)
	}
}

func TestParseFilter(t *testing.T) {
	cases := []struct {
		patterns []string
		match    []string
		miss     []string
	}{
		{nil, Events, nil},
		{[]string{"cycle.*"}, []string{CycleStarted, CycleApprovalNeeded, CycleAborted}, []string{WaveStarted, HostFailed}},
		{[]string{"*.failed", "sla.breached"}, []string{CycleFailed, HostFailed, SLABreached}, []string{CycleFinished}},
		{[]string{"approval_needed", "host_rolled_back"}, []string{CycleApprovalNeeded, HostRolledBack}, []string{CycleApproved, HostFailed}},
		{[]string{"wave.[sf]*"}, []string{WaveStarted, WaveFinished}, []string{CycleStarted}},
	}
	for _, c := range cases {
		f, err := ParseFilter(c.patterns)
		if err != nil {
			t.Fatalf("%v: %v", c.patterns, err)
		}
		for _, e := range c.match {
			if !f.Match(e) {
				t.Errorf("%v does not match %s", c.patterns, e)
			}
		}
		for _, e := range c.miss {
			if f.Match(e) {
				t.Errorf("%v matches %s", c.patterns, e)
			}
		}
	}
}
