package web

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/rivetr/rivetr/internal/release"
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

// putEnvironment creates an environment (the name comes from the form) or
// changes one (the name is in the path). Unchecked boxes mean false.
func (h *Handler) putEnvironment(c *gin.Context) {
	team := c.Param("team")
	name := c.Param("env")
	creating := name == ""
	if creating {
		name = strings.TrimSpace(c.PostForm("name"))
	}
	req, self := c.PostForm("require_approval") != "", c.PostForm("allow_self_approval") != ""
	in := service.EnvironmentInput{RequireApproval: &req, AllowSelfApproval: &self}
	errs := map[string]string{}
	if v := strings.TrimSpace(c.PostForm("approvals_needed")); v != "" {
		if n, err := strconv.Atoi(v); err != nil {
			errs["approvals_needed"] = "must be a number"
		} else {
			in.ApprovalsNeeded = &n
		}
	}
	if v := strings.TrimSpace(c.PostForm("approval_ttl")); v != "" {
		if d, err := time.ParseDuration(v); err != nil {
			errs["approval_ttl"] = "must be a duration such as 24h or 90m"
		} else {
			sd := schema.Duration(d)
			in.ApprovalTTL = &sd
		}
	}
	var err error
	if len(errs) == 0 {
		_, err = h.svc.PutEnvironment(c.Request.Context(), team, name, in)
	}
	back := "/teams/" + url.PathEscape(team)
	switch {
	case (len(errs) > 0 || err != nil) && creating:
		if err != nil {
			errs = fieldsOf(err, actionError(err))
		}
		h.renderTeam(c, http.StatusBadRequest, teamData{InviteRole: release.RoleDeveloper, EnvErrors: errs, EnvName: name})
	case len(errs) > 0:
		for _, m := range errs {
			redirect(c, back, flash{Error: "Environment " + name + ": " + m})
			return
		}
	case err != nil:
		redirect(c, back, flash{Error: h.logError(c, err)})
	case creating:
		redirect(c, back, flash{OK: "Created environment " + name + ". Put apps in it from their settings."})
	default:
		redirect(c, back, flash{OK: "Environment " + name + " saved."})
	}
}

