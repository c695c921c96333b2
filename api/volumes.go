package api

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/rivetr/rivetr/internal/release"
	"github.com/rivetr/rivetr/internal/service"
)

func (h *Handler) listVolumes(c *gin.Context) {
	v, err := h.svc.ListVolumes(c.Request.Context(), c.Param("name"))
	h.respond(c, http.StatusOK, v, err)
}

func (h *Handler) addVolume(c *gin.Context) {
	var in service.VolumeRequest
	if !h.decode(c, &in) {
		return
	}
	v, err := h.svc.AddVolume(c.Request.Context(), c.Param("name"), in)
	h.respond(c, http.StatusCreated, v, err)
}

func (h *Handler) removeVolume(c *gin.Context) {
	err := h.svc.RemoveVolume(c.Request.Context(), c.Param("name"), c.Param("volume"))
	h.respond(c, http.StatusNoContent, nil, err)
}

func (h *Handler) listVolumeBackups(c *gin.Context) {
	v, err := h.svc.ListVolumeBackups(c.Request.Context(), c.Param("name"), c.Param("volume"))
	h.respond(c, http.StatusOK, v, err)
}

// backupVolume starts a backup of a volume; with ?wait=1 it answers when
// the backup has ended (409 with the reason when it failed).
func (h *Handler) backupVolume(c *gin.Context) {
	wait := c.Query("wait") == "1" || c.Query("wait") == "true"
	v, err := h.svc.BackupVolume(c.Request.Context(), c.Param("name"), c.Param("volume"), wait)
	h.respond(c, map[bool]int{true: http.StatusOK, false: http.StatusAccepted}[wait], v, err)
}

// VolumeRestoreRequest names the backup a volume is restored from.
type VolumeRestoreRequest struct {
	Backup string `json:"backup"`
}

func (h *Handler) restoreVolume(c *gin.Context) {
	var in VolumeRestoreRequest
	if !h.decode(c, &in) {
		return
	}
	err := h.svc.RestoreVolume(c.Request.Context(), c.Param("name"), c.Param("volume"), in.Backup)
	h.respond(c, http.StatusNoContent, nil, err)
}

func (h *Handler) getVolumePolicy(c *gin.Context) {
	v, err := h.svc.VolumeBackupPolicy(c.Request.Context(), c.Param("name"), c.Param("volume"))
	h.respond(c, http.StatusOK, v, err)
}

func (h *Handler) setVolumePolicy(c *gin.Context) {
	var in service.PolicyInput
	if !h.decode(c, &in) {
		return
	}
	v, err := h.svc.SetVolumeBackupPolicy(c.Request.Context(), c.Param("name"), c.Param("volume"), in)
	h.respond(c, http.StatusOK, v, err)
}

func (h *Handler) volumeRoutes() []Route {
	return []Route{
		{"GET", "/api/apps/:name/volumes", AuthToken, need(release.PermRead), "An app's volumes: name, mount path, Docker volume and size (when this server's Docker host can measure it)", nil, []service.VolumeView{}, 200, h.listVolumes},
		{"POST", "/api/apps/:name/volumes", AuthToken, need(release.PermEditApp), "Give an app a named volume at a path in its containers, mounted from its next deployment and kept across deploys, rollbacks and restarts", service.VolumeRequest{}, service.VolumeView{}, 201, h.addVolume},
		{"DELETE", "/api/apps/:name/volumes/:volume", AuthToken, need(release.PermEditApp), "Take a volume from an app: the next deployment no longer mounts it and deletes its data once the old container is gone", nil, nil, 204, h.removeVolume},
		{"GET", "/api/apps/:name/volumes/:volume/backups", AuthToken, need(release.PermRead), "A volume's backups, newest first", nil, []service.Backup{}, 200, h.listVolumeBackups},
		{"POST", "/api/apps/:name/volumes/:volume/backups", AuthToken, need(release.PermDatabases), "Back a volume up now (?wait=1): its files, read while the app runs, to every destination of its policy, each copy checked", nil, service.Backup{}, 202, h.backupVolume},
		{"POST", "/api/apps/:name/volumes/:volume/restore", AuthToken, need(release.PermDatabaseAdmin), "Replace a volume's files with a verified backup's (the app's container is stopped meanwhile, its requests held)", VolumeRestoreRequest{}, nil, 204, h.restoreVolume},
		{"GET", "/api/apps/:name/volumes/:volume/backup-policy", AuthToken, need(release.PermRead), "Where and when a volume is backed up", nil, service.PolicyView{}, 200, h.getVolumePolicy},
		{"PUT", "/api/apps/:name/volumes/:volume/backup-policy", AuthToken, need(release.PermDatabaseAdmin), "Change a volume's backup policy (destinations, schedule, retention)", service.PolicyInput{}, service.PolicyView{}, 200, h.setVolumePolicy},
	}
}
