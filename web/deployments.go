package web

import (
	"bufio"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/rivetr/rivetr/internal/release"
	"github.com/rivetr/rivetr/internal/service"
	"github.com/rivetr/rivetr/internal/sse"
)

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
		redirect(c, appPath(name, "deployments"), flash{Error: h.logError(c, err), At: "rollback-" + c.PostForm("to")})
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
				dest = appPath(dep.AppName, "deployments")
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

type deploymentData struct {
	D      *service.DeploymentView
	Steps  []Step
	Lines  []service.LogLine
	LastID uint64
	// Skipped is how many of the log's first lines the page leaves out.
	Skipped int
	// UILink is the deployment's workflow in the Temporal UI (through the
	// dashboard's proxy when the UI is embedded).
	UILink string
	// Diff is what the deployment changes, shown while it awaits approval.
	Diff *service.DiffView
}

// pageLogLines bounds the log rendered into the page: its last lines
// (where a failure is), with a link to the whole log as text; a live
// deployment's stream sends what comes after them.
const pageLogLines = 1000

func (h *Handler) deployment(c *gin.Context) {
	ctx := c.Request.Context()
	d, err := h.svc.GetDeployment(ctx, c.Param("id"))
	if err != nil {
		h.fail(c, err)
		return
	}
	lines, total, err := h.svc.DeploymentLogTail(ctx, d.ID, pageLogLines)
	if err != nil {
		h.fail(c, err)
		return
	}
	data := deploymentData{D: d, Steps: Steps(&d.Deployment, d.Strategy), Lines: lines, Skipped: total - len(lines), UILink: h.uiLink(d.WorkflowURL)}
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

// deploymentLogText is a deployment's whole log as text, a line each
// ("15:04:05 stream text"; colour codes left as they are).
func (h *Handler) deploymentLogText(c *gin.Context) {
	ctx := c.Request.Context()
	id := c.Param("id")
	first, err := h.svc.DeploymentLogs(ctx, id, 0, 5000)
	if err != nil {
		h.fail(c, err)
		return
	}
	c.Header("Content-Type", "text/plain; charset=utf-8")
	c.Header("Content-Disposition", `inline; filename="`+id+`.log"`)
	c.Status(http.StatusOK)
	w := bufio.NewWriter(c.Writer)
	for batch := first; len(batch) > 0; {
		for _, l := range batch {
			fmt.Fprintf(w, "%s %-6s %s\n", l.Time.UTC().Format("15:04:05"), l.Stream, l.Text)
		}
		if len(batch) < 5000 {
			break
		}
		if batch, err = h.svc.DeploymentLogs(ctx, id, batch[len(batch)-1].ID, 5000); err != nil {
			fmt.Fprintf(w, "… the rest could not be read: %v\n", h.logError(c, err))
			break
		}
	}
	w.Flush()
}

func (h *Handler) streamDeployment(c *gin.Context) {
	id := c.Param("id")
	if _, err := h.svc.GetDeployment(c.Request.Context(), id); err != nil {
		c.String(http.StatusNotFound, "no such deployment")
		return
	}
	ctx, done, ok := sse.Admit(c.Writer, c.Request, h.limits.Streams, sse.MaxAge)
	if !ok {
		return
	}
	defer done()
	sse.DeploymentLogs(ctx, sse.NewWriter(c.Writer), h.svc, id, sse.After(c.Request))
}

// events streams the changes list pages show live: deployments always,
// databases with ?databases=1, one database's backups with ?backups=NAME.
func (h *Handler) events(c *gin.Context) {
	ctx, done, ok := sse.Admit(c.Writer, c.Request, h.limits.Streams, sse.MaxAge)
	if !ok {
		return
	}
	defer done()
	sse.Changes(ctx, sse.NewWriter(c.Writer), h.svc, sse.Watch{Databases: c.Query("databases") != "", BackupsOf: c.Query("backups")})
}

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
