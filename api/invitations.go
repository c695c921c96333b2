package api

import (
	"net/http"

	"github.com/gin-gonic/gin"
	"github.com/rivetr/rivetr/internal/release"
	"github.com/rivetr/rivetr/internal/service"
)

func (h *Handler) invite(c *gin.Context) {
	var in service.InvitationInput
	if !h.decode(c, &in) {
		return
	}
	v, err := h.svc.Invite(c.Request.Context(), c.Param("team"), in, baseURL(c))
	h.respond(c, http.StatusCreated, v, err)
}

func (h *Handler) listInvitations(c *gin.Context) {
	v, err := h.svc.ListInvitations(c.Request.Context(), c.Param("team"))
	h.respond(c, http.StatusOK, v, err)
}

func (h *Handler) revokeInvitation(c *gin.Context) {
	h.respond(c, http.StatusNoContent, nil, h.svc.RevokeInvitation(c.Request.Context(), c.Param("team"), c.Param("id")))
}

func (h *Handler) getInvitation(c *gin.Context) {
	v, err := h.svc.Invitation(c.Request.Context(), c.Param("token"))
	h.respond(c, http.StatusOK, v, err)
}

func (h *Handler) acceptInvitation(c *gin.Context) {
	var in service.AcceptInput
	if !h.decode(c, &in) {
		return
	}
	v, err := h.svc.AcceptInvitation(c.Request.Context(), c.Param("token"), in)
	h.respond(c, http.StatusOK, v, err)
}

func (h *Handler) declineInvitation(c *gin.Context) {
	h.respond(c, http.StatusNoContent, nil, h.svc.DeclineInvitation(c.Request.Context(), c.Param("token")))
}

func (h *Handler) invitationRoutes() []Route {
	return []Route{
		{"GET", "/api/teams/:team/invitations", AuthToken, need(release.PermManageMembers), "List a team's invitations", nil, []service.InvitationView{}, 200, h.listInvitations},
		{"POST", "/api/teams/:team/invitations", AuthToken, need(release.PermManageMembers), "Invite someone by email", service.InvitationInput{}, service.InvitationView{}, 201, h.invite},
		{"DELETE", "/api/teams/:team/invitations/:id", AuthToken, need(release.PermManageMembers), "Revoke an invitation", nil, nil, 204, h.revokeInvitation},
		{"GET", "/api/invitations/:token", AuthInvitation, NeedInvitation, "What an invitation link offers", nil, service.InvitationView{}, 200, h.getInvitation},
		{"POST", "/api/invitations/:token/accept", AuthInvitation, NeedInvitation, "Accept an invitation (creating the account when needed)", service.AcceptInput{}, service.AcceptResult{}, 200, h.acceptInvitation},
		{"POST", "/api/invitations/:token/decline", AuthInvitation, NeedInvitation, "Decline an invitation", nil, nil, 204, h.declineInvitation},
	}
}
