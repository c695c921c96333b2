package api

import (
	"net/http"

	"github.com/gin-gonic/gin"
	"github.com/rivetr/rivetr/internal/release"
	"github.com/rivetr/rivetr/internal/service"
)

func (h *Handler) listMembers(c *gin.Context) {
	v, err := h.svc.ListMembers(c.Request.Context(), c.Param("team"))
	h.respond(c, http.StatusOK, v, err)
}

func (h *Handler) putMember(c *gin.Context) {
	var in service.MemberInput
	if !h.decode(c, &in) {
		return
	}
	v, err := h.svc.PutMember(c.Request.Context(), c.Param("team"), c.Param("user"), in)
	h.respond(c, http.StatusOK, v, err)
}

func (h *Handler) removeMember(c *gin.Context) {
	h.respond(c, http.StatusNoContent, nil, h.svc.RemoveMember(c.Request.Context(), c.Param("team"), c.Param("user")))
}

func (h *Handler) memberRoutes() []Route {
	return []Route{
		{"GET", "/api/teams/:team/members", AuthToken, need(release.PermRead), "List a team's members", nil, []service.Member{}, 200, h.listMembers},
		{"PUT", "/api/teams/:team/members/:user", AuthToken, need(release.PermManageMembers), "Add a member or change their role", service.MemberInput{}, service.Member{}, 200, h.putMember},
		{"DELETE", "/api/teams/:team/members/:user", AuthToken, need(release.PermManageMembers), "Remove a member", nil, nil, 204, h.removeMember},
	}
}
