package proxy

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"
)

// The control API lets a server drive a proxy that runs as its own process
// (`rivetr proxy`): the proxy keeps serving apps while the server restarts,
// and the server's release steps switch, drain and remove routes through
// it. It is HTTP over a Unix socket in the data dir; the socket is the
// owner's only (mode 0600 in a 0700 directory), so only the account that
// runs Rivetr can reach it, and containers never see it.

// Status is what a running proxy says about itself.
type Status struct {
	PID int `json:"pid"`
	// Version is the binary's version.
	Version string `json:"version"`
	// Config is a fingerprint of the configuration the proxy serves with
	// (addresses, ACME, store): a server with another fingerprint restarts
	// it.
	Config    string `json:"config"`
	HTTPAddr  string `json:"http_addr"`
	HTTPSAddr string `json:"https_addr,omitempty"`
	// Listen are the addresses it was configured with (--proxy-addr,
	// --https-addr): a successor configured with the same ones takes its
	// sockets over (Handover).
	Listen  []string  `json:"listen,omitempty"`
	Started time.Time `json:"started"`
	Routes  int       `json:"routes"`
}

// Control is what the control API serves.
type Control struct {
	Router *Router
	// Renew forces a certificate's renewal; nil without HTTPS.
	Renew  func(ctx context.Context, host string) error
	Status func() Status
	// Stop asks the proxy process to shut down gracefully.
	Stop func()
	// Handover hands the listeners to a successor; nil: none is offered.
	Handover *Handover
}

type switchReq struct {
	App        string   `json:"app"`
	Domains    []string `json:"domains"`
	Deployment string   `json:"deployment"`
	URL        string   `json:"url"`
}

type drainReq struct {
	Deployment string `json:"deployment"`
	TimeoutMS  int64  `json:"timeout_ms"`
}

// holdReq names an app to hold, release or quiesce, with the bound.
type holdReq struct {
	App     string `json:"app"`
	BoundMS int64  `json:"bound_ms,omitempty"`
}

type controlReply struct {
	Previous string `json:"previous,omitempty"`
	Changed  bool   `json:"changed,omitempty"`
	Cut      int    `json:"cut,omitempty"`
	Error    string `json:"error,omitempty"`
}

// Handler serves the control API.
func (c *Control) Handler() http.Handler {
	mux := http.NewServeMux()
	reply := func(w http.ResponseWriter, v any, err error) {
		w.Header().Set("Content-Type", "application/json")
		if err != nil {
			w.WriteHeader(http.StatusUnprocessableEntity)
			_ = json.NewEncoder(w).Encode(controlReply{Error: err.Error()})
			return
		}
		_ = json.NewEncoder(w).Encode(v)
	}
	decode := func(w http.ResponseWriter, r *http.Request, v any) bool {
		if err := json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(v); err != nil {
			http.Error(w, "bad request: "+err.Error(), http.StatusBadRequest)
			return false
		}
		return true
	}
	mux.HandleFunc("GET /status", func(w http.ResponseWriter, r *http.Request) {
		st := c.Status()
		st.Routes = len(c.Router.Routes())
		reply(w, st, nil)
	})
	mux.HandleFunc("GET /routes", func(w http.ResponseWriter, r *http.Request) {
		reply(w, c.Router.Routes(), nil)
	})
	mux.HandleFunc("POST /switch", func(w http.ResponseWriter, r *http.Request) {
		var in switchReq
		if decode(w, r, &in) {
			prev, err := c.Router.Switch(in.App, in.Domains, in.Deployment, in.URL)
			reply(w, controlReply{Previous: prev}, err)
		}
	})
	mux.HandleFunc("POST /domains", func(w http.ResponseWriter, r *http.Request) {
		var in switchReq
		if decode(w, r, &in) {
			changed, err := c.Router.SetDomains(in.App, in.Domains)
			reply(w, controlReply{Changed: changed}, err)
		}
	})
	mux.HandleFunc("POST /remove", func(w http.ResponseWriter, r *http.Request) {
		var in switchReq
		if decode(w, r, &in) {
			prev, err := c.Router.Remove(in.App)
			reply(w, controlReply{Previous: prev}, err)
		}
	})
	mux.HandleFunc("POST /drain", func(w http.ResponseWriter, r *http.Request) {
		var in drainReq
		if decode(w, r, &in) {
			cut := c.Router.Drain(r.Context(), in.Deployment, time.Duration(in.TimeoutMS)*time.Millisecond)
			reply(w, controlReply{Cut: cut}, nil)
		}
	})
	mux.HandleFunc("POST /hold", func(w http.ResponseWriter, r *http.Request) {
		var in holdReq
		if decode(w, r, &in) {
			_ = c.Router.Hold(r.Context(), in.App, time.Duration(in.BoundMS)*time.Millisecond)
			reply(w, controlReply{}, nil)
		}
	})
	mux.HandleFunc("POST /release", func(w http.ResponseWriter, r *http.Request) {
		var in holdReq
		if decode(w, r, &in) {
			_ = c.Router.Release(r.Context(), in.App)
			reply(w, controlReply{}, nil)
		}
	})
	mux.HandleFunc("POST /quiesce", func(w http.ResponseWriter, r *http.Request) {
		var in holdReq
		if decode(w, r, &in) {
			cut, _ := c.Router.Quiesce(r.Context(), in.App, time.Duration(in.BoundMS)*time.Millisecond)
			reply(w, controlReply{Cut: cut}, nil)
		}
	})
	mux.HandleFunc("POST /renew", func(w http.ResponseWriter, r *http.Request) {
		var in struct {
			Host string `json:"host"`
		}
		if decode(w, r, &in) {
			if c.Renew == nil {
				reply(w, nil, errors.New("this proxy serves no HTTPS (start it with --https-addr)"))
				return
			}
			reply(w, controlReply{}, c.Renew(r.Context(), in.Host))
		}
	})
	if c.Handover != nil {
		mux.HandleFunc("POST /handover", c.Handover.serve)
	}
	mux.HandleFunc("POST /stop", func(w http.ResponseWriter, r *http.Request) {
		reply(w, controlReply{}, nil)
		if c.Stop != nil {
			go c.Stop()
		}
	})
	return mux
}

