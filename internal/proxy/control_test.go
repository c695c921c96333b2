package proxy

import (
	"context"
	"errors"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// A server drives a separate proxy through the control socket exactly as
// it drives an embedded one.
func TestRemoteDrivesTheRouter(t *testing.T) {
	sock := filepath.Join(t.TempDir(), "proxy.sock")
	r, _ := New(filepath.Join(t.TempDir(), "routes.json"), nil)
	var renewed string
	stopped := make(chan struct{})
	c := &Control{
		Router: r,
		Status: func() Status { return Status{PID: 42, Config: "abc"} },
		Renew: func(_ context.Context, host string) error {
			if host == "bad.example.com" {
				return errors.New("the CA refused")
			}
			renewed = host
			return nil
		},
		Stop: func() { close(stopped) },
	}
	ln, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	hs := &http.Server{Handler: c.Handler()}
	go hs.Serve(ln)
	defer hs.Close()

	front := &http.Server{Handler: r}
	fl, _ := net.Listen("tcp", "127.0.0.1:0")
	go front.Serve(fl)
	defer front.Close()

	p := NewRemote(sock)
	ctx := context.Background()
	if st, err := p.Status(ctx); err != nil || st.PID != 42 || st.Config != "abc" {
		t.Fatalf("status: %+v %v", st, err)
	}
	a, b := backend(t, "a"), backend(t, "b")
	if prev, err := p.Switch("web", []string{"Web.Example.com"}, "d1", a.URL); err != nil || prev != "" {
		t.Fatalf("first switch: %q %v", prev, err)
	}
	if _, body, _ := get(t, "http://"+fl.Addr().String(), "web.example.com", "/"); body != "a" {
		t.Fatalf("after the switch the proxy serves %q", body)
	}
	if prev, err := p.Switch("web", []string{"web.example.com"}, "d2", b.URL); err != nil || prev != "d1" {
		t.Fatalf("second switch: %q %v", prev, err)
	}
	if cut := p.Drain(ctx, "d1", time.Second); cut != 0 {
		t.Fatalf("drain of an idle target cut %d", cut)
	}
	if changed, err := p.SetDomains("web", []string{"web.example.com", "www.example.com"}); err != nil || !changed {
		t.Fatalf("domains: %v %v", changed, err)
	}
	if _, body, _ := get(t, "http://"+fl.Addr().String(), "www.example.com", "/"); body != "b" {
		t.Fatalf("a new domain serves %q", body)
	}
	if rs := p.Routes(); len(rs) != 1 || rs[0].Deployment != "d2" || len(rs[0].Domains) != 2 {
		t.Fatalf("routes: %+v", rs)
	}
	// Hold, quiesce, release through the socket.
	if err := p.Hold(ctx, "web", time.Minute); err != nil || !r.Held("web") {
		t.Fatalf("hold: %v (held %v)", err, r.Held("web"))
	}
	if cut, err := p.Quiesce(ctx, "web", time.Second); err != nil || cut != 0 {
		t.Fatalf("quiesce: %d %v", cut, err)
	}
	if err := p.Release(ctx, "web"); err != nil || r.Held("web") {
		t.Fatalf("release: %v (held %v)", err, r.Held("web"))
	}
	// The router's own errors come back as they are.
	if _, err := p.Switch("web", nil, "d3", "not a url"); err == nil {
		t.Fatal("a bad target URL was accepted")
	}
	if err := p.Renew(ctx, "web.example.com"); err != nil || renewed != "web.example.com" {
		t.Fatalf("renew: %v (%q)", err, renewed)
	}
	if err := p.Renew(ctx, "bad.example.com"); err == nil || err.Error() != "the CA refused" {
		t.Fatalf("a failed renewal: %v", err)
	}
	if prev, err := p.Remove("web"); err != nil || prev != "d2" {
		t.Fatalf("remove: %q %v", prev, err)
	}
	if err := p.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	select {
	case <-stopped:
	case <-time.After(5 * time.Second):
		t.Fatal("stop did not reach the proxy")
	}

	// A proxy that is not there is named, with where to look.
	gone := NewRemote(filepath.Join(t.TempDir(), "none.sock"))
	if _, err := gone.Status(ctx); !errors.Is(err, ErrProxyDown) || !strings.Contains(err.Error(), "proxy.log") {
		t.Fatalf("an absent proxy: %v", err)
	}
	if _, err := gone.Switch("web", nil, "d1", a.URL); !errors.Is(err, ErrProxyDown) {
		t.Fatalf("switching through an absent proxy: %v", err)
	}
}
