package proxy

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// frontFor serves a router with one route, "app.test", to target.
func frontFor(t *testing.T, target string) (*Router, *httptest.Server) {
	t.Helper()
	r, _ := New("", nil)
	if _, err := r.Switch("app", []string{"app.test"}, "d1", target); err != nil {
		t.Fatal(err)
	}
	front := httptest.NewServer(r)
	t.Cleanup(front.Close)
	return r, front
}

func idleConns(r *Router) int {
	r.mu.RLock()
	tg := r.apps["app"].target
	r.mu.RUnlock()
	tg.fast.mu.Lock()
	defer tg.fast.mu.Unlock()
	return len(tg.fast.idle)
}

// rawBackend answers every connection with handle, which reads requests
// from br and writes raw bytes to conn; it returns the address and a
// counter of accepted connections.
func rawBackend(t *testing.T, handle func(conn net.Conn, br *bufio.Reader)) (string, *atomic.Int32) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	var conns atomic.Int32
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			conns.Add(1)
			go func() {
				defer c.Close()
				handle(c, bufio.NewReader(c))
			}()
		}
	}()
	return "http://" + ln.Addr().String(), &conns
}

func TestUpstreamReusesConnections(t *testing.T) {
	var conns atomic.Int32
	be := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/chunked" {
			fmt.Fprint(w, "part one,")
			w.(http.Flusher).Flush()
			fmt.Fprint(w, "part two")
			return
		}
		w.Header().Set("X-Method", r.Method)
		fmt.Fprint(w, "hello")
	}))
	be.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	be.Start()
	t.Cleanup(be.Close)
	r, front := frontFor(t, be.URL)

	for i := range 30 {
		path := "/"
		want := "hello"
		if i%3 == 1 {
			path, want = "/chunked", "part one,part two"
		}
		if code, body, _ := get(t, front.URL, "app.test", path); code != 200 || body != want {
			t.Fatalf("request %d: %d %q, want 200 %q", i, code, body, want)
		}
	}
	req, _ := http.NewRequest("HEAD", front.URL, nil)
	req.Host = "app.test"
	res, err := http.DefaultClient.Do(req)
	if err != nil || res.StatusCode != 200 || res.Header.Get("X-Method") != "HEAD" {
		t.Fatalf("HEAD: %v %v", res, err)
	}
	res.Body.Close()
	if n := conns.Load(); n != 1 {
		t.Fatalf("%d backend connections for sequential requests, want 1", n)
	}
	if n := idleConns(r); n != 1 {
		t.Fatalf("%d idle connections pooled, want 1", n)
	}
}

// A container that closes a keep-alive connection while it sits idle must
// not fail the next request: the fast path replays it on a new connection.
func TestUpstreamRetriesConnectionClosedWhileIdle(t *testing.T) {
	addr, conns := rawBackend(t, func(c net.Conn, br *bufio.Reader) {
		if _, err := http.ReadRequest(br); err != nil {
			return
		}
		// Claims keep-alive, then hangs up once the answer is out.
		io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
	})
	_, front := frontFor(t, addr)
	for i := range 10 {
		if code, body, _ := get(t, front.URL, "app.test", "/"); code != 200 || body != "ok" {
			t.Fatalf("request %d: %d %q", i, code, body)
		}
		time.Sleep(5 * time.Millisecond) // let the close land
	}
	if n := conns.Load(); n < 10 {
		t.Fatalf("%d connections for 10 requests on a backend that closes each one", n)
	}
}

func TestUpstreamCloseDelimitedAnswer(t *testing.T) {
	addr, conns := rawBackend(t, func(c net.Conn, br *bufio.Reader) {
		if _, err := http.ReadRequest(br); err != nil {
			return
		}
		// No length, no chunking: the body ends when the connection does.
		io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nuntil close")
	})
	r, front := frontFor(t, addr)
	for i := range 3 {
		if code, body, _ := get(t, front.URL, "app.test", "/"); code != 200 || body != "until close" {
			t.Fatalf("request %d: %d %q", i, code, body)
		}
	}
	if n := conns.Load(); n != 3 {
		t.Fatalf("%d connections, want one per close-delimited answer", n)
	}
	if n := idleConns(r); n != 0 {
		t.Fatalf("%d closed connections pooled", n)
	}
}

// Bytes after the declared end of an answer poison the connection.
func TestUpstreamDropsConnectionWithTrailingGarbage(t *testing.T) {
	addr, _ := rawBackend(t, func(c net.Conn, br *bufio.Reader) {
		for {
			if _, err := http.ReadRequest(br); err != nil {
				return
			}
			io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokEXTRA")
		}
	})
	r, front := frontFor(t, addr)
	for i := range 3 {
		if code, body, _ := get(t, front.URL, "app.test", "/"); code != 200 || body != "ok" {
			t.Fatalf("request %d: %d %q", i, code, body)
		}
	}
	if n := idleConns(r); n != 0 {
		t.Fatalf("a connection with stray bytes was pooled")
	}
}

func TestUpstreamClientGoneMidBody(t *testing.T) {
	release := make(chan struct{})
	be := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "10")
		io.WriteString(w, "12345")
		w.(http.Flusher).Flush()
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(be.Close)
	t.Cleanup(func() { close(release) })
	tg, err := NewTarget("d1", be.URL)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, "GET", be.URL, nil)
	res, err := tg.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 5)
	if _, err := io.ReadFull(res.Body, buf); err != nil || string(buf) != "12345" {
		t.Fatalf("first half: %q %v", buf, err)
	}
	time.AfterFunc(50*time.Millisecond, cancel)
	_, err = res.Body.Read(buf)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("read after cancel: %v, want context.Canceled", err)
	}
	res.Body.Close()
	tg.fast.mu.Lock()
	defer tg.fast.mu.Unlock()
	if len(tg.fast.idle) != 0 {
		t.Fatal("a connection with half an answer on it was pooled")
	}
}

func TestUpstreamLeavesBodiesToTransport(t *testing.T) {
	be := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		fmt.Fprintf(w, "%s %s", r.Method, b)
	}))
	t.Cleanup(be.Close)
	_, front := frontFor(t, be.URL)
	req, _ := http.NewRequest("POST", front.URL, strings.NewReader("payload"))
	req.Host = "app.test"
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if string(b) != "POST payload" {
		t.Fatalf("got %q", b)
	}
}
