package api

import (
	"net/http"

	"github.com/gin-gonic/gin"
	"github.com/rivetr/rivetr/internal/release"
	"github.com/rivetr/rivetr/internal/service"
)

// DecisionRequest approves or rejects a deployment.
type DecisionRequest struct {
	Comment string `json:"comment,omitempty"`
}

func (h *Handler) approve(c *gin.Context) {
	var in DecisionRequest
	if !h.decode(c, &in) {
		return
	}
	v, err := h.svc.Approve(c.Request.Context(), c.Param("id"), in.Comment)
	h.respond(c, http.StatusOK, v, err)
}

func (h *Handler) reject(c *gin.Context) {
	var in DecisionRequest
	if !h.decode(c, &in) {
		return
	}
	v, err := h.svc.Reject(c.Request.Context(), c.Param("id"), in.Comment)
	h.respond(c, http.StatusOK, v, err)
}

func (h *Handler) pendingApprovals(c *gin.Context) {
	v, err := h.svc.PendingApprovals(c.Request.Context())
	h.respond(c, http.StatusOK, v, err)
}

func (h *Handler) approvalRoutes() []Route {
	return []Route{
		{"POST", "/api/deployments/:id/approve", AuthToken, need(release.PermApprove), "Approve a deployment waiting for approval", DecisionRequest{}, service.DecisionView{}, 200, h.approve},
		{"POST", "/api/deployments/:id/reject", AuthToken, need(release.PermApprove), "Reject a deployment waiting for approval", DecisionRequest{}, service.DecisionView{}, 200, h.reject},
		{"GET", "/api/approvals", AuthToken, need(release.PermRead), "Deployments waiting for an approval you may give", nil, []service.DeploymentView{}, 200, h.pendingApprovals},
	}
}
