package proxy

import (
	"context"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/rivetr/rivetr/internal/release"
)

// A held app's requests wait and reach the container switched to; other
// apps' do not wait; a release or the bound lets them on to the route as
// it is; Quiesce waits for what runs on the old container.
func TestHold(t *testing.T) {
	ctx := context.Background()
	r, _ := New("", nil)
	a, b, other := backend(t, "a"), backend(t, "b"), backend(t, "other")
	r.Switch("app", []string{"app.example.com", "*.wild.example.com"}, "d1", a.URL)
	r.Switch("other", []string{"other.example.com"}, "o1", other.URL)
	front := httptest.NewServer(r)
	defer front.Close()

	answer := func(host string) <-chan string {
		ch := make(chan string, 1)
		go func() {
			code, body, _ := get(t, front.URL, host, "/")
			if code != 200 {
				body = "status " + body
			}
			ch <- body
		}()
		return ch
	}
	// Held: nothing answers until the switch, then the new container does.
	r.Hold(ctx, "app", time.Minute)
	parked, wild := answer("app.example.com"), answer("x.wild.example.com")
	if _, body, _ := get(t, front.URL, "other.example.com", "/"); body != "other" {
		t.Fatalf("another app during the hold: %q", body)
	}
	select {
	case got := <-parked:
		t.Fatalf("a held request was answered: %q", got)
	case <-time.After(300 * time.Millisecond):
	}
	if !r.Held("app") {
		t.Fatal("not held")
	}
	r.Switch("app", []string{"app.example.com", "*.wild.example.com"}, "d2", b.URL)
	for _, ch := range []<-chan string{parked, wild} {
		if got := <-ch; got != "b" {
			t.Fatalf("after the switch a parked request got %q", got)
		}
	}
	if r.Held("app") {
		t.Fatal("the switch did not end the hold")
	}

	// Released (the release failed; the old container serves again).
	r.Hold(ctx, "app", time.Minute)
	parked = answer("app.example.com")
	time.Sleep(100 * time.Millisecond)
	r.Release(ctx, "app")
	if got := <-parked; got != "b" {
		t.Fatalf("after release: %q", got)
	}
	// The bound ends a hold nobody ends.
	r.Hold(ctx, "app", 200*time.Millisecond)
	start := time.Now()
	if got := <-answer("app.example.com"); got != "b" || time.Since(start) < 150*time.Millisecond {
		t.Fatalf("after the bound: %q in %v", got, time.Since(start))
	}

	// Quiesce waits for the request already running on the container.
	slow := make(chan string, 1)
	go func() { _, body, _ := get(t, front.URL, "app.example.com", "/?sleep=300ms"); slow <- body }()
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		r.mu.RLock()
		running := r.apps["app"].target.Inflight()
		r.mu.RUnlock()
		if running > 0 {
			break // on its way to the container
		}
		if time.Now().After(deadline) {
			t.Fatal("the slow request never reached the container")
		}
	}
	r.Hold(ctx, "app", time.Minute)
	if cut, _ := r.Quiesce(ctx, "app", 5*time.Second); cut != 0 {
		t.Fatalf("quiesce cut %d", cut)
	}
	select {
	case got := <-slow:
		if got != "b" {
			t.Fatalf("the in-flight request got %q", got)
		}
	default:
		t.Fatal("quiesce returned before the in-flight request finished")
	}
	r.Release(ctx, "app")

	r.Hold(ctx, "app", time.Minute)
	if rts := r.Routes(); len(rts) != 2 || !rts[0].Held || rts[1].Held {
		t.Fatalf("routes do not say which app is held: %+v", rts)
	}
	r.Release(ctx, "app")
	if release.MaxHold != MaxHold {
		t.Fatalf("release.MaxHold %s and proxy.MaxHold %s differ", release.MaxHold, MaxHold)
	}
}
