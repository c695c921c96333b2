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

	"github.com/rivetr/rivetr/internal/release"
	"github.com/rivetr/rivetr/internal/service"
	"github.com/rivetr/rivetr/internal/sse"
	"github.com/rivetr/rivetr/schema"
)

// logError logs an action's error when it is the server's fault, and returns
// the message to show next to the control.
func (h *Handler) logError(c *gin.Context, err error) string {
	msg := actionError(err)
	if strings.HasPrefix(msg, "Something went wrong") {
		h.log.Error("dashboard action", "path", c.Request.URL.Path, "err", err)
	}
	return msg
}

// ---- overview ----

type overviewData struct {
	// Pending are the deployments waiting for approval.
	Pending []service.DeploymentView
	Status  service.Status
	Latest  []service.DeploymentView
	Counts  []statusCount
}

type statusCount struct {
	Status release.Status
	N      int
}

func (h *Handler) overview(c *gin.Context) {
	ctx := c.Request.Context()
	st, err := h.svc.Overview(ctx, "")
	if err != nil {
		h.fail(c, err)
		return
	}
	latest, err := h.svc.ListDeployments(ctx, "", 10)
	if err != nil {
		h.fail(c, err)
		return
	}
	var counts []statusCount
	for _, s := range []release.Status{release.StatusQueued, release.StatusBuilding, release.StatusDeploying, release.StatusSucceeded,
		release.StatusFailed, release.StatusCancelled, release.StatusSuperseded, release.StatusRolledBack} {
		counts = append(counts, statusCount{s, st.Deployments[s]})
	}
	st.TemporalUI = h.uiLink(st.TemporalUI)
	pending, err := h.svc.PendingApprovals(ctx)
	if err != nil {
		h.fail(c, err)
		return
	}
	h.render(c, http.StatusOK, "overview", "Overview", overviewData{Status: st, Latest: latest, Counts: counts, Pending: pending})
}

// ---- apps ----

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

// fieldsOf returns a validation error's fields, or the message under "".
func fieldsOf(err error, msg string) map[string]string {
	var verr *service.ValidationError
	if errors.As(err, &verr) {
		return verr.Fields
	}
	return map[string]string{"": msg}
}

// ---- one app ----

type appData struct {
	App         *service.AppView
	Deployments []deploymentRow
	Env         []service.EnvView
	Form        appForm
	Errors      map[string]string
	EnvForm     envForm
	EnvErrors   map[string]string
	Recurring   []schema.RecurringDeploy
	// Environments are the app's team's, for the policy form.
	Environments []service.EnvironmentView
	// Webhook (for those who may edit the app) and the newest deliveries.
	Webhook    *service.WebhookInfo
	Deliveries []schema.WebhookDelivery
	Previews   []service.PreviewView
}

type deploymentRow struct {
	service.DeploymentView
	Serving     bool
	CanRollback bool
	CanCancel   bool
}

type envForm struct {
	Key, Value string
	Secret     bool
}

func (h *Handler) app(c *gin.Context) {
	ctx := c.Request.Context()
	app, err := h.svc.GetApp(ctx, c.Param("name"))
	if err != nil {
		h.fail(c, err)
		return
	}
	h.renderApp(c, http.StatusOK, app, formOf(app), nil, envForm{}, nil)
}

