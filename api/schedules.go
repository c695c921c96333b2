package api

import (
	"net/http"

	"github.com/gin-gonic/gin"
	"github.com/rivetr/rivetr/internal/release"
	"github.com/rivetr/rivetr/internal/service"
)

func (h *Handler) listRecurring(c *gin.Context) {
	v, err := h.svc.ListRecurring(c.Request.Context(), c.Param("name"))
	h.respond(c, http.StatusOK, v, err)
}

func (h *Handler) createRecurring(c *gin.Context) {
	var in service.RecurringInput
	if !h.decode(c, &in) {
		return
	}
	v, err := h.svc.CreateRecurring(c.Request.Context(), c.Param("name"), in)
	h.respond(c, http.StatusCreated, v, err)
}

func (h *Handler) deleteRecurring(c *gin.Context) {
	h.respond(c, http.StatusNoContent, nil, h.svc.DeleteRecurring(c.Request.Context(), c.Param("name"), c.Param("id")))
}

func (h *Handler) scheduleRoutes() []Route {
	return []Route{
		{"GET", "/api/apps/:name/schedules", AuthToken, need(release.PermRead), "An app's recurring deploys", nil, []service.RecurringDeploy{}, 200, h.listRecurring},
		{"POST", "/api/apps/:name/schedules", AuthToken, need(release.PermDeploy), "Deploy the branch head on a cron schedule or an interval", service.RecurringInput{}, service.RecurringDeploy{}, 201, h.createRecurring},
		{"DELETE", "/api/apps/:name/schedules/:id", AuthToken, need(release.PermDeploy), "Delete a recurring deploy", nil, nil, 204, h.deleteRecurring},
	}
}
