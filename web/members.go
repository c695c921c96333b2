package web

import (
	"net/url"
	"strings"

	"github.com/gin-gonic/gin"
	"github.com/rivetr/rivetr/internal/release"
	"github.com/rivetr/rivetr/internal/service"
)

func (h *Handler) setMember(c *gin.Context) {
	team := c.Param("team")
	in := service.MemberInput{Role: release.Role(c.PostForm("role"))}
	approver := c.PostForm("approver") != ""
	in.Approver = &approver
	m, err := h.svc.PutMember(c.Request.Context(), team, c.Param("user"), in)
	if err != nil {
		redirect(c, "/teams/"+url.PathEscape(team), flash{Error: h.logError(c, err)})
		return
	}
	redirect(c, "/teams/"+url.PathEscape(team), flash{OK: m.Email + " is now " + string(m.Role) + "."})
}

func (h *Handler) removeMember(c *gin.Context) {
	team := c.Param("team")
	user := c.Param("user")
	if err := h.svc.RemoveMember(c.Request.Context(), team, user); err != nil {
		redirect(c, "/teams/"+url.PathEscape(team), flash{Error: h.logError(c, err)})
		return
	}
	if a := service.ActorFrom(c.Request.Context()); a != nil && strings.EqualFold(a.Email, user) {
		redirect(c, "/teams", flash{OK: "You left " + team + "."})
		return
	}
	redirect(c, "/teams/"+url.PathEscape(team), flash{OK: user + " removed from " + team + "."})
}
