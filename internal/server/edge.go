package server

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/rivetr/rivetr/activities"
	"github.com/rivetr/rivetr/internal/buildinfo"
	"github.com/rivetr/rivetr/internal/config"
	"github.com/rivetr/rivetr/internal/edge"
	"github.com/rivetr/rivetr/internal/proxy"
	"github.com/rivetr/rivetr/internal/secrets"
	"github.com/rivetr/rivetr/schema"
)

// The edge is what serves apps: the proxy's listeners, its route table and
// its certificates. It runs inside the server (--proxy-mode embedded) or as
// `rivetr proxy`, its own process, which outlives the server's restarts
// and upgrades (process, external): the server then drives it through the
// control socket (proxy.Remote).

// routeTable is what the server's release steps and reconcilers need of a
// proxy, embedded (*proxy.Router) or separate (*proxy.Remote).
type routeTable interface {
	activities.Router
	Routes() []proxy.Route
}

var (
	_ routeTable = (*proxy.Router)(nil)
	_ routeTable = (*proxy.Remote)(nil)
)

// edgeListeners binds the proxy's addresses, HTTP then HTTPS.
func edgeListeners(cfg config.Config) (httpLn, httpsLn net.Listener, err error) {
	if httpLn, err = listen("--proxy-addr", cfg.ProxyAddr); err != nil {
		return nil, nil, err
	}
	if cfg.HTTPSAddr != "" {
		if httpsLn, err = listen("--https-addr", cfg.HTTPSAddr); err != nil {
			_ = httpLn.Close()
			return nil, nil, err
		}
	}
	return httpLn, httpsLn, nil
}

// publicURL is the dashboard's address for links: --public-url, else
// its domain's.
func publicURL(cfg config.Config) string {
	if cfg.PublicURL != "" {
		return cfg.PublicURL
	}
	return cfg.DashboardURL()
}

// trustedProxies are the addresses whose X-Forwarded-* headers the API
// believes: --trusted-proxies, and loopback (the edge) when it serves the
// dashboard on its domain, so its sessions know they came over HTTPS.
func trustedProxies(cfg config.Config) []string {
	out := cfg.TrustedProxyList()
	if cfg.DashboardDomain != "" {
		out = append(out, "127.0.0.1", "::1")
	}
	return out
}

// ownNames are the server's own names, certified without being an app's.
func ownNames(cfg config.Config) []string {
	if cfg.DashboardDomain == "" {
		return nil
	}
	return []string{strings.ToLower(cfg.DashboardDomain)}
}

// newOwnership is what proves domains this server's for the API (the
// proxy's certificate manager has its own).
func newOwnership(cfg config.Config) (*edge.Ownership, error) {
	var dns *edge.DNSConfig
	if cfg.DNSConfig != "" {
		var err error
		if dns, err = edge.LoadDNSConfig(cfg.DNSConfig); err != nil {
			return nil, err
		}
	}
	return edge.NewOwnership(cfg.DNSResolver, cfg.PublicIPList(), dns), nil
}

// newCerts is the certificate manager of an edge serving HTTPS.
// It follows the renewals other proxies sharing the store make until ctx
// ends.
func newCerts(ctx context.Context, cfg config.Config, store *schema.Store, httpLn, httpsLn net.Listener, log *slog.Logger) (*edge.TLS, error) {
	var notify func(context.Context, string) error
	if cfg.NotifyURL != "" {
		notify = edge.Webhook(cfg.NotifyURL)
	}
	var dns *edge.DNSConfig
	if cfg.DNSConfig != "" {
		var err error
		if dns, err = edge.LoadDNSConfig(cfg.DNSConfig); err != nil {
			return nil, err
		}
	}
	certs, err := edge.New(edge.Options{
		Store: store, Email: cfg.ACMEEmail, Directory: cfg.ACMEDirectory, CARoot: cfg.ACMECARoot,
		HTTPPort: httpLn.Addr().(*net.TCPAddr).Port, HTTPSPort: httpsLn.Addr().(*net.TCPAddr).Port,
		Lookup: func(ctx context.Context, name string) (string, error) {
			entry, _, err := store.DomainEntry(ctx, name)
			return entry, err
		},
		DNS: dns, PreviewDomain: cfg.PreviewDomain, OwnNames: ownNames(cfg),
		Ownership: edge.NewOwnership(cfg.DNSResolver, cfg.PublicIPList(), dns),
		Notify:    notify,
		Log:       log.With("component", "certificates"),
	})
	if err != nil {
		return nil, err
	}
	go certs.FollowRenewals(ctx, 5*time.Second)
	return certs, nil
}

