package web

import (
	"github.com/gin-gonic/gin"
)

func (h *Handler) rotateWebhook(c *gin.Context) {
	name := c.Param("name")
	back := appPath(name, "webhooks")
	if _, err := h.svc.GetWebhook(c.Request.Context(), name, baseURL(c), true); err != nil {
		redirect(c, back, flash{Error: h.logError(c, err), At: "webhooks"})
		return
	}
	redirect(c, back, flash{OK: "New webhook secret made: paste it into your git host's webhook settings; the old one no longer works."})
}
