package web

import (
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/gin-gonic/gin"
	"github.com/rivetr/rivetr/internal/release"
	"github.com/rivetr/rivetr/internal/service"
	"github.com/rivetr/rivetr/schema"
)

func (h *Handler) invite(c *gin.Context) {
	in := service.InvitationInput{Email: strings.TrimSpace(c.PostForm("email")), Role: release.Role(c.PostForm("role")), Approver: c.PostForm("approver") != ""}
	v, err := h.svc.Invite(c.Request.Context(), c.Param("team"), in, baseURL(c))
	d := teamData{InviteEmail: in.Email, InviteRole: in.Role}
	if err != nil {
		d.Errors = fieldsOf(err, h.logError(c, err))
		h.renderTeam(c, http.StatusBadRequest, d)
		return
	}
	// Rendered, not redirected: the link must not travel in a URL.
	d.NewInvite, d.InviteRole = v, release.RoleDeveloper
	d.InviteEmail = ""
	h.renderTeam(c, http.StatusOK, d)
}

func (h *Handler) revokeInvite(c *gin.Context) {
	team := c.Param("team")
	if err := h.svc.RevokeInvitation(c.Request.Context(), team, c.Param("id")); err != nil {
		redirect(c, "/teams/"+url.PathEscape(team), flash{Error: h.logError(c, err)})
		return
	}
	redirect(c, "/teams/"+url.PathEscape(team), flash{OK: "Invitation revoked; its link no longer works."})
}

type inviteData struct {
	Token  string
	Inv    *service.InvitationView
	Error  string
	CSRF   string
	Who    string // the signed-in user, if any
	Name   string
	Errors map[string]string
}

func (h *Handler) invitePage(c *gin.Context) { h.renderInvite(c, http.StatusOK, inviteData{}) }

func (h *Handler) renderInvite(c *gin.Context, status int, d inviteData) {
	d.Token, d.CSRF = c.Param("token"), h.loginCSRF(c)
	if a := service.ActorFrom(c.Request.Context()); a != nil {
		d.Who = a.Email
	}
	if d.Error == "" {
		inv, err := h.svc.Invitation(c.Request.Context(), d.Token)
		if err != nil {
			d.Error = h.logError(c, err)
			if status == http.StatusOK {
				status = http.StatusGone
				if errors.Is(err, schema.ErrNotFound) {
					status = http.StatusNotFound
				}
			}
		}
		d.Inv = inv
	}
	h.render(c, status, "invite", "Invitation", d)
}

func (h *Handler) acceptInvite(c *gin.Context) {
	d := inviteData{Name: c.PostForm("name")}
	if !h.loginCSRFOK(c) {
		d.Error = "This form was refused: it did not come from this page. Reload it and try again."
		h.renderInvite(c, http.StatusForbidden, d)
		return
	}
	if wait, ok := h.loginAllowed(c, ""); !ok {
		c.Header("Retry-After", retryAfter(wait))
		d.Error = "Too many attempts. Try again in " + retryAfter(wait) + " seconds."
		h.renderInvite(c, http.StatusTooManyRequests, d)
		return
	}
	ctx := c.Request.Context()
	signedIn := service.ActorFrom(ctx) != nil
	password := c.PostForm("password")
	res, err := h.svc.AcceptInvitation(ctx, c.Param("token"), service.AcceptInput{Name: d.Name, Password: password})
	if err != nil {
		var verr *service.ValidationError
		if errors.As(err, &verr) {
			d.Errors = verr.Fields
			h.renderInvite(c, http.StatusBadRequest, d)
			return
		}
		d.Error = h.logError(c, err)
		h.renderInvite(c, http.StatusConflict, d)
		return
	}
	if !signedIn {
		id, err := h.svc.Login(ctx, res.User.Email, password)
		if err != nil {
			h.fail(c, err)
			return
		}
		h.startSession(c, id)
	}
	redirect(c, "/apps?team="+url.QueryEscape(res.Team), flash{OK: "Welcome to " + res.Team + ": you are " + string(res.Role) + " there."})
}

func (h *Handler) declineInvite(c *gin.Context) {
	if !h.loginCSRFOK(c) {
		h.renderInvite(c, http.StatusForbidden, inviteData{Error: "This form was refused: it did not come from this page. Reload it and try again."})
		return
	}
	if err := h.svc.DeclineInvitation(c.Request.Context(), c.Param("token")); err != nil {
		h.renderInvite(c, http.StatusConflict, inviteData{Error: h.logError(c, err)})
		return
	}
	h.render(c, http.StatusOK, "invite", "Invitation", inviteData{Error: "You declined the invitation. Nothing else happens."})
}
