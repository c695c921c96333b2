// Package api is Rivetr's HTTP API: a gin router whose handlers decode a
// request, call the service, and encode the answer. The routes are a
// table (routes.go), one file per resource beside its handlers, each route
// with the permission it needs; errors map to statuses in one place
// (errors.go), always as
// {"error": {"code": "...", "message": "...", "fields": {...}}}.
package api

import (
	"fmt"
	"log/slog"
	"net/http"

	"github.com/gin-gonic/gin"
	"github.com/rivetr/rivetr/internal/ratelimit"
	"github.com/rivetr/rivetr/internal/service"
)

// maxBody bounds request bodies: nothing Rivetr accepts is larger.
const maxBody = 1 << 20

// Handler serves the API.
type Handler struct {
	svc    *service.Service
	log    *slog.Logger
	limits *ratelimit.Limits
}

// Options configure the HTTP layer.
type Options struct {
	// TrustedProxies are the addresses (IPs or CIDRs) whose
	// X-Forwarded-For is believed; from anyone else the connection's own
	// address is the client's.
	TrustedProxies []string
	// Limits rate-limit sign-ins and API calls; nil: no limits.
	Limits *ratelimit.Limits
}

// New returns a gin engine with the API mounted: /health without auth,
// everything under /api with a bearer token.
func New(svc *service.Service, log *slog.Logger, opts Options) (*gin.Engine, error) {
	gin.SetMode(gin.ReleaseMode)
	h := &Handler{svc: svc, log: log, limits: opts.Limits}
	if h.limits == nil {
		h.limits = &ratelimit.Limits{}
	}
	r := gin.New()
	r.HandleMethodNotAllowed = true
	// gin trusts every proxy by default; trust only the configured ones.
	if err := r.SetTrustedProxies(opts.TrustedProxies); err != nil {
		return nil, fmt.Errorf("trusted proxies: %w", err)
	}
	r.Use(h.recover, h.logRequests, requestInfo, securityHeaders)
	r.NoRoute(func(c *gin.Context) {
		h.fail(c, http.StatusNotFound, "not_found", "no such endpoint: "+c.Request.Method+" "+c.Request.URL.Path, nil)
	})
	r.NoMethod(func(c *gin.Context) {
		h.fail(c, http.StatusMethodNotAllowed, "method_not_allowed", c.Request.Method+" is not allowed on "+c.Request.URL.Path, nil)
	})

	for _, rt := range h.Routes() {
		var chain []gin.HandlerFunc
		switch rt.Auth {
		case AuthWebhook:
			chain = append(chain, h.limitByAddress(h.limits.Webhook))
		case AuthLogin:
			chain = append(chain, h.limitByAddress(h.limits.Login))
		case AuthInvitation:
			chain = append(chain, h.limitByAddress(h.limits.Login), h.optionalAuth)
		case AuthToken:
			chain = append(chain, h.limitByAddress(h.limits.API), h.auth)
		}
		r.Handle(rt.Method, rt.Path, append(chain, rt.Handler)...)
	}
	return r, nil
}
