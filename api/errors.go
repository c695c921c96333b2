package api

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"
	"github.com/rivetr/rivetr/internal/service"
	"github.com/rivetr/rivetr/schema"
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

// writeError maps service and store errors to HTTP statuses.
func (h *Handler) writeError(c *gin.Context, err error) {
	var verr *service.ValidationError
	switch {
	case errors.As(err, &verr):
		h.fail(c, http.StatusBadRequest, "invalid", verr.Error(), verr.Fields)
	case errors.Is(err, service.ErrInvalid):
		h.fail(c, http.StatusBadRequest, "invalid", err.Error(), nil)
	case errors.Is(err, schema.ErrNotFound):
		h.fail(c, http.StatusNotFound, "not_found", err.Error(), nil)
	case errors.Is(err, schema.ErrConflict):
		h.fail(c, http.StatusConflict, "conflict", err.Error(), nil)
	case errors.Is(err, service.ErrState):
		h.fail(c, http.StatusConflict, "invalid_state", strings.TrimSuffix(err.Error(), ": "+service.ErrState.Error()), nil)
	case errors.Is(err, service.ErrSource):
		h.fail(c, http.StatusUnprocessableEntity, "source_error", strings.TrimSuffix(err.Error(), ": "+service.ErrSource.Error()), nil)
	case errors.Is(err, service.ErrUnavailable):
		h.fail(c, http.StatusServiceUnavailable, "unavailable", err.Error(), nil)
	case errors.Is(err, schema.ErrNoSpace):
		h.fail(c, http.StatusInsufficientStorage, "no_space", "the server's data disk is full ("+err.Error()+"); free space in its data dir and try again; nothing was changed", nil)
	case errors.Is(err, service.ErrUnauthorized):
		h.fail(c, http.StatusUnauthorized, "unauthorized", strings.TrimSuffix(err.Error(), ": "+service.ErrUnauthorized.Error()), nil)
	case errors.Is(err, service.ErrForbidden):
		h.fail(c, http.StatusForbidden, "forbidden", strings.TrimSuffix(err.Error(), ": "+service.ErrForbidden.Error()), nil)
	case errors.Is(err, context.Canceled):
		c.Status(499)
	default:
		h.log.Error("request failed", "method", c.Request.Method, "path", c.Request.URL.Path, "err", err)
		h.fail(c, http.StatusInternalServerError, "internal", "internal error; the server log has details", nil)
	}
}
