// Package temporalsrv runs an embedded Temporal server (on a SQLite file) and
// the Temporal UI inside the rivetr process.
//
// It is the only package that imports go.temporal.io/server: every binary
// linking it grows by ~170 MB, so tests that need a Temporal server get one
// through the rivetr binary or through this package alone.
package temporalsrv

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	uiserver "github.com/temporalio/ui-server/v2/server"
	uiconfig "github.com/temporalio/ui-server/v2/server/config"
	uiserveroptions "github.com/temporalio/ui-server/v2/server/server_options"
	"go.temporal.io/server/common/authorization"
	"go.temporal.io/server/common/cluster"
	"go.temporal.io/server/common/config"
	"go.temporal.io/server/common/dynamicconfig"
	tlog "go.temporal.io/server/common/log"
	"go.temporal.io/server/common/log/tag"
	"go.temporal.io/server/common/membership/static"
	sqliteplugin "go.temporal.io/server/common/persistence/sql/sqlplugin/sqlite"
	"go.temporal.io/server/common/primitives"
	sqliteschema "go.temporal.io/server/schema/sqlite"
	"go.temporal.io/server/temporal"

	rconfig "github.com/rivetr/rivetr/internal/config"
)

const clusterName = "active"

// Options configure the embedded server.
type Options struct {
	// DatabaseFile is the SQLite file holding Temporal's state; it is created
	// with its schema when missing.
	DatabaseFile string
	// FrontendAddr is the gRPC address clients dial, e.g. 127.0.0.1:7233.
	FrontendAddr string
	// UIAddr is where the Temporal UI listens; empty runs no UI.
	UIAddr string
	// UIPath is the path the UI is served under (the dashboard proxies it
	// there); UIWrite lets it change workflows, else it is read-only.
	UIPath  string
	UIWrite bool
	// Namespace is created when missing.
	Namespace string
	// Token is the bearer token the frontend requires from every client
	// (required). The server's own worker service and the UI use an
	// internal frontend on a loopback port instead, as Temporal does.
	Token  string
	Logger *slog.Logger
}

// Server is a running embedded Temporal server and UI.
type Server struct {
	server temporal.Server
	ui     *uiserver.Server
	log    *slog.Logger
}

// Embedded starts the server and UI a Rivetr configuration asks for; it is
// the server.Embedder of the rivetr binary.
//
// Besides the frontend, the server listens on ports it picks itself (its
// HTTP API, its internal services). A picked port can be taken by someone
// else before the server binds it (on a busy host, even as the source port
// of an outgoing connection); then it starts again with fresh ports.
func Embedded(cfg rconfig.Config, log *slog.Logger) (stop func(), err error) {
	for attempt := 1; ; attempt++ {
		s, err := Start(Options{
			DatabaseFile: filepath.Join(cfg.DataDir, "temporal.db"),
			FrontendAddr: cfg.TemporalListen,
			UIAddr:       cfg.TemporalUIAddr,
			UIPath:       rconfig.UIPath,
			UIWrite:      cfg.TemporalUIWrite,
			Namespace:    cfg.TemporalNamespace,
			Token:        cfg.TemporalToken,
			Logger:       log,
		})
		if err == nil {
			return s.Stop, nil
		}
		msg := err.Error()
		if attempt == 3 || !strings.Contains(msg, "address already in use") ||
			strings.Contains(msg, cfg.TemporalListen) || (cfg.TemporalUIAddr != "" && strings.Contains(msg, cfg.TemporalUIAddr)) {
			return nil, err
		}
		log.Warn("a port the embedded Temporal server picked was taken meanwhile; starting it again with fresh ports", "attempt", attempt)
	}
}

