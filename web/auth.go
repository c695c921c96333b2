package web

import (
	"cmp"
	"crypto/hmac"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/rivetr/rivetr/internal/service"
)

type loginData struct {
	Next, Error, CSRF, Email string
	// Setup is set while no user exists: the page points to /setup.
	Setup bool
	// TokenPath is the admin token's file, shown while no user exists.
	TokenPath string
}

// loginCSRF sets a fresh double-submit token for the sign-in and setup
// forms and returns it.
func (h *Handler) loginCSRF(c *gin.Context) string {
	tok := randomToken()
	h.setCookie(c, loginCSRFName, tok, 0, http.SameSiteStrictMode)
	return tok
}

// loginCSRFOK checks a sign-in or setup form's double-submit token.
func (h *Handler) loginCSRFOK(c *gin.Context) bool {
	cookie, _ := c.Cookie(h.cookie(c, loginCSRFName))
	return sameOrigin(c) && cookie != "" && hmac.Equal([]byte(cookie), []byte(c.PostForm(csrfField)))
}

func (h *Handler) loginPage(c *gin.Context) {
	setup, _ := h.svc.SetupNeeded(c.Request.Context())
	h.render(c, http.StatusOK, "login", "Sign in", loginData{Next: safeNext(c.Query("next")), CSRF: h.loginCSRF(c), Setup: setup, TokenPath: h.tokenPath(setup)})
}

func safeNext(n string) string {
	// Browsers drop tabs and newlines from URLs ("/\t/evil.com" becomes
	// "//evil.com", another site): any control character or space refuses.
	if strings.ContainsFunc(n, func(r rune) bool { return r < 0x21 || r == 0x7f }) {
		return "/"
	}
	if !strings.HasPrefix(n, "/") || strings.HasPrefix(n, "//") || strings.Contains(n, "\\") {
		return "/"
	}
	if u, err := url.Parse(n); err != nil || u.Scheme != "" || u.Host != "" {
		return "/"
	}
	return n
}

// login checks the sign-in form's double-submit token, then the email and
// password, or the API token when one is given instead.
func (h *Handler) login(c *gin.Context) {
	next := safeNext(c.PostForm("next"))
	email := c.PostForm("email")
	if !h.loginCSRFOK(c) {
		h.render(c, http.StatusForbidden, "login", "Sign in", loginData{Next: next, CSRF: h.loginCSRF(c), Email: email,
			Error: "This sign-in was refused: it did not come from this page. Try again."})
		return
	}
	if wait, ok := h.loginAllowed(c, email); !ok {
		c.Header("Retry-After", retryAfter(wait))
		h.render(c, http.StatusTooManyRequests, "login", "Sign in", loginData{Next: next, CSRF: h.loginCSRF(c), Email: email,
			Error: "Too many sign-in attempts. Try again in " + retryAfter(wait) + " seconds."})
		return
	}
	var (
		id  string
		err error
		msg = "Wrong email or password."
	)
	if tok := strings.TrimSpace(c.PostForm("token")); tok != "" {
		id, err = h.svc.LoginWithToken(c.Request.Context(), tok)
		msg = "That token is not valid. The admin token is in <data-dir>/admin-token."
	} else {
		id, err = h.svc.Login(c.Request.Context(), email, c.PostForm("password"))
	}
	if err != nil {
		if !errors.Is(err, service.ErrUnauthorized) {
			h.log.Error("login", "err", err)
			msg = "Signing in failed; the server log has details."
		}
		setup, _ := h.svc.SetupNeeded(c.Request.Context())
		h.render(c, http.StatusUnauthorized, "login", "Sign in", loginData{Next: next, CSRF: h.loginCSRF(c), Email: email, Error: msg, Setup: setup})
		return
	}
	h.startSession(c, id)
	c.Redirect(http.StatusSeeOther, next)
}

