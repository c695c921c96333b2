package client

import (
	"context"

	"github.com/rivetr/rivetr/api"
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

// VolumeBackups lists the backups of an app's volume.
func (c *Client) VolumeBackups(ctx context.Context, app, volume string) ([]service.Backup, error) {
	var out []service.Backup
	return out, c.do(ctx, "GET", volumePath(app, volume)+"/backups", nil, &out)
}

// BackupVolume backs an app's volume up; with wait it returns when it has
// ended.
func (c *Client) BackupVolume(ctx context.Context, app, volume string, wait bool) (*service.Backup, error) {
	var out service.Backup
	q := "?wait=0"
	if wait {
		q = "?wait=1"
	}
	return &out, c.do(ctx, "POST", volumePath(app, volume)+"/backups"+q, nil, &out)
}

// RestoreVolume replaces an app's volume's files with a backup's.
func (c *Client) RestoreVolume(ctx context.Context, app, volume, backupID string) error {
	return c.do(ctx, "POST", volumePath(app, volume)+"/restore", api.VolumeRestoreRequest{Backup: backupID}, nil)
}

// VolumeBackupPolicy returns the backup policy of an app's volume.
func (c *Client) VolumeBackupPolicy(ctx context.Context, app, volume string) (*service.PolicyView, error) {
	var out service.PolicyView
	return &out, c.do(ctx, "GET", volumePath(app, volume)+"/backup-policy", nil, &out)
}

// SetVolumeBackupPolicy changes the backup policy of an app's volume.
func (c *Client) SetVolumeBackupPolicy(ctx context.Context, app, volume string, in service.PolicyInput) (*service.PolicyView, error) {
	var out service.PolicyView
	return &out, c.do(ctx, "PUT", volumePath(app, volume)+"/backup-policy", in, &out)
}

func volumePath(app, volume string) string {
	return "/api/apps/" + esc(app) + "/volumes/" + esc(volume)
}
