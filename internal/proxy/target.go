package proxy

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"sync"
	"time"
)

// errDrained is the cause given to requests cut off because their target was
// drained past its deadline.
var errDrained = errors.New("proxy: target drained")

// Target is one container an app's traffic goes to. It counts its in-flight
// requests so that, once a switch has moved traffic away, Drain can wait for
// them to finish.
type Target struct {
	// Deployment is the deployment whose container this is.
	Deployment string
	// URL is the container's address, e.g. http://172.18.0.5:8080.
	URL *url.URL

	proxy     *httputil.ReverseProxy
	transport *http.Transport
	fast      *upstream

	mu       sync.Mutex
	inflight map[*request]struct{}
	draining bool
	idle     chan struct{} // closed when draining and inflight is empty
}

type request struct {
	cancel  context.CancelCauseFunc
	upgrade bool
}

// NewTarget makes a target for the container at rawURL.
func NewTarget(deployment, rawURL string) (*Target, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, err
	}
	if u.Scheme != "http" && u.Scheme != "https" || u.Host == "" {
		return nil, errors.New("proxy: target URL must be http://host:port")
	}
	t := &Target{Deployment: deployment, URL: u, inflight: map[*request]struct{}{}}
	t.transport = &http.Transport{
		Proxy: nil,
		DialContext: (&net.Dialer{
			Timeout:   5 * time.Second,
			KeepAlive: 30 * time.Second,
		}).DialContext,
		MaxIdleConns:          1024,
		MaxIdleConnsPerHost:   1024,
		IdleConnTimeout:       90 * time.Second,
		ResponseHeaderTimeout: 0, // apps may answer slowly; the client decides
		ExpectContinueTimeout: time.Second,
		// A proxy passes bodies through as they are: no gzip negotiated on
		// the client's behalf, no transparent decompression.
		DisableCompression: true,
		// Bigger buffers mean fewer syscalls for large bodies.
		ReadBufferSize:  64 << 10,
		WriteBufferSize: 64 << 10,
	}
	t.fast = newUpstream(u.Host)
	if u.Port() == "" {
		t.fast.addr = net.JoinHostPort(u.Hostname(), "80")
	}
	t.proxy = &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.SetURL(u)
			pr.SetXForwarded()
			// Apps see the host the client asked for, not the container's address.
			pr.Out.Host = pr.In.Host
		},
		Transport:    t,
		BufferPool:   bufferPool{},
		ErrorHandler: t.errorHandler,
	}
	return t, nil
}

// begin registers a request; it returns false when the target is draining
// and takes no new work.
func (t *Target) begin(r *request) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.draining {
		return false
	}
	t.inflight[r] = struct{}{}
	return true
}

func (t *Target) end(r *request) {
	t.mu.Lock()
	defer t.mu.Unlock()
	delete(t.inflight, r)
	if t.draining && len(t.inflight) == 0 && t.idle != nil {
		close(t.idle)
		t.idle = nil
	}
}

// Inflight returns how many requests are being served.
func (t *Target) Inflight() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.inflight)
}

// drain stops new requests, cancels upgraded connections (WebSockets never
// finish on their own, and their clients reconnect to the new target), waits
// up to timeout for the rest, then cancels what remains. It returns how many
// requests it cut off.
func (t *Target) drain(ctx context.Context, timeout time.Duration) int {
	t.mu.Lock()
	t.draining = true
	var idle chan struct{}
	if len(t.inflight) > 0 {
		idle = make(chan struct{})
		t.idle = idle
	}
	for r := range t.inflight {
		if r.upgrade {
			r.cancel(errDrained)
		}
	}
	t.mu.Unlock()

	if idle != nil {
		timer := time.NewTimer(timeout)
		defer timer.Stop()
		select {
		case <-idle:
		case <-timer.C:
		case <-ctx.Done():
		}
	}

	t.mu.Lock()
	cut := 0
	for r := range t.inflight {
		if !r.upgrade {
			cut++
		}
		r.cancel(errDrained)
	}
	t.mu.Unlock()
	t.transport.CloseIdleConnections()
	t.fast.close()
	return cut
}

// RoundTrip sends plain GET and HEAD requests over the fast path and
// everything else through http.Transport.
func (t *Target) RoundTrip(req *http.Request) (*http.Response, error) {
	if t.fast.handles(req) {
		return t.fast.RoundTrip(req)
	}
	return t.transport.RoundTrip(req)
}

func (t *Target) serve(w http.ResponseWriter, req *http.Request, r *request) {
	defer t.end(r)
	t.proxy.ServeHTTP(w, req)
}

func (t *Target) errorHandler(w http.ResponseWriter, req *http.Request, err error) {
	if errors.Is(context.Cause(req.Context()), errDrained) {
		writeError(w, http.StatusGatewayTimeout, "The request was cut off while an old version of this app was retired.")
		return
	}
	if req.Context().Err() != nil {
		// The client went away; nobody is reading an answer.
		return
	}
	writeError(w, http.StatusBadGateway, "The app did not answer. It may be restarting or crashed; check its logs.")
}

// bufferPool lends the copy buffers ReverseProxy streams bodies through.
// Buffers go back as the array pointer they came out as, so returning one
// allocates nothing.
type bufferPool struct{}

const copyBuffer = 64 << 10

var buffers = sync.Pool{New: func() any { return new([copyBuffer]byte) }}

func (bufferPool) Get() []byte { return buffers.Get().(*[copyBuffer]byte)[:] }
func (bufferPool) Put(b []byte) {
	if cap(b) == copyBuffer {
		buffers.Put((*[copyBuffer]byte)(b[:copyBuffer]))
	}
}
