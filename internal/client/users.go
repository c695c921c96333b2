package client

import (
	"context"

	"github.com/rivetr/rivetr/api"
	"github.com/rivetr/rivetr/internal/service"
)

// CreateOwner makes the first user (needs the admin token).
func (c *Client) CreateOwner(ctx context.Context, in service.UserInput) (*service.OwnerResult, error) {
	var out service.OwnerResult
	return &out, c.do(ctx, "POST", "/api/setup/owner", in, &out)
}

// MigrateTeams moves apps without a team into the default team.
func (c *Client) MigrateTeams(ctx context.Context) (*service.OwnerResult, error) {
	var out service.OwnerResult
	return &out, c.do(ctx, "POST", "/api/admin/migrate-teams", nil, &out)
}

// ListUsers lists every user (instance admins).
func (c *Client) ListUsers(ctx context.Context) ([]service.User, error) {
	var out []service.User
	return out, c.do(ctx, "GET", "/api/users", nil, &out)
}

// CreateUser adds a user (instance admins).
func (c *Client) CreateUser(ctx context.Context, in service.UserInput) (*service.UserView, error) {
	var out service.UserView
	return &out, c.do(ctx, "POST", "/api/users", in, &out)
}

// ResetPassword sets a user's password (instance admins).
func (c *Client) ResetPassword(ctx context.Context, user, password string) error {
	return c.do(ctx, "PUT", "/api/users/"+esc(user)+"/password", api.PasswordRequest{Password: password}, nil)
}

// RotateSecretKey makes a new secret key and reseals every secret with it.
func (c *Client) RotateSecretKey(ctx context.Context) (*service.KeyRotation, error) {
	var out service.KeyRotation
	return &out, c.do(ctx, "POST", "/api/admin/secrets/rotate", nil, &out)
}
