package proxy

import (
	"context"
	"strings"
	"time"
)

// Holding an app's requests is for the stop-first release, where the one
// container an app may have running (its volume cannot take two) is
// replaced: Hold parks the new requests for the app's domains instead of
// sending them to a container that is stopping; Quiesce waits for the ones
// already on it; the switch to the new container (or Release, when the
// release fails and the old one is started again) lets the parked ones
// through. Clients see a delay, not an error. A hold ends by itself after
// its bound, so a release that dies midway never leaves an app waiting.

// MaxHold bounds any hold (release.MaxHold, which the release steps plan
// with).
const MaxHold = 2 * time.Minute

type hold struct {
	done  chan struct{}
	timer *time.Timer
}

// Hold parks app's new requests until its next Switch, Release or bound
// (at most MaxHold). Holding a held app extends the bound.
func (r *Router) Hold(_ context.Context, app string, bound time.Duration) error {
	if bound <= 0 || bound > MaxHold {
		bound = MaxHold
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if h := r.holds[app]; h != nil {
		h.timer.Reset(bound)
		return nil
	}
	h := &hold{done: make(chan struct{})}
	h.timer = time.AfterFunc(bound, func() {
		if r.release(app, h) {
			r.log.Warn("hold ended by its bound; requests go on to the route as it is", "app", app, "bound", bound)
		}
	})
	r.holds[app] = h
	return nil
}

// Release lets app's parked requests go on (to the route as it is now).
func (r *Router) Release(_ context.Context, app string) error {
	r.mu.RLock()
	h := r.holds[app]
	r.mu.RUnlock()
	if h != nil {
		r.release(app, h)
	}
	return nil
}

// release ends hold h of app, if it is still the app's; it reports whether
// it did.
func (r *Router) release(app string, h *hold) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.holds[app] != h {
		return false
	}
	delete(r.holds, app)
	h.timer.Stop()
	close(h.done)
	return true
}

// Held reports whether app's requests are parked.
func (r *Router) Held(app string) bool {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.holds[app] != nil
}

// heldFor is the hold over host's app, if any. Callers hold mu.
func (r *Router) heldFor(host string) *hold {
	if len(r.holds) == 0 {
		return nil
	}
	app, ok := r.hostApp[host]
	if !ok { // a name a wildcard domain serves
		if i := strings.IndexByte(host, '.'); i > 0 {
			app = r.hostApp["*"+host[i:]]
		}
	}
	return r.holds[app]
}

// Quiesce waits up to timeout for the requests on app's current container
// to finish (new ones are parked by a Hold first), then cuts off the rest,
// returning how many it cut. Unlike Drain the target stays usable: should
// the release fail, the old container is started again behind it.
func (r *Router) Quiesce(ctx context.Context, app string, timeout time.Duration) (int, error) {
	r.mu.RLock()
	a := r.apps[app]
	r.mu.RUnlock()
	if a == nil {
		return 0, nil
	}
	t := a.target
	deadline := time.Now().Add(timeout)
	for t.Inflight() > 0 && time.Now().Before(deadline) && ctx.Err() == nil {
		time.Sleep(10 * time.Millisecond)
	}
	t.mu.Lock()
	cut := 0
	for rq := range t.inflight {
		if !rq.upgrade {
			cut++
		}
		rq.cancel(errDrained)
	}
	t.mu.Unlock()
	if cut > 0 {
		r.log.Warn("quiesce deadline passed; requests cut off", "app", app, "cut", cut)
	}
	return cut, nil
}