// serveEdge serves apps on the edge's listeners: HTTP (with the ACME
// HTTP-01 challenge and the redirect to HTTPS when certs is set) and
// HTTPS. Serving errors go to errc; the servers are returned to be shut
// down.
func serveEdge(cfg config.Config, router *proxy.Router, certs *edge.TLS, store *schema.Store, httpLn, httpsLn net.Listener, conns *proxy.ConnTracker, errc chan<- error, log *slog.Logger) []*http.Server {
	var hook func(net.Conn, http.ConnState)
	if conns != nil {
		hook = conns.Hook
		// A handover waits for what was accepted (WaitQuiet).
		httpLn = conns.Listener(httpLn)
		if httpsLn != nil {
			httpsLn = conns.Listener(httpsLn)
		}
	}
	var servers []*http.Server
	policies := edge.CachedPolicies(func(ctx context.Context, host string) (edge.Policy, bool) {
		entry, id, err := store.DomainEntry(ctx, host)
		if err != nil {
			return edge.Policy{}, false
		}
		app, err := store.GetApp(ctx, id)
		if err != nil {
			return edge.Policy{}, false
		}
		p := edge.Policy{AllowHTTP: app.AllowHTTP, HSTS: app.HSTS}
		if entry == host {
			if d, err := store.GetDomain(ctx, host); err == nil {
				p.RedirectTo = d.RedirectTo
			}
		}
		return p, true
	}, 5*time.Second)
	httpsPort := 0
	if httpsLn != nil {
		httpsPort = httpsLn.Addr().(*net.TCPAddr).Port
	}
	dashboard := strings.ToLower(cfg.DashboardDomain)
	var handler http.Handler = edge.Canonical(router, nil, httpsPort, policies)
	if certs != nil {
		handler = certs.HTTPHandler(edge.Dashboard(edge.Canonical(certs.Redirect(router, httpsPort, policies), certs, httpsPort, policies), certs, dashboard, cfg.DashboardUpstream(), httpsPort))
		hs := &http.Server{Handler: edge.Dashboard(edge.StrictTransport(edge.Canonical(router, certs, httpsPort, policies), policies), certs, dashboard, cfg.DashboardUpstream(), httpsPort), TLSConfig: certs.TLSConfig(), ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 120 * time.Second, ConnState: hook}
		servers = append(servers, hs)
		go func() {
			if err := hs.ServeTLS(httpsLn, "", ""); err != nil && !errors.Is(err, http.ErrServerClosed) {
				errc <- fmt.Errorf("HTTPS proxy: %w", err)
			}
		}()
		log.Info("proxy serving apps over HTTPS", "addr", httpsLn.Addr().String())
	}
	ps := &http.Server{Handler: handler, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 120 * time.Second, ConnState: hook}
	servers = append(servers, ps)
	go func() {
		if err := serve(ps, httpLn, "proxy"); err != nil {
			errc <- err
		}
	}()
	log.Info("proxy serving apps", "addr", httpLn.Addr().String(), "routes", len(router.Routes()))
	return servers
}

// proxyFingerprint names the configuration a proxy process serves with;
// a server whose configuration differs restarts the proxy.
func proxyFingerprint(cfg config.Config) string {
	h := sha256.New()
	for _, s := range []string{cfg.DataDir, cfg.ProxyAddr, cfg.HTTPSAddr, cfg.ACMEEmail, cfg.ACMEDirectory, cfg.ACMECARoot, cfg.NotifyURL, cfg.DatabaseURL, cfg.DNSConfig, cfg.PreviewDomain, cfg.DNSResolver, cfg.PublicIPs, cfg.DashboardDomain, cfg.HTTPAddr} {
		fmt.Fprintf(h, "%q\n", s)
	}
	return hex.EncodeToString(h.Sum(nil))[:16]
}

func buildVersion() string { return buildinfo.Read().Short() }

