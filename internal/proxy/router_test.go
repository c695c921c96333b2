package proxy

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func backend(t *testing.T, name string) *httptest.Server {
	t.Helper()
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if d, err := time.ParseDuration(r.URL.Query().Get("sleep")); err == nil {
			select {
			case <-time.After(d):
			case <-r.Context().Done():
				return
			}
		}
		w.Header().Set("X-Seen-Host", r.Host)
		w.Header().Set("X-Seen-Forwarded-For", r.Header.Get("X-Forwarded-For"))
		w.Header().Set("X-Seen-Forwarded-Host", r.Header.Get("X-Forwarded-Host"))
		w.Header().Set("X-Seen-Forwarded-Proto", r.Header.Get("X-Forwarded-Proto"))
		fmt.Fprint(w, name)
	}))
	t.Cleanup(s.Close)
	return s
}

func get(t *testing.T, front, host, path string) (int, string, http.Header) {
	t.Helper()
	req, _ := http.NewRequest("GET", front+path, nil)
	req.Host = host
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b), res.Header
}

func TestRoutesByHost(t *testing.T) {
	r, _ := New("", nil)
	a, b := backend(t, "a"), backend(t, "b")
	if _, err := r.Switch("app-a", []string{"A.example.com"}, "d1", a.URL); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Switch("app-b", []string{"b.example.com", "www.b.example.com"}, "d2", b.URL); err != nil {
		t.Fatal(err)
	}
	front := httptest.NewServer(r)
	defer front.Close()

	tests := []struct {
		host, want string
		code       int
	}{
		{"a.example.com", "a", 200},
		{"A.EXAMPLE.COM:8080", "a", 200},
		{"b.example.com", "b", 200},
		{"www.b.example.com.", "b", 200},
		{"c.example.com", "No app is served at c.example.com", 404},
	}
	for _, tc := range tests {
		code, body, hdr := get(t, front.URL, tc.host, "/")
		if code != tc.code || !strings.Contains(body, tc.want) {
			t.Errorf("%s: %d %q, want %d %q", tc.host, code, body, tc.code, tc.want)
		}
		if code == 200 {
			if hdr.Get("X-Seen-Host") != tc.host {
				t.Errorf("%s: app saw Host %q", tc.host, hdr.Get("X-Seen-Host"))
			}
			if hdr.Get("X-Seen-Forwarded-For") != "127.0.0.1" || hdr.Get("X-Seen-Forwarded-Proto") != "http" ||
				hdr.Get("X-Seen-Forwarded-Host") != tc.host {
				t.Errorf("%s: forwarded headers %v", tc.host, hdr)
			}
		}
	}
}

func TestBadGatewayWhenTargetDown(t *testing.T) {
	r, _ := New("", nil)
	dead := backend(t, "x")
	dead.Close()
	r.Switch("app", []string{"app.test"}, "d1", dead.URL)
	front := httptest.NewServer(r)
	defer front.Close()
	if code, body, _ := get(t, front.URL, "app.test", "/"); code != 502 || !strings.Contains(body, "did not answer") {
		t.Fatalf("got %d %q", code, body)
	}
}

// TestSwitchUnderLoad switches between two backends many times while clients
// hammer the proxy; no request may fail.
func TestSwitchUnderLoad(t *testing.T) {
	r, _ := New("", nil)
	backends := []*httptest.Server{backend(t, "blue"), backend(t, "green")}
	r.Switch("app", []string{"app.test"}, "d0", backends[0].URL)
	front := httptest.NewServer(r)
	defer front.Close()

	var ok, failed atomic.Int64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 4}}
			for {
				select {
				case <-stop:
					return
				default:
				}
				req, _ := http.NewRequest("GET", front.URL+"/?sleep=2ms", nil)
				req.Host = "app.test"
				res, err := client.Do(req)
				if err != nil {
					failed.Add(1)
					continue
				}
				io.Copy(io.Discard, res.Body)
				res.Body.Close()
				if res.StatusCode != 200 {
					failed.Add(1)
				} else {
					ok.Add(1)
				}
			}
		}()
	}
	for i := 1; i <= 20; i++ {
		time.Sleep(20 * time.Millisecond)
		prev, err := r.Switch("app", []string{"app.test"}, fmt.Sprint("d", i), backends[i%2].URL)
		if err != nil || prev != fmt.Sprint("d", i-1) {
			t.Fatalf("switch %d: prev %q err %v", i, prev, err)
		}
		if cut := r.Drain(context.Background(), prev, 5*time.Second); cut != 0 {
			t.Fatalf("drain cut %d requests", cut)
		}
	}
	close(stop)
	wg.Wait()
	if failed.Load() != 0 || ok.Load() < 100 {
		t.Fatalf("ok=%d failed=%d", ok.Load(), failed.Load())
	}
}

