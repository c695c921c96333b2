package proxy

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"sync"
	"time"
)

// upstream is a small synchronous HTTP/1.1 client for one container, used
// for the bulk of proxied traffic: GET and HEAD requests without a body or
// an Upgrade. It writes the request and reads the answer on the caller's
// goroutine over a pooled keep-alive connection.
//
// http.Transport hands every round trip to per-connection read and write
// goroutines; on a busy 2-core host those hand-offs cost more than the
// proxying itself. Everything else (bodies, WebSockets, https targets) still
// goes through http.Transport, which handles concurrent body streaming,
// 100-continue and protocol switches.
type upstream struct {
	addr   string
	dialer net.Dialer

	mu     sync.Mutex
	idle   []*upConn // LIFO: the most recently used connection is warmest
	closed bool
}

type upConn struct {
	conn   net.Conn
	br     *bufio.Reader
	bw     *bufio.Writer
	reused bool
	idleAt time.Time
}

const (
	upstreamMaxIdle     = 512
	upstreamIdleTimeout = 60 * time.Second
	upstreamBuffer      = 64 << 10
)

// errUpstreamClosed is returned by requests started after the target was
// drained; the router never sends any there, so it marks a bug if seen.
var errUpstreamClosed = errors.New("proxy: upstream closed")

func newUpstream(addr string) *upstream {
	return &upstream{addr: addr, dialer: net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}}
}

// handles reports whether req can take the fast path.
func (u *upstream) handles(req *http.Request) bool {
	return (req.Method == http.MethodGet || req.Method == http.MethodHead) &&
		(req.Body == nil || req.Body == http.NoBody) &&
		req.Header.Get("Upgrade") == "" && req.URL.Scheme == "http"
}

// RoundTrip sends req and returns the response. A request on a reused
// connection that the container closed while it sat idle (an error before
// any byte of the answer) is retried once on a fresh connection: GET and
// HEAD without a body are safe to replay, and this is what http.Transport
// does too.
func (u *upstream) RoundTrip(req *http.Request) (*http.Response, error) {
	for attempt := 0; ; attempt++ {
		c, err := u.get(req.Context())
		if err != nil {
			return nil, err
		}
		resp, replay, err := u.roundTrip(c, req)
		if err == nil {
			return resp, nil
		}
		c.conn.Close()
		if !replay || attempt > 0 || req.Context().Err() != nil {
			return nil, err
		}
	}
}

func (u *upstream) roundTrip(c *upConn, req *http.Request) (resp *http.Response, replay bool, err error) {
	ctx := req.Context()
	stop := context.AfterFunc(ctx, func() { c.conn.SetDeadline(time.Unix(1, 0)) })
	fail := func(err error, replay bool) (*http.Response, bool, error) {
		stop()
		if cerr := context.Cause(ctx); cerr != nil {
			err = cerr
		}
		return nil, replay, err
	}
	if err := req.Write(c.bw); err != nil {
		return fail(err, c.reused)
	}
	if err := c.bw.Flush(); err != nil {
		return fail(err, c.reused)
	}
	// Nothing read yet: a closed idle connection shows up here.
	if _, err := c.br.Peek(1); err != nil {
		return fail(err, c.reused)
	}
	for {
		resp, err = http.ReadResponse(c.br, req)
		if err != nil {
			return fail(err, false)
		}
		// Informational answers (103 Early Hints) are dropped; the final
		// answer follows on the same connection. 101 needs an Upgrade
		// request, which never takes this path.
		if resp.StatusCode >= 100 && resp.StatusCode < 200 {
			if resp.StatusCode == http.StatusSwitchingProtocols {
				return fail(errors.New("proxy: app switched protocols without an Upgrade request"), false)
			}
			continue
		}
		break
	}
	keep := !resp.Close && !req.Close &&
		(resp.Body == http.NoBody || resp.ContentLength >= 0 || isChunked(resp.TransferEncoding))
	resp.Body = &upBody{ctx: ctx, rc: resp.Body, c: c, u: u, stop: stop, keep: keep}
	return resp, false, nil
}

func isChunked(te []string) bool {
	return len(te) > 0 && te[0] == "chunked"
}

// upBody returns its connection to the pool once the body has been read to
// the end; a body closed early takes its connection down with it, since the
// rest of the answer is still on the wire.
type upBody struct {
	ctx  context.Context
	rc   io.ReadCloser
	c    *upConn
	u    *upstream
	stop func() bool
	keep bool
	done bool
}

func (b *upBody) Read(p []byte) (int, error) {
	if b.done {
		return 0, io.EOF
	}
	n, err := b.rc.Read(p)
	if err == io.EOF {
		b.finish(true)
	} else if err != nil {
		b.finish(false)
		// A cancelled request shows up as a deadline error on the
		// connection; say what really happened.
		if cerr := context.Cause(b.ctx); cerr != nil {
			err = cerr
		}
	}
	return n, err
}

func (b *upBody) Close() error {
	b.finish(false)
	return nil
}

func (b *upBody) finish(complete bool) {
	if b.done {
		return
	}
	b.done = true
	// stop reports false when the request's context already fired and
	// poisoned the connection's deadline.
	if b.stop() && complete && b.keep {
		b.u.put(b.c)
		return
	}
	b.c.conn.Close()
}

func (u *upstream) get(ctx context.Context) (*upConn, error) {
	now := time.Now()
	u.mu.Lock()
	if u.closed {
		u.mu.Unlock()
		return nil, errUpstreamClosed
	}
	for n := len(u.idle); n > 0; n = len(u.idle) {
		c := u.idle[n-1]
		u.idle[n-1] = nil
		u.idle = u.idle[:n-1]
		if now.Sub(c.idleAt) < upstreamIdleTimeout {
			u.mu.Unlock()
			return c, nil
		}
		c.conn.Close()
	}
	u.mu.Unlock()
	conn, err := u.dialer.DialContext(ctx, "tcp", u.addr)
	if err != nil {
		return nil, err
	}
	return &upConn{
		conn: conn,
		br:   bufio.NewReaderSize(conn, upstreamBuffer),
		bw:   bufio.NewWriterSize(conn, 4<<10),
	}, nil
}

func (u *upstream) put(c *upConn) {
	c.reused = true
	c.idleAt = time.Now()
	u.mu.Lock()
	if u.closed || len(u.idle) >= upstreamMaxIdle || c.br.Buffered() > 0 {
		// Bytes past the end of an answer mean the app sent more than it
		// said it would; the connection can't be trusted.
		u.mu.Unlock()
		c.conn.Close()
		return
	}
	u.idle = append(u.idle, c)
	u.mu.Unlock()
}

// close drops the idle connections and refuses new requests.
func (u *upstream) close() {
	u.mu.Lock()
	idle := u.idle
	u.idle = nil
	u.closed = true
	u.mu.Unlock()
	for _, c := range idle {
		c.conn.Close()
	}
}
