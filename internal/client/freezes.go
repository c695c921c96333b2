package client

import (
	"context"

	"github.com/rivetr/rivetr/api"
	"github.com/rivetr/rivetr/internal/service"
)

// Override runs a frozen deployment now.
func (c *Client) Override(ctx context.Context, id, reason string) (*service.DeploymentView, error) {
	var out service.DeploymentView
	return &out, c.do(ctx, "POST", "/api/deployments/"+esc(id)+"/override", api.OverrideRequest{Reason: reason}, &out)
}

// ListFreezes lists freeze windows.
func (c *Client) ListFreezes(ctx context.Context) ([]service.FreezeView, error) {
	var out []service.FreezeView
	return out, c.do(ctx, "GET", "/api/freezes", nil, &out)
}

// CreateFreeze adds a freeze window.
func (c *Client) CreateFreeze(ctx context.Context, in service.FreezeInput) (*service.FreezeView, error) {
	var out service.FreezeView
	return &out, c.do(ctx, "POST", "/api/freezes", in, &out)
}

// DeleteFreeze removes a freeze window.
func (c *Client) DeleteFreeze(ctx context.Context, id string) error {
	return c.do(ctx, "DELETE", "/api/freezes/"+esc(id), nil, nil)
}
