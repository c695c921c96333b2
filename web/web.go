// Package web is Rivetr's dashboard: server-rendered html/template pages and
// a little hand-written JavaScript, embedded in the binary, calling the same
// service layer as the API. Every page works without JavaScript; scripts only
// add the live parts (log streaming, status badges) and confirmations. One
// file of handlers per resource; Register lists the routes by resource.
package web

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"embed"
	"encoding/base64"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"net/http/httputil"
	"net/netip"
	"net/url"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/rivetr/rivetr/internal/config"
	"github.com/rivetr/rivetr/internal/ratelimit"
	"github.com/rivetr/rivetr/internal/release"
	"github.com/rivetr/rivetr/internal/service"
	"github.com/rivetr/rivetr/schema"
)

//go:embed templates/*.html static/*
var files embed.FS

// Cookies the dashboard sets.
const (
	CookieName     = "rivetr_session"
	loginCSRFName  = "rivetr_login_csrf"
	csrfField      = "csrf"
	sessionKey     = "session"
	pageTemplates  = "overview apps app deployment confirm login setup audit teams team invite freezes databases database graph gallery template error"
	maxFormMemory  = 1 << 20
	flashErrParam  = "error"
	flashAtParam   = "at"
	flashInfoParam = "ok"
)

// Handler serves the dashboard.
type Handler struct {
	svc    *service.Service
	log    *slog.Logger
	tmpl   map[string]*template.Template
	limits *ratelimit.Limits
	// adminToken is the admin token's file (Options.AdminToken).
	adminToken string
	// uiUpstream is the embedded Temporal UI's own address; ui proxies
	// instance admins to it under config.UIPath.
	uiUpstream string
	ui         *httputil.ReverseProxy
	// trusted are the proxies whose X-Forwarded-Proto is believed.
	trusted []netip.Prefix
}

// Options configure the dashboard.
type Options struct {
	// Limits (shared with the API) bound sign-in attempts; nil: none.
	Limits *ratelimit.Limits
	// TemporalUI is the embedded Temporal UI's address (served under
	// config.UIPath); the dashboard proxies instance admins to it. Empty:
	// no proxy.
	TemporalUI string
	// TrustedProxies (IPs or CIDRs) are the reverse proxies whose
	// X-Forwarded-Proto is believed: a request they forward as https gets
	// Secure, __Host- cookies like one that reached Rivetr over TLS.
	TrustedProxies []string
	// AdminToken is the admin token's file, shown on the setup pages
	// while no account exists.
	AdminToken string
}

