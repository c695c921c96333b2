// Package server assembles a Rivetr process from its parts: the store, the
// Temporal connection (embedded or external), the workers, the proxy and the
// API. `rivetr server` runs all of them; `rivetr worker` runs the parts a
// Docker host needs.
package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	sdkworker "go.temporal.io/sdk/worker"

	"github.com/rivetr/rivetr/activities"
	"github.com/rivetr/rivetr/api"
	"github.com/rivetr/rivetr/internal/config"
	"github.com/rivetr/rivetr/internal/docker"
	"github.com/rivetr/rivetr/internal/edge"
	"github.com/rivetr/rivetr/internal/egress"
	"github.com/rivetr/rivetr/internal/ids"
	"github.com/rivetr/rivetr/internal/mail"
	"github.com/rivetr/rivetr/internal/proxy"
	"github.com/rivetr/rivetr/internal/ratelimit"
	"github.com/rivetr/rivetr/internal/release"
	"github.com/rivetr/rivetr/internal/secrets"
	"github.com/rivetr/rivetr/internal/service"
	"github.com/rivetr/rivetr/internal/tclient"
	"github.com/rivetr/rivetr/schema"
	"github.com/rivetr/rivetr/web"
	"github.com/rivetr/rivetr/worker"
	"github.com/rivetr/rivetr/workflows"
)

// Embedder starts the embedded Temporal server and UI the configuration
// asks for and returns how to stop them. The rivetr binary passes
// temporalsrv.Embedded; rivetr-agent, built without the Temporal server,
// passes none.
type Embedder func(cfg config.Config, log *slog.Logger) (stop func(), err error)

// Runner returns the function that runs a Rivetr process until ctx ends and
// then shuts it down gracefully. By default it runs the API, dashboard,
// workers, proxy and (unless an external cluster is configured) the embedded
// Temporal server and UI. As a worker it runs the workers and the proxy of
// one Docker host against an external Temporal cluster; as a proxy, only
// the edge (runProxy).
func Runner(embed Embedder) func(ctx context.Context, cfg config.Config, role config.Role, log *slog.Logger) error {
	return func(ctx context.Context, cfg config.Config, role config.Role, log *slog.Logger) error {
		if role == config.RoleProxy {
			return runProxy(ctx, cfg, log)
		}
		return run(ctx, cfg, role == config.RoleWorker, log, embed)
	}
}

