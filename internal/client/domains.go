package client

import (
	"context"

	"github.com/rivetr/rivetr/internal/service"
)

// ListDomains lists an app's domains.
func (c *Client) ListDomains(ctx context.Context, app string) ([]service.DomainView, error) {
	var out []service.DomainView
	return out, c.do(ctx, "GET", "/api/apps/"+esc(app)+"/domains", nil, &out)
}

// AddDomain adds a domain to an app.
func (c *Client) AddDomain(ctx context.Context, app, host string) ([]service.DomainView, error) {
	var out []service.DomainView
	return out, c.do(ctx, "POST", "/api/apps/"+esc(app)+"/domains", map[string]string{"host": host}, &out)
}

// RemoveDomain removes a domain from an app.
func (c *Client) RemoveDomain(ctx context.Context, app, host string) ([]service.DomainView, error) {
	var out []service.DomainView
	return out, c.do(ctx, "DELETE", "/api/apps/"+esc(app)+"/domains/"+esc(host), nil, &out)
}
