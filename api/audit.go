package api

import (
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"
	"github.com/rivetr/rivetr/internal/release"
	"github.com/rivetr/rivetr/internal/service"
)

func (h *Handler) audit(c *gin.Context) {
	before, _ := strconv.ParseUint(c.Query("before"), 10, 64)
	v, err := h.svc.Audit(c.Request.Context(), service.AuditQuery{
		Team: c.Query("team"), Actor: c.Query("actor"), Action: c.Query("action"), Target: c.Query("target"),
		Before: before, Limit: intQuery(c, "limit", 100),
	})
	h.respond(c, http.StatusOK, v, err)
}

func (h *Handler) auditRoutes() []Route {
	return []Route{
		{"GET", "/api/audit", AuthToken, need(release.PermAudit), "The audit log, newest first (?team=&actor=&action=&target=&before=&limit=)", nil, service.AuditPage{}, 200, h.audit},
	}
}
