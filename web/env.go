package web

import (
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"
	"github.com/rivetr/rivetr/internal/service"
)

func (h *Handler) setEnv(c *gin.Context) {
	ctx := c.Request.Context()
	name := c.Param("name")
	ef := envForm{Key: strings.TrimSpace(c.PostForm("key")), Value: c.PostForm("value"), Secret: c.PostForm("secret") != ""}
	_, err := h.svc.SetEnv(ctx, name, []service.EnvInput{{Key: ef.Key, Value: ef.Value, Secret: ef.Secret}})
	if err == nil {
		redirect(c, appPath(name, "environment"), flash{OK: "Set " + ef.Key + "; it applies from the next deployment."})
		return
	}
	app, gerr := h.svc.GetApp(ctx, name)
	if gerr != nil {
		h.fail(c, gerr)
		return
	}
	if ef.Secret {
		ef.Value = "" // never echo a secret back into the page
	}
	h.renderApp(c, http.StatusBadRequest, app, "environment", appForms{EnvForm: ef, EnvErrors: fieldsOf(err, h.logError(c, err))})
}

func (h *Handler) unsetEnv(c *gin.Context) {
	name, key := c.Param("name"), c.Param("key")
	if err := h.svc.UnsetEnv(c.Request.Context(), name, []string{key}); err != nil {
		redirect(c, appPath(name, "environment"), flash{Error: h.logError(c, err), At: "env"})
		return
	}
	redirect(c, appPath(name, "environment"), flash{OK: "Removed " + key + "."})
}
