package api

import (
	"net/http"

	"github.com/gin-gonic/gin"
	"github.com/rivetr/rivetr/internal/service"
)

// ErrorBody is the JSON of every error answer.
type ErrorBody struct {
	Error ErrorDetail `json:"error"`
}

// ErrorDetail says what went wrong: code for programs, message for people,
// fields for validation errors.
type ErrorDetail struct {
	Code    string            `json:"code"`
	Message string            `json:"message"`
	Fields  map[string]string `json:"fields,omitempty"`
}

func (h *Handler) fail(c *gin.Context, status int, code, msg string, fields map[string]string) {
	c.JSON(status, ErrorBody{Error: ErrorDetail{Code: code, Message: msg, Fields: fields}})
}

// statusOf is the HTTP status of each kind of failure: the one place
// errors become statuses.
var statusOf = map[service.Kind]int{
	service.KindInvalid:      http.StatusBadRequest,
	service.KindNotFound:     http.StatusNotFound,
	service.KindConflict:     http.StatusConflict,
	service.KindState:        http.StatusConflict,
	service.KindSource:       http.StatusUnprocessableEntity,
	service.KindUnavailable:  http.StatusServiceUnavailable,
	service.KindNoSpace:      http.StatusInsufficientStorage,
	service.KindUnauthorized: http.StatusUnauthorized,
	service.KindForbidden:    http.StatusForbidden,
	service.KindTooLarge:     http.StatusRequestEntityTooLarge,
	service.KindSignature:    http.StatusUnauthorized,
	service.KindCanceled:     499,
	service.KindInternal:     http.StatusInternalServerError,
}

// writeError answers err with its kind's status, its code and its message
// (an internal error's detail goes to the log, not the caller).
func (h *Handler) writeError(c *gin.Context, err error) {
	e := service.Classify(err)
	switch e.Kind {
	case service.KindCanceled:
		c.Status(statusOf[e.Kind])
		return
	case service.KindInternal:
		h.log.Error("request failed", "method", c.Request.Method, "path", c.Request.URL.Path, "err", err)
		e.Message = "internal error; the server log has details"
	case service.KindNoSpace:
		e.Message = "the server's data disk is full (" + e.Message + "); free space in its data dir and try again; nothing was changed"
	case service.KindForbidden:
		h.svc.AuditRefusal(c.Request.Context(), c.Request.Method+" "+c.FullPath(), e.Message)
	}
	h.fail(c, statusOf[e.Kind], string(e.Kind), e.Message, e.Fields)
}