func (h *Handler) deleteEnvironment(c *gin.Context) {
	team, name := c.Param("team"), c.Param("env")
	back := "/teams/" + url.PathEscape(team)
	if err := h.svc.DeleteEnvironment(c.Request.Context(), team, name); err != nil {
		redirect(c, back, flash{Error: h.logError(c, err)})
		return
	}
	redirect(c, back, flash{OK: "Environment " + name + " deleted."})
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
	in := service.InvitationInput{Email: strings.TrimSpace(c.PostForm("email")), Role: release.Role(c.PostForm("role")), Approver: c.PostForm("approver") != ""}
	v, err := h.svc.Invite(c.Request.Context(), c.Param("team"), in, baseURL(c))
	d := teamData{InviteEmail: in.Email, InviteRole: in.Role}
	if err != nil {
		d.Errors = fieldsOf(err, actionError(err))
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
	redirect(c, "/apps?team="+url.QueryEscape(res.Team), flash{OK: "Welcome to " + res.Team + ": you are " + string(res.Role) + " there."})
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
	Form    struct{ App, Environment, Reason string }
	Errors  map[string]string
	// Environments are "team/name" of the environments the caller may
	// freeze; Calendar the windows' times in the next four weeks, by day.
	Environments []string
	Calendar     []calendarDay
}

// calendarDay is one UTC day of the freeze calendar.
type calendarDay struct {
	Day   time.Time
	Items []calendarItem
}

type calendarItem struct {
	release.Occurrence
	Window service.FreezeView
	// Continues is set on the days after the one an occurrence starts.
	Continues bool
}

// freezeCalendar lays the windows' upcoming times out by day: an
// occurrence shows on each day it covers, from today for four weeks.
func freezeCalendar(ws []service.FreezeView, now time.Time) []calendarDay {
	today := now.UTC().Truncate(24 * time.Hour)
	days := map[time.Time]*calendarDay{}
	var order []time.Time
	for _, w := range ws {
		for _, o := range w.Upcoming {
			first := o.Start.UTC().Truncate(24 * time.Hour)
			for d := first; d.Before(o.End) && d.Before(today.Add(service.CalendarSpan)); d = d.Add(24 * time.Hour) {
				if d.Before(today) {
					continue
				}
				cd, ok := days[d]
				if !ok {
					cd = &calendarDay{Day: d}
					days[d] = cd
					order = append(order, d)
				}
				cd.Items = append(cd.Items, calendarItem{Occurrence: o, Window: w, Continues: d.After(first)})
			}
		}
	}
	slices.SortFunc(order, func(a, b time.Time) int { return a.Compare(b) })
	out := make([]calendarDay, 0, len(order))
	for _, d := range order {
		cd := days[d]
		slices.SortStableFunc(cd.Items, func(a, b calendarItem) int { return a.Start.Compare(b.Start) })
		out = append(out, *cd)
	}
	return out
}

func (h *Handler) freezes(c *gin.Context) { h.renderFreezes(c, http.StatusOK, freezesData{}) }

func (h *Handler) renderFreezes(c *gin.Context, status int, d freezesData) {
	ws, err := h.svc.ListFreezes(c.Request.Context())
	if err != nil {
		h.fail(c, err)
		return
	}
	d.Windows = ws
	d.Calendar = freezeCalendar(ws, time.Now())
	teams, err := h.svc.TeamsFor(c.Request.Context(), release.PermPolicy)
	if err != nil {
		h.fail(c, err)
		return
	}
	for _, t := range teams {
		if t.Name == "" {
			continue
		}
		es, err := h.svc.ListEnvironments(c.Request.Context(), t.Name)
		if err != nil {
			h.fail(c, err)
			return
		}
		for _, e := range es {
			d.Environments = append(d.Environments, t.Name+"/"+e.Name)
		}
	}
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
	d.Form.App, d.Form.Environment, d.Form.Reason = strings.TrimSpace(c.PostForm("app")), c.PostForm("environment"), c.PostForm("reason")
	in := service.FreezeInput{App: d.Form.App, Reason: d.Form.Reason, Cron: strings.TrimSpace(c.PostForm("cron")), TZ: strings.TrimSpace(c.PostForm("tz")),
		Policy: release.FreezePolicy(c.PostForm("policy")), BlockRollbacks: c.PostForm("block_rollbacks") != ""}
	if team, env, ok := strings.Cut(d.Form.Environment, "/"); ok {
		in.Team, in.Environment = team, env
	}
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

// ---- an app's release policy ----

// updatePolicy sets an app's environment and its own approval policy
// (unchecked boxes mean false).
func (h *Handler) updatePolicy(c *gin.Context) {
	name := c.Param("name")
	back := "/apps/" + url.PathEscape(name) + "#policy"
	env := strings.TrimSpace(c.PostForm("environment"))
	req, self := c.PostForm("require_approval") != "", c.PostForm("allow_self_approval") != ""
	in := service.AppInput{Environment: &env, RequireApproval: &req, AllowSelfApproval: &self}
	if v := strings.TrimSpace(c.PostForm("approvals_needed")); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			redirect(c, back, flash{Error: "Approvals must be a number.", At: "policy"})
			return
		}
		in.ApprovalsNeeded = &n
	}
	if v := strings.TrimSpace(c.PostForm("approval_ttl")); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			redirect(c, back, flash{Error: "Expiry must be a duration such as 24h or 90m.", At: "policy"})
			return
		}
		sd := schema.Duration(d)
		in.ApprovalTTL = &sd
	}
	if _, err := h.svc.UpdateApp(c.Request.Context(), name, in); err != nil {
		redirect(c, back, flash{Error: h.logError(c, err), At: "policy"})
		return
	}
	redirect(c, back, flash{OK: "Release policy saved; it applies from the next deployment."})
}

// ---- webhooks ----

func (h *Handler) rotateWebhook(c *gin.Context) {
	name := c.Param("name")
	back := "/apps/" + url.PathEscape(name) + "#webhooks"
	if _, err := h.svc.GetWebhook(c.Request.Context(), name, baseURL(c), true); err != nil {
		redirect(c, back, flash{Error: h.logError(c, err), At: "webhooks"})
		return
	}
	redirect(c, back, flash{OK: "New webhook secret made: paste it into your git host's webhook settings; the old one no longer works."})
}

func (h *Handler) deletePreview(c *gin.Context) {
	name := c.Param("name")
	back := "/apps/" + url.PathEscape(name) + "#previews"
	pr, err := strconv.Atoi(c.Param("pr"))
	if err == nil {
		err = h.svc.DeletePreview(c.Request.Context(), name, pr)
	}
	if err != nil {
		redirect(c, back, flash{Error: h.logError(c, err), At: "previews"})
		return
	}
	redirect(c, back, flash{OK: "Removing the preview of pull request #" + c.Param("pr") + "."})
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
