package client

import (
	"context"
	"strconv"

	"github.com/rivetr/rivetr/internal/service"
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
func (c *Client) Deliveries(ctx context.Context, app string, limit int) ([]service.WebhookDelivery, error) {
	var out []service.WebhookDelivery
	return out, c.do(ctx, "GET", "/api/apps/"+esc(app)+"/webhooks?limit="+strconv.Itoa(limit), nil, &out)
}
