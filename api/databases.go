package api

import (
	"net/http"

	"github.com/gin-gonic/gin"
	"github.com/rivetr/rivetr/internal/release"
	"github.com/rivetr/rivetr/internal/service"
)

func (h *Handler) listDatabases(c *gin.Context) {
	v, err := h.svc.ListDatabases(c.Request.Context())
	h.respond(c, http.StatusOK, v, err)
}

func (h *Handler) createDatabase(c *gin.Context) {
	var in service.DatabaseInput
	if !h.decode(c, &in) {
		return
	}
	v, err := h.svc.CreateDatabase(c.Request.Context(), in)
	h.respond(c, http.StatusAccepted, v, err)
}

func (h *Handler) getDatabase(c *gin.Context) {
	v, err := h.svc.GetDatabase(c.Request.Context(), c.Param("name"), c.Query("reveal") == "1" || c.Query("reveal") == "true")
	h.respond(c, http.StatusOK, v, err)
}

func (h *Handler) databaseAction(c *gin.Context, op string, purge bool) {
	v, err := h.svc.DatabaseAction(c.Request.Context(), c.Param("name"), op, purge)
	h.respond(c, http.StatusAccepted, v, err)
}

func (h *Handler) deleteDatabase(c *gin.Context) {
	h.databaseAction(c, "delete", c.Query("purge") == "1" || c.Query("purge") == "true")
}

func (h *Handler) startDatabase(c *gin.Context) { h.databaseAction(c, "start", false) }

func (h *Handler) stopDatabase(c *gin.Context) { h.databaseAction(c, "stop", false) }

// LinkRequest links a database to an app.
type LinkRequest struct {
	App    string `json:"app"`
	Prefix string `json:"prefix,omitempty"`
}

// LinkResult names the env vars a link gave the app.
type LinkResult struct {
	App  string   `json:"app"`
	Vars []string `json:"vars"`
}

func (h *Handler) linkDatabase(c *gin.Context) {
	var in LinkRequest
	if !h.decode(c, &in) {
		return
	}
	keys, err := h.svc.LinkDatabase(c.Request.Context(), c.Param("name"), in.App, in.Prefix)
	h.respond(c, http.StatusOK, LinkResult{App: in.App, Vars: keys}, err)
}

func (h *Handler) databaseRoutes() []Route {
	return []Route{
		{"GET", "/api/databases", AuthToken, need(release.PermRead), "Databases you can see", nil, []service.DatabaseView{}, 200, h.listDatabases},
		{"POST", "/api/databases", AuthToken, need(release.PermDatabases), "Create a database", service.DatabaseInput{}, service.DatabaseView{}, 202, h.createDatabase},
		{"GET", "/api/databases/:name", AuthToken, need(release.PermRead), "A database (?reveal=1 shows its password: database_admin)", nil, service.DatabaseView{}, 200, h.getDatabase},
		{"DELETE", "/api/databases/:name", AuthToken, need(release.PermDatabaseAdmin), "Delete a database (?purge=1 removes its volume)", nil, service.DatabaseView{}, 202, h.deleteDatabase},
		{"POST", "/api/databases/:name/start", AuthToken, need(release.PermDatabases), "Start a database", nil, service.DatabaseView{}, 202, h.startDatabase},
		{"POST", "/api/databases/:name/stop", AuthToken, need(release.PermDatabases), "Stop a database", nil, service.DatabaseView{}, 202, h.stopDatabase},
		{"POST", "/api/databases/:name/link", AuthToken, need(release.PermDatabaseAdmin), "Give an app the database's URL and credentials as secret env vars", LinkRequest{}, LinkResult{}, 200, h.linkDatabase},
	}
}
