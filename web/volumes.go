package web

import (
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/rivetr/rivetr/internal/service"
)

// An app's volumes are on its settings tab (for those who may edit it).

func (h *Handler) addVolume(c *gin.Context) {
	name := c.Param("name")
	in := service.VolumeRequest{Name: strings.TrimSpace(c.PostForm("volume")), Path: strings.TrimSpace(c.PostForm("path"))}
	v, err := h.svc.AddVolume(c.Request.Context(), name, in)
	if err != nil {
		redirect(c, appPath(name, "settings")+"#volumes", flash{Error: h.logError(c, err), At: "volumes"})
		return
	}
	redirect(c, appPath(name, "settings")+"#volumes", flash{OK: "Volume " + v.Name + " at " + v.Path + " added; it is mounted from the next deployment."})
}

func (h *Handler) removeVolume(c *gin.Context) {
	name, vol := c.Param("name"), c.Param("volume")
	if err := h.svc.RemoveVolume(c.Request.Context(), name, vol); err != nil {
		redirect(c, appPath(name, "settings")+"#volumes", flash{Error: h.logError(c, err), At: "volumes"})
		return
	}
	redirect(c, appPath(name, "settings")+"#volumes", flash{OK: "Volume " + vol + " removed: the next deployment no longer mounts it and deletes its data."})
}

func (h *Handler) backupVolume(c *gin.Context) {
	name, vol := c.Param("name"), c.Param("volume")
	b, err := h.svc.BackupVolume(c.Request.Context(), name, vol, false)
	if err != nil {
		redirect(c, appPath(name, "settings")+"#volumes", flash{Error: h.logError(c, err), At: "volumes"})
		return
	}
	redirect(c, appPath(name, "settings")+"#volumes", flash{OK: "Backup " + b.ID + " of volume " + vol + " started; it shows succeeded once stored and verified."})
}

func (h *Handler) restoreVolume(c *gin.Context) {
	name, vol, id := c.Param("name"), c.Param("volume"), c.Param("id")
	if err := h.svc.RestoreVolume(c.Request.Context(), name, vol, id); err != nil {
		redirect(c, appPath(name, "settings")+"#volumes", flash{Error: h.logError(c, err), At: "volumes"})
		return
	}
	redirect(c, appPath(name, "settings")+"#volumes", flash{OK: "Backup " + id + " restored into volume " + vol + "."})
}