func (h *Handler) renderApp(c *gin.Context, status int, app *service.AppView, form appForm, errs map[string]string, ef envForm, envErrs map[string]string) {
	ctx := c.Request.Context()
	deps, err := h.svc.ListDeployments(ctx, app.Name, 50)
	if err != nil {
		h.fail(c, err)
		return
	}
	env, err := h.svc.ListEnv(ctx, app.Name)
	if err != nil {
		h.fail(c, err)
		return
	}
	rows := make([]deploymentRow, 0, len(deps))
	for _, d := range deps {
		rows = append(rows, deploymentRow{
			DeploymentView: d,
			Serving:        d.ID == app.CurrentDeploymentID,
			CanRollback:    service.CanRollBackTo(app.Current, &d.Deployment),
			CanCancel:      service.CanCancel(&d.Deployment),
		})
	}
	recurring, err := h.svc.ListRecurring(ctx, app.Name)
	if err != nil {
		h.fail(c, err)
		return
	}
	var envs []service.EnvironmentView
	if release.RoleAllows(app.Role, release.PermPolicy) && !app.Shared && app.Team != "" {
		if envs, err = h.svc.ListEnvironments(ctx, app.Team); err != nil {
			h.fail(c, err)
			return
		}
	}
	deliveries, err := h.svc.ListDeliveries(ctx, app.Name, 10)
	if err != nil {
		h.fail(c, err)
		return
	}
	previews, err := h.svc.ListPreviews(ctx, app.Name)
	if err != nil {
		h.fail(c, err)
		return
	}
	var hook *service.WebhookInfo
	if release.RoleAllows(app.Role, release.PermEditApp) && !app.Shared {
		if hook, err = h.svc.GetWebhook(ctx, app.Name, baseURL(c), false); err != nil {
			h.fail(c, err)
			return
		}
	}
	h.render(c, status, "app", app.Name, appData{App: app, Deployments: rows, Env: env, Form: form, Errors: errs, EnvForm: ef, EnvErrors: envErrs,
		Recurring: recurring, Environments: envs, Webhook: hook, Deliveries: deliveries, Previews: previews})
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
			redirect(c, "/apps/"+url.PathEscape(app.Name), flash{OK: "Settings saved; they apply from the next deployment."})
			return
		} else {
			errs = fieldsOf(err, h.logError(c, err))
		}
	}
	form.HasGitToken, form.HasSSHKey = app.HasGitToken, app.HasSSHKey
	h.renderApp(c, http.StatusBadRequest, app, form, errs, envForm{}, nil)
}

func (h *Handler) setEnv(c *gin.Context) {
	ctx := c.Request.Context()
	name := c.Param("name")
	ef := envForm{Key: strings.TrimSpace(c.PostForm("key")), Value: c.PostForm("value"), Secret: c.PostForm("secret") != ""}
	_, err := h.svc.SetEnv(ctx, name, []service.EnvInput{{Key: ef.Key, Value: ef.Value, Secret: ef.Secret}})
	if err == nil {
		redirect(c, "/apps/"+url.PathEscape(name)+"#env", flash{OK: "Set " + ef.Key + "; it applies from the next deployment."})
		return
	}
	app, gerr := h.svc.GetApp(ctx, name)
	if gerr != nil {
		h.fail(c, gerr)
		return
	}
	if ef.Secret {
		ef.Value = "" // never echo a secret back into the page
	}
	h.renderApp(c, http.StatusBadRequest, app, formOf(app), nil, ef, fieldsOf(err, h.logError(c, err)))
}

func (h *Handler) unsetEnv(c *gin.Context) {
	name, key := c.Param("name"), c.Param("key")
	if err := h.svc.UnsetEnv(c.Request.Context(), name, []string{key}); err != nil {
		redirect(c, "/apps/"+url.PathEscape(name)+"#env", flash{Error: h.logError(c, err), At: "env"})
		return
	}
	redirect(c, "/apps/"+url.PathEscape(name)+"#env", flash{OK: "Removed " + key + "."})
}

// ---- actions ----

func (h *Handler) deploy(c *gin.Context) {
	name := c.Param("name")
	req := service.DeployRequest{Commit: strings.TrimSpace(c.PostForm("commit")), Trigger: service.TriggerDashboard}
	at, err := formTime(c)
	if err != nil {
		redirect(c, "/apps/"+url.PathEscape(name), flash{Error: err.Error(), At: "deploy"})
		return
	}
	req.At = at
	d, err := h.svc.Deploy(c.Request.Context(), name, req)
	if err != nil {
		redirect(c, "/apps/"+url.PathEscape(name), flash{Error: h.logError(c, err), At: "deploy"})
		return
	}
	redirect(c, "/deployments/"+url.PathEscape(d.ID), flash{})
}

