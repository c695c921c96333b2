package activities

import (
	"context"
	"errors"
	"time"

	"github.com/rivetr/rivetr/internal/dbengine"
	"github.com/rivetr/rivetr/internal/release"
	"github.com/rivetr/rivetr/schema"
)

// DatabaseRecordStore is what the store steps of databases and backups
// read and write.
type DatabaseRecordStore interface {
	GetDatabase(ctx context.Context, nameOrID string) (*schema.Database, error)
	UpdateDatabaseStatus(ctx context.Context, id string, status release.DBStatus, errText, containerID string) error
	DeleteDatabase(ctx context.Context, id string) error
	CreateBackup(ctx context.Context, b *schema.Backup) error
	GetBackup(ctx context.Context, id string) (*schema.Backup, error)
	SaveBackup(ctx context.Context, b *schema.Backup) error
	GetVolume(ctx context.Context, id string) (*schema.Volume, error)
}

var _ DatabaseRecordStore = (*schema.Store)(nil)

// DatabaseRecords are the store steps of databases and backups: a
// database's state, a backup's record. Workflows run them as local
// activities in the worker of the shared queue.
type DatabaseRecords struct {
	Store DatabaseRecordStore
}

// DBMarkInput records a database's state.
type DBMarkInput struct {
	ID          string
	Status      release.DBStatus
	Error       string
	ContainerID string
	Delete      bool
}

// DBMark records a database's state, or deletes its record.
func (dr *DatabaseRecords) DBMark(ctx context.Context, in DBMarkInput) error {
	if in.Delete {
		err := dr.Store.DeleteDatabase(ctx, in.ID)
		if errors.Is(err, schema.ErrNotFound) {
			return nil
		}
		return err
	}
	return gone(dr.Store.UpdateDatabaseStatus(ctx, in.ID, in.Status, in.Error, in.ContainerID))
}

// BackupStartInput opens a backup's record.
type BackupStartInput struct {
	BackupID   string
	DatabaseID string
	Trigger    string
	// Kind is release.BackupDump (default) or release.BackupVolume.
	Kind release.BackupKind
}

// BackupStart records a backup as running (again, for a retried step).
func (dr *DatabaseRecords) BackupStart(ctx context.Context, in BackupStartInput) error {
	if in.Kind == release.BackupAppVolume {
		return dr.volumeBackupStart(ctx, in)
	}
	d, err := dr.Store.GetDatabase(ctx, in.DatabaseID)
	if err != nil {
		return gone(err)
	}
	e, _ := dbengine.Lookup(d.Engine)
	kind, ext := release.BackupDump, e.DumpExt
	if in.Kind == release.BackupVolume {
		kind, ext = release.BackupVolume, "volume.tar"
	}
	b := &schema.Backup{ID: in.BackupID, DatabaseID: d.ID, Status: release.BackupRunning, Trigger: in.Trigger, Kind: kind, StartedAt: time.Now().UTC(),
		Key: d.Name + "/" + time.Now().UTC().Format("20060102T150405Z") + "-" + in.BackupID + "." + ext + ".gz"}
	if err := dr.Store.CreateBackup(ctx, b); err != nil && !errors.Is(err, schema.ErrConflict) {
		return err
	}
	return nil
}

// volumeBackupStart records a backup of an app's volume (in.DatabaseID is
// the volume's ID), stored under app-volumes/<app ID>/<volume>/.
func (dr *DatabaseRecords) volumeBackupStart(ctx context.Context, in BackupStartInput) error {
	v, err := dr.Store.GetVolume(ctx, in.DatabaseID)
	if err != nil {
		return gone(err)
	}
	now := time.Now().UTC()
	b := &schema.Backup{ID: in.BackupID, DatabaseID: v.ID, Status: release.BackupRunning, Trigger: in.Trigger, Kind: release.BackupAppVolume, StartedAt: now,
		Key: "app-volumes/" + v.AppID + "/" + v.Name + "/" + now.Format("20060102T150405Z") + "-" + in.BackupID + ".tar.gz"}
	if err := dr.Store.CreateBackup(ctx, b); err != nil && !errors.Is(err, schema.ErrConflict) {
		return err
	}
	return nil
}

// BackupResult is a backup that was stored and verified: its size and
// SHA-256, and where each copy is.
type BackupResult struct {
	Size   int64
	SHA256 string
	// Locations name every copy, in the order of the destinations.
	Locations []string
}

// BackupFinishInput closes a backup's record.
type BackupFinishInput struct {
	BackupID string
	Result   *BackupResult
	Error    string
}

// BackupFinish records how a backup ended.
func (dr *DatabaseRecords) BackupFinish(ctx context.Context, in BackupFinishInput) error {
	b, err := backupRecord(ctx, dr.Store, in.BackupID)
	if err != nil {
		return err
	}
	now := time.Now().UTC()
	b.FinishedAt = &now
	if in.Result != nil && in.Error == "" {
		b.Status, b.Size, b.SHA256, b.Locations, b.Error = release.BackupSucceeded, in.Result.Size, in.Result.SHA256, in.Result.Locations, ""
	} else {
		b.Status, b.Error = release.BackupFailed, in.Error
	}
	return dr.Store.SaveBackup(ctx, b)
}
