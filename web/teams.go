package web

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/rivetr/rivetr/internal/service"
	"github.com/rivetr/rivetr/schema"
)

// ---- teams ----

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
	Members     []schema.Member
	Invitations []service.InvitationView
	// NewInvite is the invitation just made: its link is shown this once.
	NewInvite   *service.InvitationView
	InviteEmail string
	InviteRole  string
	Errors      map[string]string
	Roles       []string
}

func (h *Handler) team(c *gin.Context) {
	h.renderTeam(c, http.StatusOK, teamData{InviteRole: schema.RoleDeveloper})
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
	d.Manage = service.RoleAllows(d.Team.Role, service.PermManageMembers)
	if d.Manage {
		if d.Invitations, err = h.svc.ListInvitations(ctx, name); err != nil {
			h.fail(c, err)
			return
		}
	}
	d.Roles = service.Roles
	h.render(c, status, "team", "Team "+name, d)
}

// baseURL is the dashboard's address as this request reached it.
func baseURL(c *gin.Context) string {
	scheme := "http"
	if c.Request.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + c.Request.Host
}

func (h *Handler) invite(c *gin.Context) {
	in := service.InvitationInput{Email: strings.TrimSpace(c.PostForm("email")), Role: c.PostForm("role"), Approver: c.PostForm("approver") != ""}
	v, err := h.svc.Invite(c.Request.Context(), c.Param("team"), in, baseURL(c))
	d := teamData{InviteEmail: in.Email, InviteRole: in.Role}
	if err != nil {
		d.Errors = fieldsOf(err, actionError(err))
		h.renderTeam(c, http.StatusBadRequest, d)
		return
	}
	// Rendered, not redirected: the link must not travel in a URL.
	d.NewInvite, d.InviteRole = v, schema.RoleDeveloper
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

func (h *Handler) setMember(c *gin.Context) {
	team := c.Param("team")
	in := service.MemberInput{Role: c.PostForm("role")}
	approver := c.PostForm("approver") != ""
	in.Approver = &approver
	m, err := h.svc.PutMember(c.Request.Context(), team, c.Param("user"), in)
	if err != nil {
		redirect(c, "/teams/"+url.PathEscape(team), flash{Error: h.logError(c, err)})
		return
	}
	redirect(c, "/teams/"+url.PathEscape(team), flash{OK: m.Email + " is now " + m.Role + "."})
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

// ---- accepting an invitation (no session needed) ----

type inviteData struct {
	Token  string
	Inv    *service.InvitationView
	Error  string
	CSRF   string
	Who    string // the signed-in user, if any
	Name   string
	Errors map[string]string
}

// withOptionalSession puts the signed-in user, if any, in the request.
func (h *Handler) withOptionalSession(c *gin.Context) {
	if id, _ := c.Cookie(CookieName); id != "" {
		if a, err := h.svc.CheckSession(c.Request.Context(), id); err == nil {
			c.Request = c.Request.WithContext(service.WithActor(c.Request.Context(), a))
		}
	}
	c.Next()
}

func (h *Handler) invitePage(c *gin.Context) { h.renderInvite(c, http.StatusOK, inviteData{}) }

func (h *Handler) renderInvite(c *gin.Context, status int, d inviteData) {
	d.Token, d.CSRF = c.Param("token"), loginCSRF(c)
	if a := service.ActorFrom(c.Request.Context()); a != nil {
		d.Who = a.Email
	}
	if d.Error == "" {
		inv, err := h.svc.Invitation(c.Request.Context(), d.Token)
		if err != nil {
			d.Error = actionError(err)
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
	if !loginCSRFOK(c) {
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
		d.Error = actionError(err)
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
	redirect(c, "/apps?team="+url.QueryEscape(res.Team), flash{OK: "Welcome to " + res.Team + ": you are " + res.Role + " there."})
}

func (h *Handler) declineInvite(c *gin.Context) {
	if !loginCSRFOK(c) {
		h.renderInvite(c, http.StatusForbidden, inviteData{Error: "This form was refused: it did not come from this page. Reload it and try again."})
		return
	}
	if err := h.svc.DeclineInvitation(c.Request.Context(), c.Param("token")); err != nil {
		h.renderInvite(c, http.StatusConflict, inviteData{Error: actionError(err)})
		return
	}
	h.render(c, http.StatusOK, "invite", "Invitation", inviteData{Error: "You declined the invitation. Nothing else happens."})
}

// ---- sharing ----

func (h *Handler) shareApp(c *gin.Context) {
	name := c.Param("name")
	team := strings.TrimSpace(c.PostForm("team"))
	if err := h.svc.ShareApp(c.Request.Context(), name, team); err != nil {
		redirect(c, "/apps/"+url.PathEscape(name)+"#sharing", flash{Error: h.logError(c, err), At: "share"})
		return
	}
	redirect(c, "/apps/"+url.PathEscape(name)+"#sharing", flash{OK: name + " is shared with " + team + ", read-only."})
}

func (h *Handler) unshareApp(c *gin.Context) {
	name, team := c.Param("name"), c.Param("team")
	if err := h.svc.UnshareApp(c.Request.Context(), name, team); err != nil {
		redirect(c, "/apps/"+url.PathEscape(name)+"#sharing", flash{Error: h.logError(c, err), At: "share"})
		return
	}
	redirect(c, "/apps/"+url.PathEscape(name)+"#sharing", flash{OK: name + " is no longer shared with " + team + "."})
}

// ---- freeze windows ----

type freezesData struct {
	Windows []service.FreezeView
	Form    struct{ App, Reason string }
	Errors  map[string]string
}

func (h *Handler) freezes(c *gin.Context) { h.renderFreezes(c, http.StatusOK, freezesData{}) }

func (h *Handler) renderFreezes(c *gin.Context, status int, d freezesData) {
	ws, err := h.svc.ListFreezes(c.Request.Context())
	if err != nil {
		h.fail(c, err)
		return
	}
	d.Windows = ws
	h.render(c, status, "freezes", "Freeze windows", d)
}

// formLocalTime reads a datetime-local field in the browser's offset.
func formLocalTime(c *gin.Context, field string) (*time.Time, error) {
	v := strings.TrimSpace(c.PostForm(field))
	if v == "" {
		return nil, nil
	}
	t, err := time.Parse("2006-01-02T15:04", v)
	if err != nil {
		return nil, fmt.Errorf("%q is not a date and time", v)
	}
	if off, err := strconv.Atoi(c.PostForm("tz_offset")); err == nil && off >= -14*60 && off <= 14*60 {
		t = t.Add(time.Duration(off) * time.Minute)
	}
	return &t, nil
}

func (h *Handler) createFreeze(c *gin.Context) {
	d := freezesData{}
	d.Form.App, d.Form.Reason = strings.TrimSpace(c.PostForm("app")), c.PostForm("reason")
	in := service.FreezeInput{App: d.Form.App, Reason: d.Form.Reason, Cron: strings.TrimSpace(c.PostForm("cron")), TZ: strings.TrimSpace(c.PostForm("tz")),
		Policy: c.PostForm("policy"), BlockRollbacks: c.PostForm("block_rollbacks") != ""}
	var err error
	if in.From, err = formLocalTime(c, "from_local"); err == nil {
		in.Until, err = formLocalTime(c, "until_local")
	}
	if err == nil && strings.TrimSpace(c.PostForm("duration")) != "" {
		dur, perr := time.ParseDuration(strings.TrimSpace(c.PostForm("duration")))
		if perr != nil {
			err = fmt.Errorf("duration: %q is not a duration like 62h", c.PostForm("duration"))
		} else {
			sd := schema.Duration(dur)
			in.Duration = &sd
		}
	}
	if err == nil {
		_, err = h.svc.CreateFreeze(c.Request.Context(), in)
	}
	if err != nil {
		d.Errors = fieldsOf(err, actionError(err))
		h.renderFreezes(c, http.StatusBadRequest, d)
		return
	}
	redirect(c, "/freezes", flash{OK: "Freeze window added."})
}

func (h *Handler) deleteFreeze(c *gin.Context) {
	if err := h.svc.DeleteFreeze(c.Request.Context(), c.Param("id")); err != nil {
		redirect(c, "/freezes", flash{Error: h.logError(c, err)})
		return
	}
	redirect(c, "/freezes", flash{OK: "Freeze window removed."})
}

func (h *Handler) override(c *gin.Context) {
	id := c.Param("id")
	if _, err := h.svc.Override(c.Request.Context(), id, c.PostForm("reason")); err != nil {
		redirect(c, "/deployments/"+url.PathEscape(id), flash{Error: h.logError(c, err), At: "override"})
		return
	}
	redirect(c, "/deployments/"+url.PathEscape(id), flash{OK: "Overridden: the deployment goes ahead."})
}

// ---- recurring deploys ----

func (h *Handler) createRecurring(c *gin.Context) {
	name := c.Param("name")
	in := service.RecurringInput{Cron: strings.TrimSpace(c.PostForm("cron")), TZ: strings.TrimSpace(c.PostForm("tz"))}
	if _, err := h.svc.CreateRecurring(c.Request.Context(), name, in); err != nil {
		redirect(c, "/apps/"+url.PathEscape(name)+"#recurring", flash{Error: h.logError(c, err), At: "recurring"})
		return
	}
	redirect(c, "/apps/"+url.PathEscape(name)+"#recurring", flash{OK: "Recurring deploy added."})
}

func (h *Handler) deleteRecurring(c *gin.Context) {
	name := c.Param("name")
	if err := h.svc.DeleteRecurring(c.Request.Context(), name, c.Param("id")); err != nil {
		redirect(c, "/apps/"+url.PathEscape(name)+"#recurring", flash{Error: h.logError(c, err), At: "recurring"})
		return
	}
	redirect(c, "/apps/"+url.PathEscape(name)+"#recurring", flash{OK: "Recurring deploy stopped."})
}
