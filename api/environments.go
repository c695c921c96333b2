package api

import (
	"net/http"

	"github.com/gin-gonic/gin"
	"github.com/rivetr/rivetr/internal/release"
	"github.com/rivetr/rivetr/internal/service"
)

func (h *Handler) listEnvironments(c *gin.Context) {
	v, err := h.svc.ListEnvironments(c.Request.Context(), c.Param("team"))
	h.respond(c, http.StatusOK, v, err)
}

func (h *Handler) putEnvironment(c *gin.Context) {
	var in service.EnvironmentInput
	if !h.decode(c, &in) {
		return
	}
	v, err := h.svc.PutEnvironment(c.Request.Context(), c.Param("team"), c.Param("env"), in)
	h.respond(c, http.StatusOK, v, err)
}

func (h *Handler) deleteEnvironment(c *gin.Context) {
	h.respond(c, http.StatusNoContent, nil, h.svc.DeleteEnvironment(c.Request.Context(), c.Param("team"), c.Param("env")))
}

func (h *Handler) environmentRoutes() []Route {
	return []Route{
		{"GET", "/api/teams/:team/environments", AuthToken, need(release.PermRead), "List a team's environments", nil, []service.EnvironmentView{}, 200, h.listEnvironments},
		{"PUT", "/api/teams/:team/environments/:env", AuthToken, need(release.PermPolicy), "Create or change an environment and its approval policy", service.EnvironmentInput{}, service.EnvironmentView{}, 200, h.putEnvironment},
		{"DELETE", "/api/teams/:team/environments/:env", AuthToken, need(release.PermPolicy), "Delete an environment without apps", nil, nil, 204, h.deleteEnvironment},
	}
}
