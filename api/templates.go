package api

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/rivetr/rivetr/internal/release"
	"github.com/rivetr/rivetr/internal/service"
)

func (h *Handler) listTemplates(c *gin.Context) {
	v, err := h.svc.ListTemplates(c.Request.Context(), c.Query("category"))
	h.respond(c, http.StatusOK, v, err)
}

func (h *Handler) getTemplate(c *gin.Context) {
	v, err := h.svc.Template(c.Request.Context(), c.Param("template"))
	h.respond(c, http.StatusOK, v, err)
}

func (h *Handler) deployTemplate(c *gin.Context) {
	var in service.TemplateDeployRequest
	if !h.decode(c, &in) {
		return
	}
	v, err := h.svc.DeployTemplate(c.Request.Context(), c.Param("template"), in)
	h.respond(c, http.StatusCreated, v, err)
}

func (h *Handler) upgradeTemplate(c *gin.Context) {
	var in service.TemplateUpgradeRequest
	if !h.decode(c, &in) {
		return
	}
	v, err := h.svc.UpgradeTemplate(c.Request.Context(), c.Param("name"), in)
	h.respond(c, http.StatusOK, v, err)
}

func (h *Handler) templateRoutes() []Route {
	return []Route{
		{"GET", "/api/templates", AuthToken, need(release.PermRead), "The service templates (?category=): compose files for well-known services with their variables", nil, []service.TemplateView{}, 200, h.listTemplates},
		{"GET", "/api/templates/:template", AuthToken, need(release.PermRead), "A service template: its compose file, routed service, port, health path and variables", nil, service.TemplateView{}, 200, h.getTemplate},
		{"POST", "/api/templates/:template/deploy", AuthToken, need(release.PermCreateApp), "Make an app from a template and deploy it: generated passwords and secrets are returned this once (stored as the app's secret env)", service.TemplateDeployRequest{}, service.TemplateDeployed{}, 201, h.deployTemplate},
		{"POST", "/api/apps/:name/template/upgrade", AuthToken, need(release.PermEditApp), "Give an app made from a template the catalog's current version of its compose file (new variables resolved, generated ones returned once) and deploy it", service.TemplateUpgradeRequest{}, service.TemplateDeployed{}, 200, h.upgradeTemplate},
	}
}
