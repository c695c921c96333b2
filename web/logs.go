package web

import (
	"bytes"
	"errors"
	"net/http"
	"sync"

	"github.com/gin-gonic/gin"

	"github.com/rivetr/rivetr/internal/service"
	"github.com/rivetr/rivetr/internal/sse"
	"github.com/rivetr/rivetr/schema"
)

// Runtime logs: the serving container's output on the app page, streamed
// live (GET /ui/apps/:name/logs/stream, server-sent events of lines, the
// last 200 first), searched and paused by app.js; without JavaScript,
// /apps/:name/logs.txt is its last 1,000 lines as text.

// appLogsText is the serving container's last lines as text.
func (h *Handler) appLogsText(c *gin.Context) {
	var b bytes.Buffer
	if err := h.svc.AppLogs(c.Request.Context(), c.Param("name"), c.Query("service"), 1000, false, &b); err != nil {
		status := http.StatusConflict // no container to read, and the like
		switch {
		case errors.Is(err, schema.ErrNotFound):
			status = http.StatusNotFound
		case errors.Is(err, service.ErrForbidden):
			status = http.StatusForbidden
		}
		c.String(status, h.logError(c, err))
		return
	}
	c.Data(http.StatusOK, "text/plain; charset=utf-8", b.Bytes())
}

// streamAppLogs follows the serving container's output as events "line".
func (h *Handler) streamAppLogs(c *gin.Context) {
	ctx, done, ok := sse.Admit(c.Writer, c.Request, h.limits.Streams, sse.MaxAge)
	if !ok {
		return
	}
	defer done()
	w := &lineEvents{out: sse.NewWriter(c.Writer)}
	if err := h.svc.AppLogs(ctx, c.Param("name"), c.Query("service"), 200, true, w); err != nil && ctx.Err() == nil {
		w.out.Send("problem", "", h.logError(c, err))
		w.out.Flush()
	}
}

// lineEvents turns written bytes into one event per line.
type lineEvents struct {
	mu      sync.Mutex
	out     *sse.Writer
	partial []byte
}

// maxLine bounds one line of output (the rest is cut).
const maxLine = 16 << 10

func (l *lineEvents) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := len(p)
	for len(p) > 0 {
		i := bytes.IndexByte(p, '\n')
		if i < 0 {
			l.partial = append(l.partial, p...)
			if len(l.partial) > maxLine {
				l.partial = l.partial[:maxLine]
			}
			break
		}
		line := append(l.partial, p[:i]...)
		l.partial = nil
		if len(line) > maxLine {
			line = line[:maxLine]
		}
		if !l.out.Send("line", "", string(bytes.TrimRight(line, "\r"))) {
			return 0, http.ErrHandlerTimeout
		}
		p = p[i+1:]
	}
	l.out.Flush()
	return n, nil
}
