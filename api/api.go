// Package api is Rivetr's HTTP API: a gin router whose handlers decode a
// request, call the service, and encode the answer. Errors map to statuses
// in one place (writeError), always as
// {"error": {"code": "...", "message": "...", "fields": {...}}}.
package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/rivetr/rivetr/internal/ratelimit"
	"github.com/rivetr/rivetr/internal/service"
	"github.com/rivetr/rivetr/internal/sse"
	"github.com/rivetr/rivetr/internal/webhook"
	"github.com/rivetr/rivetr/schema"
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

	r.GET("/health", h.health)
	// Webhooks carry no token: the provider's signature, checked by the
	// service with the app's secret, is the credential.
	r.POST("/webhooks/:provider/:app", h.limitByAddress(h.limits.Webhook), h.webhook)
	r.POST("/api/auth/login", h.limitByAddress(h.limits.Login), h.login)
	// Invitation links work without a token (the accept answer may create
	// the account); a token, when sent, must be valid.
	inv := r.Group("/api/invitations/:token", h.limitByAddress(h.limits.Login), h.optionalAuth)
	inv.GET("", h.getInvitation)
	inv.POST("/accept", h.acceptInvitation)
	inv.POST("/decline", h.declineInvitation)
	g := r.Group("/api", h.limitByAddress(h.limits.API), h.auth)
	g.GET("/status", h.status)
	g.GET("/me", h.me)
	g.DELETE("/auth/token", h.revokeCurrentToken)
	g.POST("/setup/owner", h.createOwner)
	g.POST("/admin/migrate-teams", h.migrateTeams)
	g.POST("/admin/secrets/rotate", h.rotateSecretKey)
	g.GET("/users", h.listUsers)
	g.POST("/users", h.createUser)
	g.PUT("/users/:user/password", h.resetPassword)
	g.GET("/tokens", h.listTokens)
	g.POST("/tokens", h.createToken)
	g.DELETE("/tokens/:id", h.revokeToken)
	g.GET("/teams", h.listTeams)
	g.POST("/teams", h.createTeam)
	g.DELETE("/teams/:team", h.deleteTeam)
	g.GET("/teams/:team/members", h.listMembers)
	g.PUT("/teams/:team/members/:user", h.putMember)
	g.DELETE("/teams/:team/members/:user", h.removeMember)
	g.GET("/teams/:team/environments", h.listEnvironments)
	g.PUT("/teams/:team/environments/:env", h.putEnvironment)
	g.DELETE("/teams/:team/environments/:env", h.deleteEnvironment)
	g.GET("/audit", h.audit)
	g.GET("/teams/:team/invitations", h.listInvitations)
	g.POST("/teams/:team/invitations", h.invite)
	g.DELETE("/teams/:team/invitations/:id", h.revokeInvitation)
	g.GET("/apps", h.listApps)
	g.POST("/apps", h.createApp)
	g.GET("/apps/:name", h.getApp)
	g.PATCH("/apps/:name", h.updateApp)
	g.DELETE("/apps/:name", h.deleteApp)
	g.GET("/apps/:name/env", h.listEnv)
	g.PUT("/apps/:name/env", h.setEnv)
	g.DELETE("/apps/:name/env/:key", h.unsetEnv)
	g.PUT("/apps/:name/shares/:team", h.shareApp)
	g.GET("/apps/:name/schedules", h.listRecurring)
	g.POST("/apps/:name/schedules", h.createRecurring)
	g.DELETE("/apps/:name/schedules/:id", h.deleteRecurring)
	g.DELETE("/apps/:name/shares/:team", h.unshareApp)
	g.GET("/apps/:name/webhook", h.getWebhook)
	g.POST("/apps/:name/webhook/rotate", h.rotateWebhook)
	g.GET("/apps/:name/webhooks", h.listDeliveries)
	g.GET("/apps/:name/previews", h.listPreviews)
	g.DELETE("/apps/:name/previews/:pr", h.deletePreview)
	g.POST("/apps/:name/deploy", h.deploy)
	g.POST("/apps/:name/deploy/upload", h.deployUpload)
	g.POST("/apps/:name/rollback", h.rollback)
	g.GET("/apps/:name/deployments", h.listDeployments)
	g.GET("/apps/:name/logs", h.appLogs)
	g.GET("/deployments", h.listAllDeployments)
	g.GET("/deployments/:id", h.getDeployment)
	g.POST("/deployments/:id/cancel", h.cancelDeployment)
	g.POST("/deployments/:id/approve", h.approve)
	g.GET("/deployments/:id/diff", h.diff)
	g.POST("/deployments/:id/reschedule", h.reschedule)
	g.POST("/deployments/:id/override", h.override)
	g.GET("/databases", h.listDatabases)
	g.POST("/databases", h.createDatabase)
	g.GET("/databases/:name", h.getDatabase)
	g.DELETE("/databases/:name", h.deleteDatabase)
	g.POST("/databases/:name/start", h.startDatabase)
	g.POST("/databases/:name/stop", h.stopDatabase)
	g.POST("/databases/:name/link", h.linkDatabase)
	g.GET("/databases/:name/backups", h.listBackups)
	g.POST("/databases/:name/backups", h.backupNow)
	g.GET("/databases/:name/backups/:id/download", h.downloadBackup)
	g.POST("/databases/:name/restore", h.restore)
	g.GET("/databases/:name/backup-policy", h.getPolicy)
	g.PUT("/databases/:name/backup-policy", h.setPolicy)
	g.GET("/freezes", h.listFreezes)
	g.POST("/freezes", h.createFreeze)
	g.DELETE("/freezes/:id", h.deleteFreeze)
	g.POST("/deployments/:id/reject", h.reject)
	g.GET("/approvals", h.pendingApprovals)
	g.GET("/deployments/:id/logs", h.deploymentLogs)
	g.GET("/deployments/:id/logs/stream", h.streamLogs)
	return r, nil
}

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

