package client

import (
	"context"

	"github.com/rivetr/rivetr/internal/service"
)

// ListEnvironments lists a team's environments.
func (c *Client) ListEnvironments(ctx context.Context, team string) ([]service.EnvironmentView, error) {
	var out []service.EnvironmentView
	return out, c.do(ctx, "GET", "/api/teams/"+esc(team)+"/environments", nil, &out)
}

// PutEnvironment creates a team's environment or changes its policy.
func (c *Client) PutEnvironment(ctx context.Context, team, name string, in service.EnvironmentInput) (*service.EnvironmentView, error) {
	var out service.EnvironmentView
	return &out, c.do(ctx, "PUT", "/api/teams/"+esc(team)+"/environments/"+esc(name), in, &out)
}

// DeleteEnvironment removes an environment no app is in.
func (c *Client) DeleteEnvironment(ctx context.Context, team, name string) error {
	return c.do(ctx, "DELETE", "/api/teams/"+esc(team)+"/environments/"+esc(name), nil, nil)
}
