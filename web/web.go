// Package web is Rivetr's dashboard: server-rendered html/template pages,
// embedded in the binary, calling the same service layer as the API.
//
// This first version signs in with an API token and shows apps and their
// deployments, each linked to its workflow in the Temporal UI.
package web

import (
	"embed"
	"errors"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/rivetr/rivetr/internal/service"
	"github.com/rivetr/rivetr/schema"
)

//go:embed templates/*.html static/*
var files embed.FS

// CookieName is the dashboard session cookie.
const CookieName = "rivetr_session"

// Handler serves the dashboard.
type Handler struct {
	svc  *service.Service
	log  *slog.Logger
	tmpl map[string]*template.Template
}

var funcs = template.FuncMap{
	"short": func(s string) string {
		if len(s) > 12 {
			return s[:12]
		}
		return s
	},
	"firstLine": func(s string) string {
		if i := strings.IndexByte(s, '\n'); i >= 0 {
			return s[:i]
		}
		return s
	},
	"ago": func(t time.Time) string {
		d := time.Since(t).Round(time.Second)
		switch {
		case d < time.Minute:
			return d.String() + " ago"
		case d < time.Hour:
			return d.Round(time.Minute).String() + " ago"
		case d < 48*time.Hour:
			return d.Round(time.Hour).String() + " ago"
		}
		return t.Format("2006-01-02")
	},
	"duration": func(d schema.Deployment) string {
		if d.StartedAt == nil || d.FinishedAt == nil {
			return ""
		}
		return d.FinishedAt.Sub(*d.StartedAt).Round(100 * time.Millisecond).String()
	},
	"join": strings.Join,
}

// Register mounts the dashboard on r.
func Register(r *gin.Engine, svc *service.Service, log *slog.Logger) error {
	h := &Handler{svc: svc, log: log, tmpl: map[string]*template.Template{}}
	for _, page := range []string{"login", "apps", "app", "error"} {
		t, err := template.New("layout.html").Funcs(funcs).ParseFS(files, "templates/layout.html", "templates/"+page+".html")
		if err != nil {
			return err
		}
		h.tmpl[page] = t
	}
	static, err := fs.Sub(files, "static")
	if err != nil {
		return err
	}
	r.StaticFS("/static", http.FS(static))
	r.GET("/login", h.loginPage)
	r.POST("/login", h.login)
	r.POST("/logout", h.logout)
	g := r.Group("/", h.requireSession)
	g.GET("/", h.apps)
	g.GET("/apps/:name", h.app)
	return nil
}

func (h *Handler) render(c *gin.Context, status int, page string, data gin.H) {
	c.Header("Content-Type", "text/html; charset=utf-8")
	c.Header("X-Frame-Options", "DENY")
	c.Header("Content-Security-Policy", "default-src 'self'; style-src 'self'; img-src 'self' data:")
	c.Status(status)
	if err := h.tmpl[page].Execute(c.Writer, data); err != nil {
		h.log.Error("render", "page", page, "err", err)
	}
}

// requireSession sends visitors without a valid session to the sign-in page.
func (h *Handler) requireSession(c *gin.Context) {
	id, _ := c.Cookie(CookieName)
	if err := h.svc.CheckSession(c.Request.Context(), id); err != nil {
		if !errors.Is(err, service.ErrUnauthorized) {
			h.fail(c, err)
			c.Abort()
			return
		}
		c.Redirect(http.StatusSeeOther, "/login?next="+url.QueryEscape(c.Request.URL.Path))
		c.Abort()
		return
	}
	c.Next()
}

// sameOrigin rejects cross-site form posts: browsers send Origin on POST,
// and a session cookie is SameSite=Lax besides.
func sameOrigin(c *gin.Context) bool {
	origin := c.GetHeader("Origin")
	if origin == "" || origin == "null" {
		return c.GetHeader("Sec-Fetch-Site") != "cross-site"
	}
	u, err := url.Parse(origin)
	return err == nil && u.Host == c.Request.Host
}

func (h *Handler) loginPage(c *gin.Context) {
	h.render(c, http.StatusOK, "login", gin.H{"Next": safeNext(c.Query("next"))})
}

func safeNext(n string) string {
	if !strings.HasPrefix(n, "/") || strings.HasPrefix(n, "//") || strings.Contains(n, "\\") {
		return "/"
	}
	return n
}

func (h *Handler) login(c *gin.Context) {
	next := safeNext(c.PostForm("next"))
	if !sameOrigin(c) {
		h.render(c, http.StatusForbidden, "login", gin.H{"Next": next, "Error": "This sign-in came from another site and was refused."})
		return
	}
	id, err := h.svc.Login(c.Request.Context(), c.PostForm("token"))
	if err != nil {
		msg := "That token is not valid. The admin token is in <data-dir>/admin-token."
		if !errors.Is(err, service.ErrUnauthorized) {
			h.log.Error("login", "err", err)
			msg = "Signing in failed; the server log has details."
		}
		h.render(c, http.StatusUnauthorized, "login", gin.H{"Next": next, "Error": msg})
		return
	}
	http.SetCookie(c.Writer, &http.Cookie{
		Name: CookieName, Value: id, Path: "/", HttpOnly: true, SameSite: http.SameSiteLaxMode,
		Secure: c.Request.TLS != nil, MaxAge: int(service.SessionTTL.Seconds()),
	})
	c.Redirect(http.StatusSeeOther, next)
}

func (h *Handler) logout(c *gin.Context) {
	if id, err := c.Cookie(CookieName); err == nil && sameOrigin(c) {
		_ = h.svc.Logout(c.Request.Context(), id)
	}
	http.SetCookie(c.Writer, &http.Cookie{Name: CookieName, Value: "", Path: "/", MaxAge: -1, HttpOnly: true, SameSite: http.SameSiteLaxMode})
	c.Redirect(http.StatusSeeOther, "/login")
}

func (h *Handler) apps(c *gin.Context) {
	apps, err := h.svc.ListApps(c.Request.Context())
	if err != nil {
		h.fail(c, err)
		return
	}
	h.render(c, http.StatusOK, "apps", gin.H{"Apps": apps})
}

func (h *Handler) app(c *gin.Context) {
	ctx := c.Request.Context()
	app, err := h.svc.GetApp(ctx, c.Param("name"))
	if err != nil {
		h.fail(c, err)
		return
	}
	deps, err := h.svc.ListDeployments(ctx, app.Name, 50)
	if err != nil {
		h.fail(c, err)
		return
	}
	h.render(c, http.StatusOK, "app", gin.H{"App": app, "Deployments": deps})
}

// fail shows an error page; never a stack trace.
func (h *Handler) fail(c *gin.Context, err error) {
	status, msg := http.StatusInternalServerError, "Something went wrong; the server log has details."
	if errors.Is(err, schema.ErrNotFound) {
		status, msg = http.StatusNotFound, "Not found."
	} else {
		h.log.Error("dashboard", "path", c.Request.URL.Path, "err", err)
	}
	h.render(c, status, "error", gin.H{"Error": msg})
}
