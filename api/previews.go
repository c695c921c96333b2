package api

import (
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"
	"github.com/rivetr/rivetr/internal/release"
	"github.com/rivetr/rivetr/internal/service"
)

func (h *Handler) listPreviews(c *gin.Context) {
	v, err := h.svc.ListPreviews(c.Request.Context(), c.Param("name"))
	h.respond(c, http.StatusOK, v, err)
}

func (h *Handler) deletePreview(c *gin.Context) {
	pr, err := strconv.Atoi(c.Param("pr"))
	if err != nil || pr <= 0 {
		h.fail(c, http.StatusBadRequest, "invalid", "the pull request number must be a positive number", nil)
		return
	}
	h.respond(c, http.StatusAccepted, nil, h.svc.DeletePreview(c.Request.Context(), c.Param("name"), pr))
}

func (h *Handler) previewRoutes() []Route {
	return []Route{
		{"GET", "/api/apps/:name/previews", AuthToken, need(release.PermRead), "An app's pull request previews", nil, []service.PreviewView{}, 200, h.listPreviews},
		{"DELETE", "/api/apps/:name/previews/:pr", AuthToken, need(release.PermDeploy), "Remove a preview", nil, nil, 202, h.deletePreview},
	}
}
