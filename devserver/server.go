// Package devserver runs an embedded Temporal server (SQLite persistence)
// and the Temporal UI inside the patchflow process, for `patchflow dev`,
// `patchflow demo` and tests. Production runs a real cluster instead.
package devserver

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"time"

	uiserver "github.com/temporalio/ui-server/v2/server"
	uiconfig "github.com/temporalio/ui-server/v2/server/config"
	uioptions "github.com/temporalio/ui-server/v2/server/server_options"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/server/common/authorization"
	"go.temporal.io/server/common/cluster"
	"go.temporal.io/server/common/config"
	"go.temporal.io/server/common/dynamicconfig"
	"go.temporal.io/server/common/membership/static"
	sqliteplugin "go.temporal.io/server/common/persistence/sql/sqlplugin/sqlite"
	"go.temporal.io/server/common/primitives"
	sqliteschema "go.temporal.io/server/schema/sqlite"
	"go.temporal.io/server/temporal"
)

const clusterName = "active"

// Options configure the embedded server.
type Options struct {
	IP        string // listen address of frontend and UI; default 127.0.0.1
	Port      int    // frontend gRPC port; default 7233
	UIPort    int    // Temporal UI port; 0 means no UI
	DBFile    string // SQLite file; "" keeps state in memory only
	Namespace string // default "default"
	// Retention is how long closed workflows stay inspectable; the server's
	// own default (24 h) is too short to look back at last week's cycle.
	Retention time.Duration
	// SearchAttributes are registered on the namespace (all Keyword here).
	SearchAttributes []string
	Logger           *slog.Logger
	// LogLevel filters the server's own logs, which are chatty at info.
	LogLevel slog.Level
}

// Server is a running embedded Temporal server with its UI.
type Server struct {
	opts   Options
	level  *slog.LevelVar
	server temporal.Server
	ui     *uiserver.Server
}

// Start validates opts, prepares the SQLite file (schema on first start,
// namespace on every start), starts the server and UI, and returns once the
// frontend answers, the search attributes are usable and the retention is
// set.
func Start(ctx context.Context, opts Options) (*Server, error) {
	opts = withDefaults(opts)
	// Before any port is probed or file created.
	if err := opts.validate(); err != nil {
		return nil, err
	}
	if err := checkPortFree("Temporal frontend", opts.IP, opts.Port); err != nil {
		return nil, err
	}
	if opts.UIPort != 0 {
		if err := checkPortFree("Temporal UI", opts.IP, opts.UIPort); err != nil {
			return nil, err
		}
	}
	if opts.DBFile != "" {
		if err := prepareDataDir(opts.DBFile); err != nil {
			return nil, err
		}
	}
	conf, err := serverConfig(opts)
	if err != nil {
		return nil, err
	}
	if err := prepareDatabase(conf, opts); err != nil {
		return nil, err
	}
	level := new(slog.LevelVar)
	level.Set(opts.LogLevel)
	srv, err := temporal.NewServer(serverOptions(conf, opts, level)...)
	if err != nil {
		return nil, fmt.Errorf("create embedded Temporal server: %w", err)
	}
	if err := srv.Start(); err != nil {
		return nil, fmt.Errorf("start embedded Temporal server: %w", err)
	}
	s := &Server{opts: opts, level: level, server: srv}
	if opts.UIPort != 0 {
		s.ui = newUI(opts)
		go func() {
			// The UI's Start blocks; its port was checked above, so a
			// failure here is unexpected and only logged.
			if err := s.ui.Start(); err != nil && !errors.Is(err, context.Canceled) {
				opts.Logger.Error("temporal ui stopped", "error", err)
			}
		}()
	}
	if err := s.configureNamespace(ctx); err != nil {
		s.Stop()
		return nil, err
	}
	return s, nil
}

// FrontendAddress is the host:port clients and workers dial.
func (s *Server) FrontendAddress() string {
	return net.JoinHostPort(s.opts.IP, strconv.Itoa(s.opts.Port))
}

// UIURL is the Temporal UI's address, or "" without a UI.
func (s *Server) UIURL() string {
	if s.ui == nil {
		return ""
	}
	return "http://" + net.JoinHostPort(s.opts.IP, strconv.Itoa(s.opts.UIPort))
}

// Namespace is the namespace the server was started with.
func (s *Server) Namespace() string { return s.opts.Namespace }