// envTakeOver, set to 1 in a proxy's environment by the server that
// starts it, makes it take the listening sockets of the proxy running for
// the data dir (proxy.TakeOver) instead of binding its own: the switch to
// a new binary or configuration refuses no connection.
const envTakeOver = "RIVETR_PROXY_TAKE_OVER"

// listenAddrs are the proxy addresses cfg configures, in handover order.
func listenAddrs(cfg config.Config) []string {
	out := []string{cfg.ProxyAddr}
	if cfg.HTTPSAddr != "" {
		out = append(out, cfg.HTTPSAddr)
	}
	return out
}

// runProxy is `rivetr proxy`: the edge as its own process, driven through
// its control socket, until ctx ends or the server asks it to stop.
func runProxy(ctx context.Context, cfg config.Config, log *slog.Logger) error {
	if cfg.ProxyAddr == "" {
		return errors.New("rivetr proxy needs --proxy-addr: the address apps are served on")
	}
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return fmt.Errorf("create data dir %s: %w", cfg.DataDir, err)
	}
	sock := cfg.ProxySocket()
	remote := proxy.NewRemote(sock)
	sctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	st, err := remote.Status(sctx)
	cancel()
	takeOver := os.Getenv(envTakeOver) == "1"
	if err == nil && !takeOver {
		return fmt.Errorf("a proxy already runs for this data dir (pid %d, socket %s): stop it with \"rivetr proxy stop\" first", st.PID, sock)
	}
	var httpLn, httpsLn net.Listener
	var release func() error
	if err == nil {
		tctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		lns, rel, err := proxy.TakeOver(tctx, sock, listenAddrs(cfg))
		cancel()
		if err != nil {
			return fmt.Errorf("take over from the running proxy (pid %d): %w", st.PID, err)
		}
		httpLn, release = lns[0], rel
		if len(lns) > 1 {
			httpsLn = lns[1]
		}
		log.Info("took over the listening sockets of the running proxy", "pid", st.PID, "version", st.Version)
	} else if httpLn, httpsLn, err = edgeListeners(cfg); err != nil {
		return err
	}
	defer httpLn.Close()
	if httpsLn != nil {
		defer httpsLn.Close()
	}
	// The store holds the domains' policies (redirects, HTTP allowed,
	// HSTS) and the certificates, sealed with the server's key.
	keys, err := secrets.Load(cfg.DataDir, false)
	if err != nil {
		return err
	}
	store, err := schema.Open(cfg.DatabaseDSN(), keys)
	if err != nil {
		return err
	}
	defer store.Close()
	var certs *edge.TLS
	if httpsLn != nil {
		if certs, err = newCerts(ctx, cfg, store, httpLn, httpsLn, log); err != nil {
			return err
		}
	}
	router, err := proxy.New(filepath.Join(cfg.DataDir, "routes.json"), log.With("component", "proxy"))
	if err != nil {
		return err
	}
	errc := make(chan error, 3)
	var conns proxy.ConnTracker
	servers := serveEdge(cfg, router, certs, store, httpLn, httpsLn, &conns, errc, log)
	if release != nil {
		// Both serve from the same sockets now: the old one may go.
		if err := release(); err != nil {
			return err
		}
	}
	ctl, err := listenControl(sock)
	if err != nil {
		return err
	}
	pidFile := filepath.Join(cfg.DataDir, "proxy.pid")
	_ = os.WriteFile(pidFile, []byte(strconv.Itoa(os.Getpid())+"\n"), 0o600)
	// handedOver: a successor owns the sockets, the pid file and the
	// control socket now; leave them alone.
	var handedOver atomic.Bool
	defer func() {
		if !handedOver.Load() {
			_ = os.Remove(pidFile)
			_ = os.Remove(sock)
		}
	}()

	stop := make(chan struct{}, 1)
	stopNow := func() {
		select {
		case stop <- struct{}{}:
		default:
		}
	}
	started := time.Now()
	cs := &http.Server{ReadHeaderTimeout: 10 * time.Second}
	c := &proxy.Control{
		Router: router,
		Status: func() proxy.Status {
			st := proxy.Status{PID: os.Getpid(), Version: buildVersion(), Config: proxyFingerprint(cfg), HTTPAddr: httpLn.Addr().String(), Started: started, Listen: listenAddrs(cfg)}
			if httpsLn != nil {
				st.HTTPSAddr = httpsLn.Addr().String()
			}
			return st
		},
		Stop: stopNow,
		Handover: &proxy.Handover{
			Listeners: func() ([]net.Listener, []string) {
				lns := []net.Listener{httpLn}
				if httpsLn != nil {
					lns = append(lns, httpsLn)
				}
				return lns, listenAddrs(cfg)
			},
			Release: func() {
				handedOver.Store(true)
				_ = ctl.Close() // removes the socket file: the successor binds it next
				log.Info("handed the listening sockets over to the next proxy; finishing in-flight requests")
				stopNow()
			},
		},
	}
	if certs != nil {
		c.Renew = certs.Renew
	}
	cs.Handler = c.Handler()
	go func() {
		if err := serve(cs, ctl, "proxy control"); err != nil && !handedOver.Load() {
			errc <- err
		}
	}()
	log.Info("proxy control socket listening", "socket", sock, "pid", os.Getpid())

	select {
	case <-ctx.Done():
		log.Info("proxy shutting down")
	case <-stop:
		if !handedOver.Load() {
			log.Info("proxy stopping as asked")
		}
	case err := <-errc:
		return err
	}
	// Stop answering control calls first (the answer to a stop call is
	// still delivered), then let in-flight requests to apps finish.
	cctx, ccancel := context.WithTimeout(context.Background(), 2*time.Second)
	_ = cs.Shutdown(cctx)
	ccancel()
	shut, cancel := context.WithTimeout(context.Background(), cfg.ShutdownTimeout)
	defer cancel()
	if handedOver.Load() {
		// The successor accepts on the same sockets: stop accepting and
		// answer every request already taken before shutting down (which
		// would drop a request read after it began).
		_ = httpLn.Close()
		if httpsLn != nil {
			_ = httpsLn.Close()
		}
		for _, s := range servers {
			s.SetKeepAlivesEnabled(false) // the next request goes to the successor
		}
		conns.WaitQuiet(shut)
	}
	for _, s := range servers {
		_ = s.Shutdown(shut)
	}
	return nil
}

