package deploy

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"go.temporal.io/server/common/config"
)

// The settings every setup shares: deploy/local/topology, compose.yaml and
// the Kubernetes setup Job.
const (
	wantShards    = 4
	wantRetention = "720h"
)

// serverConfigVars are the variables deploy/local/temporal-server.yaml
// reads; each case sets them all, so the process environment cannot leak in.
var serverConfigVars = []string{
	"LOG_LEVEL", "NUM_HISTORY_SHARDS", "DBNAME", "VISIBILITY_DBNAME", "POSTGRES_SEEDS", "DB_PORT",
	"POSTGRES_USER", "POSTGRES_PWD", "SQL_MAX_CONNS", "SQL_MAX_IDLE_CONNS", "SQL_VIS_MAX_CONNS",
	"SQL_VIS_MAX_IDLE_CONNS", "BIND_ON_IP", "TEMPORAL_BROADCAST_ADDRESS", "FRONTEND_GRPC_PORT",
	"FRONTEND_HTTP_PORT", "FRONTEND_MEMBERSHIP_PORT", "HISTORY_GRPC_PORT", "HISTORY_MEMBERSHIP_PORT",
	"MATCHING_GRPC_PORT", "MATCHING_MEMBERSHIP_PORT", "WORKER_GRPC_PORT", "WORKER_MEMBERSHIP_PORT",
	"PPROF_PORT", "PROMETHEUS_ENDPOINT", "DYNAMIC_CONFIG_FILE_PATH",
}

func readScript(t *testing.T) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("local", "topology"))
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

// scriptDefault reads `name=${VAR:-default}` from deploy/local/topology.
func scriptDefault(t *testing.T, script, name string) string {
	t.Helper()
	m := regexp.MustCompile(`(?m)^\s*` + name + `=\$\{TOPOLOGY_[A-Z_]+:-([^}]+)\}`).FindStringSubmatch(script)
	if m == nil {
		t.Fatalf("deploy/local/topology: no %s=${TOPOLOGY_...:-default}; has the script changed shape?", name)
	}
	return m[1]
}

// loadServerConfig renders and validates the server configuration with
// the server's own loader, as `temporal-server --config-file` does.
func loadServerConfig(t *testing.T, env map[string]string) *config.Config {
	t.Helper()
	for _, v := range serverConfigVars {
		t.Setenv(v, env[v])
	}
	cfg, err := config.Load(config.WithConfigFile(filepath.Join("local", "temporal-server.yaml")))
	if err != nil {
		t.Fatalf("local/temporal-server.yaml with %v: %v", env, err)
	}
	return cfg
}

func checkServerConfig(t *testing.T, where string, cfg *config.Config, dynamicConfig string) {
	t.Helper()
	p := cfg.Persistence
	if p.NumHistoryShards != wantShards {
		t.Errorf("%s: %d history shards, want %d", where, p.NumHistoryShards, wantShards)
	}
	stores := map[string]string{p.DefaultStore: "temporal", p.VisibilityStore: "temporal_visibility"}
	for store, db := range stores {
		ds, ok := p.DataStores[store]
		if !ok || ds.SQL == nil || ds.SQL.PluginName != "postgres12" || ds.SQL.DatabaseName != db {
			t.Errorf("%s: store %q is not PostgreSQL database %s: %+v", where, store, db, ds.SQL)
		}
	}
	for name, ds := range p.DataStores {
		if ds.Elasticsearch != nil || ds.Cassandra != nil {
			t.Errorf("%s: store %s is not SQL; patchflow's setups use PostgreSQL only", where, name)
		}
	}
	if cfg.Archival.History.State != "disabled" || cfg.Archival.Visibility.State != "disabled" {
		t.Errorf("%s: archival %q/%q, want disabled", where, cfg.Archival.History.State, cfg.Archival.Visibility.State)
	}
	for _, svc := range []string{"frontend", "history", "matching", "worker"} {
		if _, ok := cfg.Services[svc]; !ok {
			t.Errorf("%s: no %s service: one process runs all four", where, svc)
		}
	}
	if cfg.DynamicConfigClient == nil || cfg.DynamicConfigClient.Filepath != dynamicConfig {
		t.Errorf("%s: dynamic config %+v, want %s", where, cfg.DynamicConfigClient, dynamicConfig)
	}
}

