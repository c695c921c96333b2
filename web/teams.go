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

type teamsData struct {
	Teams  []service.TeamView
	Name   string
	Errors map[string]string
}

func (h *Handler) teams(c *gin.Context) { h.renderTeams(c, http.StatusOK, "", nil) }

func (h *Handler) renderTeams(c *gin.Context, status int, name string, errs map[string]string) {
	ts, err := h.svc.ListTeams(c.Request.Context())
	if err != nil {
		h.fail(c, err)
		return
	}
	h.render(c, status, "teams", "Teams", teamsData{Teams: ts, Name: name, Errors: errs})
}

func (h *Handler) createTeam(c *gin.Context) {
	name := strings.TrimSpace(c.PostForm("name"))
	t, err := h.svc.CreateTeam(c.Request.Context(), service.TeamInput{Name: name})
	if err != nil {
		h.renderTeams(c, http.StatusBadRequest, name, fieldsOf(err, h.logError(c, err)))
		return
	}
	redirect(c, "/teams/"+url.PathEscape(t.Name), flash{OK: "Created team " + t.Name + ". Invite people to it below."})
}

type teamData struct {
	Team        service.TeamView
	Manage      bool
	Members     []service.Member
	Invitations []service.InvitationView
	// NewInvite is the invitation just made: its link is shown this once.
	NewInvite   *service.InvitationView
	InviteEmail string
	InviteRole  release.Role
	Errors      map[string]string
	Roles       []release.Role
	// Environments of the team; Policy says whether the caller may change
	// them. EnvErrors and EnvName belong to the new-environment form.
	Environments []service.EnvironmentView
	Policy       bool
	EnvErrors    map[string]string
	EnvName      string
}

func (h *Handler) team(c *gin.Context) {
	h.renderTeam(c, http.StatusOK, teamData{InviteRole: release.RoleDeveloper})
}

func (h *Handler) renderTeam(c *gin.Context, status int, d teamData) {
	ctx := c.Request.Context()
	name := c.Param("team")
	ts, err := h.svc.ListTeams(ctx)
	if err != nil {
		h.fail(c, err)
		return
	}
	found := false
	for _, t := range ts {
		if t.Name == name {
			d.Team, found = t, true
		}
	}
	if !found {
		h.fail(c, errors.New("team "+name+": "+schema.ErrNotFound.Error()))
		return
	}
	if d.Members, err = h.svc.ListMembers(ctx, name); err != nil {
		h.fail(c, err)
		return
	}
	d.Manage = release.RoleAllows(d.Team.Role, release.PermManageMembers)
	if d.Manage {
		if d.Invitations, err = h.svc.ListInvitations(ctx, name); err != nil {
			h.fail(c, err)
			return
		}
	}
	d.Roles = release.Roles
	if d.Environments, err = h.svc.ListEnvironments(ctx, name); err != nil {
		h.fail(c, err)
		return
	}
	d.Policy = release.RoleAllows(d.Team.Role, release.PermPolicy)
	h.render(c, status, "team", "Team "+name, d)
}