func run(ctx context.Context, cfg config.Config, agent bool, log *slog.Logger, embed Embedder) error {
	if agent && cfg.Embedded() {
		return errors.New("rivetr worker needs --temporal-address: it joins an existing Temporal cluster (rivetr server runs everything in one process)")
	}
	if cfg.Embedded() && embed == nil {
		return errors.New("this binary (rivetr-agent) has no embedded Temporal server: pass --temporal-address to use a Temporal cluster, or run the full rivetr binary")
	}
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return fmt.Errorf("create data dir %s: %w", cfg.DataDir, err)
	}
	var cleanups []func()
	defer func() {
		for i := len(cleanups) - 1; i >= 0; i-- {
			cleanups[i]()
		}
	}()

	// The server makes a key file on first start; a worker only uses the
	// key it is given (RIVETR_SECRET_KEY, or a key file copied to its data
	// dir), so it never seals with a key the server lacks.
	keys, err := secrets.Load(cfg.DataDir, !agent)
	if err != nil {
		return err
	}
	store, err := schema.Open(cfg.DatabaseDSN(), keys)
	if err != nil {
		return err
	}
	log.Debug("database schema", "driver", store.Driver(), "version", schema.SchemaVersion())
	if keys == nil {
		log.Warn("no secret key: this worker cannot start apps with secret env vars or git credentials; give it the server's " + secrets.EnvKey)
	} else if !agent {
		// Seal what was written before sealing existed, or under an old key.
		n, bad, err := store.Reseal(ctx)
		switch {
		case err != nil:
			return fmt.Errorf("seal secrets: %w", err)
		case bad > 0:
			log.Warn("some secrets are sealed with a key this server does not have; deploys that need them will fail until it gets that key", "count", bad, "keys", keys.IDs())
		case n > 0:
			log.Info("sealed secrets with the current key", "count", n, "key", keys.Current())
		}
	}
	cleanups = append(cleanups, func() { _ = store.Close() })

	// Listeners first: a port in use is reported before anything starts.
	var apiLn, proxyLn, httpsLn net.Listener
	if !agent {
		if apiLn, err = listen("--http-addr", cfg.HTTPAddr); err != nil {
			return err
		}
		cleanups = append(cleanups, func() { _ = apiLn.Close() })
	}
	if cfg.HTTPSAddr != "" && cfg.ProxyAddr == "" {
		return errors.New("--https-addr needs the proxy (--proxy-addr): the HTTP-01 challenge and the redirect to HTTPS are served there")
	}
	embeddedEdge := cfg.ProxyAddr != "" && cfg.ProxyMode == config.ProxyEmbedded
	if embeddedEdge {
		if proxyLn, httpsLn, err = edgeListeners(cfg); err != nil {
			return err
		}
		cleanups = append(cleanups, func() { _ = proxyLn.Close() })
		if httpsLn != nil {
			cleanups = append(cleanups, func() { _ = httpsLn.Close() })
		}
	}

	if cfg.Embedded() && cfg.TemporalToken == "" {
		if cfg.TemporalToken, err = temporalToken(cfg.DataDir); err != nil {
			return err
		}
	}
	if cfg.Embedded() {
		start := time.Now()
		stop, err := embed(cfg, log.With("component", "temporal"))
		if err != nil {
			return err
		}
		cleanups = append(cleanups, stop)
		log.Info("embedded Temporal server started", "frontend", cfg.TemporalListen, "ui", cfg.UIBaseURL(), "took", time.Since(start).Round(time.Millisecond))
	}
	dialCtx, cancel := context.WithTimeout(ctx, 60*time.Second)
	tc, err := tclient.Dial(dialCtx, cfg.TemporalFrontend(), cfg.TemporalNamespace, cfg.TemporalToken, log)
	cancel()
	if err != nil {
		return err
	}
	cleanups = append(cleanups, tc.Close)
	if err := tclient.EnsureSearchAttributes(ctx, tc, cfg.TemporalNamespace); err != nil {
		return err
	}

	dock, err := docker.New()
	if err != nil {
		return err
	}
	cleanups = append(cleanups, func() { _ = dock.Close() })
	if err := dock.SetNetworkPool(cfg.NetworkPool); err != nil {
		return fmt.Errorf("--network-pool: %w", err)
	}
	pctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	dockerUp := false
	if err := dock.Ping(pctx); err != nil {
		// Deploys wait for Docker (their activities retry); the API works.
		log.Warn("Docker is not reachable; deploys will wait for it", "err", err)
	} else {
		dockerUp = true
	}
	cancel()

	// The proxy: in this process, or its own (started now unless one
	// already serves), driven through its control socket.
	var router *proxy.Router
	var routes routeTable
	var certs *edge.TLS
	var hostCerts activities.Certs
	switch {
	case cfg.ProxyAddr == "":
	case embeddedEdge:
		if router, err = proxy.New(filepath.Join(cfg.DataDir, "routes.json"), log.With("component", "proxy")); err != nil {
			return err
		}
		routes = router
		// The proxy's certificates (with --https-addr): made before the
		// workers, whose host activities renew them.
		if httpsLn != nil {
			if certs, err = newCerts(ctx, cfg, store, proxyLn, httpsLn, log); err != nil {
				return err
			}
			hostCerts = certs
		}
	default:
		remote, err := ensureProxy(ctx, cfg, log.With("component", "proxy"))
		if err != nil {
			return err
		}
		routes = remote
		if cfg.HTTPSAddr != "" {
			hostCerts = remote
		}
	}
	instance, err := store.InstanceID(ctx)
	if err != nil {
		return err
	}
	if dockerUp && routes != nil {
		mctx, cancel := context.WithTimeout(ctx, time.Minute)
		moveToTeamNetworks(mctx, store, dock, routes, cfg.Network, instance, log.With("component", "docker"))
		cancel()
	}
	previewDomain := strings.Trim(cfg.PreviewDomain, ".")
	images, err := cfg.Images()
	if err != nil {
		return err
	}
	out, err := egress.Parse(cfg.EgressAllow)
	if err != nil {
		return err
	}
	// Workers: workflows and the shared activities on the shared queue,
	// Docker, proxy and disk activities on this host's queue (see package
	// worker).
	opts := sdkworker.Options{WorkerStopTimeout: 10 * time.Second}
	// Decisions (approve, reject, override) reach workflows signed by the
	// server that checked who decides; this worker's validators refuse
	// others, and all of them when it has no key to check with.
	workflows.VerifyDecisionsWith(func(msg, sig string) bool {
		return keys != nil && keys.Verify(msg, service.DecisionContext, sig)
	})
	main := sdkworker.New(tc, workflows.TaskQueue, opts)
	worker.RegisterWorkflows(main)
	worker.RegisterShared(main, worker.Shared{
		Records:         &activities.Records{Store: store},
		DatabaseRecords: &activities.DatabaseRecords{Store: store},
		Previews:        &activities.Previews{Store: store, Domain: previewDomain},
		Reports:         &activities.Reports{Store: store, Egress: out},
		Starts:          &activities.Starts{Starter: service.Starter{Store: store, Temporal: tc, Egress: out}},
	})
	host := sdkworker.New(tc, cfg.HostQueue(), opts)
	worker.RegisterHost(host, worker.Host{
		Host: &activities.Host{
			Store: store, Docker: dock, Router: routes, Network: cfg.Network, Instance: instance, Certs: hostCerts,
			WorkDir:       filepath.Join(cfg.DataDir, "builds"),
			UploadDir:     filepath.Join(cfg.DataDir, "uploads"),
			AllowLocalGit: cfg.AllowLocalGit,
			Egress:        out,
			Images:        images,
			Log:           log.With("component", "activities"),
		},
		Databases: &activities.Databases{Store: store, Docker: dock, Network: cfg.Network, Instance: instance},
		Backups:   &activities.Backups{Store: store, Docker: dock, Network: cfg.Network, Dir: filepath.Join(cfg.DataDir, "backups"), Egress: out, Instance: instance, Router: routes},
	})
	for _, w := range []sdkworker.Worker{main, host} {
		if err := w.Start(); err != nil {
			return fmt.Errorf("start worker: %w", err)
		}
		cleanups = append(cleanups, w.Stop)
	}
	log.Info("workers polling", "queues", []string{workflows.TaskQueue, cfg.HostQueue()})

	var servers []*http.Server
	errc := make(chan error, 3)
	if routes != nil {
		go reconcileRoutes(ctx, routes, dock, store, cfg.Network, log.With("component", "proxy"))
	}
	if embeddedEdge {
		servers = append(servers, serveEdge(cfg, router, certs, store, proxyLn, httpsLn, nil, errc, log)...)
	}
	if !agent {
		_, proxyPort, _ := net.SplitHostPort(cfg.ProxyAddr)
		ownership, err := newOwnership(cfg)
		if err != nil {
			return err
		}
		svc := service.New(service.Options{
			Ownership: ownership,
			Keys:      keys,
			Log:       log.With("component", "service"),
			Mailer:    mailer(cfg), PublicURL: publicURL(cfg), PreviewDomain: cfg.PreviewDomain, DashboardDomain: cfg.DashboardDomain,
			UploadDir: filepath.Join(cfg.DataDir, "uploads"), BackupDir: filepath.Join(cfg.DataDir, "backups"), AllowLocalGit: cfg.AllowLocalGit, Egress: out,
			Store: store, Temporal: tc, Docker: dock, HostName: cfg.HostName,
			Namespace: cfg.TemporalNamespace, UIBaseURL: cfg.UIBaseURL(), ProxyPort: proxyPort, DataDir: cfg.DataDir,
		})
		path, created, err := svc.EnsureAdminToken(ctx, cfg.DataDir)
		if err != nil {
			return err
		}
		if created {
			log.Info("created the admin API token", "file", path, "cli", "export RIVETR_DATA_DIR="+cfg.DataDir+" (or RIVETR_TOKEN=$(cat "+path+"))")
		}
		limits := ratelimit.NewLimits(cfg.LoginRate, cfg.APIRate, cfg.WebhookRate)
		engine, err := api.New(svc, log.With("component", "api"), api.Options{TrustedProxies: trustedProxies(cfg), Limits: limits})
		if err != nil {
			return err
		}
		if err := web.Register(engine, svc, log.With("component", "web"), web.Options{Limits: limits, TemporalUI: cfg.UIUpstream(), TrustedProxies: trustedProxies(cfg), AdminToken: path}); err != nil {
			return err
		}
		// Headers in 10 s, idle keep-alive connections closed after 2 min.
		// No ReadTimeout: net/http cancels a request whose connection's read
		// deadline passes, which would cut followed log streams.
		as := &http.Server{Handler: engine, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute}
		servers = append(servers, as)
		go func() { errc <- serve(as, apiLn, "API") }()
		log.Info("API and dashboard listening", "url", "http://"+displayAddr(apiLn.Addr().String()))
		if u := cfg.DashboardURL(); u != "" {
			log.Info("API and dashboard served over HTTPS by the proxy", "url", u)
		}
		if w := cfg.PlainExposure(); w != "" {
			log.Warn(w)
		}
		setup, _ := svc.SetupNeeded(ctx)
		newBanner(cfg, apiLn.Addr().String(), path, setup).write(os.Stderr)
	}

	select {
	case <-ctx.Done():
		log.Info("shutting down")
	case err := <-errc:
		return err
	}
	sctx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownTimeout)
	defer cancel()
	for _, s := range servers {
		_ = s.Shutdown(sctx)
	}
	return nil
}