// Stop stops the UI and the server; state in a SQLite file remains.
func (s *Server) Stop() {
	// Shutting down, the server's services log every connection they lose
	// to each other: noise, not news.
	s.level.Set(slog.LevelError + 4)
	if s.ui != nil {
		s.ui.Stop()
	}
	_ = s.server.Stop()
}

// MinRetention is the shortest retention the server accepts for a
// namespace of its own.
const MinRetention = time.Hour

// validate checks options that the server would otherwise refuse late (a
// retention the namespace cannot have) or misreport (an IP that is not one
// reads as a busy port).
func (o Options) validate() error {
	a, err := netip.ParseAddr(o.IP)
	if err != nil || a.Zone() != "" {
		return fmt.Errorf("listen address %q is not an IP address such as 127.0.0.1", o.IP)
	}
	if o.Port < 1 || o.Port > 65535 {
		return fmt.Errorf("frontend port must be 1-65535, got %d", o.Port)
	}
	if o.UIPort < 0 || o.UIPort > 65535 {
		return fmt.Errorf("UI port must be 1-65535 (or 0 for no UI), got %d", o.UIPort)
	}
	if o.UIPort == o.Port {
		return fmt.Errorf("UI port and frontend port are both %d", o.Port)
	}
	if o.Retention < MinRetention {
		return fmt.Errorf("retention must be at least %s, got %s", MinRetention, o.Retention)
	}
	return nil
}

func withDefaults(o Options) Options {
	if o.IP == "" {
		o.IP = "127.0.0.1"
	}
	if o.Port == 0 {
		o.Port = 7233
	}
	if o.Namespace == "" {
		o.Namespace = "default"
	}
	if o.Retention == 0 {
		o.Retention = 30 * 24 * time.Hour
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.LogLevel == 0 {
		o.LogLevel = slog.LevelWarn
	}
	return o
}

// prepareDataDir makes sure the database's directory exists and can be
// written, so the user gets the path and the reason instead of a SQLite
// error deep inside the server.
func prepareDataDir(dbFile string) error {
	dir := filepath.Dir(dbFile)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("create data directory %s: %w (choose another with --db)", dir, err)
	}
	probe, err := os.CreateTemp(dir, ".patchflow-write-test-*")
	if err != nil {
		return fmt.Errorf("data directory %s is not writable: %w (choose another with --db)", dir, err)
	}
	name := probe.Name()
	_ = probe.Close()
	return os.Remove(name)
}

func sqlConfig(opts Options) *config.SQL {
	conf := &config.SQL{PluginName: sqliteplugin.PluginName}
	if opts.DBFile == "" {
		conf.ConnectAttributes = map[string]string{"mode": "memory", "cache": "shared"}
		conf.DatabaseName = "patchflow-" + strconv.Itoa(rand.IntN(1_000_000_000))
	} else {
		// WAL with synchronous=NORMAL is durable across process crashes and
		// several times faster than the default rollback journal; one
		// connection avoids SQLITE_BUSY between the server's own pools.
		conf.ConnectAttributes = map[string]string{
			"mode":         "rwc",
			"journal_mode": "wal",
			"synchronous":  "1",
		}
		conf.DatabaseName = opts.DBFile
		conf.MaxConns = 1
		conf.MaxIdleConns = 1
	}
	return conf
}

// prepareDatabase creates the schema on first start and the namespace on
// every start (both are no-ops when present).
func prepareDatabase(conf *config.Config, opts Options) error {
	sqlConf := conf.Persistence.DataStores["sqlite"].SQL
	if opts.DBFile != "" {
		if _, err := os.Stat(opts.DBFile); errors.Is(err, os.ErrNotExist) {
			if err := sqliteschema.SetupSchema(sqlConf); err != nil {
				return fmt.Errorf("create Temporal schema in %s: %w", opts.DBFile, err)
			}
		}
	}
	attrs := make(map[string]enumspb.IndexedValueType, len(opts.SearchAttributes))
	for _, name := range opts.SearchAttributes {
		attrs[name] = enumspb.INDEXED_VALUE_TYPE_KEYWORD
	}
	ns, err := sqliteschema.NewNamespaceConfig(clusterName, opts.Namespace, false, attrs)
	if err != nil {
		return fmt.Errorf("namespace %s: %w", opts.Namespace, err)
	}
	if err := sqliteschema.CreateNamespaces(sqlConf, ns); err != nil {
		return fmt.Errorf("create namespace %s in %s: %w", opts.Namespace, opts.DBFile, err)
	}
	return nil
}

