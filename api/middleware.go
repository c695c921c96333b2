package api

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/rivetr/rivetr/internal/ratelimit"
	"github.com/rivetr/rivetr/internal/service"
)

// securityHeaders are sent with every answer; the dashboard's pages set
// their own Content-Security-Policy.
func securityHeaders(c *gin.Context) {
	h := c.Writer.Header()
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "same-origin")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'")
	c.Next()
}

// limitByAddress rate-limits requests per client address (the connection's,
// or X-Forwarded-For's from a trusted proxy: a spoofed header from anyone
// else changes nothing).
func (h *Handler) limitByAddress(l *ratelimit.Limiter) gin.HandlerFunc {
	return func(c *gin.Context) {
		if h.allow(c, l, "ip:"+c.ClientIP(), "this address") {
			c.Next()
		}
	}
}

// allow takes one event for key from l, or answers 429 with Retry-After.
func (h *Handler) allow(c *gin.Context, l *ratelimit.Limiter, key, who string) bool {
	ok, wait := l.Allow(key)
	if ok {
		return true
	}
	c.Header("Retry-After", ratelimit.RetryAfter(wait))
	h.fail(c, http.StatusTooManyRequests, "rate_limited", fmt.Sprintf("too many requests from %s; try again in %s s", who, ratelimit.RetryAfter(wait)), nil)
	c.Abort()
	return false
}

// requestInfo records where each request comes from for the audit log.
func requestInfo(c *gin.Context) {
	c.Request = c.Request.WithContext(service.WithRequest(c.Request.Context(), service.Request{IP: c.ClientIP(), UserAgent: c.Request.UserAgent()}))
	c.Next()
}

func (h *Handler) recover(c *gin.Context) {
	defer func() {
		if p := recover(); p != nil {
			if p == http.ErrAbortHandler {
				panic(p)
			}
			h.log.Error("panic in handler", "path", c.Request.URL.Path, "panic", p)
			if !c.Writer.Written() {
				h.fail(c, http.StatusInternalServerError, "internal", "internal error; the server log has details", nil)
			}
			c.Abort()
		}
	}()
	c.Next()
}

func (h *Handler) logRequests(c *gin.Context) {
	start := time.Now()
	c.Next()
	// Only method, path and status: bodies and queries may hold secrets.
	h.log.Debug("request", "method", c.Request.Method, "path", c.Request.URL.Path, "status", c.Writer.Status(), "took", time.Since(start))
}

// auth requires Authorization: Bearer <token>.
func (h *Handler) auth(c *gin.Context) {
	tok, ok := strings.CutPrefix(c.GetHeader("Authorization"), "Bearer ")
	if !ok {
		h.fail(c, http.StatusUnauthorized, "unauthorized", "missing Authorization: Bearer <token> header (the admin token is in <data-dir>/admin-token)", nil)
		c.Abort()
		return
	}
	a, err := h.svc.Authenticate(c.Request.Context(), strings.TrimSpace(tok))
	if err != nil {
		if errors.Is(err, service.ErrUnauthorized) {
			msg := "invalid token"
			if err != service.ErrUnauthorized {
				msg = service.Classify(err).Message
			}
			h.fail(c, http.StatusUnauthorized, "unauthorized", msg, nil)
		} else {
			h.writeError(c, err)
		}
		c.Abort()
		return
	}
	c.Request = c.Request.WithContext(service.WithActor(c.Request.Context(), a))
	if !h.allow(c, h.limits.API, "token:"+a.TokenID, "this token") {
		return
	}
	c.Next()
}

// optionalAuth authenticates a request that carries a token and lets one
// without through anonymously.
func (h *Handler) optionalAuth(c *gin.Context) {
	if c.GetHeader("Authorization") == "" {
		c.Next()
		return
	}
	h.auth(c)
}
