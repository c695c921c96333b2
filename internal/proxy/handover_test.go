package proxy

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// oldProxy serves "old" on ln and the handover on a control socket, as a
// running proxy does; released is closed when it let go.
func oldProxy(t *testing.T, ln net.Listener, sock string, addrs []string) (released chan struct{}) {
	t.Helper()
	ctl, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	var conns ConnTracker
	apps := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "old") }), ConnState: conns.Hook}
	go apps.Serve(conns.Listener(ln))
	released = make(chan struct{})
	c := &Control{Router: &Router{}, Status: func() Status { return Status{} }, Handover: &Handover{
		Listeners: func() ([]net.Listener, []string) { return []net.Listener{ln}, addrs },
		Release: func() {
			ctl.Close()
			go func() {
				// As the proxy does: stop accepting, answer what was
				// accepted, then shut down.
				ln.Close()
				conns.WaitQuiet(context.Background())
				apps.Shutdown(context.Background())
				close(released)
			}()
		},
	}}
	cs := &http.Server{Handler: c.Handler()}
	go cs.Serve(ctl)
	t.Cleanup(func() { cs.Close(); apps.Close() })
	return released
}

// A successor takes the listening socket over while new connections
// arrive all along: none is refused, and the old proxy stops serving.
func TestHandoverRefusesNoConnection(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	sock := filepath.Join(t.TempDir(), "proxy.sock")
	released := oldProxy(t, ln, sock, []string{":80"})

	var ok, failed atomic.Int64
	var seen sync.Map
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for i := 0; i < 4; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
			for {
				select {
				case <-stop:
					return
				default:
				}
				res, err := c.Get("http://" + addr + "/")
				if err != nil {
					if failed.Add(1) < 5 {
						t.Log(err)
					}
					continue
				}
				b, _ := io.ReadAll(res.Body)
				res.Body.Close()
				seen.Store(string(b), true)
				ok.Add(1)
			}
		}()
	}
	time.Sleep(200 * time.Millisecond)

	// Addresses that do not match: nothing taken, the old one serves on.
	if _, _, err := TakeOver(context.Background(), sock, []string{":8080"}); !errors.Is(err, ErrNotTaken) {
		t.Fatalf("other addresses: %v", err)
	}
	lns, release, err := TakeOver(context.Background(), sock, []string{":80"})
	if err != nil {
		t.Fatal(err)
	}
	apps := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "new") })}
	go apps.Serve(lns[0])
	defer apps.Close()
	time.Sleep(200 * time.Millisecond)
	if err := release(); err != nil {
		t.Fatal(err)
	}
	<-released
	time.Sleep(300 * time.Millisecond)
	close(stop)
	wg.Wait()
	if _, old := seen.Load("old"); !old {
		t.Fatal("the old proxy never served")
	}
	if _, nw := seen.Load("new"); !nw {
		t.Fatal("the successor never served")
	}
	t.Logf("%d requests, %d failed", ok.Load()+failed.Load(), failed.Load())
	if failed.Load() != 0 {
		t.Fatalf("%d of %d connections failed across the handover", failed.Load(), ok.Load()+failed.Load())
	}
	for i := 0; i < 20; i++ {
		res, err := http.Get("http://" + addr + "/")
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if string(b) != "new" {
			t.Fatalf("after the handover %q answers", b)
		}
	}
}

// A proxy of an older release has no handover: nothing is taken.
func TestTakeOverFromAProxyWithoutHandover(t *testing.T) {
	sock := filepath.Join(t.TempDir(), "proxy.sock")
	ctl, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	c := &Control{Router: &Router{}, Status: func() Status { return Status{} }}
	cs := &http.Server{Handler: c.Handler()}
	go cs.Serve(ctl)
	defer cs.Close()
	if _, _, err := TakeOver(context.Background(), sock, []string{":80"}); !errors.Is(err, ErrNotTaken) {
		t.Fatalf("got %v", err)
	}
}
