package web

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"
	"github.com/rivetr/rivetr/internal/service"
)

func (h *Handler) backupNow(c *gin.Context) {
	name := c.Param("name")
	back := "/databases/" + url.PathEscape(name)
	b, err := h.svc.BackupNow(c.Request.Context(), name, false, c.PostForm("volume") != "")
	if err != nil {
		redirect(c, back, flash{Error: h.logError(c, err)})
		return
	}
	redirect(c, back, flash{OK: "Backup " + b.ID + " started; it shows succeeded once stored and verified."})
}

func (h *Handler) restoreBackup(c *gin.Context) {
	name, id := c.Param("name"), c.Param("id")
	back := "/databases/" + url.PathEscape(name)
	if _, err := h.svc.Restore(c.Request.Context(), name, id, strings.TrimSpace(c.PostForm("to"))); err != nil {
		redirect(c, back, flash{Error: h.logError(c, err)})
		return
	}
	redirect(c, back, flash{OK: "Backup " + id + " restored."})
}

func (h *Handler) downloadBackup(c *gin.Context) {
	r, name, size, err := h.svc.OpenBackup(c.Request.Context(), c.Param("name"), c.Param("id"))
	if err != nil {
		h.fail(c, err)
		return
	}
	defer r.Close()
	c.DataFromReader(http.StatusOK, size, "application/gzip", r, map[string]string{"Content-Disposition": `attachment; filename="` + name + `"`})
}

// setBackupPolicy saves the schedule, retention, local copies and
// notification URL from the database page (S3 settings stay as they are).
func (h *Handler) setBackupPolicy(c *gin.Context) {
	name := c.Param("name")
	back := "/databases/" + url.PathEscape(name) + "#policy"
	cron, tz, notify := strings.TrimSpace(c.PostForm("cron")), strings.TrimSpace(c.PostForm("tz")), strings.TrimSpace(c.PostForm("notify_url"))
	local := c.PostForm("local") != ""
	in := service.PolicyInput{Cron: &cron, TZ: &tz, NotifyURL: &notify, Local: &local}
	for field, dst := range map[string]**int{"keep_last": &in.KeepLast, "keep_days": &in.KeepDays} {
		if v := strings.TrimSpace(c.PostForm(field)); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil {
				redirect(c, back, flash{Error: "Retention counts must be whole numbers."})
				return
			}
			*dst = &n
		}
	}
	if _, err := h.svc.SetBackupPolicy(c.Request.Context(), name, in); err != nil {
		redirect(c, back, flash{Error: h.logError(c, err)})
		return
	}
	redirect(c, back, flash{OK: "Backup policy saved."})
}