// Start starts the server (and the UI) and returns once the frontend accepts
// connections.
func Start(opts Options) (*Server, error) {
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if len(opts.Token) < 16 {
		return nil, errors.New("the embedded Temporal frontend needs a token of 16 characters or more (--temporal-token)")
	}
	host, port, err := splitPort(opts.FrontendAddr)
	if err != nil {
		return nil, fmt.Errorf("--temporal-listen: %w", err)
	}
	if err := checkFree(opts.FrontendAddr); err != nil {
		return nil, fmt.Errorf("embedded Temporal frontend cannot listen on %s (is another rivetr server or Temporal running? change --temporal-listen or use --temporal-address): %w", opts.FrontendAddr, err)
	}
	var uiConf *uiconfig.Config
	if opts.UIAddr != "" {
		uiHost, uiPort, err := splitPort(opts.UIAddr)
		if err != nil {
			return nil, fmt.Errorf("--temporal-ui-addr: %w", err)
		}
		// The UI exits the whole process when it cannot listen, so check first.
		if err := checkFree(opts.UIAddr); err != nil {
			return nil, fmt.Errorf("Temporal UI cannot listen on %s (change --temporal-ui-addr, or set it empty to run no UI): %w", opts.UIAddr, err)
		}
		uiConf = &uiconfig.Config{
			Host:                uiHost,
			Port:                uiPort,
			EnableUI:            true,
			CORS:                uiconfig.CORS{CookieInsecure: true},
			HideLogs:            true,
			DisableNewsFetch:    true,
			PublicPath:          opts.UIPath,
			DisableWriteActions: !opts.UIWrite,
		}
	}

	sqlConf, err := sqlConfig(opts)
	if err != nil {
		return nil, err
	}
	conf, err := serverConfig(host, port, sqlConf)
	if err != nil {
		return nil, err
	}
	logger := &slogAdapter{log: opts.Logger}
	addrOf := func(svc primitives.ServiceName) string {
		rpc := conf.Services[string(svc)].RPC
		return net.JoinHostPort(rpc.BindOnIP, strconv.Itoa(rpc.GRPCPort))
	}
	hostOf := func(svc primitives.ServiceName) static.Hosts { return static.SingleLocalHost(addrOf(svc)) }
	var ui *uiserver.Server
	if uiConf != nil {
		uiConf.TemporalGRPCAddress = addrOf(primitives.InternalFrontendService)
		// The UI warns, through the standard logger, that serving it under
		// a path drops its CSP meta tag: it is only reached through the
		// dashboard, by instance admins. Left alone, that line greets every
		// new user at start.
		log.SetOutput(dropLines{w: log.Writer(), text: "CSP IS DISABLED WHEN USING PUBLIC PATH"})
		ui = uiserver.NewServer(uiserveroptions.WithConfigProvider(uiConf))
	}
	srv, err := temporal.NewServer(
		temporal.WithConfig(conf),
		temporal.ForServices(append([]string{string(primitives.InternalFrontendService)}, temporal.DefaultServices...)),
		temporal.WithStaticHosts(map[primitives.ServiceName]static.Hosts{
			primitives.FrontendService:         hostOf(primitives.FrontendService),
			primitives.InternalFrontendService: hostOf(primitives.InternalFrontendService),
			primitives.HistoryService:          hostOf(primitives.HistoryService),
			primitives.MatchingService:         hostOf(primitives.MatchingService),
			primitives.WorkerService:           hostOf(primitives.WorkerService),
		}),
		temporal.WithLogger(logger),
		// The frontend answers only callers with the token; the internal
		// frontend (loopback) maps every caller to Temporal's system role.
		temporal.WithAuthorizer(authorization.NewDefaultAuthorizer()),
		temporal.WithClaimMapper(func(*config.Config) authorization.ClaimMapper { return tokenClaims{token: opts.Token} }),
		temporal.WithDynamicConfigClient(dynamicConfig()),
	)
	if err != nil {
		return nil, fmt.Errorf("embedded Temporal server: %w", err)
	}
	if err := srv.Start(); err != nil {
		return nil, fmt.Errorf("start embedded Temporal server: %w", err)
	}
	s := &Server{server: srv, ui: ui, log: opts.Logger}
	if ui != nil {
		go func() {
			if err := ui.Start(); err != nil {
				opts.Logger.Error("Temporal UI stopped", "err", err)
			}
		}()
	}
	return s, nil
}

// Stop stops the UI and the server.
func (s *Server) Stop() {
	if s.ui != nil {
		s.ui.Stop()
	}
	if err := s.server.Stop(); err != nil {
		s.log.Warn("stop embedded Temporal server", "err", err)
	}
}

