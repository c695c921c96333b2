package web

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"
	"github.com/rivetr/rivetr/internal/dbengine"
	"github.com/rivetr/rivetr/internal/release"
	"github.com/rivetr/rivetr/internal/service"
)

type databasesData struct {
	Databases []service.DatabaseView
	Engines   []string
	Teams     []service.TeamView
	Form      service.DatabaseInput
	Errors    map[string]string
}

func (h *Handler) databases(c *gin.Context) { h.renderDatabases(c, http.StatusOK, databasesData{}) }

func (h *Handler) renderDatabases(c *gin.Context, status int, d databasesData) {
	ctx := c.Request.Context()
	var err error
	if d.Databases, err = h.svc.ListDatabases(ctx); err != nil {
		h.fail(c, err)
		return
	}
	if d.Teams, err = h.svc.TeamsFor(ctx, release.PermDatabases); err != nil {
		h.fail(c, err)
		return
	}
	d.Engines = dbengine.Names
	h.render(c, status, "databases", "Databases", d)
}

func (h *Handler) createDatabase(c *gin.Context) {
	in := service.DatabaseInput{Name: strings.TrimSpace(c.PostForm("name")), Engine: c.PostForm("engine"), Version: strings.TrimSpace(c.PostForm("version")),
		Image: strings.TrimSpace(c.PostForm("image")), Team: c.PostForm("team")}
	if p := strings.TrimSpace(c.PostForm("public_port")); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil {
			h.renderDatabases(c, http.StatusBadRequest, databasesData{Form: in, Errors: map[string]string{"public_port": "must be a port number"}})
			return
		}
		in.PublicPort = n
	}
	if _, err := h.svc.CreateDatabase(c.Request.Context(), in); err != nil {
		h.renderDatabases(c, http.StatusBadRequest, databasesData{Form: in, Errors: fieldsOf(err, h.logError(c, err))})
		return
	}
	redirect(c, "/databases", flash{OK: "Creating database " + in.Name + "; it shows running once it takes connections."})
}

func (h *Handler) databaseAction(c *gin.Context) {
	name, action := c.Param("name"), c.Param("action")
	if _, err := h.svc.DatabaseAction(c.Request.Context(), name, action, c.PostForm("purge") != ""); err != nil {
		redirect(c, "/databases", flash{Error: h.logError(c, err)})
		return
	}
	redirect(c, "/databases", flash{OK: "Database " + name + ": " + action + " requested."})
}

type databaseData struct {
	Database *service.DatabaseView
	Policy   *service.PolicyView
	Backups  []service.Backup
	// Admin may restore and download.
	Admin bool
}

func (h *Handler) database(c *gin.Context) {
	ctx := c.Request.Context()
	name := c.Param("name")
	d, err := h.svc.GetDatabase(ctx, name, false)
	if err != nil {
		h.fail(c, err)
		return
	}
	p, err := h.svc.GetBackupPolicy(ctx, name)
	if err != nil {
		h.fail(c, err)
		return
	}
	bs, err := h.svc.ListBackups(ctx, name)
	if err != nil {
		h.fail(c, err)
		return
	}
	a := service.ActorFrom(ctx)
	h.render(c, http.StatusOK, "database", "Database "+name, databaseData{Database: d, Policy: p, Backups: bs, Admin: a != nil && a.Can(d.TeamID, release.PermDatabaseAdmin)})
}
