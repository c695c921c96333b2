package api

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/rivetr/rivetr/internal/release"
	"github.com/rivetr/rivetr/internal/service"
)

func (h *Handler) listDependencies(c *gin.Context) {
	v, err := h.svc.ListDependencies(c.Request.Context(), c.Param("name"))
	h.respond(c, http.StatusOK, v, err)
}

func (h *Handler) addDependency(c *gin.Context) {
	var in service.DependencyRequest
	if !h.decode(c, &in) {
		return
	}
	v, err := h.svc.AddDependency(c.Request.Context(), c.Param("name"), in)
	h.respond(c, http.StatusCreated, v, err)
}

func (h *Handler) removeDependency(c *gin.Context) {
	in := service.DependencyRequest{Kind: release.DepKind(c.Param("kind")), Name: c.Param("target")}
	err := h.svc.RemoveDependency(c.Request.Context(), c.Param("name"), in)
	h.respond(c, http.StatusNoContent, nil, err)
}

func (h *Handler) graph(c *gin.Context) {
	v, err := h.svc.Graph(c.Request.Context(), c.Query("team"))
	h.respond(c, http.StatusOK, v, err)
}

func (h *Handler) dependencyRoutes() []Route {
	return []Route{
		{"GET", "/api/apps/:name/dependencies", AuthToken, need(release.PermRead), "What an app needs (databases and apps of its team), with their state", nil, []service.DependencyView{}, 200, h.listDependencies},
		{"POST", "/api/apps/:name/dependencies", AuthToken, need(release.PermEditApp), "Make an app need a database or another app of its team: its deploys wait for it, and it cannot be deleted meanwhile", service.DependencyRequest{}, service.DependencyView{}, 201, h.addDependency},
		{"DELETE", "/api/apps/:name/dependencies/:kind/:target", AuthToken, need(release.PermEditApp), "Take a dependency from an app (kind database or app)", nil, nil, 204, h.removeDependency},
		{"GET", "/api/graph", AuthToken, need(release.PermRead), "A team's dependency graph (?team=NAME; default your only team): its apps and databases, and what needs what", nil, service.GraphView{}, 200, h.graph},
	}
}
