package client

import (
	"context"

	"github.com/rivetr/rivetr/internal/service"
)

// ListTeams lists the caller's teams.
func (c *Client) ListTeams(ctx context.Context) ([]service.TeamView, error) {
	var out []service.TeamView
	return out, c.do(ctx, "GET", "/api/teams", nil, &out)
}

// CreateTeam makes a team owned by the caller.
func (c *Client) CreateTeam(ctx context.Context, name string) (*service.TeamView, error) {
	var out service.TeamView
	return &out, c.do(ctx, "POST", "/api/teams", service.TeamInput{Name: name}, &out)
}

// DeleteTeam deletes an empty team.
func (c *Client) DeleteTeam(ctx context.Context, name string) error {
	return c.do(ctx, "DELETE", "/api/teams/"+esc(name), nil, nil)
}