type confirmData struct {
	App    *service.AppView
	Target *service.DeploymentView
}

// confirmRollback asks before a rollback when JavaScript is off (with it on,
// the button asks in a dialog and posts directly).
func (h *Handler) confirmRollback(c *gin.Context) {
	ctx := c.Request.Context()
	app, err := h.svc.GetApp(ctx, c.Param("name"))
	if err != nil {
		h.fail(c, err)
		return
	}
	d, err := h.svc.GetDeployment(ctx, c.Query("to"))
	if err != nil {
		h.fail(c, err)
		return
	}
	h.render(c, http.StatusOK, "confirm", "Roll back "+app.Name, confirmData{App: app, Target: d})
}

func (h *Handler) rollback(c *gin.Context) {
	name := c.Param("name")
	d, err := h.svc.Rollback(c.Request.Context(), name, service.RollbackRequest{To: c.PostForm("to"), Trigger: service.TriggerDashboard})
	if err != nil {
		redirect(c, "/apps/"+url.PathEscape(name), flash{Error: h.logError(c, err), At: "rollback-" + c.PostForm("to")})
		return
	}
	redirect(c, "/deployments/"+url.PathEscape(d.ID), flash{})
}

func (h *Handler) cancel(c *gin.Context) {
	id := c.Param("id")
	back := c.PostForm("back")
	if back != "app" {
		back = "deployment"
	}
	d, err := h.svc.CancelDeployment(c.Request.Context(), id)
	if err != nil {
		dest := "/deployments/" + url.PathEscape(id)
		if back == "app" {
			if dep, gerr := h.svc.GetDeployment(c.Request.Context(), id); gerr == nil {
				dest = "/apps/" + url.PathEscape(dep.AppName)
			}
		}
		redirect(c, dest, flash{Error: h.logError(c, err), At: "cancel-" + id})
		return
	}
	if back == "app" {
		redirect(c, "/apps/"+url.PathEscape(d.AppName), flash{OK: "Cancelling " + id + "; the serving version keeps serving."})
		return
	}
	redirect(c, "/deployments/"+url.PathEscape(id), flash{OK: "Cancelling; the serving version keeps serving."})
}

// ---- one deployment ----

type deploymentData struct {
	D      *service.DeploymentView
	Steps  []Step
	Lines  []schema.LogLine
	LastID uint64
	More   bool // the log has more lines than the page shows
	// UILink is the deployment's workflow in the Temporal UI (through the
	// dashboard's proxy when the UI is embedded).
	UILink string
	// Diff is what the deployment changes, shown while it awaits approval.
	Diff *service.DiffView
}

// pageLogLines bounds the log rendered into the page; the stream sends the
// rest.
const pageLogLines = 20000

func (h *Handler) deployment(c *gin.Context) {
	ctx := c.Request.Context()
	d, err := h.svc.GetDeployment(ctx, c.Param("id"))
	if err != nil {
		h.fail(c, err)
		return
	}
	var lines []schema.LogLine
	var after uint64
	for len(lines) < pageLogLines {
		batch, err := h.svc.DeploymentLogs(ctx, d.ID, after, 5000)
		if err != nil {
			h.fail(c, err)
			return
		}
		lines = append(lines, batch...)
		if len(batch) < 5000 {
			break
		}
		after = batch[len(batch)-1].ID
	}
	data := deploymentData{D: d, Steps: Steps(&d.Deployment), Lines: lines, More: len(lines) >= pageLogLines, UILink: h.uiLink(d.WorkflowURL)}
	if d.Status == release.StatusAwaitingApproval {
		if data.Diff, err = h.svc.Diff(ctx, d.ID); err != nil {
			h.fail(c, err)
			return
		}
	}
	if len(lines) > 0 {
		data.LastID = lines[len(lines)-1].ID
	}
	h.render(c, http.StatusOK, "deployment", "Deployment "+d.ID, data)
}

