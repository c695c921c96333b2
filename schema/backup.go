package schema

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/rivetr/rivetr/internal/release"
	"github.com/rivetr/rivetr/internal/secrets"
)

// BackupPolicy says where a database's backups go, when they are taken and
// how long they are kept. A database without one keeps its backups on
// its host's disk, the newest 7.
type BackupPolicy struct {
	DatabaseID string `gorm:"primaryKey;size:32" json:"-"`
	// Cron and TZ schedule backups (a Temporal Schedule); empty: only on
	// demand.
	Cron     string `gorm:"size:255" json:"cron,omitempty"`
	TZ       string `gorm:"size:64" json:"tz,omitempty"`
	KeepLast int    `json:"keep_last"`
	KeepDays int    `json:"keep_days"`
	// Local keeps a copy in <data-dir>/backups on the database's host.
	Local bool `json:"local"`
	// S3 settings; the secret key is sealed and write-only.
	S3Endpoint  string `gorm:"size:255" json:"s3_endpoint,omitempty"`
	S3Region    string `gorm:"size:64" json:"s3_region,omitempty"`
	S3Bucket    string `gorm:"size:255" json:"s3_bucket,omitempty"`
	S3Prefix    string `gorm:"size:255" json:"s3_prefix,omitempty"`
	S3AccessKey string `gorm:"size:255" json:"s3_access_key,omitempty"`
	S3SecretKey string `json:"-"`
	S3PathStyle bool   `json:"s3_path_style,omitempty"`
	// NotifyURL receives a JSON message (Slack- and Discord-compatible)
	// when a backup or restore fails.
	NotifyURL string    `gorm:"size:1024" json:"notify_url,omitempty"`
	UpdatedAt time.Time `json:"updated_at"`
}

// DefaultPolicy is the policy of a database that has none.
func DefaultPolicy(dbID string) BackupPolicy {
	return BackupPolicy{DatabaseID: dbID, KeepLast: 7, Local: true}
}

// Backup is one backup of a database.
type Backup struct {
	ID         string               `gorm:"primaryKey;size:32" json:"id"`
	DatabaseID string               `gorm:"size:32;index;not null" json:"database_id"`
	Status     release.BackupStatus `gorm:"size:16;not null" json:"status"`
	Trigger    string               `gorm:"size:16" json:"trigger"`
	// Kind is dump (the engine's own dump) or volume (a tar of the data
	// volume, taken with the database stopped).
	Kind       release.BackupKind `gorm:"size:16" json:"kind"`
	Key        string             `gorm:"size:255" json:"key"`
	Size       int64              `json:"size"`
	SHA256     string             `gorm:"size:64" json:"sha256,omitempty"`
	Locations  []string           `gorm:"serializer:json" json:"locations,omitempty"`
	Error      string             `json:"error,omitempty"`
	StartedAt  time.Time          `json:"started_at"`
	FinishedAt *time.Time         `json:"finished_at,omitempty"`
}

// GetPolicy returns a database's backup policy (the default when it has
// none), with the S3 secret key still sealed.
func (s *Store) GetPolicy(ctx context.Context, dbID string) (*BackupPolicy, error) {
	var p BackupPolicy
	err := wrap(s.db.WithContext(ctx).Where("database_id = ?", dbID).First(&p).Error, "backup policy")
	if errors.Is(err, ErrNotFound) {
		d := DefaultPolicy(dbID)
		return &d, nil
	}
	if err != nil {
		return nil, err
	}
	return &p, nil
}

// SavePolicy stores a policy, sealing a new S3 secret key.
func (s *Store) SavePolicy(ctx context.Context, p *BackupPolicy) error {
	if p.S3SecretKey != "" && !secrets.IsSealed(p.S3SecretKey) {
		sealed, err := s.keys.Seal(p.S3SecretKey, "backup-policy:"+p.DatabaseID+":s3_secret_key")
		if err != nil {
			return fmt.Errorf("seal the S3 secret key: %w", err)
		}
		p.S3SecretKey = sealed
	}
	return wrap(s.db.WithContext(ctx).Save(p).Error, "backup policy")
}

// S3SecretKey opens a policy's sealed S3 secret key.
func (s *Store) S3SecretKey(p *BackupPolicy) (string, error) {
	v, err := s.keys.Open(p.S3SecretKey, "backup-policy:"+p.DatabaseID+":s3_secret_key")
	if err != nil {
		return "", fmt.Errorf("S3 secret key: %w", err)
	}
	return v, nil
}

// CreateBackup records a backup (ErrConflict when its ID exists: a
// retried step).
func (s *Store) CreateBackup(ctx context.Context, b *Backup) error {
	return wrap(s.db.WithContext(ctx).Create(b).Error, "backup "+b.ID)
}

// GetBackup finds a backup.
func (s *Store) GetBackup(ctx context.Context, id string) (*Backup, error) {
	var b Backup
	if err := s.db.WithContext(ctx).Where("id = ?", id).First(&b).Error; err != nil {
		return nil, wrap(err, "backup "+id)
	}
	return &b, nil
}

// ListBackups returns a database's backups, newest first.
func (s *Store) ListBackups(ctx context.Context, dbID string) ([]Backup, error) {
	var out []Backup
	err := s.db.WithContext(ctx).Where("database_id = ?", dbID).Order("started_at DESC, id DESC").Find(&out).Error
	return out, wrap(err, "backups")
}

// SaveBackup writes every field of a backup.
func (s *Store) SaveBackup(ctx context.Context, b *Backup) error {
	return wrap(s.db.WithContext(ctx).Save(b).Error, "backup "+b.ID)
}
