package proxy

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"syscall"
	"time"
)

// A proxy hands its listening sockets to its successor (a new binary, a
// new configuration with the same addresses) so that no connection is
// refused in between: both accept from the same sockets for a moment,
// then the old one stops accepting, finishes its requests and exits. The
// exchange runs on the control socket:
//
//	new → old   POST /handover (HTTP, on a connection the old one hijacks)
//	old → new   {"listen": [...]} with the listeners' descriptors (SCM_RIGHTS)
//	new → old   "release\n" once it serves on them (or "abort\n")
//	old → new   "released\n" once its control socket is gone (the new one
//	            binds it next); the old one then drains and exits

// HandoverMeta is what the old proxy says of the sockets it hands over.
type HandoverMeta struct {
	// Listen are the addresses the old proxy was configured with, in the
	// order of the descriptors (HTTP, then HTTPS when set).
	Listen []string `json:"listen"`
	PID    int      `json:"pid"`
}

// Handover is the old proxy's side: Listeners returns its listeners and
// their configured addresses; Release closes its control socket and makes
// it stop accepting, drain and exit.
type Handover struct {
	Listeners func() ([]net.Listener, []string)
	Release   func()
}

func (h *Handover) serve(w http.ResponseWriter, r *http.Request) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		http.Error(w, "cannot hand over on this connection", http.StatusInternalServerError)
		return
	}
	conn, buf, err := hj.Hijack()
	if err != nil {
		return
	}
	defer conn.Close()
	uc, ok := conn.(*net.UnixConn)
	if !ok {
		return
	}
	lns, addrs := h.Listeners()
	var files []*os.File
	defer func() {
		for _, f := range files {
			f.Close()
		}
	}()
	var fds []int
	for _, ln := range lns {
		fl, ok := ln.(interface{ File() (*os.File, error) })
		if !ok {
			return
		}
		f, err := fl.File()
		if err != nil {
			return
		}
		files = append(files, f)
		fds = append(fds, int(f.Fd()))
	}
	meta, _ := json.Marshal(HandoverMeta{Listen: addrs, PID: os.Getpid()})
	_ = uc.SetDeadline(time.Now().Add(60 * time.Second))
	if _, _, err := uc.WriteMsgUnix(meta, syscall.UnixRights(fds...), nil); err != nil {
		return
	}
	line, err := buf.ReadString('\n')
	if err != nil || strings.TrimSpace(line) != "release" {
		return // the successor gave up: keep serving
	}
	h.Release()
	_, _ = uc.Write([]byte("released\n"))
}

