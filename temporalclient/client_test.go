package temporalclient

import (
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// clearEnv makes the test independent of the machine's Temporal settings.
func clearEnv(t *testing.T) {
	for _, k := range []string{"TEMPORAL_ADDRESS", "TEMPORAL_NAMESPACE", "TEMPORAL_PROFILE", "TEMPORAL_API_KEY", "TEMPORAL_TLS"} {
		t.Setenv(k, "")
		os.Unsetenv(k)
	}
	t.Setenv("TEMPORAL_CONFIG_FILE", filepath.Join(t.TempDir(), "none.toml"))
}

// TestOptionsLayering: the default is the dev server's; an envconfig
// profile, then TEMPORAL_ADDRESS, then the --address flag override it, as
// for every Temporal tool.
func TestOptionsLayering(t *testing.T) {
	clearEnv(t)
	opts, err := Options(Config{})
	if err != nil || opts.HostPort != DefaultAddress || opts.Namespace != "default" {
		t.Fatalf("defaults: %q %q %v; want %s and default", opts.HostPort, opts.Namespace, err, DefaultAddress)
	}
	file := filepath.Join(t.TempDir(), "temporal.toml")
	profile := "[profile.default]\naddress = \"profile.example:7233\"\nnamespace = \"patching\"\n[profile.prod]\naddress = \"prod.example:7233\"\n"
	if err := os.WriteFile(file, []byte(profile), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("TEMPORAL_CONFIG_FILE", file)
	for _, tc := range []struct {
		cfg      Config
		env      string
		host, ns string
	}{
		{Config{}, "", "profile.example:7233", "patching"},
		{Config{Profile: "prod"}, "", "prod.example:7233", "default"},
		{Config{}, "env.example:7233", "env.example:7233", "patching"},
		{Config{Address: "flag.example:7233", Namespace: "ops"}, "env.example:7233", "flag.example:7233", "ops"},
	} {
		t.Setenv("TEMPORAL_ADDRESS", tc.env)
		if tc.env == "" {
			os.Unsetenv("TEMPORAL_ADDRESS")
		}
		opts, err := Options(tc.cfg)
		if err != nil || opts.HostPort != tc.host || opts.Namespace != tc.ns {
			t.Errorf("%+v with TEMPORAL_ADDRESS=%q: %q %q %v; want %q %q", tc.cfg, tc.env, opts.HostPort, opts.Namespace, err, tc.host, tc.ns)
		}
	}
}

// TestDialRefusedPortAnswersAtOnce: nothing listening is ErrUnreachable,
// naming the address and how to point patchflow elsewhere, in well under
// the dial timeout.
func TestDialRefusedPortAnswersAtOnce(t *testing.T) {
	clearEnv(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	_, err = Dial(context.Background(), Config{Address: addr, Timeout: time.Minute})
	if !errors.Is(err, ErrUnreachable) || !strings.Contains(err.Error(), addr) || !strings.Contains(err.Error(), "--address or TEMPORAL_ADDRESS") {
		t.Fatalf("dial a closed port: %v", err)
	}
}