func TestDrainWaitsThenCutsOff(t *testing.T) {
	r, _ := New("", nil)
	old, next := backend(t, "old"), backend(t, "new")
	r.Switch("app", []string{"app.test"}, "d1", old.URL)
	front := httptest.NewServer(r)
	defer front.Close()

	type result struct {
		code int
		body string
	}
	slow := func(d string) chan result {
		ch := make(chan result, 1)
		go func() {
			req, _ := http.NewRequest("GET", front.URL+"/?sleep="+d, nil)
			req.Host = "app.test"
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				ch <- result{0, err.Error()}
				return
			}
			b, _ := io.ReadAll(res.Body)
			res.Body.Close()
			ch <- result{res.StatusCode, string(b)}
		}()
		return ch
	}

	// A request shorter than the drain timeout finishes normally on the old target.
	short := slow("300ms")
	waitInflight(t, r, "app", 1)
	r.Switch("app", []string{"app.test"}, "d2", next.URL)
	if _, body, _ := get(t, front.URL, "app.test", "/"); body != "new" {
		t.Fatalf("after switch, new requests go to %q", body)
	}
	start := time.Now()
	if cut := r.Drain(context.Background(), "d1", 5*time.Second); cut != 0 {
		t.Fatalf("cut %d", cut)
	}
	if el := time.Since(start); el < 150*time.Millisecond {
		t.Fatalf("drain returned after %v without waiting", el)
	}
	if res := <-short; res.code != 200 || res.body != "old" {
		t.Fatalf("in-flight request: %+v", res)
	}

	// A request longer than the timeout is cut off with a 504.
	long := slow("10s")
	waitInflight(t, r, "app", 1)
	r.Switch("app", []string{"app.test"}, "d3", old.URL)
	if cut := r.Drain(context.Background(), "d2", 100*time.Millisecond); cut != 1 {
		t.Fatalf("cut %d, want 1", cut)
	}
	if res := <-long; res.code != http.StatusGatewayTimeout {
		t.Fatalf("cut-off request: %+v", res)
	}
	if cut := r.Drain(context.Background(), "unknown", time.Second); cut != 0 {
		t.Fatal("draining an unknown deployment must be a no-op")
	}
}

