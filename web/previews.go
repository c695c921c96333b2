package web

import (
	"strconv"

	"github.com/gin-gonic/gin"
)

func (h *Handler) deletePreview(c *gin.Context) {
	name := c.Param("name")
	back := appPath(name, "webhooks")
	pr, err := strconv.Atoi(c.Param("pr"))
	if err == nil {
		err = h.svc.DeletePreview(c.Request.Context(), name, pr)
	}
	if err != nil {
		redirect(c, back, flash{Error: h.logError(c, err), At: "previews"})
		return
	}
	redirect(c, back, flash{OK: "Removing the preview of pull request #" + c.Param("pr") + "."})
}
