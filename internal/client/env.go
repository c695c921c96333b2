package client

import (
	"context"
	"strings"

	"github.com/rivetr/rivetr/api"
	"github.com/rivetr/rivetr/internal/service"
)

// ListEnv lists an app's env vars.
func (c *Client) ListEnv(ctx context.Context, name string) ([]service.EnvView, error) {
	var out []service.EnvView
	return out, c.do(ctx, "GET", "/api/apps/"+esc(name)+"/env", nil, &out)
}

// SetEnv sets env vars.
func (c *Client) SetEnv(ctx context.Context, name string, vars []service.EnvInput) ([]service.EnvView, error) {
	var out []service.EnvView
	return out, c.do(ctx, "PUT", "/api/apps/"+esc(name)+"/env", api.EnvRequest{Vars: vars}, &out)
}

// UnsetEnv removes env vars.
func (c *Client) UnsetEnv(ctx context.Context, name string, keys []string) error {
	return c.do(ctx, "DELETE", "/api/apps/"+esc(name)+"/env/"+esc(strings.Join(keys, ",")), nil, nil)
}
