package web

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/rivetr/rivetr/internal/release"
	"github.com/rivetr/rivetr/internal/service"
	"github.com/rivetr/rivetr/schema"
)

type appsData struct {
	Apps []service.AppView
	// Teams are those the user may create apps in; the create form shows
	// only when there is one, and a choice when there are several.
	Teams  []service.TeamView
	Form   appForm
	Errors map[string]string
	Open   bool // the create form starts open (after a failed create)
	// Team is the team the list is narrowed to ("" for all); AllTeams
	// are the caller's teams, for the switcher.
	Team     string
	AllTeams []service.TeamView
}

func (h *Handler) apps(c *gin.Context) {
	h.renderApps(c, http.StatusOK, newAppForm(), nil)
}

func (h *Handler) renderApps(c *gin.Context, status int, form appForm, errs map[string]string) {
	team := c.Query("team")
	apps, err := h.svc.ListApps(c.Request.Context(), team)
	if err != nil {
		h.fail(c, err)
		return
	}
	teams, err := h.svc.TeamsFor(c.Request.Context(), release.PermCreateApp)
	if err != nil {
		h.fail(c, err)
		return
	}
	all, err := h.svc.ListTeams(c.Request.Context())
	if err != nil {
		h.fail(c, err)
		return
	}
	if team != "" && form.Team == "" {
		form.Team = team
	}
	h.render(c, status, "apps", "Apps", appsData{Apps: apps, Teams: teams, Form: form, Errors: errs, Open: errs != nil, Team: team, AllTeams: all})
}

func (h *Handler) createApp(c *gin.Context) {
	form := readAppForm(c)
	in, errs := form.input(true)
	if len(errs) == 0 {
		app, err := h.svc.CreateApp(c.Request.Context(), in)
		if err == nil {
			redirect(c, "/apps/"+url.PathEscape(app.Name), flash{OK: "Created " + app.Name + ". Deploy it when you are ready."})
			return
		}
		errs = fieldsOf(err, h.logError(c, err))
	}
	h.renderApps(c, http.StatusBadRequest, form, errs)
}

// deleteApp deletes the app once its name is typed back.
func (h *Handler) deleteApp(c *gin.Context) {
	name := c.Param("name")
	if c.PostForm("confirm") != name {
		redirect(c, appPath(name, "danger"), flash{Error: "Type the app's name, " + name + ", to delete it.", At: "delete"})
		return
	}
	if err := h.svc.DeleteApp(c.Request.Context(), name); err != nil {
		redirect(c, appPath(name, "danger"), flash{Error: h.logError(c, err), At: "delete"})
		return
	}
	redirect(c, "/apps", flash{OK: "Deleted " + name + "."})
}

// linkDatabase gives the app a database's connection settings.
func (h *Handler) linkDatabase(c *gin.Context) {
	name := c.Param("name")
	back := appPath(name, "environment")
	keys, err := h.svc.LinkDatabase(c.Request.Context(), c.PostForm("database"), name, strings.TrimSpace(c.PostForm("prefix")))
	if err != nil {
		redirect(c, back, flash{Error: h.logError(c, err), At: "databases"})
		return
	}
	redirect(c, back, flash{OK: "Linked " + c.PostForm("database") + ": " + strings.Join(keys, ", ") + " set; they apply from the next deployment."})
}

func (h *Handler) updateApp(c *gin.Context) {
	ctx := c.Request.Context()
	app, err := h.svc.GetApp(ctx, c.Param("name"))
	if err != nil {
		h.fail(c, err)
		return
	}
	form := readAppForm(c)
	form.Name = app.Name
	in, errs := form.input(false)
	if len(errs) == 0 {
		if _, err := h.svc.UpdateApp(ctx, app.Name, in); err == nil {
			redirect(c, appPath(app.Name, "settings"), flash{OK: "Settings saved; they apply from the next deployment."})
			return
		} else {
			errs = fieldsOf(err, h.logError(c, err))
		}
	}
	form.HasGitToken, form.HasSSHKey = app.HasGitToken, app.HasSSHKey
	h.renderApp(c, http.StatusBadRequest, app, "settings", appForms{Form: form, Errors: errs})
}

// updatePolicy sets an app's environment and its own approval policy
// (unchecked boxes mean false).
func (h *Handler) updatePolicy(c *gin.Context) {
	name := c.Param("name")
	back := appPath(name, "policy")
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

func (h *Handler) shareApp(c *gin.Context) {
	name := c.Param("name")
	team := strings.TrimSpace(c.PostForm("team"))
	if err := h.svc.ShareApp(c.Request.Context(), name, team); err != nil {
		redirect(c, appPath(name, "settings"), flash{Error: h.logError(c, err), At: "share"})
		return
	}
	redirect(c, appPath(name, "settings"), flash{OK: name + " is shared with " + team + ", read-only."})
}

func (h *Handler) unshareApp(c *gin.Context) {
	name, team := c.Param("name"), c.Param("team")
	if err := h.svc.UnshareApp(c.Request.Context(), name, team); err != nil {
		redirect(c, appPath(name, "settings"), flash{Error: h.logError(c, err), At: "share"})
		return
	}
	redirect(c, appPath(name, "settings"), flash{OK: name + " is no longer shared with " + team + "."})
}
