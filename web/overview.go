package web

import (
	"net/http"

	"github.com/gin-gonic/gin"
	"github.com/rivetr/rivetr/internal/release"
	"github.com/rivetr/rivetr/internal/service"
)

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