// listenControl binds the control socket, owner-only. A socket file left
// by a proxy that died is replaced (the caller checked nothing answers).
func listenControl(sock string) (net.Listener, error) {
	dir := filepath.Dir(sock)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("proxy control socket: %w", err)
	}
	// Only this account may reach the socket: a directory another user
	// made (or can write) is refused.
	if fi, err := os.Stat(dir); err != nil {
		return nil, err
	} else if st, ok := fi.Sys().(*syscall.Stat_t); ok && (int(st.Uid) != os.Getuid() || fi.Mode().Perm()&0o077 != 0) {
		return nil, fmt.Errorf("proxy control socket: %s must belong to this user with mode 0700 (it is %v, owner %d)", dir, fi.Mode().Perm(), st.Uid)
	}
	_ = os.Remove(sock)
	old := syscall.Umask(0o077)
	ln, err := net.Listen("unix", sock)
	syscall.Umask(old)
	if err != nil {
		return nil, fmt.Errorf("proxy control socket %s: %w", sock, err)
	}
	if err := os.Chmod(sock, 0o600); err != nil {
		ln.Close()
		return nil, err
	}
	return ln, nil
}

// ensureProxy returns the proxy process of cfg's data dir, adopting the
// one that runs with this configuration, restarting one that runs with
// another, and (with --proxy-mode process) starting one when none
// answers. With --proxy-mode external it only waits for one.
func ensureProxy(ctx context.Context, cfg config.Config, log *slog.Logger) (*proxy.Remote, error) {
	sock := cfg.ProxySocket()
	remote := proxy.NewRemote(sock)
	want := proxyFingerprint(cfg)
	status := func(d time.Duration) (proxy.Status, error) {
		sctx, cancel := context.WithTimeout(ctx, d)
		defer cancel()
		return remote.Status(sctx)
	}
	st, err := status(3 * time.Second)
	if cfg.ProxyMode == config.ProxyExternal {
		for i := 0; err != nil && i < 60 && ctx.Err() == nil; i++ {
			time.Sleep(500 * time.Millisecond)
			st, err = status(3 * time.Second)
		}
		if err != nil {
			return nil, fmt.Errorf("--proxy-mode external: no proxy answers on %s after 30 s; start it (systemctl start rivetr-proxy, or rivetr proxy with this server's configuration) or use --proxy-mode process", sock)
		}
		if st.Config != want {
			log.Warn("the proxy runs with another configuration than this server (addresses, ACME or database); restart it with the server's configuration", "pid", st.PID)
		}
		log.Info("using the running proxy", "pid", st.PID, "http", st.HTTPAddr, "https", st.HTTPSAddr, "routes", st.Routes)
		return remote, nil
	}
	if err == nil {
		version := buildVersion()
		if st.Config == want && st.Version == version {
			log.Info("the proxy keeps serving from an earlier start", "pid", st.PID, "version", st.Version, "http", st.HTTPAddr, "https", st.HTTPSAddr, "routes", st.Routes)
			return remote, nil
		}
		// Another binary or configuration on the same addresses: the new
		// proxy takes the old one's sockets over, refusing no connection.
		if strings.Join(st.Listen, ",") == strings.Join(listenAddrs(cfg), ",") {
			log.Info("replacing the running proxy with this binary and configuration; it hands its sockets over, so apps keep answering", "pid", st.PID, "version", st.Version, "new_version", version)
			err := startProxy(ctx, cfg, remote, st.PID, log)
			if err == nil {
				return remote, nil
			}
			log.Warn("the proxy could not be replaced without a gap", "err", err)
			if _, serr := status(3 * time.Second); serr != nil {
				return nil, err // the old one is gone too
			}
		}
		if st.Config == want {
			// A proxy of an older release, which hands nothing over: it
			// serves this configuration, so keep it.
			log.Warn("the running proxy is another version than this server; it keeps serving (\"rivetr proxy stop\" and a server restart replace it, with a short gap for apps)", "pid", st.PID, "version", st.Version, "server_version", version)
			return remote, nil
		}
		log.Warn("the running proxy has another configuration and addresses; restarting it (apps do not answer until it is back)", "pid", st.PID)
		if err := remote.Stop(ctx); err != nil {
			return nil, err
		}
		deadline := time.Now().Add(cfg.ShutdownTimeout + 5*time.Second)
		for time.Now().Before(deadline) {
			if _, err := status(time.Second); errors.Is(err, proxy.ErrProxyDown) {
				break
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	return remote, startProxy(ctx, cfg, remote, 0, log)
}

// startProxy starts `rivetr proxy` with cfg, in its own session so that
// neither a signal to the server's process group nor the server's death
// reaches it, and waits until it answers. With replace, the pid of the
// running proxy, the new one takes that one's sockets over.
func startProxy(ctx context.Context, cfg config.Config, remote *proxy.Remote, replace int, log *slog.Logger) error {
	exe, err := os.Executable()
	if err != nil {
		return fmt.Errorf("find this binary to start the proxy: %w", err)
	}
	logPath := filepath.Join(cfg.DataDir, "proxy.log")
	logf, err := os.OpenFile(logPath, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		return fmt.Errorf("proxy log: %w", err)
	}
	defer logf.Close()
	start := time.Now()
	cmd := exec.Command(exe, "proxy")
	cmd.Env = append(os.Environ(), cfg.Environ()...)
	if replace != 0 {
		cmd.Env = append(cmd.Env, envTakeOver+"=1")
	}
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start the proxy: %w", err)
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	for {
		select {
		case <-exited:
			return fmt.Errorf("the proxy exited at start: %s", tail(logPath, 10))
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
		sctx, cancel := context.WithTimeout(ctx, time.Second)
		st, err := remote.Status(sctx)
		cancel()
		if err == nil && st.PID == cmd.Process.Pid {
			log.Info("started the proxy as its own process; it keeps serving apps while the server restarts", "pid", cmd.Process.Pid, "log", logPath, "took", time.Since(start).Round(time.Millisecond))
			return nil
		}
		if time.Since(start) > 30*time.Second {
			return fmt.Errorf("the proxy (pid %d) does not answer on %s after 30 s; see %s", cmd.Process.Pid, remote.Socket, logPath)
		}
	}
}

// tail is the last n lines of a log file, on one line.
func tail(path string, n int) string {
	f, err := os.Open(path)
	if err != nil {
		return err.Error()
	}
	defer f.Close()
	if st, err := f.Stat(); err == nil && st.Size() > 16<<10 {
		_, _ = f.Seek(-16<<10, io.SeekEnd)
	}
	b, _ := io.ReadAll(f)
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, " | ")
}