// TestLocalServerConfig loads deploy/local/temporal-server.yaml the way
// deploy/local/topology starts the server.
func TestLocalServerConfig(t *testing.T) {
	script := readScript(t)
	for _, want := range []string{
		`cp "$here/temporal-server.yaml" "$here/dynamicconfig.yaml" "$dir/config/"`,
		`--config-file "$dir/config/temporal-server.yaml" --allow-no-auth start`,
		`NUM_HISTORY_SHARDS="$shards"`, `DYNAMIC_CONFIG_FILE_PATH="$dir/config/dynamicconfig.yaml"`,
		`sh "$here/setup-schema.sh"`, `max_connections = 200`,
	} {
		if !strings.Contains(script, want) {
			t.Errorf("deploy/local/topology does not contain %s", want)
		}
	}
	if got := scriptDefault(t, script, "shards"); got != "4" {
		t.Errorf("deploy/local/topology: default shards %s, want %d", got, wantShards)
	}
	if got := scriptDefault(t, script, "retention"); got != wantRetention {
		t.Errorf("deploy/local/topology: default retention %s, want %s", got, wantRetention)
	}
	cfg := loadServerConfig(t, map[string]string{
		"POSTGRES_SEEDS": "127.0.0.1", "DB_PORT": "55432", "POSTGRES_USER": "temporal", "POSTGRES_PWD": "secret",
		"NUM_HISTORY_SHARDS": "4", "BIND_ON_IP": "127.0.0.1", "DYNAMIC_CONFIG_FILE_PATH": "/state/config/dynamicconfig.yaml",
	})
	checkServerConfig(t, "deploy/local/topology", cfg, "/state/config/dynamicconfig.yaml")
	fe := cfg.Services["frontend"].RPC
	if fe.BindOnIP != "127.0.0.1" || fe.GRPCPort != 7233 || cfg.Global.Membership.BroadcastAddress != "127.0.0.1" {
		t.Errorf("deploy/local/topology: frontend on %s:%d, broadcast %s; want 127.0.0.1:7233 by default", fe.BindOnIP, fe.GRPCPort, cfg.Global.Membership.BroadcastAddress)
	}
}

// TestComposeUsesLocalSettings checks that compose.yaml runs the server
// with deploy/local's configuration, dynamic configuration and schema
// script, and that the file loads under compose's environment with the
// same settings.
func TestComposeUsesLocalSettings(t *testing.T) {
	var c composeFile
	decodeYAML(t, "compose/compose.yaml", &c)
	server, ok := c.Services["temporal"]
	if !ok {
		t.Fatal("compose.yaml has no service temporal")
	}
	mounts := map[string]string{}
	for _, v := range server.Volumes {
		src, dst, _ := strings.Cut(strings.TrimSuffix(v, ":ro"), ":")
		mounts[src] = dst
	}
	configPath := server.Environment["TEMPORAL_SERVER_CONFIG_FILE_PATH"]
	if configPath == "" || mounts["../local/temporal-server.yaml"] != configPath {
		t.Errorf("compose.yaml temporal: TEMPORAL_SERVER_CONFIG_FILE_PATH %q must be where ../local/temporal-server.yaml is mounted (%v)", configPath, mounts)
	}
	dynamic := mounts["../local/dynamicconfig.yaml"]
	if dynamic == "" {
		t.Errorf("compose.yaml temporal does not mount ../local/dynamicconfig.yaml (%v)", mounts)
	}
	if server.Environment["TEMPORAL_ALLOW_NO_AUTH"] != "true" {
		t.Error("compose.yaml temporal: TEMPORAL_ALLOW_NO_AUTH is not true (deploy/local starts the server with --allow-no-auth)")
	}
	env := map[string]string{}
	for k, v := range server.Environment {
		env[k] = strings.NewReplacer("${POSTGRES_PASSWORD:-temporal}", "temporal").Replace(v)
	}
	// The image's entrypoint sets the broadcast address to the container's.
	env["TEMPORAL_BROADCAST_ADDRESS"] = "172.18.0.3"
	checkServerConfig(t, "compose.yaml temporal", loadServerConfig(t, env), dynamic)

	schema := c.Services["temporal-schema"]
	if !slices.Contains(schema.Volumes, "../local/setup-schema.sh:/scripts/setup-schema.sh:ro") ||
		!strings.Contains(commandText(schema.Command), "/scripts/setup-schema.sh") {
		t.Errorf("compose.yaml temporal-schema does not run ../local/setup-schema.sh: volumes %v, command %v", schema.Volumes, schema.Command)
	}
	pg := c.Services["postgresql"]
	if !strings.HasPrefix(pg.Image, "postgres:${POSTGRES_VERSION:-15}") || !strings.Contains(commandText(pg.Command), "max_connections=200") {
		t.Errorf("compose.yaml postgresql: image %s, command %v; want PostgreSQL 15 with max_connections=200, as deploy/local", pg.Image, pg.Command)
	}
}

// TestRetentionAgrees checks that every setup gives the namespace the same
// retention.
func TestRetentionAgrees(t *testing.T) {
	var c composeFile
	decodeYAML(t, "compose/compose.yaml", &c)
	setup := c.Services["temporal-setup"].Environment["RETENTION"]
	if setup != "${PATCHFLOW_RETENTION:-"+wantRetention+"}" {
		t.Errorf("compose.yaml temporal-setup: RETENTION %q, want ${PATCHFLOW_RETENTION:-%s}", setup, wantRetention)
	}
	job := loadK8s(t, "temporal-setup-job.yaml")
	found := false
	for _, e := range job.Spec.Template.Spec.Containers[0].Env {
		if e.Name == "RETENTION" {
			found = true
			if e.Value != wantRetention {
				t.Errorf("temporal-setup-job.yaml: RETENTION %q, want %s", e.Value, wantRetention)
			}
		}
	}
	if !found {
		t.Error("temporal-setup-job.yaml sets no RETENTION")
	}
}
