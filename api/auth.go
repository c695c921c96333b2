package api

import (
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"
	"github.com/rivetr/rivetr/internal/service"
)

// LoginRequest exchanges an email and password for an API token.
type LoginRequest struct {
	Email     string `json:"email"`
	Password  string `json:"password"`
	TokenName string `json:"token_name,omitempty"`
}

func (h *Handler) login(c *gin.Context) {
	var in LoginRequest
	if !h.decode(c, &in) {
		return
	}
	// Per account as well as per address: many addresses guessing one
	// password are stopped too.
	if !h.allow(c, h.limits.Login, "account:"+strings.ToLower(strings.TrimSpace(in.Email)), "sign-ins to this account") {
		return
	}
	tok, err := h.svc.LoginForToken(c.Request.Context(), in.Email, in.Password, in.TokenName)
	h.respond(c, http.StatusCreated, tok, err)
}

func (h *Handler) me(c *gin.Context) {
	v, err := h.svc.Me(c.Request.Context())
	h.respond(c, http.StatusOK, v, err)
}

func (h *Handler) authRoutes() []Route {
	return []Route{
		{"POST", "/api/auth/login", AuthLogin, NeedNone, "Exchange an email and password for an API token", LoginRequest{}, service.NewToken{}, 201, h.login},
		{"GET", "/api/me", AuthToken, NeedSignedIn, "Who the token belongs to", nil, service.UserView{}, 200, h.me},
	}
}
