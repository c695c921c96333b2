package service

import (
	"context"
	"fmt"

	"go.temporal.io/sdk/client"

	"github.com/rivetr/rivetr/internal/release"
	"github.com/rivetr/rivetr/schema"
	"github.com/rivetr/rivetr/workflows"
)

// Backups of an app's volumes run through the same workflows as a
// database's (BackupWorkflow, RestoreWorkflow): a policy per volume (where
// copies go, a schedule, retention), every copy read back and checked
// before the backup counts, a restore checked against its SHA-256 before
// anything is touched. Who may do what follows the databases': anyone who
// sees the app sees the backups; backing up takes the databases
// permission; the policy (S3 credentials) and restores (they replace the
// data) take database_admin.

// volumeSubject authorizes p on app name and finds its volume.
func (s *Apps) volumeSubject(ctx context.Context, name, volume string, p release.Perm) (backupSubject, *schema.App, error) {
	app, _, err := s.authorizeApp(ctx, name, p)
	if err != nil {
		return backupSubject{}, nil, err
	}
	vs, err := s.store.ListVolumes(ctx, app.ID)
	if err != nil {
		return backupSubject{}, nil, err
	}
	for _, v := range vs {
		if v.Name == volume {
			return backupSubject{ID: v.ID, Name: app.Name + "/" + v.Name, TeamID: app.TeamID, Host: app.Host, Kind: release.BackupAppVolume}, app, nil
		}
	}
	return backupSubject{}, nil, fmt.Errorf("%s has no volume named %s: %w", app.Name, volume, schema.ErrNotFound)
}

// VolumeBackupPolicy returns the backup policy of an app's volume.
func (s *Apps) VolumeBackupPolicy(ctx context.Context, name, volume string) (*PolicyView, error) {
	sub, _, err := s.volumeSubject(ctx, name, volume, release.PermRead)
	if err != nil {
		return nil, err
	}
	return s.policyView(ctx, sub)
}

// SetVolumeBackupPolicy changes the backup policy of an app's volume and
// its schedule.
func (s *Apps) SetVolumeBackupPolicy(ctx context.Context, name, volume string, in PolicyInput) (*PolicyView, error) {
	sub, _, err := s.volumeSubject(ctx, name, volume, release.PermDatabaseAdmin)
	if err != nil {
		return nil, err
	}
	return s.setPolicy(ctx, sub, in)
}

// BackupVolume backs an app's volume up now (see BackupNow).
func (s *Apps) BackupVolume(ctx context.Context, name, volume string, wait bool) (*Backup, error) {
	sub, _, err := s.volumeSubject(ctx, name, volume, release.PermDatabases)
	if err != nil {
		return nil, err
	}
	b, err := s.startBackup(ctx, sub, wait)
	return optional(b, backupOf), err
}

// ListVolumeBackups returns the backups of an app's volume, newest first.
func (s *Apps) ListVolumeBackups(ctx context.Context, name, volume string) ([]Backup, error) {
	sub, _, err := s.volumeSubject(ctx, name, volume, release.PermRead)
	if err != nil {
		return nil, err
	}
	bs, err := s.store.ListBackups(ctx, sub.ID)
	if bs == nil {
		bs = []schema.Backup{}
	}
	return each(bs, backupOf), err
}

// RestoreVolume replaces an app's volume's files with a verified backup's.
// The app's serving container is stopped meanwhile (the proxy holds its
// requests) and started again. It returns when the restore has ended.
func (s *Apps) RestoreVolume(ctx context.Context, name, volume, backupID string) error {
	sub, app, err := s.volumeSubject(ctx, name, volume, release.PermDatabaseAdmin)
	if err != nil {
		return err
	}
	b, err := s.store.GetBackup(ctx, backupID)
	if err != nil || b.DatabaseID != sub.ID {
		return fmt.Errorf("backup %s of %s: %w", backupID, sub.Name, schema.ErrNotFound)
	}
	if b.Status != release.BackupSucceeded {
		return stateErr("backup %s is %s; only a verified backup can be restored", b.ID, b.Status)
	}
	run, err := s.temporal.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID: workflows.RestoreID(sub.Name, b.ID), TaskQueue: workflows.TaskQueue,
		TypedSearchAttributes: appAttrs(app.Name, "restore", ""), StaticSummary: "restore " + b.ID + " into " + sub.Name,
	}, workflows.RestoreWorkflow, workflows.RestoreInput{BackupID: b.ID, DatabaseID: sub.ID, Database: sub.Name, TargetID: sub.ID, HostQueue: s.hostQueueOf(sub.Host)})
	if err != nil {
		return fmt.Errorf("start the restore: %w: %v", ErrUnavailable, err)
	}
	s.audit(ctx, AuditRestore, sub.TeamID, sub.Name, nil, map[string]any{"backup": b.ID, "into": sub.Name})
	if err := run.Get(ctx, nil); err != nil {
		return errorf(KindState, "restore of %s into %s failed: %s", b.ID, sub.Name, workflows.Cause(err))
	}
	return nil
}

// dropVolumeSchedules removes the backup schedules of app's volumes named
// (all of them when names is empty), so none runs for a volume that is
// gone. Their backups' copies stay where they are.
func (s *Apps) dropVolumeSchedules(ctx context.Context, app *schema.App, names ...string) error {
	vs, err := s.store.ListVolumes(ctx, app.ID)
	if err != nil {
		return err
	}
	for _, v := range vs {
		if len(names) > 0 && v.Name != names[0] {
			continue
		}
		if p, err := s.store.GetPolicy(ctx, v.ID); err != nil {
			return err
		} else if p.Cron == "" {
			continue // never scheduled
		}
		if err := s.syncBackupSchedule(ctx, backupSubject{ID: v.ID, Name: app.Name + "/" + v.Name}, "", ""); err != nil {
			return err
		}
	}
	return nil
}
