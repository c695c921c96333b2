// Package proxy is Rivetr's reverse proxy: it routes each request by its Host
// header to the current container of an app, switches an app to a new
// container atomically, and drains the old one.
//
// The model is kamal-proxy's: a switch is a pointer swap under a write lock,
// requests are proxied outside any lock, and a retired target finishes its
// in-flight requests (up to a deadline) before its container is stopped.
package proxy

import (
	"context"
	"encoding/json"
	"fmt"
	"html"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"
)

// Route is one app's entry in the route table, as persisted and listed.
type Route struct {
	App        string   `json:"app"`
	Domains    []string `json:"domains"`
	Deployment string   `json:"deployment"`
	URL        string   `json:"url"`
	// Held says the app's requests are parked (a stop-first release
	// stopped its container on purpose: nothing should start it again).
	Held bool `json:"held,omitempty"`
}

// Router is an http.Handler that proxies by Host header.
type Router struct {
	log  *slog.Logger
	path string

	mu      sync.RWMutex
	apps    map[string]*appRoute
	hosts   map[string]*Target
	retired map[string]*Target // deployment ID → target awaiting Drain
	hostApp map[string]string  // host → the app it routes to
	holds   map[string]*hold   // app → its parked requests (Hold)

	saveMu sync.Mutex
}

type appRoute struct {
	domains []string
	target  *Target
}

// New returns a router that persists its table to path (none when empty) and
// restores the table found there, so a restarted proxy serves at once.
func New(path string, log *slog.Logger) (*Router, error) {
	if log == nil {
		log = slog.Default()
	}
	r := &Router{log: log, path: path, apps: map[string]*appRoute{}, hosts: map[string]*Target{}, retired: map[string]*Target{},
		hostApp: map[string]string{}, holds: map[string]*hold{}}
	if path == "" {
		return r, nil
	}
	b, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		return r, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read route table: %w", err)
	}
	var routes []Route
	if err := json.Unmarshal(b, &routes); err != nil {
		return nil, fmt.Errorf("route table %s is corrupt (move it aside to start with an empty table): %w", path, err)
	}
	for _, rt := range routes {
		t, err := NewTarget(rt.Deployment, rt.URL)
		if err != nil {
			log.Warn("skipping bad route", "app", rt.App, "err", err)
			continue
		}
		r.apps[rt.App] = &appRoute{domains: normalizeAll(rt.Domains), target: t}
	}
	r.rebuildHosts()
	return r, nil
}

// NormalizeHost lower-cases a host and strips its port and any trailing dot.
func NormalizeHost(h string) string {
	if host, _, err := net.SplitHostPort(h); err == nil {
		h = host
	}
	return strings.TrimRight(strings.ToLower(h), ".")
}

func normalizeAll(ds []string) []string {
	out := make([]string, 0, len(ds))
	for _, d := range ds {
		if d = NormalizeHost(d); d != "" && !slices.Contains(out, d) {
			out = append(out, d)
		}
	}
	return out
}

// rebuildHosts recomputes the host index from apps. Apps are visited in name
// order so that a domain claimed twice resolves the same way every time.
// Callers hold mu for writing.
func (r *Router) rebuildHosts() {
	names := make([]string, 0, len(r.apps))
	for n := range r.apps {
		names = append(names, n)
	}
	sort.Strings(names)
	hosts := make(map[string]*Target, len(r.hosts))
	hostApp := make(map[string]string, len(r.hosts))
	for _, n := range names {
		for _, d := range r.apps[n].domains {
			hosts[d] = r.apps[n].target
			hostApp[d] = n
		}
	}
	r.hosts, r.hostApp = hosts, hostApp
}

// Switch points app's domains at the container of deployment at targetURL
// and returns the deployment it replaced ("" for none). The old target stops
// receiving new requests at once and waits for Drain. Switching to the target
// already in place only updates the domains, so a retried switch is harmless.
func (r *Router) Switch(app string, domains []string, deployment, targetURL string) (string, error) {
	t, err := NewTarget(deployment, targetURL)
	if err != nil {
		return "", err
	}
	r.mu.Lock()
	prev := ""
	old := r.apps[app]
	if old != nil && old.target.Deployment == deployment && old.target.URL.String() == t.URL.String() {
		old.domains = normalizeAll(domains)
	} else {
		if old != nil {
			prev = old.target.Deployment
			r.retired[prev] = old.target
		}
		r.apps[app] = &appRoute{domains: normalizeAll(domains), target: t}
	}
	r.rebuildHosts()
	h := r.holds[app]
	r.mu.Unlock()
	if h != nil { // the new container serves: the parked requests go to it
		r.release(app, h)
	}
	return prev, r.save()
}

// SetDomains changes the domains app's route answers to, keeping its
// target: a domain added or removed takes effect at once, without a
// deploy. It reports whether the app has a route (an app that never
// served gets its domains at its first switch).
func (r *Router) SetDomains(app string, domains []string) (bool, error) {
	r.mu.Lock()
	a := r.apps[app]
	if a == nil {
		r.mu.Unlock()
		return false, nil
	}
	next := normalizeAll(domains)
	if slices.Equal(a.domains, next) {
		r.mu.Unlock()
		return true, nil
	}
	a.domains = next
	r.rebuildHosts()
	r.mu.Unlock()
	return true, r.save()
}