// ---- middleware ----

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
				msg = strings.TrimSuffix(err.Error(), ": "+service.ErrUnauthorized.Error())
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

// ---- errors ----

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

// deployUpload takes a ZIP archive as the raw body (Content-Type
// application/zip) or as the "file" part of a multipart form.
func (h *Handler) deployUpload(c *gin.Context) {
	body := io.Reader(c.Request.Body)
	if strings.HasPrefix(c.ContentType(), "multipart/") {
		mr, err := c.Request.MultipartReader()
		if err != nil {
			h.fail(c, http.StatusBadRequest, "invalid", "a multipart upload needs a \"file\" part: "+err.Error(), nil)
			return
		}
		for {
			part, err := mr.NextPart()
			if err != nil {
				h.fail(c, http.StatusBadRequest, "invalid", "the multipart upload has no \"file\" part", nil)
				return
			}
			if part.FormName() == "file" {
				body = part
				break
			}
		}
	}
	d, err := h.svc.DeployUpload(c.Request.Context(), c.Param("name"), body, c.Query("trigger"))
	if errors.Is(err, service.ErrTooLarge) {
		h.fail(c, http.StatusRequestEntityTooLarge, "too_large", err.Error(), nil)
		return
	}
	h.respond(c, http.StatusAccepted, d, err)
}

func (h *Handler) webhook(c *gin.Context) {
	if !h.allow(c, h.limits.Webhook, "app:"+c.Param("app"), "this app's webhook") {
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(c.Writer, c.Request.Body, webhook.MaxBody))
	if err != nil {
		h.fail(c, http.StatusRequestEntityTooLarge, "too_large", "webhook payload is larger than 5 MiB", nil)
		return
	}
	res, err := h.svc.Webhook(c.Request.Context(), c.Param("provider"), c.Param("app"), baseURL(c), c.Request.Header, body)
	var verr *service.ValidationError
	switch {
	case errors.Is(err, service.ErrWebhookSignature):
		h.fail(c, http.StatusUnauthorized, "bad_signature", err.Error()+"; copy the secret from `rivetr apps webhook APP` into the webhook's settings", nil)
	case errors.As(err, &verr) && res != nil:
		c.JSON(http.StatusBadRequest, res)
	case err != nil:
		h.writeError(c, err)
	case res.Result == schema.DeliveryDeployed || res.Result == schema.DeliveryPreview:
		c.JSON(http.StatusAccepted, res)
	default:
		c.JSON(http.StatusOK, res)
	}
}

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

// ---- handlers ----

func (h *Handler) health(c *gin.Context) {
	st := h.svc.Health(c.Request.Context())
	code := http.StatusOK
	if !st.OK {
		code = http.StatusServiceUnavailable
	}
	c.JSON(code, st)
}

func (h *Handler) status(c *gin.Context) {
	st, err := h.svc.Overview(c.Request.Context(), c.Query("team"))
	if err != nil {
		h.writeError(c, err)
		return
	}
	c.JSON(http.StatusOK, st)
}

func (h *Handler) listApps(c *gin.Context) {
	apps, err := h.svc.ListApps(c.Request.Context(), c.Query("team"))
	if err != nil {
		h.writeError(c, err)
		return
	}
	c.JSON(http.StatusOK, apps)
}

func (h *Handler) createApp(c *gin.Context) {
	var in service.AppInput
	if !h.decode(c, &in) {
		return
	}
	app, err := h.svc.CreateApp(c.Request.Context(), in)
	if err != nil {
		h.writeError(c, err)
		return
	}
	c.JSON(http.StatusCreated, app)
}

func (h *Handler) getApp(c *gin.Context) {
	app, err := h.svc.GetApp(c.Request.Context(), c.Param("name"))
	if err != nil {
		h.writeError(c, err)
		return
	}
	c.JSON(http.StatusOK, app)
}

