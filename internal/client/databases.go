package client

import (
	"context"

	"github.com/rivetr/rivetr/api"
	"github.com/rivetr/rivetr/internal/service"
)

// ListDatabases lists the databases of the caller's teams.
func (c *Client) ListDatabases(ctx context.Context) ([]service.DatabaseView, error) {
	var out []service.DatabaseView
	return out, c.do(ctx, "GET", "/api/databases", nil, &out)
}

// CreateDatabase creates a database (it starts in the background).
func (c *Client) CreateDatabase(ctx context.Context, in service.DatabaseInput) (*service.DatabaseView, error) {
	var out service.DatabaseView
	return &out, c.do(ctx, "POST", "/api/databases", in, &out)
}

// GetDatabase shows a database; reveal asks for its password.
func (c *Client) GetDatabase(ctx context.Context, name string, reveal bool) (*service.DatabaseView, error) {
	var out service.DatabaseView
	q := ""
	if reveal {
		q = "?reveal=1"
	}
	return &out, c.do(ctx, "GET", "/api/databases/"+esc(name)+q, nil, &out)
}

// DatabaseAction starts, stops or deletes a database.
func (c *Client) DatabaseAction(ctx context.Context, name, op string, purge bool) (*service.DatabaseView, error) {
	var out service.DatabaseView
	switch op {
	case "delete":
		q := ""
		if purge {
			q = "?purge=1"
		}
		return &out, c.do(ctx, "DELETE", "/api/databases/"+esc(name)+q, nil, &out)
	}
	return &out, c.do(ctx, "POST", "/api/databases/"+esc(name)+"/"+op, nil, &out)
}

// LinkDatabase gives an app a database's connection settings.
func (c *Client) LinkDatabase(ctx context.Context, name, app, prefix string) ([]string, error) {
	var out struct{ Vars []string }
	err := c.do(ctx, "POST", "/api/databases/"+esc(name)+"/link", api.LinkRequest{App: app, Prefix: prefix}, &out)
	return out.Vars, err
}
