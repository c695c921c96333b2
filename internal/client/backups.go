package client

import (
	"context"

	"github.com/rivetr/rivetr/api"
	"github.com/rivetr/rivetr/internal/service"
)

// Backups lists a database's backups.
func (c *Client) Backups(ctx context.Context, db string) ([]service.Backup, error) {
	var out []service.Backup
	return out, c.do(ctx, "GET", "/api/databases/"+esc(db)+"/backups", nil, &out)
}

// BackupNow backs a database up; with wait it returns when it has ended.
func (c *Client) BackupNow(ctx context.Context, db string, wait, volume bool) (*service.Backup, error) {
	var out service.Backup
	q := "?wait=0"
	if wait {
		q = "?wait=1"
	}
	if volume {
		q += "&volume=1"
	}
	return &out, c.do(ctx, "POST", "/api/databases/"+esc(db)+"/backups"+q, nil, &out)
}

// Restore restores a backup into its database, or into a new one.
func (c *Client) Restore(ctx context.Context, db, backupID, to string) (*service.DatabaseView, error) {
	var out service.DatabaseView
	return &out, c.do(ctx, "POST", "/api/databases/"+esc(db)+"/restore", api.RestoreRequest{Backup: backupID, To: to}, &out)
}

// BackupPolicy returns a database's backup policy.
func (c *Client) BackupPolicy(ctx context.Context, db string) (*service.PolicyView, error) {
	var out service.PolicyView
	return &out, c.do(ctx, "GET", "/api/databases/"+esc(db)+"/backup-policy", nil, &out)
}

// SetBackupPolicy changes a database's backup policy.
func (c *Client) SetBackupPolicy(ctx context.Context, db string, in service.PolicyInput) (*service.PolicyView, error) {
	var out service.PolicyView
	return &out, c.do(ctx, "PUT", "/api/databases/"+esc(db)+"/backup-policy", in, &out)
}
