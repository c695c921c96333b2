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

func (h *Handler) volumeRoutes() []Route {
	return []Route{
		{"GET", "/api/apps/:name/volumes", AuthToken, need(release.PermRead), "An app's volumes: name, mount path, Docker volume and size (when this server's Docker host can measure it)", nil, []service.VolumeView{}, 200, h.listVolumes},
		{"POST", "/api/apps/:name/volumes", AuthToken, need(release.PermEditApp), "Give an app a named volume at a path in its containers, mounted from its next deployment and kept across deploys, rollbacks and restarts", service.VolumeRequest{}, service.VolumeView{}, 201, h.addVolume},
		{"DELETE", "/api/apps/:name/volumes/:volume", AuthToken, need(release.PermEditApp), "Take a volume from an app: the next deployment no longer mounts it and deletes its data once the old container is gone", nil, nil, 204, h.removeVolume},
	}
}