// Remote drives a proxy process through its control socket. It has the
// methods of a Router the release steps use, so a server works the same
// with an embedded proxy or a separate one.
type Remote struct {
	Socket string
	hc     *http.Client
}

// NewRemote returns a client of the control socket at path.
func NewRemote(path string) *Remote {
	tr := &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "unix", path)
		},
		MaxIdleConns: 4, IdleConnTimeout: 30 * time.Second,
	}
	return &Remote{Socket: path, hc: &http.Client{Transport: tr}}
}

// ErrProxyDown is returned when the proxy process does not answer.
var ErrProxyDown = errors.New("the proxy is not answering")

func (p *Remote) call(ctx context.Context, method, path string, in, out any) error {
	var body io.Reader
	if in != nil {
		b, _ := json.Marshal(in)
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, "http://proxy"+path, body)
	if err != nil {
		return err
	}
	res, err := p.hc.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return fmt.Errorf("%w on %s (is `rivetr proxy` running? its log is proxy.log in the data dir): %v", ErrProxyDown, p.Socket, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(io.LimitReader(res.Body, 8<<20))
	if err != nil {
		return fmt.Errorf("%w: reading its answer: %v", ErrProxyDown, err)
	}
	if res.StatusCode == http.StatusUnprocessableEntity {
		var r controlReply
		if json.Unmarshal(b, &r) == nil && r.Error != "" {
			return errors.New(r.Error)
		}
	}
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("the proxy answered %s: %s", res.Status, bytes.TrimSpace(b))
	}
	if out != nil {
		return json.Unmarshal(b, out)
	}
	return nil
}

// short bounds the calls that only touch the proxy's memory.
func short() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), 30*time.Second)
}

// Status asks the proxy about itself.
func (p *Remote) Status(ctx context.Context) (Status, error) {
	var st Status
	err := p.call(ctx, "GET", "/status", nil, &st)
	return st, err
}

// Switch points app at deployment's target; it returns the deployment
// that served before.
func (p *Remote) Switch(app string, domains []string, deployment, targetURL string) (string, error) {
	ctx, cancel := short()
	defer cancel()
	var r controlReply
	err := p.call(ctx, "POST", "/switch", switchReq{App: app, Domains: domains, Deployment: deployment, URL: targetURL}, &r)
	return r.Previous, err
}

// SetDomains gives app's route its domains.
func (p *Remote) SetDomains(app string, domains []string) (bool, error) {
	ctx, cancel := short()
	defer cancel()
	var r controlReply
	err := p.call(ctx, "POST", "/domains", switchReq{App: app, Domains: domains}, &r)
	return r.Changed, err
}

// Remove takes app's route away; it returns the deployment that served.
func (p *Remote) Remove(app string) (string, error) {
	ctx, cancel := short()
	defer cancel()
	var r controlReply
	err := p.call(ctx, "POST", "/remove", switchReq{App: app}, &r)
	return r.Previous, err
}

// Drain waits until a retired deployment's in-flight requests finish (up
// to timeout) and returns how many were cut. A proxy that cannot be asked
// counts as nothing cut: the old container goes either way, as with an
// embedded proxy whose process ended.
func (p *Remote) Drain(ctx context.Context, deployment string, timeout time.Duration) int {
	var r controlReply
	cctx, cancel := context.WithTimeout(ctx, timeout+30*time.Second)
	defer cancel()
	if err := p.call(cctx, "POST", "/drain", drainReq{Deployment: deployment, TimeoutMS: timeout.Milliseconds()}, &r); err != nil {
		return 0
	}
	return r.Cut
}

// Hold parks app's new requests until its next switch, a Release or the
// bound (see Router.Hold).
func (p *Remote) Hold(ctx context.Context, app string, bound time.Duration) error {
	return p.call(ctx, "POST", "/hold", holdReq{App: app, BoundMS: bound.Milliseconds()}, nil)
}

// Release lets app's parked requests go on.
func (p *Remote) Release(ctx context.Context, app string) error {
	return p.call(ctx, "POST", "/release", holdReq{App: app}, nil)
}

// Quiesce waits for the requests on app's current container (see
// Router.Quiesce) and returns how many it cut.
func (p *Remote) Quiesce(ctx context.Context, app string, timeout time.Duration) (int, error) {
	var r controlReply
	cctx, cancel := context.WithTimeout(ctx, timeout+30*time.Second)
	defer cancel()
	err := p.call(cctx, "POST", "/quiesce", holdReq{App: app, BoundMS: timeout.Milliseconds()}, &r)
	return r.Cut, err
}

// Routes lists the proxy's route table; nil when it does not answer.
func (p *Remote) Routes() []Route {
	ctx, cancel := short()
	defer cancel()
	var rs []Route
	if err := p.call(ctx, "GET", "/routes", nil, &rs); err != nil {
		return nil
	}
	return rs
}

// Renew forces a renewal of host's certificate in the proxy.
func (p *Remote) Renew(ctx context.Context, host string) error {
	return p.call(ctx, "POST", "/renew", map[string]string{"host": host}, nil)
}

// Stop asks the proxy process to shut down.
func (p *Remote) Stop(ctx context.Context) error {
	return p.call(ctx, "POST", "/stop", struct{}{}, nil)
}
