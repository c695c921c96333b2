package client

import (
	"context"

	"github.com/rivetr/rivetr/internal/service"
)

// ListMembers lists a team's members.
func (c *Client) ListMembers(ctx context.Context, team string) ([]service.Member, error) {
	var out []service.Member
	return out, c.do(ctx, "GET", "/api/teams/"+esc(team)+"/members", nil, &out)
}

// PutMember adds a user to a team or changes their role.
func (c *Client) PutMember(ctx context.Context, team, user string, in service.MemberInput) (*service.Member, error) {
	var out service.Member
	return &out, c.do(ctx, "PUT", "/api/teams/"+esc(team)+"/members/"+esc(user), in, &out)
}

// RemoveMember takes a user out of a team.
func (c *Client) RemoveMember(ctx context.Context, team, user string) error {
	return c.do(ctx, "DELETE", "/api/teams/"+esc(team)+"/members/"+esc(user), nil, nil)
}
