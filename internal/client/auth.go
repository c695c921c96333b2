package client

import (
	"context"

	"github.com/rivetr/rivetr/api"
	"github.com/rivetr/rivetr/internal/service"
)

// Login exchanges an email and password for a new API token.
func (c *Client) Login(ctx context.Context, in api.LoginRequest) (*service.NewToken, error) {
	var out service.NewToken
	return &out, c.do(ctx, "POST", "/api/auth/login", in, &out)
}

// Me returns the signed-in user and their teams.
func (c *Client) Me(ctx context.Context) (*service.UserView, error) {
	var out service.UserView
	return &out, c.do(ctx, "GET", "/api/me", nil, &out)
}

// RevokeCurrentToken revokes the token this client uses.
func (c *Client) RevokeCurrentToken(ctx context.Context) error {
	return c.do(ctx, "DELETE", "/api/auth/token", nil, nil)
}