func serverConfig(opts Options) (*config.Config, error) {
	httpPort, err := freePort(opts.IP)
	if err != nil {
		return nil, err
	}
	frontend := net.JoinHostPort(opts.IP, strconv.Itoa(opts.Port))
	var conf config.Config
	conf.Global.Membership.MaxJoinDuration = 30 * time.Second
	conf.Global.Membership.BroadcastAddress = opts.IP
	conf.Persistence.DefaultStore = "sqlite"
	conf.Persistence.VisibilityStore = "sqlite"
	conf.Persistence.NumHistoryShards = 1
	conf.Persistence.DataStores = map[string]config.DataStore{"sqlite": {SQL: sqlConfig(opts)}}
	conf.ClusterMetadata = &cluster.Config{
		FailoverVersionIncrement: 10,
		MasterClusterName:        clusterName,
		CurrentClusterName:       clusterName,
		ClusterInformation: map[string]cluster.ClusterInformation{
			clusterName: {
				Enabled:                true,
				InitialFailoverVersion: 1,
				RPCAddress:             frontend,
				HTTPAddress:            net.JoinHostPort(opts.IP, strconv.Itoa(httpPort)),
				// A fixed UUID: the server insists on one and the dev cluster is
				// always the same single cluster.
				ClusterID: "5b8f3e4a-2f0c-4c59-9a3e-7d1f0c6a9b21",
			},
		},
	}
	conf.DCRedirectionPolicy.Policy = "noop"
	conf.Services = map[string]config.Service{}
	for _, name := range []string{"frontend", "history", "matching", "worker"} {
		var svc config.Service
		svc.RPC.BindOnIP = opts.IP
		if name == "frontend" {
			svc.RPC.GRPCPort = opts.Port
			svc.RPC.HTTPPort = httpPort
		} else if svc.RPC.GRPCPort, err = freePort(opts.IP); err != nil {
			return nil, err
		}
		conf.Services[name] = svc
	}
	conf.Archival.History.State = "disabled"
	conf.Archival.Visibility.State = "disabled"
	conf.NamespaceDefaults.Archival.History.State = "disabled"
	conf.NamespaceDefaults.Archival.Visibility.State = "disabled"
	conf.PublicClient.HostPort = frontend
	return &conf, nil
}

func serverOptions(conf *config.Config, opts Options, level *slog.LevelVar) []temporal.ServerOption {
	logger := slogLogger{log: opts.Logger, level: level}
	hosts := map[primitives.ServiceName]static.Hosts{}
	for name, svc := range map[primitives.ServiceName]string{
		primitives.FrontendService: "frontend", primitives.HistoryService: "history",
		primitives.MatchingService: "matching", primitives.WorkerService: "worker",
	} {
		port := conf.Services[svc].RPC.GRPCPort
		hosts[name] = static.SingleLocalHost(net.JoinHostPort(opts.IP, strconv.Itoa(port)))
	}
	dyn := dynamicconfig.StaticClient{
		dynamicconfig.FrontendMaxNamespaceVisibilityRPSPerInstance.Key(): 100,
		dynamicconfig.HistoryCacheHostLevelMaxSize.Key():                 8096,
	}
	return []temporal.ServerOption{
		temporal.WithConfig(conf),
		temporal.ForServices(temporal.DefaultServices),
		temporal.WithStaticHosts(hosts),
		temporal.WithLogger(logger),
		temporal.WithAuthorizer(authorization.NewNoopAuthorizer()),
		temporal.WithClaimMapper(func(*config.Config) authorization.ClaimMapper {
			return authorization.NewNoopClaimMapper()
		}),
		temporal.WithDynamicConfigClient(dyn),
	}
}

func newUI(opts Options) *uiserver.Server {
	return uiserver.NewServer(uioptions.WithConfigProvider(&uiconfig.Config{
		Host:                opts.IP,
		Port:                opts.UIPort,
		TemporalGRPCAddress: net.JoinHostPort(opts.IP, strconv.Itoa(opts.Port)),
		EnableUI:            true,
		DefaultNamespace:    opts.Namespace,
		CORS:                uiconfig.CORS{CookieInsecure: true},
		HideLogs:            true,
		DisableNewsFetch:    true,
	}))
}