// Register mounts the dashboard on r: /login and /logout, the pages, their
// form actions, /ui/ event streams for the live parts, and the Temporal UI
// proxy.
func Register(r *gin.Engine, svc *service.Service, log *slog.Logger, opts Options) error {
	limits := opts.Limits
	if limits == nil {
		limits = &ratelimit.Limits{}
	}
	h := &Handler{svc: svc, log: log, tmpl: map[string]*template.Template{}, limits: limits, adminToken: opts.AdminToken}
	for _, p := range opts.TrustedProxies {
		pfx, err := netip.ParsePrefix(p)
		if err != nil {
			a, aerr := netip.ParseAddr(p)
			if aerr != nil {
				return fmt.Errorf("trusted proxy %q is neither an IP nor a CIDR", p)
			}
			pfx = netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen())
		}
		h.trusted = append(h.trusted, pfx)
	}
	if opts.TemporalUI != "" {
		u, err := url.Parse(opts.TemporalUI)
		if err != nil {
			return fmt.Errorf("temporal UI address: %w", err)
		}
		h.uiUpstream, h.ui = opts.TemporalUI, httputil.NewSingleHostReverseProxy(u)
		h.ui.ErrorHandler = func(w http.ResponseWriter, _ *http.Request, err error) {
			log.Warn("Temporal UI proxy", "err", err)
			http.Error(w, "The Temporal UI is not answering; check the server log.", http.StatusBadGateway)
		}
		ui := r.Group(config.UIPath, h.requireSession, h.requireInstanceAdmin)
		ui.GET("", func(c *gin.Context) { c.Redirect(http.StatusSeeOther, config.UIPath+"/") })
		ui.Any("/*path", h.temporalUI)
	}
	for _, page := range strings.Fields(pageTemplates) {
		t, err := template.New("layout.html").Funcs(funcs).ParseFS(files, "templates/layout.html", "templates/partials.html", "templates/"+page+".html")
		if err != nil {
			return err
		}
		h.tmpl[page] = t
	}
	static, err := fs.Sub(files, "static")
	if err != nil {
		return err
	}
	r.GET("/static/*filepath", func(c *gin.Context) {
		c.Header("Cache-Control", "public, max-age=300")
		c.FileFromFS(c.Param("filepath"), http.FS(static))
	})
	// Signing in, the first owner, invitation links: no session needed.
	r.GET("/login", h.loginPage)
	r.POST("/login", h.login)
	r.GET("/setup", h.setupPage)
	r.POST("/setup", h.setup)
	inv := r.Group("/invite/:token", h.withOptionalSession)
	{
		inv.GET("", h.invitePage)
		inv.POST("/accept", h.acceptInvite)
		inv.POST("/decline", h.declineInvite)
	}
	r.POST("/logout", h.requireSession, h.checkCSRF, h.logout)

	// Pages read with a session; forms post with a session and the CSRF
	// token. The service checks each action's permission.
	g := r.Group("/", h.requireSession)
	post := r.Group("/", h.requireSession, h.checkCSRF)
	g.GET("/", h.overview)
	g.GET("/ui/events", h.events)
	g.GET("/audit", h.auditPage)
	g.GET("/graph", h.graphPage)
	g.GET("/templates", h.templatesPage)
	g.GET("/templates/:template", h.templatePage)
	post.POST("/templates/:template", h.deployTemplate)
	{ // apps, their env, sharing, policy, webhooks, previews, schedules
		g.GET("/apps", h.apps)
		for _, t := range appTabs {
			g.GET(strings.TrimSuffix("/apps/:name/"+t.Slug, "/"), h.appPage(t.Slug))
		}
		g.GET("/apps/:name/logs.txt", h.appLogsText)
		g.GET("/ui/apps/:name/logs/stream", h.streamAppLogs)
		post.POST("/apps", h.createApp)
		post.POST("/apps/:name/settings", h.updateApp)
		post.POST("/apps/:name/delete", h.deleteApp)
		post.POST("/apps/:name/databases", h.linkDatabase)
		post.POST("/apps/:name/policy", h.updatePolicy)
		post.POST("/apps/:name/env", h.setEnv)
		post.POST("/apps/:name/env/:key/delete", h.unsetEnv)
		post.POST("/apps/:name/shares", h.shareApp)
		post.POST("/apps/:name/shares/:team/delete", h.unshareApp)
		post.POST("/apps/:name/webhook/rotate", h.rotateWebhook)
		post.POST("/apps/:name/previews/:pr/delete", h.deletePreview)
		post.POST("/apps/:name/domains", h.addDomain)
		post.POST("/apps/:name/domains/:host/delete", h.removeDomain)
		post.POST("/apps/:name/domains/:host/verify", h.verifyDomain)
		post.POST("/apps/:name/domains/:host/redirect", h.redirectDomain)
		post.POST("/apps/:name/domains/:host/certificate", h.uploadCertificate)
		post.POST("/apps/:name/domains/:host/certificate/delete", h.removeCertificate)
		post.POST("/apps/:name/domains/:host/renew", h.renewCertificate)
		post.POST("/apps/:name/volumes", h.addVolume)
		post.POST("/apps/:name/volumes/:volume/delete", h.removeVolume)
		post.POST("/apps/:name/volumes/:volume/backups", h.backupVolume)
		post.POST("/apps/:name/volumes/:volume/backups/:id/restore", h.restoreVolume)
		post.POST("/apps/:name/schedules", h.createRecurring)
		post.POST("/apps/:name/schedules/:id/delete", h.deleteRecurring)
	}
	{ // deployments and their gates
		g.GET("/apps/:name/rollback", h.confirmRollback)
		g.GET("/deployments/:id", h.deployment)
		g.GET("/deployments/:id/log.txt", h.deploymentLogText)
		g.GET("/ui/deployments/:id/stream", h.streamDeployment)
		post.POST("/apps/:name/deploy", h.deploy)
		post.POST("/apps/:name/rollback", h.rollback)
		post.POST("/deployments/:id/cancel", h.cancel)
		post.POST("/deployments/:id/reschedule", h.reschedule)
		post.POST("/deployments/:id/approve", h.approve)
		post.POST("/deployments/:id/reject", h.reject)
		post.POST("/deployments/:id/override", h.override)
	}
	{ // freeze windows
		g.GET("/freezes", h.freezes)
		post.POST("/freezes", h.createFreeze)
		post.POST("/freezes/:id/delete", h.deleteFreeze)
	}
	{ // teams, members, invitations, environments
		g.GET("/teams", h.teams)
		g.GET("/teams/:team", h.team)
		post.POST("/teams", h.createTeam)
		post.POST("/teams/:team/members/:user", h.setMember)
		post.POST("/teams/:team/members/:user/remove", h.removeMember)
		post.POST("/teams/:team/invitations", h.invite)
		post.POST("/teams/:team/invitations/:id/revoke", h.revokeInvite)
		post.POST("/teams/:team/environments", h.putEnvironment)
		post.POST("/teams/:team/environments/:env", h.putEnvironment)
		post.POST("/teams/:team/environments/:env/delete", h.deleteEnvironment)
	}
	{ // databases and backups
		g.GET("/databases", h.databases)
		g.GET("/databases/:name", h.database)
		g.GET("/databases/:name/backups/:id/download", h.downloadBackup)
		post.POST("/databases", h.createDatabase)
		post.POST("/databases/:name/backups", h.backupNow)
		post.POST("/databases/:name/policy", h.setBackupPolicy)
		post.POST("/databases/:name/backups/:id/restore", h.restoreBackup)
		post.POST("/databases/:name/:action", h.databaseAction)
	}
	return nil
}