func waitInflight(t *testing.T, r *Router, app string, n int) {
	t.Helper()
	for i := 0; i < 200; i++ {
		r.mu.RLock()
		got := r.apps[app].target.Inflight()
		r.mu.RUnlock()
		if got >= n {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatalf("never saw %d in-flight requests", n)
}

// TestWebSocketPassesAndIsClosedOnDrain speaks a minimal upgrade protocol:
// the backend echoes lines after a 101 response.
func TestWebSocketPassesAndIsClosedOnDrain(t *testing.T) {
	echo := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Upgrade") != "websocket" {
			http.Error(w, "upgrade required", 426)
			return
		}
		conn, buf, err := w.(http.Hijacker).Hijack()
		if err != nil {
			return
		}
		defer conn.Close()
		buf.WriteString("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n")
		buf.Flush()
		for {
			line, err := buf.ReadString('\n')
			if err != nil {
				return
			}
			buf.WriteString("echo " + line)
			buf.Flush()
		}
	}))
	defer echo.Close()
	r, _ := New("", nil)
	r.Switch("ws", []string{"ws.test"}, "d1", echo.URL)
	front := httptest.NewServer(r)
	defer front.Close()

	conn, err := net.Dial("tcp", strings.TrimPrefix(front.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprint(conn, "GET /socket HTTP/1.1\r\nHost: ws.test\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n")
	br := bufio.NewReader(conn)
	res, err := http.ReadResponse(br, nil)
	if err != nil || res.StatusCode != 101 {
		t.Fatalf("upgrade: %v %v", res, err)
	}
	fmt.Fprint(conn, "hello\n")
	conn.SetReadDeadline(time.Now().Add(2 * time.Second))
	if line, err := br.ReadString('\n'); err != nil || line != "echo hello\n" {
		t.Fatalf("echo: %q %v", line, err)
	}

	r.Switch("ws", []string{"ws.test"}, "d2", echo.URL+"/")
	start := time.Now()
	r.Drain(context.Background(), "d1", 10*time.Second)
	if time.Since(start) > 5*time.Second {
		t.Fatal("drain waited for a WebSocket instead of closing it")
	}
	conn.SetReadDeadline(time.Now().Add(2 * time.Second))
	if _, err := br.ReadString('\n'); err == nil {
		t.Fatal("WebSocket still open after drain")
	}
}

func TestStreamingIsNotBuffered(t *testing.T) {
	release := make(chan struct{})
	stream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		fmt.Fprint(w, "data: first\n\n")
		w.(http.Flusher).Flush()
		<-release
		fmt.Fprint(w, "data: second\n\n")
	}))
	defer stream.Close()
	defer close(release)
	r, _ := New("", nil)
	r.Switch("s", []string{"s.test"}, "d1", stream.URL)
	front := httptest.NewServer(r)
	defer front.Close()
	req, _ := http.NewRequest("GET", front.URL, nil)
	req.Host = "s.test"
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	got := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(res.Body).ReadString('\n')
		got <- line
	}()
	select {
	case line := <-got:
		if line != "data: first\n" {
			t.Fatalf("got %q", line)
		}
	case <-time.After(3 * time.Second):
		t.Fatal("first event held back by the proxy")
	}
}

func TestRouteTablePersists(t *testing.T) {
	path := filepath.Join(t.TempDir(), "routes.json")
	r, err := New(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	b := backend(t, "kept")
	r.Switch("one", []string{"one.test"}, "d1", b.URL)
	r.Switch("two", []string{"two.test"}, "d2", b.URL)
	if _, err := r.Remove("two"); err != nil {
		t.Fatal(err)
	}

	restored, err := New(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	routes := restored.Routes()
	if len(routes) != 1 || routes[0].App != "one" || routes[0].Deployment != "d1" {
		t.Fatalf("restored %+v", routes)
	}
	front := httptest.NewServer(restored)
	defer front.Close()
	if _, body, _ := get(t, front.URL, "one.test", "/"); body != "kept" {
		t.Fatalf("restored router serves %q", body)
	}
}

// A wildcard domain serves the names one label below it, unless an app has
// the name itself.
func TestWildcardDomains(t *testing.T) {
	r, _ := New("", nil)
	a, b := backend(t, "wild"), backend(t, "exact")
	r.Switch("wild", []string{"*.example.com"}, "d1", a.URL)
	r.Switch("exact", []string{"shop.example.com"}, "d2", b.URL)
	front := httptest.NewServer(r)
	defer front.Close()
	for host, want := range map[string]int{"blog.example.com": 200, "shop.example.com": 200, "a.b.example.com": 404, "example.com": 404} {
		code, body, _ := get(t, front.URL, host, "/")
		if code != want {
			t.Errorf("%s: %d %q, want %d", host, code, body, want)
		}
		if host == "shop.example.com" && body != "exact" || host == "blog.example.com" && body != "wild" {
			t.Errorf("%s served by %q", host, body)
		}
	}
}
