package api

import (
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"
	"github.com/rivetr/rivetr/internal/release"
	"github.com/rivetr/rivetr/internal/service"
)

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

func (h *Handler) envRoutes() []Route {
	return []Route{
		{"GET", "/api/apps/:name/env", AuthToken, need(release.PermRead), "An app's env vars (secret values never)", nil, []service.EnvView{}, 200, h.listEnv},
		{"PUT", "/api/apps/:name/env", AuthToken, need(release.PermEnv), "Set env vars", EnvRequest{}, []service.EnvView{}, 200, h.setEnv},
		{"DELETE", "/api/apps/:name/env/:key", AuthToken, need(release.PermEnv), "Unset env vars (comma-separated keys)", nil, nil, 204, h.unsetEnv},
	}
}