func (h *Handler) updateApp(c *gin.Context) {
	var in service.AppInput
	if !h.decode(c, &in) {
		return
	}
	app, err := h.svc.UpdateApp(c.Request.Context(), c.Param("name"), in)
	if err != nil {
		h.writeError(c, err)
		return
	}
	c.JSON(http.StatusOK, app)
}

func (h *Handler) deleteApp(c *gin.Context) {
	if err := h.svc.DeleteApp(c.Request.Context(), c.Param("name")); err != nil {
		h.writeError(c, err)
		return
	}
	c.Status(http.StatusNoContent)
}

func (h *Handler) listEnv(c *gin.Context) {
	vars, err := h.svc.ListEnv(c.Request.Context(), c.Param("name"))
	if err != nil {
		h.writeError(c, err)
		return
	}
	c.JSON(http.StatusOK, vars)
}

// EnvRequest is the body of PUT /api/apps/:name/env.
type EnvRequest struct {
	Vars []service.EnvInput `json:"vars"`
}

func (h *Handler) setEnv(c *gin.Context) {
	var in EnvRequest
	if !h.decode(c, &in) {
		return
	}
	vars, err := h.svc.SetEnv(c.Request.Context(), c.Param("name"), in.Vars)
	if err != nil {
		h.writeError(c, err)
		return
	}
	c.JSON(http.StatusOK, vars)
}

func (h *Handler) unsetEnv(c *gin.Context) {
	if err := h.svc.UnsetEnv(c.Request.Context(), c.Param("name"), strings.Split(c.Param("key"), ",")); err != nil {
		h.writeError(c, err)
		return
	}
	c.Status(http.StatusNoContent)
}

func (h *Handler) deploy(c *gin.Context) {
	var in service.DeployRequest
	if !h.decode(c, &in) {
		return
	}
	d, err := h.svc.Deploy(c.Request.Context(), c.Param("name"), in)
	if err != nil {
		h.writeError(c, err)
		return
	}
	c.JSON(http.StatusAccepted, d)
}

func (h *Handler) rollback(c *gin.Context) {
	var in service.RollbackRequest
	if !h.decode(c, &in) {
		return
	}
	d, err := h.svc.Rollback(c.Request.Context(), c.Param("name"), in)
	if err != nil {
		h.writeError(c, err)
		return
	}
	c.JSON(http.StatusAccepted, d)
}

func (h *Handler) listDeployments(c *gin.Context) {
	ds, err := h.svc.ListDeployments(c.Request.Context(), c.Param("name"), intQuery(c, "limit", 100))
	if err != nil {
		h.writeError(c, err)
		return
	}
	c.JSON(http.StatusOK, ds)
}

func (h *Handler) listAllDeployments(c *gin.Context) {
	ds, err := h.svc.ListDeployments(c.Request.Context(), c.Query("app"), intQuery(c, "limit", 100))
	if err != nil {
		h.writeError(c, err)
		return
	}
	c.JSON(http.StatusOK, ds)
}

func (h *Handler) getDeployment(c *gin.Context) {
	d, err := h.svc.GetDeployment(c.Request.Context(), c.Param("id"))
	if err != nil {
		h.writeError(c, err)
		return
	}
	c.JSON(http.StatusOK, d)
}

func (h *Handler) cancelDeployment(c *gin.Context) {
	d, err := h.svc.CancelDeployment(c.Request.Context(), c.Param("id"))
	if err != nil {
		h.writeError(c, err)
		return
	}
	c.JSON(http.StatusAccepted, d)
}

func (h *Handler) deploymentLogs(c *gin.Context) {
	lines, err := h.svc.DeploymentLogs(c.Request.Context(), c.Param("id"), uint64(intQuery(c, "after", 0)), intQuery(c, "limit", 1000))
	if err != nil {
		h.writeError(c, err)
		return
	}
	c.JSON(http.StatusOK, lines)
}

// streamLogs sends a deployment's log as server-sent events (see
// sse.DeploymentLogs); Last-Event-ID (or ?after=) resumes a stream.
func (h *Handler) streamLogs(c *gin.Context) {
	id := c.Param("id")
	if _, err := h.svc.GetDeployment(c.Request.Context(), id); err != nil {
		h.writeError(c, err)
		return
	}
	sse.DeploymentLogs(c.Request.Context(), sse.NewWriter(c.Writer), h.svc, id, sse.After(c.Request))
}

// appLogs streams an app's runtime output as plain text.
func (h *Handler) appLogs(c *gin.Context) {
	follow := c.Query("follow") == "1" || c.Query("follow") == "true"
	tail := intQuery(c, "tail", 100)
	fw := &flushWriter{c: c}
	err := h.svc.AppLogs(c.Request.Context(), c.Param("name"), tail, follow, fw)
	if err != nil && !fw.started {
		h.writeError(c, err)
	}
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
