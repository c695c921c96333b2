package client

import (
	"context"
	"strconv"

	"github.com/rivetr/rivetr/internal/service"
	"github.com/rivetr/rivetr/schema"
)

// Webhook returns an app's webhook addresses and secret; rotate makes a
// new secret.
func (c *Client) Webhook(ctx context.Context, app string, rotate bool) (*service.WebhookInfo, error) {
	var out service.WebhookInfo
	if rotate {
		return &out, c.do(ctx, "POST", "/api/apps/"+esc(app)+"/webhook/rotate", nil, &out)
	}
	return &out, c.do(ctx, "GET", "/api/apps/"+esc(app)+"/webhook", nil, &out)
}

// Deliveries lists an app's webhook deliveries, newest first.
func (c *Client) Deliveries(ctx context.Context, app string, limit int) ([]schema.WebhookDelivery, error) {
	var out []schema.WebhookDelivery
	return out, c.do(ctx, "GET", "/api/apps/"+esc(app)+"/webhooks?limit="+strconv.Itoa(limit), nil, &out)
}
