package api

import (
	"net/http"

	"github.com/gin-gonic/gin"
	"github.com/rivetr/rivetr/internal/service"
)

func (h *Handler) health(c *gin.Context) {
	st := h.svc.PublicHealth(c.Request.Context())
	code := http.StatusOK
	if !st.OK {
		code = http.StatusServiceUnavailable
	}
	c.JSON(code, st)
}

func (h *Handler) status(c *gin.Context) {
	st, err := h.svc.Overview(c.Request.Context(), c.Query("team"))
	if err != nil {
		h.writeError(c, err)
		return
	}
	c.JSON(http.StatusOK, st)
}

func (h *Handler) statusRoutes() []Route {
	return []Route{
		{"GET", "/health", AuthNone, NeedNone, "Health of Docker, Temporal, the database and the disk", nil, service.Status{}, 200, h.health},
		{"GET", "/api/status", AuthToken, NeedSignedIn, "Overview: apps, deployments by status, health (?team=)", nil, service.Status{}, 200, h.status},
	}
}