func (h *Handler) streamDeployment(c *gin.Context) {
	id := c.Param("id")
	if _, err := h.svc.GetDeployment(c.Request.Context(), id); err != nil {
		c.String(http.StatusNotFound, "no such deployment")
		return
	}
	sse.DeploymentLogs(c.Request.Context(), sse.NewWriter(c.Writer), h.svc, id, sse.After(c.Request))
}

func (h *Handler) events(c *gin.Context) {
	sse.DeploymentChanges(c.Request.Context(), sse.NewWriter(c.Writer), h.svc)
}

// ---- audit log ----

type auditData struct {
	Q     service.AuditQuery
	Teams []service.TeamView
	Page  *service.AuditPage
	// More is the query string of the next (older) page.
	More string
}

func (h *Handler) auditPage(c *gin.Context) {
	ctx := c.Request.Context()
	before, _ := strconv.ParseUint(c.Query("before"), 10, 64)
	q := service.AuditQuery{Team: c.Query("team"), Actor: strings.TrimSpace(c.Query("actor")), Action: strings.TrimSpace(c.Query("action")),
		Target: strings.TrimSpace(c.Query("target")), Before: before, Limit: 100}
	page, err := h.svc.Audit(ctx, q)
	if err != nil {
		h.fail(c, err)
		return
	}
	teams, err := h.svc.TeamsFor(ctx, release.PermAudit)
	if err != nil {
		h.fail(c, err)
		return
	}
	d := auditData{Q: q, Teams: teams, Page: page}
	if page.Next > 0 {
		v := url.Values{}
		for k, s := range map[string]string{"team": q.Team, "actor": q.Actor, "action": q.Action, "target": q.Target} {
			if s != "" {
				v.Set(k, s)
			}
		}
		v.Set("before", strconv.FormatUint(page.Next, 10))
		d.More = v.Encode()
	}
	h.render(c, http.StatusOK, "audit", "Audit log", d)
}

// ---- approvals ----

func (h *Handler) approve(c *gin.Context) { h.decide(c, true) }
func (h *Handler) reject(c *gin.Context)  { h.decide(c, false) }

func (h *Handler) decide(c *gin.Context, approve bool) {
	id := c.Param("id")
	comment := strings.TrimSpace(c.PostForm("comment"))
	decide, done := h.svc.Approve, "Approved."
	if !approve {
		decide, done = h.svc.Reject, "Rejected: the deployment will not run."
	}
	v, err := decide(c.Request.Context(), id, comment)
	if err != nil {
		redirect(c, "/deployments/"+url.PathEscape(id), flash{Error: h.logError(c, err), At: "approval"})
		return
	}
	if approve && v.Gate.Status != "approved" {
		done = fmt.Sprintf("Approved; %d more approval(s) needed.", v.Gate.Needed-len(v.Gate.Approvals))
	}
	redirect(c, "/deployments/"+url.PathEscape(id), flash{OK: done})
}

// ---- schedules ----

// formTime reads a date-time picker (at_local, "2006-01-02T15:04") and the
// browser's offset from UTC in minutes (tz_offset, set by app.js; without
// JavaScript the time is UTC). Empty means no time.
func formTime(c *gin.Context) (*time.Time, error) { return formLocalTime(c, "at_local") }

func (h *Handler) reschedule(c *gin.Context) {
	id := c.Param("id")
	at, err := formTime(c)
	if err == nil && at == nil {
		err = errors.New("pick the new date and time")
	}
	if err != nil {
		redirect(c, "/deployments/"+url.PathEscape(id), flash{Error: err.Error(), At: "schedule"})
		return
	}
	d, err := h.svc.Reschedule(c.Request.Context(), id, at, "")
	if err != nil {
		redirect(c, "/deployments/"+url.PathEscape(id), flash{Error: h.logError(c, err), At: "schedule"})
		return
	}
	redirect(c, "/deployments/"+url.PathEscape(id), flash{OK: "Rescheduled for " + d.ScheduledFor.UTC().Format("2 Jan 2006 15:04 MST") + "."})
}
