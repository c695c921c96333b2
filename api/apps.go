package api

import (
	"net/http"

	"github.com/gin-gonic/gin"
	"github.com/rivetr/rivetr/internal/release"
	"github.com/rivetr/rivetr/internal/service"
	"github.com/rivetr/rivetr/internal/sse"
)

func (h *Handler) listApps(c *gin.Context) {
	apps, err := h.svc.ListApps(c.Request.Context(), c.Query("team"))
	if err != nil {
		h.writeError(c, err)
		return
	}
	c.JSON(http.StatusOK, apps)
}

func (h *Handler) createApp(c *gin.Context) {
	var in service.AppInput
	if !h.decode(c, &in) {
		return
	}
	app, err := h.svc.CreateApp(c.Request.Context(), in)
	if err != nil {
		h.writeError(c, err)
		return
	}
	c.JSON(http.StatusCreated, app)
}

func (h *Handler) getApp(c *gin.Context) {
	app, err := h.svc.GetApp(c.Request.Context(), c.Param("name"))
	if err != nil {
		h.writeError(c, err)
		return
	}
	c.JSON(http.StatusOK, app)
}

func (h *Handler) updateApp(c *gin.Context) {
	var in service.AppInput
	if !h.decode(c, &in) {
		return
	}
	app, err := h.svc.UpdateApp(c.Request.Context(), c.Param("name"), in)
	if err != nil {
		h.writeError(c, err)
		return
	}
	c.JSON(http.StatusOK, app)
}

func (h *Handler) deleteApp(c *gin.Context) {
	if err := h.svc.DeleteApp(c.Request.Context(), c.Param("name")); err != nil {
		h.writeError(c, err)
		return
	}
	c.Status(http.StatusNoContent)
}

func (h *Handler) shareApp(c *gin.Context) {
	h.respond(c, http.StatusNoContent, nil, h.svc.ShareApp(c.Request.Context(), c.Param("name"), c.Param("team")))
}

func (h *Handler) unshareApp(c *gin.Context) {
	h.respond(c, http.StatusNoContent, nil, h.svc.UnshareApp(c.Request.Context(), c.Param("name"), c.Param("team")))
}

func (h *Handler) appServices(c *gin.Context) {
	v, err := h.svc.Services(c.Request.Context(), c.Param("name"))
	h.respond(c, http.StatusOK, v, err)
}

// appLogs streams an app's runtime output as plain text.
func (h *Handler) appLogs(c *gin.Context) {
	follow := c.Query("follow") == "1" || c.Query("follow") == "true"
	tail := intQuery(c, "tail", 100)
	fw := &flushWriter{c: c}
	ctx := c.Request.Context()
	if follow {
		var done func()
		var ok bool
		if ctx, done, ok = sse.Admit(c.Writer, c.Request, h.limits.Streams, 0); !ok {
			return
		}
		defer done()
	}
	err := h.svc.AppLogs(ctx, c.Param("name"), c.Query("service"), tail, follow, fw)
	if err != nil && !fw.started {
		h.writeError(c, err)
	}
}

func (h *Handler) appRoutes() []Route {
	return []Route{
		{"GET", "/api/apps", AuthToken, need(release.PermRead), "List the apps you can see (?team=)", nil, []service.AppView{}, 200, h.listApps},
		{"POST", "/api/apps", AuthToken, need(release.PermCreateApp), "Create an app", service.AppInput{}, service.AppView{}, 201, h.createApp},
		{"GET", "/api/apps/:name", AuthToken, need(release.PermRead), "An app, what it serves and its release policy", nil, service.AppView{}, 200, h.getApp},
		{"PATCH", "/api/apps/:name", AuthToken, need(release.PermEditApp), "Change an app's settings (policy fields take the policy permission)", service.AppInput{}, service.AppView{}, 200, h.updateApp},
		{"DELETE", "/api/apps/:name", AuthToken, need(release.PermDeleteApp), "Delete an app: containers, route, images, records", nil, nil, 204, h.deleteApp},
		{"PUT", "/api/apps/:name/shares/:team", AuthToken, need(release.PermShare), "Share an app with another team, read-only", nil, nil, 204, h.shareApp},
		{"DELETE", "/api/apps/:name/shares/:team", AuthToken, need(release.PermShare), "Stop sharing an app", nil, nil, 204, h.unshareApp},
		{"GET", "/api/apps/:name/logs", AuthToken, need(release.PermRead), "The running container's output as text (?tail=&follow=1; a stack's: ?service=, default the routed one)", nil, nil, 200, h.appLogs},
		{"GET", "/api/apps/:name/services", AuthToken, need(release.PermRead), "A stack's containers by service: image, state, Docker's status (health), deployment, whether it serves", nil, []service.ServiceView{}, 200, h.appServices},
	}
}