// Drain waits for the requests still running on deployment's retired target
// to finish, up to timeout, and cuts off the rest. It returns how many were
// cut off. Draining a deployment the router does not hold (already drained,
// or retired before a restart) returns at once.
func (r *Router) Drain(ctx context.Context, deployment string, timeout time.Duration) int {
	r.mu.Lock()
	t := r.retired[deployment]
	delete(r.retired, deployment)
	r.mu.Unlock()
	if t == nil {
		return 0
	}
	cut := t.drain(ctx, timeout)
	if cut > 0 {
		r.log.Warn("drain deadline passed; requests cut off", "deployment", deployment, "cut", cut)
	}
	return cut
}

// Remove deletes app's route and retires its target, returning the retired
// deployment ("" when the app had no route).
func (r *Router) Remove(app string) (string, error) {
	r.mu.Lock()
	old := r.apps[app]
	prev := ""
	if old != nil {
		prev = old.target.Deployment
		r.retired[prev] = old.target
		delete(r.apps, app)
		r.rebuildHosts()
	}
	r.mu.Unlock()
	if old == nil {
		return "", nil
	}
	return prev, r.save()
}

// Routes lists the table by app name.
func (r *Router) Routes() []Route {
	r.mu.RLock()
	defer r.mu.RUnlock()
	out := make([]Route, 0, len(r.apps))
	for name, a := range r.apps {
		out = append(out, Route{App: name, Domains: slices.Clone(a.domains), Deployment: a.target.Deployment, URL: a.target.URL.String(), Held: r.holds[name] != nil})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].App < out[j].App })
	return out
}

// Current returns the deployment serving app, if any.
func (r *Router) Current(app string) (Route, bool) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	a := r.apps[app]
	if a == nil {
		return Route{}, false
	}
	return Route{App: app, Domains: slices.Clone(a.domains), Deployment: a.target.Deployment, URL: a.target.URL.String()}, true
}

// save writes the table atomically (temp file, fsync, rename). saveMu orders
// writers; each writes the newest snapshot, so the last write wins correctly.
func (r *Router) save() error {
	if r.path == "" {
		return nil
	}
	r.saveMu.Lock()
	defer r.saveMu.Unlock()
	b, err := json.MarshalIndent(r.Routes(), "", "  ")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(r.path), 0o700); err != nil {
		return fmt.Errorf("save route table: %w", err)
	}
	tmp := r.path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
	if err != nil {
		return fmt.Errorf("save route table: %w", err)
	}
	if _, err := f.Write(b); err != nil {
		f.Close()
		return fmt.Errorf("save route table: %w", err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("save route table: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("save route table: %w", err)
	}
	if err := os.Rename(tmp, r.path); err != nil {
		return fmt.Errorf("save route table: %w", err)
	}
	return nil
}

// ServeHTTP proxies req to the target of its Host.
func (r *Router) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	host := NormalizeHost(req.Host)
	ctx, cancel := context.WithCancelCause(req.Context())
	defer cancel(nil)
	rq := &request{cancel: cancel, upgrade: req.Header.Get("Upgrade") != ""}

	// A held app's requests wait (stop-first releases); they go on when
	// the hold ends, or give up with their client.
	r.mu.RLock()
	h := r.heldFor(host)
	r.mu.RUnlock()
	if h != nil {
		select {
		case <-h.done:
		case <-req.Context().Done():
			return
		}
	}

	// The target is claimed under the read lock, so a Switch (write lock)
	// either happens before and we use the new target, or after and Drain
	// sees this request in flight. No I/O happens under the lock.
	r.mu.RLock()
	t := r.hosts[host]
	if t == nil {
		// A wildcard domain (*.example.com) serves the names one label
		// below it that no app has as such.
		if i := strings.IndexByte(host, '.'); i > 0 {
			t = r.hosts["*"+host[i:]]
		}
	}
	claimed := t != nil && t.begin(rq)
	r.mu.RUnlock()

	if t == nil {
		writeError(w, http.StatusNotFound, fmt.Sprintf("No app is served at %s. Check the app's domain settings (rivetr apps show NAME).", host))
		return
	}
	if !claimed {
		// Only a retired target refuses work, and retired targets are no
		// longer in hosts; reaching here means a race with Remove.
		writeError(w, http.StatusServiceUnavailable, "This app is being stopped.")
		return
	}
	t.serve(w, req.WithContext(ctx), rq)
}

func writeError(w http.ResponseWriter, code int, msg string) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	fmt.Fprintf(w, `<!doctype html><html><head><meta charset="utf-8"><title>%d %s</title>
<style>body{font:16px system-ui,sans-serif;margin:15vh auto;max-width:36rem;padding:0 1rem;color:#222}
@media(prefers-color-scheme:dark){body{background:#111;color:#ddd}}h1{font-size:1.4rem}small{color:#888}</style></head>
<body><h1>%d %s</h1><p>%s</p><small>rivetr proxy</small></body></html>
`, code, http.StatusText(code), code, http.StatusText(code), html.EscapeString(msg))
}
