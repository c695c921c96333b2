package web

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"
	"github.com/rivetr/rivetr/internal/release"
	"github.com/rivetr/rivetr/internal/service"
)

type auditData struct {
	Q     service.AuditQuery
	Teams []service.TeamView
	Page  *service.AuditPage
	// More is the query string of the next (older) page.
	More string
}

func (h *Handler) auditPage(c *gin.Context) {
	ctx := c.Request.Context()
	before, _ := strconv.ParseUint(c.Query("before"), 10, 64)
	q := service.AuditQuery{Team: c.Query("team"), Actor: strings.TrimSpace(c.Query("actor")), Action: strings.TrimSpace(c.Query("action")),
		Target: strings.TrimSpace(c.Query("target")), Before: before, Limit: 100}
	page, err := h.svc.Audit(ctx, q)
	if err != nil {
		h.fail(c, err)
		return
	}
	teams, err := h.svc.TeamsFor(ctx, release.PermAudit)
	if err != nil {
		h.fail(c, err)
		return
	}
	d := auditData{Q: q, Teams: teams, Page: page}
	if page.Next > 0 {
		v := url.Values{}
		for k, s := range map[string]string{"team": q.Team, "actor": q.Actor, "action": q.Action, "target": q.Target} {
			if s != "" {
				v.Set(k, s)
			}
		}
		v.Set("before", strconv.FormatUint(page.Next, 10))
		d.More = v.Encode()
	}
	h.render(c, http.StatusOK, "audit", "Audit log", d)
}