// page is what every template gets: the page's own data plus the session's
// CSRF token and a flash message from a redirect.
type page struct {
	Title string
	CSRF  string
	Flash flash
	Data  any
	// Who is the signed-in user's email ("admin token" for the token).
	Who string
	// Audit shows the audit log link.
	Audit bool
	// Admin is set for instance admins: they get the Temporal UI links.
	Admin bool
}

// flash is a message carried across a redirect in the query string: what
// went wrong (or right) and which control it belongs to.
type flash struct {
	Error, At, OK string
}

func (f flash) For(at string) string {
	if f.At == at {
		return f.Error
	}
	return ""
}

func (h *Handler) render(c *gin.Context, status int, name, title string, data any) {
	p := page{Title: title, Data: data, Flash: flash{Error: c.Query(flashErrParam), At: c.Query(flashAtParam), OK: c.Query(flashInfoParam)}}
	if s, ok := c.Get(sessionKey); ok {
		p.CSRF = csrfToken(s.(string))
	}
	if a := service.ActorFrom(c.Request.Context()); a != nil {
		p.Who = a.Who()
		p.Audit = a.CanAnywhere(release.PermAudit)
		p.Admin = a.InstanceAdmin && a.TokenRole == ""
	}
	c.Header("Content-Type", "text/html; charset=utf-8")
	c.Header("X-Frame-Options", "DENY")
	c.Header("Referrer-Policy", "same-origin")
	c.Header("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; form-action 'self'")
	c.Status(status)
	if err := h.tmpl[name].Execute(c.Writer, p); err != nil {
		h.log.Error("render", "page", name, "err", err)
	}
}

// redirect sends the browser to path with a flash message.
func redirect(c *gin.Context, path string, f flash) {
	q := url.Values{}
	if f.Error != "" {
		q.Set(flashErrParam, f.Error)
		q.Set(flashAtParam, f.At)
	}
	if f.OK != "" {
		q.Set(flashInfoParam, f.OK)
	}
	if len(q) > 0 {
		frag := ""
		if i := strings.IndexByte(path, '#'); i >= 0 {
			path, frag = path[:i], path[i:]
		}
		path += "?" + q.Encode() + frag
	}
	c.Redirect(http.StatusSeeOther, path)
}

