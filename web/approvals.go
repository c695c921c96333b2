package web

import (
	"net/url"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/rivetr/rivetr/internal/humanize"
)

func (h *Handler) approve(c *gin.Context) { h.decide(c, true) }

func (h *Handler) reject(c *gin.Context) { h.decide(c, false) }

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
		done = "Approved; " + humanize.Count(v.Gate.Needed-len(v.Gate.Approvals), "more approval") + " needed."
	}
	redirect(c, "/deployments/"+url.PathEscape(id), flash{OK: done})
}
