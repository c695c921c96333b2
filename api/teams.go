package api

import (
	"net/http"

	"github.com/gin-gonic/gin"
	"github.com/rivetr/rivetr/internal/release"
	"github.com/rivetr/rivetr/internal/service"
)

func (h *Handler) listTeams(c *gin.Context) {
	v, err := h.svc.ListTeams(c.Request.Context())
	h.respond(c, http.StatusOK, v, err)
}

func (h *Handler) createTeam(c *gin.Context) {
	var in service.TeamInput
	if !h.decode(c, &in) {
		return
	}
	v, err := h.svc.CreateTeam(c.Request.Context(), in)
	h.respond(c, http.StatusCreated, v, err)
}

func (h *Handler) deleteTeam(c *gin.Context) {
	h.respond(c, http.StatusNoContent, nil, h.svc.DeleteTeam(c.Request.Context(), c.Param("team")))
}

func (h *Handler) teamRoutes() []Route {
	return []Route{
		{"GET", "/api/teams", AuthToken, NeedSignedIn, "List your teams", nil, []service.TeamView{}, 200, h.listTeams},
		{"POST", "/api/teams", AuthToken, NeedSignedIn, "Create a team (you become its owner)", service.TeamInput{}, service.TeamView{}, 201, h.createTeam},
		{"DELETE", "/api/teams/:team", AuthToken, need(release.PermManageTeam), "Delete a team", nil, nil, 204, h.deleteTeam},
	}
}