// requireSession lets signed-in visitors through and sends others to the
// sign-in page (or answers 401 to event streams).
func (h *Handler) requireSession(c *gin.Context) {
	id, _ := c.Cookie(h.cookie(c, CookieName))
	a, err := h.svc.CheckSession(c.Request.Context(), id)
	switch {
	case err == nil:
		c.Set(sessionKey, id)
		c.Request = c.Request.WithContext(service.WithActor(c.Request.Context(), a))
		c.Next()
		return
	case !errors.Is(err, service.ErrUnauthorized):
		h.fail(c, err)
	case c.Request.Method == http.MethodGet && !strings.HasPrefix(c.Request.URL.Path, "/ui/"):
		c.Redirect(http.StatusSeeOther, "/login?next="+url.QueryEscape(c.Request.URL.RequestURI()))
	default:
		c.String(http.StatusUnauthorized, "sign in again")
	}
	c.Abort()
}

// requireInstanceAdmin lets only instance admins (not a token capped to a
// role) through.
func (h *Handler) requireInstanceAdmin(c *gin.Context) {
	if a := service.ActorFrom(c.Request.Context()); a != nil && a.InstanceAdmin && a.TokenRole == "" {
		c.Next()
		return
	}
	h.render(c, http.StatusForbidden, "error", "Not allowed", errorPage{Message: "The Temporal UI is for instance admins."})
	c.Abort()
}

// withOptionalSession puts the signed-in user, if any, in the request.
func (h *Handler) withOptionalSession(c *gin.Context) {
	if id, _ := c.Cookie(h.cookie(c, CookieName)); id != "" {
		if a, err := h.svc.CheckSession(c.Request.Context(), id); err == nil {
			c.Request = c.Request.WithContext(service.WithActor(c.Request.Context(), a))
		}
	}
	c.Next()
}

// temporalUI proxies to the embedded Temporal UI, which serves under the
// same path. Its pages run their own scripts, so the dashboard's strict
// Content-Security-Policy is left off them.
func (h *Handler) temporalUI(c *gin.Context) {
	c.Writer.Header().Del("Content-Security-Policy")
	h.ui.ServeHTTP(c.Writer, c.Request)
}

// uiLink turns a link into the embedded UI into the dashboard's proxied
// path; other links (an external cluster's UI) stay as they are.
func (h *Handler) uiLink(link string) string {
	if h.uiUpstream == "" {
		return link
	}
	if strings.HasPrefix(link, h.uiUpstream+"/") {
		return strings.TrimPrefix(link, h.uiUpstream)
	}
	// A link through the dashboard's own proxy (the default): relative,
	// so it works at whatever address the dashboard was reached.
	if u, err := url.Parse(link); err == nil && (u.Path == config.UIPath || strings.HasPrefix(u.Path, config.UIPath+"/")) {
		return u.RequestURI()
	}
	return link
}

// csrfToken derives a form token from the session: a page can only hold it
// if it was served to this session, and it needs no storage.
func csrfToken(session string) string {
	m := hmac.New(sha256.New, []byte(session))
	m.Write([]byte("rivetr dashboard csrf"))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// checkCSRF refuses a POST without the session's token or from another site.
func (h *Handler) checkCSRF(c *gin.Context) {
	c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, maxFormMemory)
	s, _ := c.Get(sessionKey)
	want := csrfToken(s.(string))
	got := c.PostForm(csrfField)
	if !sameOrigin(c) || !hmac.Equal([]byte(got), []byte(want)) {
		h.log.Warn("refused a form post without a valid CSRF token", "path", c.Request.URL.Path)
		c.Status(http.StatusForbidden)
		h.render(c, http.StatusForbidden, "error", "Refused", errorPage{
			Message: "This form was refused: it did not come from this dashboard's page (or the page is too old). Go back, reload, and try again.",
		})
		c.Abort()
		return
	}
	c.Next()
}

// sameOrigin rejects cross-site form posts by their Origin header (sent by
// browsers on POST); a missing Origin falls back to Sec-Fetch-Site.
func sameOrigin(c *gin.Context) bool {
	origin := c.GetHeader("Origin")
	if origin == "" || origin == "null" {
		return c.GetHeader("Sec-Fetch-Site") != "cross-site"
	}
	u, err := url.Parse(origin)
	return err == nil && u.Host == c.Request.Host
}

