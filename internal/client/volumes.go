package client

import (
	"context"

	"github.com/rivetr/rivetr/internal/service"
)

// ListVolumes lists an app's volumes.
func (c *Client) ListVolumes(ctx context.Context, app string) ([]service.VolumeView, error) {
	var out []service.VolumeView
	return out, c.do(ctx, "GET", "/api/apps/"+esc(app)+"/volumes", nil, &out)
}

// AddVolume gives an app a volume.
func (c *Client) AddVolume(ctx context.Context, app string, in service.VolumeRequest) (*service.VolumeView, error) {
	var out service.VolumeView
	return &out, c.do(ctx, "POST", "/api/apps/"+esc(app)+"/volumes", in, &out)
}

// RemoveVolume takes a volume from an app.
func (c *Client) RemoveVolume(ctx context.Context, app, name string) error {
	return c.do(ctx, "DELETE", "/api/apps/"+esc(app)+"/volumes/"+esc(name), nil, nil)
}
