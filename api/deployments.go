package api

import (
	"errors"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/rivetr/rivetr/internal/release"
	"github.com/rivetr/rivetr/internal/service"
	"github.com/rivetr/rivetr/internal/sse"
)

func (h *Handler) deploy(c *gin.Context) {
	var in service.DeployRequest
	if !h.decode(c, &in) {
		return
	}
	d, err := h.svc.Deploy(c.Request.Context(), c.Param("name"), in)
	if err != nil {
		h.writeError(c, err)
		return
	}
	c.JSON(http.StatusAccepted, d)
}

// deployUpload takes a ZIP archive as the raw body (Content-Type
// application/zip) or as the "file" part of a multipart form.
func (h *Handler) deployUpload(c *gin.Context) {
	body := io.Reader(c.Request.Body)
	if strings.HasPrefix(c.ContentType(), "multipart/") {
		mr, err := c.Request.MultipartReader()
		if err != nil {
			h.fail(c, http.StatusBadRequest, "invalid", "a multipart upload needs a \"file\" part: "+err.Error(), nil)
			return
		}
		for {
			part, err := mr.NextPart()
			if err != nil {
				h.fail(c, http.StatusBadRequest, "invalid", "the multipart upload has no \"file\" part", nil)
				return
			}
			if part.FormName() == "file" {
				body = part
				break
			}
		}
	}
	d, err := h.svc.DeployUpload(c.Request.Context(), c.Param("name"), body, c.Query("trigger"))
	if errors.Is(err, service.ErrTooLarge) {
		h.fail(c, http.StatusRequestEntityTooLarge, "too_large", err.Error(), nil)
		return
	}
	h.respond(c, http.StatusAccepted, d, err)
}

func (h *Handler) rollback(c *gin.Context) {
	var in service.RollbackRequest
	if !h.decode(c, &in) {
		return
	}
	d, err := h.svc.Rollback(c.Request.Context(), c.Param("name"), in)
	if err != nil {
		h.writeError(c, err)
		return
	}
	c.JSON(http.StatusAccepted, d)
}

func (h *Handler) listDeployments(c *gin.Context) {
	ds, err := h.svc.ListDeployments(c.Request.Context(), c.Param("name"), intQuery(c, "limit", 100))
	if err != nil {
		h.writeError(c, err)
		return
	}
	c.JSON(http.StatusOK, ds)
}

func (h *Handler) listAllDeployments(c *gin.Context) {
	ds, err := h.svc.ListDeployments(c.Request.Context(), c.Query("app"), intQuery(c, "limit", 100))
	if err != nil {
		h.writeError(c, err)
		return
	}
	c.JSON(http.StatusOK, ds)
}

func (h *Handler) getDeployment(c *gin.Context) {
	d, err := h.svc.GetDeployment(c.Request.Context(), c.Param("id"))
	if err != nil {
		h.writeError(c, err)
		return
	}
	c.JSON(http.StatusOK, d)
}

func (h *Handler) cancelDeployment(c *gin.Context) {
	d, err := h.svc.CancelDeployment(c.Request.Context(), c.Param("id"))
	if err != nil {
		h.writeError(c, err)
		return
	}
	c.JSON(http.StatusAccepted, d)
}

func (h *Handler) deploymentLogs(c *gin.Context) {
	lines, err := h.svc.DeploymentLogs(c.Request.Context(), c.Param("id"), uint64(intQuery(c, "after", 0)), intQuery(c, "limit", 1000))
	if err != nil {
		h.writeError(c, err)
		return
	}
	c.JSON(http.StatusOK, lines)
}

// streamLogs sends a deployment's log as server-sent events (see
// sse.DeploymentLogs); Last-Event-ID (or ?after=) resumes a stream.
func (h *Handler) streamLogs(c *gin.Context) {
	id := c.Param("id")
	if _, err := h.svc.GetDeployment(c.Request.Context(), id); err != nil {
		h.writeError(c, err)
		return
	}
	ctx, done, ok := sse.Admit(c.Writer, c.Request, h.limits.Streams, sse.MaxAge)
	if !ok {
		return
	}
	defer done()
	sse.DeploymentLogs(ctx, sse.NewWriter(c.Writer), h.svc, id, sse.After(c.Request))
}

func (h *Handler) diff(c *gin.Context) {
	v, err := h.svc.Diff(c.Request.Context(), c.Param("id"))
	h.respond(c, http.StatusOK, v, err)
}

// RescheduleRequest moves a scheduled deployment: a new time, or a delay
// from now.
type RescheduleRequest struct {
	At *time.Time `json:"at,omitempty"`
	In string     `json:"in,omitempty"`
}

func (h *Handler) reschedule(c *gin.Context) {
	var in RescheduleRequest
	if !h.decode(c, &in) {
		return
	}
	v, err := h.svc.Reschedule(c.Request.Context(), c.Param("id"), in.At, in.In)
	h.respond(c, http.StatusOK, v, err)
}

func (h *Handler) deploymentRoutes() []Route {
	return []Route{
		{"POST", "/api/apps/:name/deploy", AuthToken, need(release.PermDeploy), "Deploy the branch head or a commit, now or scheduled", service.DeployRequest{}, service.DeploymentView{}, 202, h.deploy},
		{"POST", "/api/apps/:name/deploy/upload", AuthToken, need(release.PermDeploy), "Deploy an uploaded ZIP archive (raw body or multipart \"file\")", nil, service.DeploymentView{}, 202, h.deployUpload},
		{"POST", "/api/apps/:name/rollback", AuthToken, need(release.PermRollback), "Roll back to the previous successful deployment, or to one", service.RollbackRequest{}, service.DeploymentView{}, 202, h.rollback},
		{"GET", "/api/apps/:name/deployments", AuthToken, need(release.PermRead), "An app's deployments, newest first (?limit=)", nil, []service.DeploymentView{}, 200, h.listDeployments},
		{"GET", "/api/deployments", AuthToken, need(release.PermRead), "Deployments of the apps you can see (?app=&limit=)", nil, []service.DeploymentView{}, 200, h.listAllDeployments},
		{"GET", "/api/deployments/:id", AuthToken, need(release.PermRead), "A deployment", nil, service.DeploymentView{}, 200, h.getDeployment},
		{"POST", "/api/deployments/:id/cancel", AuthToken, need(release.PermDeploy), "Cancel a queued, waiting or running deployment", nil, service.DeploymentView{}, 202, h.cancelDeployment},
		{"GET", "/api/deployments/:id/diff", AuthToken, need(release.PermRead), "What a deployment changes against the serving one", nil, service.DiffView{}, 200, h.diff},
		{"POST", "/api/deployments/:id/reschedule", AuthToken, need(release.PermDeploy), "Move a scheduled deployment", RescheduleRequest{}, service.DeploymentView{}, 200, h.reschedule},
		{"GET", "/api/deployments/:id/logs", AuthToken, need(release.PermRead), "A deployment's log lines (?after=&limit=)", nil, []service.LogLine{}, 200, h.deploymentLogs},
		{"GET", "/api/deployments/:id/logs/stream", AuthToken, need(release.PermRead), "A deployment's log and progress as server-sent events", nil, nil, 200, h.streamLogs},
	}
}