// TakeOver is the new proxy's side: it asks the proxy on sock for its
// listeners. want are this proxy's configured addresses: when the old
// one's differ, nothing is taken (ErrNotTaken). The returned release
// tells the old proxy to stop accepting and to give up the control
// socket, and returns once it has.
func TakeOver(ctx context.Context, sock string, want []string) (lns []net.Listener, release func() error, err error) {
	var d net.Dialer
	c, err := d.DialContext(ctx, "unix", sock)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: %v", ErrProxyDown, err)
	}
	uc := c.(*net.UnixConn)
	fail := func(err error) ([]net.Listener, func() error, error) {
		_, _ = uc.Write([]byte("abort\n"))
		uc.Close()
		for _, ln := range lns {
			ln.Close()
		}
		return nil, nil, err
	}
	_ = uc.SetDeadline(time.Now().Add(30 * time.Second))
	if _, err := uc.Write([]byte("POST /handover HTTP/1.1\r\nHost: proxy\r\nContent-Length: 0\r\n\r\n")); err != nil {
		return fail(err)
	}
	buf := make([]byte, 4096)
	oob := make([]byte, syscall.CmsgSpace(4*4))
	n, oobn, _, _, err := uc.ReadMsgUnix(buf, oob)
	if err != nil {
		return fail(fmt.Errorf("the running proxy sent no listeners: %w", err))
	}
	var fds []int
	if msgs, err := syscall.ParseSocketControlMessage(oob[:oobn]); err == nil {
		for _, m := range msgs {
			if got, err := syscall.ParseUnixRights(&m); err == nil {
				fds = append(fds, got...)
			}
		}
	}
	for _, fd := range fds {
		f := os.NewFile(uintptr(fd), "handed-over listener")
		ln, err := net.FileListener(f)
		f.Close()
		if err != nil {
			return fail(fmt.Errorf("a handed-over listener: %w", err))
		}
		lns = append(lns, ln)
	}
	var meta HandoverMeta
	if err := json.Unmarshal(buf[:n], &meta); err != nil {
		// An older proxy answers with an HTTP error page (no handover).
		return fail(fmt.Errorf("%w: the running proxy does not hand its listeners over (%q)", ErrNotTaken, firstLine(string(buf[:n]))))
	}
	if strings.Join(meta.Listen, ",") != strings.Join(want, ",") || len(lns) != len(want) {
		return fail(fmt.Errorf("%w: the running proxy listens on %v, this one is configured for %v", ErrNotTaken, meta.Listen, want))
	}
	release = func() error {
		defer uc.Close()
		_ = uc.SetDeadline(time.Now().Add(30 * time.Second))
		if _, err := uc.Write([]byte("release\n")); err != nil {
			return err
		}
		line, err := bufio.NewReader(uc).ReadString('\n')
		if err != nil || strings.TrimSpace(line) != "released" {
			return fmt.Errorf("the old proxy (pid %d) did not let go of the control socket: %v", meta.PID, err)
		}
		return nil
	}
	return lns, release, nil
}

// ErrNotTaken is returned by TakeOver when the running proxy's sockets do
// not fit this one (other addresses, or a proxy without handovers).
var ErrNotTaken = errors.New("the listeners were not taken over")

func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	return strings.TrimSpace(s)
}

// ConnTracker follows the connections of HTTP servers (as their
// ConnState hook) so that a proxy handing over can stop accepting and
// wait for the requests it took: net/http's Shutdown drops a request read
// after it began, which a client sees as a connection closed unanswered.
type ConnTracker struct {
	mu    sync.Mutex
	conns map[net.Conn]http.ConnState
	// pending counts connections accepted (Listener) that the server's
	// hook has not seen yet.
	pending int
}

// Listener wraps a server's listener so that a connection counts from
// the moment it is accepted, before the server's hook first sees it:
// WaitQuiet cannot miss one accepted just as the listener closed (the
// server's Shutdown would then close it unanswered).
func (t *ConnTracker) Listener(ln net.Listener) net.Listener { return &trackedListener{ln, t} }

type trackedListener struct {
	net.Listener
	t *ConnTracker
}

func (l *trackedListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err == nil {
		l.t.mu.Lock()
		l.t.pending++
		l.t.mu.Unlock()
	}
	return c, err
}

// Hook is the servers' ConnState.
func (t *ConnTracker) Hook(c net.Conn, s http.ConnState) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.conns == nil {
		t.conns = map[net.Conn]http.ConnState{}
	}
	switch s {
	case http.StateClosed, http.StateHijacked:
		delete(t.conns, c)
	case http.StateNew:
		if t.pending > 0 {
			t.pending--
		}
		t.conns[c] = s
	default:
		t.conns[c] = s
	}
}

// busy counts the connections accepted and not idle.
func (t *ConnTracker) busy() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	n := t.pending
	for _, s := range t.conns {
		if s != http.StateIdle {
			n++
		}
	}
	return n
}

// WaitQuiet returns once no connection is new or active (only idle
// keep-alive ones are left, for Shutdown to close), or when ctx ends.
// Call it after the listeners are closed.
func (t *ConnTracker) WaitQuiet(ctx context.Context) {
	for t.busy() > 0 {
		select {
		case <-ctx.Done():
			return
		case <-time.After(10 * time.Millisecond):
		}
	}
}
