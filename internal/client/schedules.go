package client

import (
	"context"

	"github.com/rivetr/rivetr/internal/service"
)

// ListRecurring lists an app's recurring deploys.
func (c *Client) ListRecurring(ctx context.Context, app string) ([]service.RecurringDeploy, error) {
	var out []service.RecurringDeploy
	return out, c.do(ctx, "GET", "/api/apps/"+esc(app)+"/schedules", nil, &out)
}

// CreateRecurring adds a recurring deploy.
func (c *Client) CreateRecurring(ctx context.Context, app string, in service.RecurringInput) (*service.RecurringDeploy, error) {
	var out service.RecurringDeploy
	return &out, c.do(ctx, "POST", "/api/apps/"+esc(app)+"/schedules", in, &out)
}

// DeleteRecurring removes a recurring deploy.
func (c *Client) DeleteRecurring(ctx context.Context, app, id string) error {
	return c.do(ctx, "DELETE", "/api/apps/"+esc(app)+"/schedules/"+esc(id), nil, nil)
}
