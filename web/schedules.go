package web

import (
	"strings"

	"github.com/gin-gonic/gin"
	"github.com/rivetr/rivetr/internal/service"
)

func (h *Handler) createRecurring(c *gin.Context) {
	name := c.Param("name")
	in := service.RecurringInput{Cron: strings.TrimSpace(c.PostForm("cron")), TZ: strings.TrimSpace(c.PostForm("tz"))}
	if _, err := h.svc.CreateRecurring(c.Request.Context(), name, in); err != nil {
		redirect(c, appPath(name, "deployments"), flash{Error: h.logError(c, err), At: "recurring"})
		return
	}
	redirect(c, appPath(name, "deployments"), flash{OK: "Recurring deploy added."})
}

func (h *Handler) deleteRecurring(c *gin.Context) {
	name := c.Param("name")
	if err := h.svc.DeleteRecurring(c.Request.Context(), name, c.Param("id")); err != nil {
		redirect(c, appPath(name, "deployments"), flash{Error: h.logError(c, err), At: "recurring"})
		return
	}
	redirect(c, appPath(name, "deployments"), flash{OK: "Recurring deploy stopped."})
}
