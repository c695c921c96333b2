package client

import (
	"context"

	"github.com/rivetr/rivetr/internal/service"
)

// ListTokens lists the caller's tokens.
func (c *Client) ListTokens(ctx context.Context) ([]service.APIToken, error) {
	var out []service.APIToken
	return out, c.do(ctx, "GET", "/api/tokens", nil, &out)
}

// CreateToken makes a token; its value is in the answer only.
func (c *Client) CreateToken(ctx context.Context, in service.TokenInput) (*service.NewToken, error) {
	var out service.NewToken
	return &out, c.do(ctx, "POST", "/api/tokens", in, &out)
}

// RevokeToken deletes one of the caller's tokens by ID or name.
func (c *Client) RevokeToken(ctx context.Context, idOrName string) error {
	return c.do(ctx, "DELETE", "/api/tokens/"+esc(idOrName), nil, nil)
}
