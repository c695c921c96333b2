package api

import (
	"net/http"

	"github.com/gin-gonic/gin"
	"github.com/rivetr/rivetr/internal/release"
	"github.com/rivetr/rivetr/internal/service"
)

// OverrideRequest runs a frozen deployment now.
type OverrideRequest struct {
	Reason string `json:"reason"`
}

func (h *Handler) override(c *gin.Context) {
	var in OverrideRequest
	if !h.decode(c, &in) {
		return
	}
	v, err := h.svc.Override(c.Request.Context(), c.Param("id"), in.Reason)
	h.respond(c, http.StatusOK, v, err)
}

func (h *Handler) listFreezes(c *gin.Context) {
	v, err := h.svc.ListFreezes(c.Request.Context())
	h.respond(c, http.StatusOK, v, err)
}

func (h *Handler) createFreeze(c *gin.Context) {
	var in service.FreezeInput
	if !h.decode(c, &in) {
		return
	}
	v, err := h.svc.CreateFreeze(c.Request.Context(), in)
	h.respond(c, http.StatusCreated, v, err)
}

func (h *Handler) deleteFreeze(c *gin.Context) {
	h.respond(c, http.StatusNoContent, nil, h.svc.DeleteFreeze(c.Request.Context(), c.Param("id")))
}

func (h *Handler) freezeRoutes() []Route {
	return []Route{
		{"POST", "/api/deployments/:id/override", AuthToken, need(release.PermApprove), "Run a frozen deployment now, with a reason", OverrideRequest{}, service.DeploymentView{}, 200, h.override},
		{"GET", "/api/freezes", AuthToken, need(release.PermRead), "Freeze windows you can see, with their next occurrences", nil, []service.FreezeView{}, 200, h.listFreezes},
		{"POST", "/api/freezes", AuthToken, need(release.PermPolicy), "Create a freeze window (an app, an environment, or the instance: instance admin)", service.FreezeInput{}, service.FreezeView{}, 201, h.createFreeze},
		{"DELETE", "/api/freezes/:id", AuthToken, need(release.PermPolicy), "Delete a freeze window", nil, nil, 204, h.deleteFreeze},
	}
}
