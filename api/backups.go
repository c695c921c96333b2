package api

import (
	"net/http"

	"github.com/gin-gonic/gin"
	"github.com/rivetr/rivetr/internal/release"
	"github.com/rivetr/rivetr/internal/service"
)

func (h *Handler) listBackups(c *gin.Context) {
	v, err := h.svc.ListBackups(c.Request.Context(), c.Param("name"))
	h.respond(c, http.StatusOK, v, err)
}

// backupNow starts a backup; with ?wait=1 it answers when the backup has
// ended (409 with the reason when it failed).
func (h *Handler) backupNow(c *gin.Context) {
	wait := c.Query("wait") == "1" || c.Query("wait") == "true"
	v, err := h.svc.BackupNow(c.Request.Context(), c.Param("name"), wait, c.Query("volume") == "1" || c.Query("volume") == "true")
	status := http.StatusAccepted
	if wait {
		status = http.StatusOK
	}
	h.respond(c, status, v, err)
}

func (h *Handler) downloadBackup(c *gin.Context) {
	r, name, size, err := h.svc.OpenBackup(c.Request.Context(), c.Param("name"), c.Param("id"))
	if err != nil {
		h.writeError(c, err)
		return
	}
	defer r.Close()
	c.DataFromReader(http.StatusOK, size, "application/gzip", r, map[string]string{"Content-Disposition": `attachment; filename="` + name + `"`})
}

// RestoreRequest restores a backup, into its database or a new one.
type RestoreRequest struct {
	Backup string `json:"backup"`
	To     string `json:"to,omitempty"`
}

func (h *Handler) restore(c *gin.Context) {
	var in RestoreRequest
	if !h.decode(c, &in) {
		return
	}
	v, err := h.svc.Restore(c.Request.Context(), c.Param("name"), in.Backup, in.To)
	h.respond(c, http.StatusOK, v, err)
}

func (h *Handler) getPolicy(c *gin.Context) {
	v, err := h.svc.GetBackupPolicy(c.Request.Context(), c.Param("name"))
	h.respond(c, http.StatusOK, v, err)
}

func (h *Handler) setPolicy(c *gin.Context) {
	var in service.PolicyInput
	if !h.decode(c, &in) {
		return
	}
	v, err := h.svc.SetBackupPolicy(c.Request.Context(), c.Param("name"), in)
	h.respond(c, http.StatusOK, v, err)
}

func (h *Handler) backupRoutes() []Route {
	return []Route{
		{"GET", "/api/databases/:name/backups", AuthToken, need(release.PermRead), "A database's backups", nil, []service.Backup{}, 200, h.listBackups},
		{"POST", "/api/databases/:name/backups", AuthToken, need(release.PermDatabases), "Back up now (?wait=1, ?volume=1)", nil, service.Backup{}, 202, h.backupNow},
		{"GET", "/api/databases/:name/backups/:id/download", AuthToken, need(release.PermDatabaseAdmin), "Download a backup (gzip)", nil, nil, 200, h.downloadBackup},
		{"POST", "/api/databases/:name/restore", AuthToken, need(release.PermDatabaseAdmin), "Restore a backup, into the database or a new one", RestoreRequest{}, service.DatabaseView{}, 200, h.restore},
		{"GET", "/api/databases/:name/backup-policy", AuthToken, need(release.PermRead), "Where and when a database is backed up", nil, service.PolicyView{}, 200, h.getPolicy},
		{"PUT", "/api/databases/:name/backup-policy", AuthToken, need(release.PermDatabaseAdmin), "Change the backup policy", service.PolicyInput{}, service.PolicyView{}, 200, h.setPolicy},
	}
}