// dynamicConfig keeps a single-node server small: one task-queue partition,
// modest caches, and search attributes visible as soon as they are added.
func dynamicConfig() dynamicconfig.StaticClient {
	return dynamicconfig.StaticClient{
		dynamicconfig.ForceSearchAttributesCacheRefreshOnRead.Key():      true,
		dynamicconfig.MatchingNumTaskqueueReadPartitions.Key():           1,
		dynamicconfig.MatchingNumTaskqueueWritePartitions.Key():          1,
		dynamicconfig.HistoryCacheHostLevelMaxSize.Key():                 512,
		dynamicconfig.EventsCacheMaxSizeBytes.Key():                      8 << 20,
		dynamicconfig.FrontendPersistenceMaxQPS.Key():                    3000,
		dynamicconfig.HistoryPersistenceMaxQPS.Key():                     3000,
		dynamicconfig.FrontendMaxNamespaceVisibilityRPSPerInstance.Key(): 100,
	}
}

func sqlConfig(opts Options) (*config.SQL, error) {
	conf := &config.SQL{
		PluginName:   sqliteplugin.PluginName,
		DatabaseName: opts.DatabaseFile,
		// WAL with full sync: a SIGKILL loses nothing that was acknowledged.
		ConnectAttributes: map[string]string{"mode": "rwc", "journal_mode": "wal", "synchronous": "2"},
	}
	if err := os.MkdirAll(filepath.Dir(opts.DatabaseFile), 0o700); err != nil {
		return nil, fmt.Errorf("create Temporal data directory: %w", err)
	}
	if _, err := os.Stat(opts.DatabaseFile); errors.Is(err, os.ErrNotExist) {
		if err := sqliteschema.SetupSchema(conf); err != nil {
			_ = os.Remove(opts.DatabaseFile)
			return nil, fmt.Errorf("create Temporal schema in %s: %w", opts.DatabaseFile, err)
		}
		if err := os.WriteFile(opts.DatabaseFile+".schema", []byte(sqliteschema.Version+"\n"), 0o600); err != nil {
			return nil, err
		}
	} else if err != nil {
		return nil, err
	} else if b, err := os.ReadFile(opts.DatabaseFile + ".schema"); err == nil && string(b) != sqliteschema.Version+"\n" {
		// The SQLite schema is not migrated between server versions.
		return nil, fmt.Errorf("%s was made with Temporal schema %s but this rivetr embeds schema %s; upgrade it with the version of rivetr that made it, or move it aside to start afresh",
			opts.DatabaseFile, string(b[:len(b)-1]), sqliteschema.Version)
	}
	ns, err := sqliteschema.NewNamespaceConfig(clusterName, opts.Namespace, false, nil)
	if err != nil {
		return nil, err
	}
	if err := sqliteschema.CreateNamespaces(conf, ns); err != nil {
		return nil, fmt.Errorf("create Temporal namespace %s: %w", opts.Namespace, err)
	}
	return conf, nil
}

func serverConfig(host string, port int, sqlConf *config.SQL) (*config.Config, error) {
	var conf config.Config
	conf.Global.Membership.MaxJoinDuration = 30 * time.Second
	conf.Global.Membership.BroadcastAddress = host
	conf.Persistence.DefaultStore = "sqlite-default"
	conf.Persistence.VisibilityStore = "sqlite-default"
	conf.Persistence.NumHistoryShards = 1
	conf.Persistence.DataStores = map[string]config.DataStore{"sqlite-default": {SQL: sqlConf}}
	httpPort, err := freePort(host)
	if err != nil {
		return nil, err
	}
	frontend := net.JoinHostPort(host, strconv.Itoa(port))
	conf.ClusterMetadata = &cluster.Config{
		EnableGlobalNamespace:    false,
		FailoverVersionIncrement: 10,
		MasterClusterName:        clusterName,
		CurrentClusterName:       clusterName,
		ClusterInformation: map[string]cluster.ClusterInformation{
			clusterName: {
				Enabled:                true,
				InitialFailoverVersion: 1,
				RPCAddress:             frontend,
				HTTPAddress:            net.JoinHostPort(host, strconv.Itoa(httpPort)),
				ClusterID:              "rivetr-embedded",
			},
		},
	}
	conf.DCRedirectionPolicy.Policy = "noop"
	conf.Services = map[string]config.Service{}
	// The internal services listen on loopback whatever the frontend's
	// address: only the frontend is for other hosts.
	for _, name := range []string{"frontend", "internal-frontend", "history", "matching", "worker"} {
		var svc config.Service
		svc.RPC.BindOnIP = "127.0.0.1"
		switch name {
		case "frontend":
			svc.RPC.BindOnIP = host
			svc.RPC.GRPCPort = port
			svc.RPC.HTTPPort = httpPort
		case "internal-frontend":
			if svc.RPC.GRPCPort, err = freePort(svc.RPC.BindOnIP); err != nil {
				return nil, err
			}
			if svc.RPC.HTTPPort, err = freePort(svc.RPC.BindOnIP); err != nil {
				return nil, err
			}
		default:
			if svc.RPC.GRPCPort, err = freePort(svc.RPC.BindOnIP); err != nil {
				return nil, err
			}
		}
		conf.Services[name] = svc
	}
	conf.Archival.History.State = "disabled"
	conf.Archival.Visibility.State = "disabled"
	conf.NamespaceDefaults.Archival.History.State = "disabled"
	conf.NamespaceDefaults.Archival.Visibility.State = "disabled"
	// PublicClient stays empty: the server's own clients (its worker
	// service: schedules, batch jobs) then use the internal frontend.
	return &conf, nil
}

