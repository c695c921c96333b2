// Package sse writes Rivetr's server-sent event streams, shared by the API
// (bearer token) and the dashboard (session cookie).
package sse

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/rivetr/rivetr/internal/humanize"
	"github.com/rivetr/rivetr/internal/ratelimit"
	"github.com/rivetr/rivetr/internal/release"
	"github.com/rivetr/rivetr/internal/service"
)

// poll is how often streams look for new lines and status changes. Workers
// may run in other processes, so the database is the one place to look.
const poll = 300 * time.Millisecond

// Writer writes events to a response.
type Writer struct {
	w       http.ResponseWriter
	f       http.Flusher
	started bool
}

// NewWriter prepares w for an event stream.
func NewWriter(w http.ResponseWriter) *Writer {
	f, _ := w.(http.Flusher)
	return &Writer{w: w, f: f}
}

func (s *Writer) start() {
	if s.started {
		return
	}
	s.started = true
	h := s.w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Accel-Buffering", "no")
	s.w.WriteHeader(http.StatusOK)
}

// Send writes one event; id may be empty. It reports whether the client is
// still there.
func (s *Writer) Send(event, id string, v any) bool {
	s.start()
	b, _ := json.Marshal(v)
	if id != "" {
		fmt.Fprintf(s.w, "id: %s\n", id)
	}
	_, err := fmt.Fprintf(s.w, "event: %s\ndata: %s\n\n", event, b)
	return err == nil
}

// Ping writes a comment that keeps proxies from closing an idle stream.
func (s *Writer) Ping() bool {
	s.start()
	_, err := fmt.Fprint(s.w, ": ping\n\n")
	return err == nil
}

// Flush sends what was written.
func (s *Writer) Flush() {
	if s.f != nil {
		s.f.Flush()
	}
}

// After reads the resume point of a stream: Last-Event-ID, else ?after=.
func After(r *http.Request) uint64 {
	if v, err := strconv.ParseUint(r.Header.Get("Last-Event-ID"), 10, 64); err == nil {
		return v
	}
	v, _ := strconv.ParseUint(r.URL.Query().Get("after"), 10, 64)
	return v
}

// ErrorEvent is the data of an "error" event.
type ErrorEvent struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// DeploymentLogs streams deployment id's log after line `after`: the lines so
// far, then new ones as they are written ("log"), the deployment whenever its
// status or step changes ("status"), and a final "end" once it has finished
// and its log is complete. The caller has checked that the deployment exists.
func DeploymentLogs(ctx context.Context, w *Writer, svc *service.Service, id string, after uint64) {
	lastState := ""
	lastPing := time.Now()
	for {
		lines, err := svc.DeploymentLogs(ctx, id, after, 1000)
		if err != nil {
			if ctx.Err() == nil {
				w.Send("error", "", ErrorEvent{Code: "internal", Message: err.Error()})
			}
			return
		}
		for _, l := range lines {
			if !w.Send("log", strconv.FormatUint(l.ID, 10), l) {
				return
			}
			after = l.ID
		}
		if len(lines) < 1000 {
			d, err := svc.GetDeployment(ctx, id)
			if err != nil {
				return
			}
			if state := string(d.Status) + "/" + string(d.Step); state != lastState {
				lastState = state
				w.Send("status", "", d)
			}
			if release.Terminal(d.Status) && d.FinishedAt != nil {
				// A last read: lines written just before the status changed.
				more, _ := svc.DeploymentLogs(ctx, id, after, 1000)
				for _, l := range more {
					w.Send("log", strconv.FormatUint(l.ID, 10), l)
				}
				w.Send("end", "", d)
				w.Flush()
				return
			}
		}
		if time.Since(lastPing) > 15*time.Second {
			w.Ping()
			lastPing = time.Now()
		}
		w.Flush()
		if len(lines) == 1000 {
			continue
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(poll):
		}
	}
}

// Watch says what a Changes stream follows besides deployments.
type Watch struct {
	// Databases adds "database" events: a database the caller sees whose
	// status or error changed ({name, status, error}).
	Databases bool
	// BackupsOf, a database's name, adds "backup" events: its backups
	// whose status, size or error changed ({id, database, status, size,
	// size_text, error}).
	BackupsOf string
}

