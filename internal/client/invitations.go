package client

import (
	"context"

	"github.com/rivetr/rivetr/internal/service"
)

// Invite invites someone to a team; the answer has the link.
func (c *Client) Invite(ctx context.Context, team string, in service.InvitationInput) (*service.InvitationView, error) {
	var out service.InvitationView
	return &out, c.do(ctx, "POST", "/api/teams/"+esc(team)+"/invitations", in, &out)
}

// ListInvitations lists a team's open invitations.
func (c *Client) ListInvitations(ctx context.Context, team string) ([]service.InvitationView, error) {
	var out []service.InvitationView
	return out, c.do(ctx, "GET", "/api/teams/"+esc(team)+"/invitations", nil, &out)
}

// RevokeInvitation closes an open invitation.
func (c *Client) RevokeInvitation(ctx context.Context, team, id string) error {
	return c.do(ctx, "DELETE", "/api/teams/"+esc(team)+"/invitations/"+esc(id), nil, nil)
}
