package client

import (
	"context"
	"strconv"

	"github.com/rivetr/rivetr/internal/service"
)

// Previews lists an app's pull request previews.
func (c *Client) Previews(ctx context.Context, app string) ([]service.PreviewView, error) {
	var out []service.PreviewView
	return out, c.do(ctx, "GET", "/api/apps/"+esc(app)+"/previews", nil, &out)
}

// DeletePreview removes a pull request's preview.
func (c *Client) DeletePreview(ctx context.Context, app string, pr int) error {
	return c.do(ctx, "DELETE", "/api/apps/"+esc(app)+"/previews/"+strconv.Itoa(pr), nil, nil)
}