func randomToken() string {
	b := make([]byte, 24)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

type errorPage struct {
	Message string
}

// fail shows an error page; never a stack trace.
func (h *Handler) fail(c *gin.Context, err error) {
	status, msg := http.StatusInternalServerError, "Something went wrong on the server; its log has details."
	switch {
	case errors.Is(err, schema.ErrNotFound):
		status, msg = http.StatusNotFound, "Not found: "+err.Error()+"."
	case errors.Is(err, service.ErrForbidden):
		status, msg = http.StatusForbidden, "Not allowed: "+service.Classify(err).Message+"."
		h.svc.AuditRefusal(c.Request.Context(), c.Request.Method+" "+c.FullPath(), service.Classify(err).Message)
	case errors.Is(err, service.ErrUnavailable):
		status, msg = http.StatusServiceUnavailable, err.Error()
	default:
		h.log.Error("dashboard", "path", c.Request.URL.Path, "err", err)
	}
	h.render(c, status, "error", "Error", errorPage{Message: msg})
}

// logError logs an action's error when it is the server's fault, and returns
// the message to show next to the control.
func (h *Handler) logError(c *gin.Context, err error) string {
	msg := actionError(err)
	if strings.HasPrefix(msg, "Something went wrong") {
		h.log.Error("dashboard action", "path", c.Request.URL.Path, "err", err)
	}
	if errors.Is(err, service.ErrForbidden) {
		h.svc.AuditRefusal(c.Request.Context(), c.Request.Method+" "+c.FullPath(), service.Classify(err).Message)
	}
	return msg
}

// actionError turns a service error into the message shown next to the
// control that caused it, as the API would phrase it.
func actionError(err error) string {
	e := service.Classify(err)
	switch e.Kind {
	case service.KindInvalid, service.KindState, service.KindSource, service.KindNotFound, service.KindUnavailable:
		return e.Message
	case service.KindForbidden:
		return "Not allowed: " + e.Message + "."
	case service.KindNoSpace:
		return "The server's data disk is full; free space in its data dir and try again. Nothing was changed."
	}
	return "Something went wrong on the server; its log has details."
}

// fieldsOf returns a validation error's fields, or the message under "".
func fieldsOf(err error, msg string) map[string]string {
	var verr *service.ValidationError
	if errors.As(err, &verr) {
		return verr.Fields
	}
	return map[string]string{"": msg}
}

// baseURL is the dashboard's address as this request reached it.
func baseURL(c *gin.Context) string {
	scheme := "http"
	if c.Request.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + c.Request.Host
}

func retryAfter(d time.Duration) string { return ratelimit.RetryAfter(d) }

// secure reports whether the browser reached the dashboard over https:
// directly, or through a trusted proxy that says so.
func (h *Handler) secure(c *gin.Context) bool {
	if c.Request.TLS != nil {
		return true
	}
	if !strings.EqualFold(c.GetHeader("X-Forwarded-Proto"), "https") {
		return false
	}
	host, _, err := net.SplitHostPort(c.Request.RemoteAddr)
	if err != nil {
		return false
	}
	a, err := netip.ParseAddr(host)
	if err != nil {
		return false
	}
	for _, p := range h.trusted {
		if p.Contains(a.Unmap()) {
			return true
		}
	}
	return false
}

// cookie is the name a cookie has on this request: over https it carries
// the __Host- prefix, which browsers accept only when Secure, for this
// host alone, on path / (so a sibling subdomain, e.g. an app's, cannot set
// or shadow it).
func (h *Handler) cookie(c *gin.Context, name string) string {
	if h.secure(c) {
		return "__Host-" + name
	}
	return name
}

// setCookie sets a dashboard cookie: HttpOnly, path /, Secure and
// __Host- over https.
func (h *Handler) setCookie(c *gin.Context, name, value string, maxAge int, same http.SameSite) {
	http.SetCookie(c.Writer, &http.Cookie{Name: h.cookie(c, name), Value: value, Path: "/", MaxAge: maxAge, HttpOnly: true, SameSite: same, Secure: h.secure(c)})
}