// Changes streams every deployment whose record changes ("deployment"
// events) and what w asks for, until ctx ends, starting from now. Each
// event says only what changed since the stream began; a page holds the
// rest from its render.
func Changes(ctx context.Context, w *Writer, svc *service.Service, watch Watch) {
	since := time.Now().UTC().Add(-time.Second)
	seen := map[string]string{}
	lastPing := time.Now()
	w.Ping()
	w.Flush()
	for {
		select {
		case <-ctx.Done():
			return
		case <-time.After(time.Second):
		}
		ds, err := svc.DeploymentsChangedSince(ctx, since)
		if err != nil {
			return
		}
		for _, d := range ds {
			state := string(d.Status) + "/" + string(d.Step)
			if seen[d.ID] == state {
				continue
			}
			seen[d.ID] = state
			if !w.Send("deployment", "", d) {
				return
			}
			if d.UpdatedAt.After(since) {
				since = d.UpdatedAt.Add(-time.Second)
			}
		}
		if watch.Databases && !sendDatabases(ctx, w, svc, seen) {
			return
		}
		if watch.BackupsOf != "" && !sendBackups(ctx, w, svc, watch.BackupsOf, seen) {
			return
		}
		if time.Since(lastPing) > 15*time.Second {
			if !w.Ping() {
				return
			}
			lastPing = time.Now()
		}
		w.Flush()
	}
}

// sendDatabases sends the databases whose state differs from seen (all of
// them on the first round, which costs a page nothing and misses no change
// made between its render and the stream's start). False when the client
// is gone.
func sendDatabases(ctx context.Context, w *Writer, svc *service.Service, seen map[string]string) bool {
	dbs, err := svc.ListDatabases(ctx)
	if err != nil {
		return ctx.Err() == nil
	}
	for _, d := range dbs {
		key, state := "db:"+d.ID, string(d.Status)+"/"+d.Error
		if seen[key] == state {
			continue
		}
		seen[key] = state
		if !w.Send("database", "", map[string]string{"name": d.Name, "status": string(d.Status), "error": d.Error}) {
			return false
		}
	}
	return true
}

// sendBackups sends db's backups whose state differs from seen.
func sendBackups(ctx context.Context, w *Writer, svc *service.Service, db string, seen map[string]string) bool {
	bs, err := svc.ListBackups(ctx, db)
	if err != nil {
		return ctx.Err() == nil
	}
	for _, b := range bs {
		key, state := "backup:"+b.ID, fmt.Sprintf("%s/%d/%s", b.Status, b.Size, b.Error)
		if seen[key] == state {
			continue
		}
		seen[key] = state
		ev := map[string]any{"id": b.ID, "database": db, "status": b.Status, "size": b.Size, "size_text": humanize.Bytes(uint64(max(b.Size, 0))), "error": b.Error}
		if !w.Send("backup", "", ev) {
			return false
		}
	}
	return true
}

// MaxAge is how long one event stream stays open. Browsers reconnect by
// themselves (EventSource, resuming with Last-Event-ID), so the cap costs
// a user nothing and bounds what a forgotten tab or a script costs.
const MaxAge = time.Hour

// Admit takes one of the caller's stream slots (see ratelimit.Limits
// Streams) for a stream of r, open at most maxAge (0: no limit). When the
// caller holds all their slots it answers 429 with what to do and returns
// ok false; otherwise the stream runs under ctx and calls done when it
// ends.
func Admit(w http.ResponseWriter, r *http.Request, streams *ratelimit.Concurrency, maxAge time.Duration) (ctx context.Context, done func(), ok bool) {
	key := "anonymous"
	if a := service.ActorFrom(r.Context()); a != nil {
		switch {
		case a.UserID != "":
			key = "user:" + a.UserID
		case a.TokenID != "":
			key = "token:" + a.TokenID
		default:
			key = a.Who()
		}
	}
	release, ok := streams.Acquire(key)
	if !ok {
		w.Header().Set("Retry-After", "10")
		http.Error(w, fmt.Sprintf("you have %d streams open (logs, live pages), the most one caller may: close some tabs or followed logs and try again", streams.Max()), http.StatusTooManyRequests)
		return nil, nil, false
	}
	ctx, cancel := r.Context(), context.CancelFunc(func() {})
	if maxAge > 0 {
		ctx, cancel = context.WithTimeout(ctx, maxAge)
	}
	return ctx, func() { cancel(); release() }, true
}