// loginAllowed takes a sign-in attempt from the client's address and, when
// email is given, from the account's budget.
func (h *Handler) loginAllowed(c *gin.Context, email string) (time.Duration, bool) {
	if ok, wait := h.limits.Login.Allow("ip:" + c.ClientIP()); !ok {
		return wait, false
	}
	if email = strings.ToLower(strings.TrimSpace(email)); email != "" {
		if ok, wait := h.limits.Login.Allow("account:" + email); !ok {
			return wait, false
		}
	}
	return 0, true
}

func (h *Handler) startSession(c *gin.Context, id string) {
	h.setCookie(c, loginCSRFName, "", -1, http.SameSiteStrictMode)
	h.setCookie(c, CookieName, id, int(service.SessionTTL.Seconds()), http.SameSiteLaxMode)
}

type setupData struct {
	CSRF, Error, Email, Name string
	TokenPath                string
	Errors                   map[string]string
	Done                     bool
}

// setupPage offers the owner account form while no user exists.
func (h *Handler) setupPage(c *gin.Context) {
	need, err := h.svc.SetupNeeded(c.Request.Context())
	if err != nil {
		h.fail(c, err)
		return
	}
	h.render(c, http.StatusOK, "setup", "Set up", setupData{CSRF: h.loginCSRF(c), Done: !need, TokenPath: h.tokenPath(need)})
}

// tokenPath is where the admin token is, to be shown while the server
// has no account (the first hour); "" afterwards, when a visitor has no
// business learning the server's paths.
func (h *Handler) tokenPath(setup bool) string {
	if !setup {
		return ""
	}
	return h.adminToken
}

// setup creates the owner account. It asks for the admin token, so only
// someone who can read the server's data dir claims a fresh server.
func (h *Handler) setup(c *gin.Context) {
	need, _ := h.svc.SetupNeeded(c.Request.Context())
	d := setupData{Email: c.PostForm("email"), Name: c.PostForm("name"), TokenPath: h.tokenPath(need)}
	if !h.loginCSRFOK(c) {
		d.CSRF, d.Error = h.loginCSRF(c), "This form was refused: it did not come from this page. Try again."
		h.render(c, http.StatusForbidden, "setup", "Set up", d)
		return
	}
	if wait, ok := h.loginAllowed(c, ""); !ok {
		c.Header("Retry-After", retryAfter(wait))
		d.CSRF, d.Error = h.loginCSRF(c), "Too many attempts. Try again in "+retryAfter(wait)+" seconds."
		h.render(c, http.StatusTooManyRequests, "setup", "Set up", d)
		return
	}
	ctx := c.Request.Context()
	a, err := h.svc.Authenticate(ctx, strings.TrimSpace(c.PostForm("token")))
	if err == nil && (!a.InstanceAdmin || a.UserID != "") {
		err = service.ErrUnauthorized
	}
	if err != nil {
		d.CSRF, d.Errors = h.loginCSRF(c), map[string]string{"token": "That is not the admin token; it is in " + cmp.Or(d.TokenPath, "<data-dir>/admin-token") + " on the server."}
		h.render(c, http.StatusUnauthorized, "setup", "Set up", d)
		return
	}
	in := service.UserInput{Email: d.Email, Name: d.Name, Password: c.PostForm("password")}
	if _, err := h.svc.CreateOwner(service.WithActor(ctx, a), in); err != nil {
		var verr *service.ValidationError
		d.CSRF = h.loginCSRF(c)
		if errors.As(err, &verr) {
			d.Errors = verr.Fields
			h.render(c, http.StatusBadRequest, "setup", "Set up", d)
			return
		}
		d.Error = h.logError(c, err)
		h.render(c, http.StatusConflict, "setup", "Set up", d)
		return
	}
	id, err := h.svc.Login(ctx, in.Email, in.Password)
	if err != nil {
		h.fail(c, err)
		return
	}
	h.startSession(c, id)
	redirect(c, "/", flash{OK: "Welcome! You own the default team; apps made before now moved into it."})
}

func (h *Handler) logout(c *gin.Context) {
	if s, ok := c.Get(sessionKey); ok {
		_ = h.svc.Logout(c.Request.Context(), s.(string))
	}
	h.setCookie(c, CookieName, "", -1, http.SameSiteLaxMode)
	c.Redirect(http.StatusSeeOther, "/login")
}
