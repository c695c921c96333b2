package api

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"
)

// decode reads a JSON body strictly: unknown fields are errors, so a typo in
// a field name is reported rather than ignored.
func (h *Handler) decode(c *gin.Context, v any) bool {
	body, err := io.ReadAll(http.MaxBytesReader(c.Writer, c.Request.Body, maxBody))
	if err != nil {
		h.fail(c, http.StatusRequestEntityTooLarge, "too_large", "request body is larger than 1 MiB", nil)
		return false
	}
	if len(bytes.TrimSpace(body)) == 0 {
		body = []byte("{}")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		h.fail(c, http.StatusBadRequest, "bad_json", "request body is not valid JSON for this endpoint: "+err.Error(), nil)
		return false
	}
	return true
}

func intQuery(c *gin.Context, name string, def int) int {
	if v, err := strconv.Atoi(c.Query(name)); err == nil {
		return v
	}
	return def
}

// respond writes v with status, or the error.
func (h *Handler) respond(c *gin.Context, status int, v any, err error) {
	if err != nil {
		h.writeError(c, err)
		return
	}
	if v == nil {
		c.Status(status)
		return
	}
	c.JSON(status, v)
}

// baseURL is the address the caller reached the server at, for links.
func baseURL(c *gin.Context) string {
	scheme := "http"
	if c.Request.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + c.Request.Host
}

// flushWriter sends each write at once, so followed logs arrive live.
type flushWriter struct {
	c       *gin.Context
	started bool
}

func (f *flushWriter) Write(p []byte) (int, error) {
	if !f.started {
		f.c.Writer.Header().Set("Content-Type", "text/plain; charset=utf-8")
		f.c.Writer.Header().Set("X-Accel-Buffering", "no")
		f.c.Writer.WriteHeader(http.StatusOK)
		f.started = true
	}
	n, err := f.c.Writer.Write(p)
	f.c.Writer.Flush()
	return n, err
}
