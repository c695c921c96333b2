package client

import (
	"context"
	"net/url"

	"github.com/rivetr/rivetr/internal/release"
	"github.com/rivetr/rivetr/internal/service"
)

// Dependencies lists what an app needs.
func (c *Client) Dependencies(ctx context.Context, app string) ([]service.DependencyView, error) {
	var out []service.DependencyView
	return out, c.do(ctx, "GET", "/api/apps/"+esc(app)+"/dependencies", nil, &out)
}

// AddDependency makes an app need a database or another app.
func (c *Client) AddDependency(ctx context.Context, app string, kind release.DepKind, name string) (*service.DependencyView, error) {
	var out service.DependencyView
	return &out, c.do(ctx, "POST", "/api/apps/"+esc(app)+"/dependencies", service.DependencyRequest{Kind: kind, Name: name}, &out)
}

// RemoveDependency takes a dependency from an app.
func (c *Client) RemoveDependency(ctx context.Context, app string, kind release.DepKind, name string) error {
	return c.do(ctx, "DELETE", "/api/apps/"+esc(app)+"/dependencies/"+esc(string(kind))+"/"+esc(name), nil, nil)
}

// Graph returns a team's dependency graph.
func (c *Client) Graph(ctx context.Context, team string) (*service.GraphView, error) {
	var out service.GraphView
	return &out, c.do(ctx, "GET", "/api/graph?team="+url.QueryEscape(team), nil, &out)
}
