package api

import (
	"net/http"

	"github.com/gin-gonic/gin"
	"github.com/rivetr/rivetr/internal/service"
)

func (h *Handler) listTokens(c *gin.Context) {
	v, err := h.svc.ListTokens(c.Request.Context())
	h.respond(c, http.StatusOK, v, err)
}

func (h *Handler) createToken(c *gin.Context) {
	var in service.TokenInput
	if !h.decode(c, &in) {
		return
	}
	v, err := h.svc.CreateToken(c.Request.Context(), in)
	h.respond(c, http.StatusCreated, v, err)
}

func (h *Handler) revokeToken(c *gin.Context) {
	h.respond(c, http.StatusNoContent, nil, h.svc.RevokeToken(c.Request.Context(), c.Param("id")))
}

func (h *Handler) revokeCurrentToken(c *gin.Context) {
	h.respond(c, http.StatusNoContent, nil, h.svc.RevokeCurrentToken(c.Request.Context()))
}

func (h *Handler) tokenRoutes() []Route {
	return []Route{
		{"DELETE", "/api/auth/token", AuthToken, NeedSignedIn, "Revoke the token of this request (sign out)", nil, nil, 204, h.revokeCurrentToken},
		{"GET", "/api/tokens", AuthToken, NeedSignedIn, "List your API tokens", nil, []service.APIToken{}, 200, h.listTokens},
		{"POST", "/api/tokens", AuthToken, NeedSignedIn, "Create an API token, optionally capped at a role", service.TokenInput{}, service.NewToken{}, 201, h.createToken},
		{"DELETE", "/api/tokens/:id", AuthToken, NeedSignedIn, "Revoke one of your tokens", nil, nil, 204, h.revokeToken},
	}
}
