package schema

import (
	"context"
	"fmt"
	"time"

	"github.com/rivetr/rivetr/internal/ids"
)

// Volume is a named volume an app's containers mount at Path, kept across
// deploys, rollbacks and restarts (release.CheckVolume holds the rules;
// release.AppVolume names it on Docker). An app's volume names and paths
// are each unique, which the table's keys settle however requests race.
type Volume struct {
	// ID names the volume for its backups (their records and policy are
	// keyed by it, like a database's by its ID).
	ID        string `gorm:"size:32;uniqueIndex:idx_volume_id"`
	AppID     string `gorm:"primaryKey;size:32;uniqueIndex:idx_volume_path,priority:1"`
	Name      string `gorm:"primaryKey;size:63"`
	Path      string `gorm:"size:255;not null;uniqueIndex:idx_volume_path,priority:2"`
	CreatedAt time.Time
}

// CreateVolume records a volume; a name or path the app already uses is an
// ErrConflict.
func (s *Store) CreateVolume(ctx context.Context, v *Volume) error {
	if v.ID == "" {
		v.ID = ids.New()
	}
	return wrap(s.db.WithContext(ctx).Create(v).Error, "volume "+v.Name+" at "+v.Path)
}

// ListVolumes returns an app's volumes by name.
func (s *Store) ListVolumes(ctx context.Context, appID string) ([]Volume, error) {
	var vs []Volume
	err := s.db.WithContext(ctx).Where("app_id = ?", appID).Order("name").Find(&vs).Error
	return vs, wrap(err, "list volumes")
}

// GetVolume finds a volume by its ID.
func (s *Store) GetVolume(ctx context.Context, id string) (*Volume, error) {
	var v Volume
	if err := s.db.WithContext(ctx).Where("id = ?", id).First(&v).Error; err != nil {
		return nil, wrap(err, "volume "+id)
	}
	return &v, nil
}

// DeleteVolume removes a volume's record (its data is the caller's to
// remove from Docker).
func (s *Store) DeleteVolume(ctx context.Context, appID, name string) error {
	res := s.db.WithContext(ctx).Where("app_id = ? AND name = ?", appID, name).Delete(&Volume{})
	if res.Error == nil && res.RowsAffected == 0 {
		return fmt.Errorf("volume %s: %w", name, ErrNotFound)
	}
	return wrap(res.Error, "delete volume")
}