// tokenClaims gives Temporal's system admin role to a caller presenting
// the token ("authorization: Bearer TOKEN") and no role to anyone else, so
// the default authorizer refuses them.
type tokenClaims struct{ token string }

func (m tokenClaims) GetClaims(ai *authorization.AuthInfo) (*authorization.Claims, error) {
	if ai != nil && subtle.ConstantTimeCompare([]byte(ai.AuthToken), []byte("Bearer "+m.token)) == 1 {
		return &authorization.Claims{Subject: "rivetr", System: authorization.RoleAdmin}, nil
	}
	return &authorization.Claims{}, nil
}

func splitPort(addr string) (string, int, error) {
	host, p, err := net.SplitHostPort(addr)
	if err != nil {
		return "", 0, err
	}
	port, err := strconv.Atoi(p)
	if err != nil || port <= 0 {
		return "", 0, fmt.Errorf("%q: want host:port with a port number", addr)
	}
	if host == "" {
		host = "127.0.0.1"
	}
	return host, port, nil
}

func checkFree(addr string) error {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	return l.Close()
}

func freePort(host string) (int, error) {
	l, err := net.Listen("tcp", net.JoinHostPort(host, "0"))
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// slogAdapter sends the server's logs to slog. The server is chatty at info,
// so its info lines become debug lines.
type slogAdapter struct {
	log  *slog.Logger
	tags []tag.Tag
}

var _ tlog.Logger = (*slogAdapter)(nil)

func (a *slogAdapter) emit(level slog.Level, msg string, tags []tag.Tag) {
	if !a.log.Enabled(context.Background(), level) {
		return
	}
	args := make([]any, 0, 2*(len(a.tags)+len(tags)))
	for _, t := range append(a.tags, tags...) {
		args = append(args, t.Key(), t.Value())
	}
	a.log.Log(context.Background(), level, msg, args...)
}

func (a *slogAdapter) Debug(msg string, tags ...tag.Tag)  { a.emit(slog.LevelDebug-4, msg, tags) }
func (a *slogAdapter) Info(msg string, tags ...tag.Tag)   { a.emit(slog.LevelDebug, msg, tags) }
func (a *slogAdapter) Warn(msg string, tags ...tag.Tag)   { a.emit(slog.LevelDebug, msg, tags) }
func (a *slogAdapter) Error(msg string, tags ...tag.Tag)  { a.emit(slog.LevelWarn, msg, tags) }
func (a *slogAdapter) DPanic(msg string, tags ...tag.Tag) { a.emit(slog.LevelError, msg, tags) }
func (a *slogAdapter) Panic(msg string, tags ...tag.Tag) {
	a.emit(slog.LevelError, msg, tags)
	panic(msg)
}
func (a *slogAdapter) Fatal(msg string, tags ...tag.Tag) {
	a.emit(slog.LevelError, msg, tags)
	os.Exit(1)
}

// With returns a logger that adds tags to every line.
func (a *slogAdapter) With(tags ...tag.Tag) tlog.Logger {
	return &slogAdapter{log: a.log, tags: append(append([]tag.Tag(nil), a.tags...), tags...)}
}

// dropLines writes what the standard logger prints, except lines holding
// text.
type dropLines struct {
	w    io.Writer
	text string
}

func (d dropLines) Write(p []byte) (int, error) {
	if strings.Contains(string(p), d.text) {
		return len(p), nil
	}
	return d.w.Write(p)
}
