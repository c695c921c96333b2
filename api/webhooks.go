package api

import (
	"errors"
	"io"
	"net/http"

	"github.com/gin-gonic/gin"
	"github.com/rivetr/rivetr/internal/release"
	"github.com/rivetr/rivetr/internal/service"
	"github.com/rivetr/rivetr/internal/webhook"
	"github.com/rivetr/rivetr/schema"
)

// webhook takes a delivery. The per-address limit (middleware) comes
// first; the app's own budget is spent only once the signature is good, so
// a flood of unsigned deliveries cannot starve the real ones.
func (h *Handler) webhook(c *gin.Context) {
	body, err := io.ReadAll(http.MaxBytesReader(c.Writer, c.Request.Body, webhook.MaxBody))
	if err != nil {
		h.fail(c, http.StatusRequestEntityTooLarge, "too_large", "webhook payload is larger than 5 MiB", nil)
		return
	}
	ctx := c.Request.Context()
	err = h.svc.VerifyWebhook(ctx, c.Param("provider"), c.Param("app"), c.Request.Header, body)
	if err == nil && !h.allow(c, h.limits.Webhook, "app:"+c.Param("app"), "this app's webhook") {
		return
	}
	var res *service.WebhookResult
	if err == nil {
		res, err = h.svc.Webhook(ctx, c.Param("provider"), c.Param("app"), baseURL(c), c.Request.Header, body)
	}
	var verr *service.ValidationError
	switch {
	case errors.Is(err, service.ErrWebhookSignature):
		h.fail(c, http.StatusUnauthorized, "bad_signature", err.Error()+"; copy the secret from `rivetr apps webhook APP` into the webhook's settings", nil)
	case errors.As(err, &verr) && res != nil:
		c.JSON(http.StatusBadRequest, res)
	case err != nil:
		h.writeError(c, err)
	case res.Result == schema.DeliveryDeployed || res.Result == schema.DeliveryPreview:
		c.JSON(http.StatusAccepted, res)
	default:
		c.JSON(http.StatusOK, res)
	}
}

func (h *Handler) getWebhook(c *gin.Context) {
	v, err := h.svc.GetWebhook(c.Request.Context(), c.Param("name"), baseURL(c), false)
	h.respond(c, http.StatusOK, v, err)
}

func (h *Handler) rotateWebhook(c *gin.Context) {
	v, err := h.svc.GetWebhook(c.Request.Context(), c.Param("name"), baseURL(c), true)
	h.respond(c, http.StatusOK, v, err)
}

func (h *Handler) listDeliveries(c *gin.Context) {
	v, err := h.svc.ListDeliveries(c.Request.Context(), c.Param("name"), intQuery(c, "limit", 100))
	h.respond(c, http.StatusOK, v, err)
}

func (h *Handler) webhookRoutes() []Route {
	return []Route{
		{"POST", "/webhooks/:provider/:app", AuthWebhook, NeedSignature, "A GitHub, GitLab or Gitea delivery (push, pull request, ping)", nil, service.WebhookResult{}, 200, h.webhook},
		{"GET", "/api/apps/:name/webhook", AuthToken, need(release.PermEditApp), "An app's webhook addresses and secret", nil, service.WebhookInfo{}, 200, h.getWebhook},
		{"POST", "/api/apps/:name/webhook/rotate", AuthToken, need(release.PermEditApp), "Make a new webhook secret", nil, service.WebhookInfo{}, 200, h.rotateWebhook},
		{"GET", "/api/apps/:name/webhooks", AuthToken, need(release.PermRead), "An app's webhook deliveries, newest first", nil, []service.WebhookDelivery{}, 200, h.listDeliveries},
	}
}