func listen(flag, addr string) (net.Listener, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		hint := "is another process using it?"
		if errors.Is(err, os.ErrPermission) || strings.Contains(err.Error(), "permission denied") {
			hint = "ports below 1024 need root; run as root or pick another port"
		}
		return nil, fmt.Errorf("cannot listen on %s (%s): %w; %s", addr, flag, err, hint)
	}
	return ln, nil
}

func serve(s *http.Server, ln net.Listener, name string) error {
	if err := s.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("%s server: %w", name, err)
	}
	return nil
}

func displayAddr(a string) string {
	host, port, _ := net.SplitHostPort(a)
	if host == "" || host == "::" || host == "0.0.0.0" {
		host = "127.0.0.1"
	}
	return net.JoinHostPort(host, port)
}

// reconcileRoutes keeps every route's container running and the route
// pointing at its current address: a restarted dockerd can leave a serving
// container stopped (its restart policy does not cover every shutdown) or
// give it a new IP.
func reconcileRoutes(ctx context.Context, r routeTable, d *docker.Client, store *schema.Store, network string, log *slog.Logger) {
	t := time.NewTicker(10 * time.Second)
	defer t.Stop()
	for {
		cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		reconcileOnce(cctx, r, d, network, log)
		reconcileDomains(cctx, r, store, log)
		cancel()
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func reconcileOnce(ctx context.Context, r routeTable, d *docker.Client, network string, log *slog.Logger) {
	routes := r.Routes()
	if len(routes) == 0 {
		return
	}
	cs, err := d.Containers(ctx, map[string]string{docker.LabelManaged: "true"})
	if err != nil {
		return
	}
	byDeployment := map[string]docker.Container{}
	for _, c := range cs {
		if c.Labels[activities.LabelService] != "" && c.Labels[docker.LabelNetwork] == "" {
			continue // a stack's service the proxy does not route to
		}
		key := c.Labels[docker.LabelDeployment]
		if c.Labels[activities.LabelRouted] != "" { // a stack route's service
			key = release.RouteDeployment(key, c.Labels[activities.LabelService])
		}
		byDeployment[key] = c
	}
	for _, rt := range routes {
		c, ok := byDeployment[rt.Deployment]
		if !ok || rt.Held {
			// Held: a stop-first release stopped the container on
			// purpose; it starts the new one (or this one again).
			continue
		}
		if c.State == "exited" || c.State == "created" {
			log.Warn("the serving container is not running; starting it", "app", rt.App, "container", c.Name, "state", c.State)
			if err := d.Start(ctx, c.ID); err != nil {
				log.Error("starting the serving container failed", "app", rt.App, "err", err)
				continue
			}
		}
		st, err := d.Inspect(ctx, c.ID, networkOf(c, network))
		if err != nil || st.IP == "" {
			continue
		}
		_, port, _ := net.SplitHostPort(strings.TrimPrefix(rt.URL, "http://"))
		want := "http://" + net.JoinHostPort(st.IP, port)
		if want != rt.URL {
			log.Info("container address changed; updating route", "app", rt.App, "from", rt.URL, "to", want)
			if _, err := r.Switch(rt.App, rt.Domains, rt.Deployment, want); err == nil {
				r.Drain(ctx, rt.Deployment, 0)
			}
		}
	}
}

// temporalToken reads the embedded Temporal frontend's token from the data
// dir, making it on first start (readable by this user only).
func temporalToken(dataDir string) (string, error) {
	path := filepath.Join(dataDir, "temporal-token")
	if b, err := os.ReadFile(path); err == nil {
		if tok := strings.TrimSpace(string(b)); tok != "" {
			return tok, nil
		}
	} else if !errors.Is(err, os.ErrNotExist) {
		return "", fmt.Errorf("read the Temporal token: %w", err)
	}
	tok := ids.Token(32)
	if err := os.WriteFile(path, []byte(tok+"\n"), 0o600); err != nil {
		return "", fmt.Errorf("write the Temporal token: %w", err)
	}
	return tok, nil
}

// reconcileDomains gives each route its app's domains as the store has
// them: a domain change whose DomainsWorkflow was lost (this host was
// down) still takes effect.
func reconcileDomains(ctx context.Context, r routeTable, store *schema.Store, log *slog.Logger) {
	routes := r.Routes()
	if len(routes) == 0 {
		return
	}
	apps, err := store.ListApps(ctx) // one query, however many routes
	if err != nil {
		return
	}
	byName := make(map[string]*schema.App, len(apps))
	for i := range apps {
		byName[apps[i].Name] = &apps[i]
	}
	for _, rt := range routes {
		name, svc := release.SplitRouteKey(rt.App)
		app := byName[name]
		if app == nil {
			continue // deleted: its removal takes the route
		}
		hosts := app.MainDomains()
		if svc != "" {
			hosts = release.RouteHosts(app.StackRoutes, svc)
			if len(hosts) == 0 {
				continue // no longer routed: the next release drops it
			}
		}
		want := make([]string, 0, len(hosts))
		for _, d := range hosts {
			want = append(want, proxy.NormalizeHost(d))
		}
		if !slices.Equal(want, rt.Domains) {
			log.Info("route takes the app's domains", "app", rt.App, "from", rt.Domains, "to", want)
			if _, err := r.SetDomains(rt.App, hosts); err != nil {
				log.Warn("cannot update a route's domains", "app", rt.App, "err", err)
			}
		}
	}
}

// mailer is the SMTP sender the configuration asks for; nil without one.
func mailer(cfg config.Config) *mail.Sender {
	if cfg.SMTPAddr == "" {
		return nil
	}
	return &mail.Sender{Addr: cfg.SMTPAddr, From: cfg.SMTPFrom, User: cfg.SMTPUser, Password: cfg.SMTPPassword, TLS: cfg.SMTPTLS}
}
