package schema

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm"

	"github.com/rivetr/rivetr/internal/release"
	"github.com/rivetr/rivetr/internal/secrets"
)

// Database engines.
const (
	EnginePostgres = "postgres"
	EngineMySQL    = "mysql"
	EngineMariaDB  = "mariadb"
	EngineRedis    = "redis"
	EngineMongo    = "mongo"
)

// Database is a database server Rivetr runs for a team: one container of
// an engine's image with a named volume, on its team's network, reachable by
// apps as its Host name.
type Database struct {
	ID      string `gorm:"primaryKey;size:32" json:"id"`
	Name    string `gorm:"uniqueIndex;size:63;not null" json:"name"`
	TeamID  string `gorm:"size:32;index" json:"team_id,omitempty"`
	Engine  string `gorm:"size:16;not null" json:"engine"`
	Version string `gorm:"size:32" json:"version"`
	Image   string `gorm:"size:255;not null" json:"image"`
	// DockerHost names the Docker host (worker) it runs on.
	DockerHost string `gorm:"size:255" json:"docker_host"`
	// User, Password and DBName are what apps connect with; Password (and
	// RootPassword, for MySQL and MariaDB) are sealed.
	User         string `gorm:"size:63" json:"user"`
	Password     string `json:"-"`
	RootPassword string `json:"-"`
	DBName       string `gorm:"size:63" json:"database"`
	// PublicPort publishes the server on the host (0: on its team's network
	// only).
	PublicPort int `json:"public_port,omitempty"`
	// Volume is the data volume (release.DatabaseVolume of the ID; by
	// name for databases from before migration 3).
	Volume      string           `gorm:"size:255;not null;default:''" json:"volume"`
	Status      release.DBStatus `gorm:"size:16;not null" json:"status"`
	Error       string           `json:"error,omitempty"`
	ContainerID string           `gorm:"size:80" json:"container_id,omitempty"`
	CreatedAt   time.Time        `json:"created_at"`
	UpdatedAt   time.Time        `json:"updated_at"`
}

// ContainerName is the database's container, and its name on the network.
func (d *Database) ContainerName() string { return release.DatabaseContainer(d.Name) }

// VolumeName is the database's data volume.
func (d *Database) VolumeName() string {
	if d.Volume != "" {
		return d.Volume
	}
	return release.DatabaseVolume(d.ID)
}

func (s *Store) sealDatabase(d *Database) error {
	for _, f := range []sealedField{{&d.Password, "password"}, {&d.RootPassword, "root_password"}} {
		if *f.v == "" || secrets.IsSealed(*f.v) {
			continue
		}
		sealed, err := s.keys.Seal(*f.v, "database:"+d.ID+":"+f.name)
		if err != nil {
			return fmt.Errorf("seal the %s of %s: %w", f.name, d.Name, err)
		}
		*f.v = sealed
	}
	return nil
}

// DatabasePasswords opens a database's sealed passwords.
func (s *Store) DatabasePasswords(d *Database) (password, root string, err error) {
	if password, err = s.keys.Open(d.Password, "database:"+d.ID+":password"); err != nil {
		return "", "", fmt.Errorf("password of %s: %w", d.Name, err)
	}
	if root, err = s.keys.Open(d.RootPassword, "database:"+d.ID+":root_password"); err != nil {
		return "", "", fmt.Errorf("root password of %s: %w", d.Name, err)
	}
	return password, root, nil
}

// CreateDatabase stores a database, sealing its passwords; ErrConflict when
// the name is taken.
func (s *Store) CreateDatabase(ctx context.Context, d *Database) error {
	if err := s.sealDatabase(d); err != nil {
		return err
	}
	return wrap(s.db.WithContext(ctx).Create(d).Error, "database "+d.Name)
}

// GetDatabase finds a database by name or ID.
func (s *Store) GetDatabase(ctx context.Context, nameOrID string) (*Database, error) {
	var d Database
	if err := s.db.WithContext(ctx).Where("name = ? OR id = ?", nameOrID, nameOrID).First(&d).Error; err != nil {
		return nil, wrap(err, "database "+nameOrID)
	}
	return &d, nil
}

// ListDatabases returns the databases of the given teams (all when nil),
// by name.
func (s *Store) ListDatabases(ctx context.Context, teamIDs []string) ([]Database, error) {
	q := s.db.WithContext(ctx).Order("name")
	if teamIDs != nil {
		q = q.Where("team_id IN ?", append(append([]string(nil), teamIDs...), ""))
	}
	var out []Database
	return out, wrap(q.Find(&out).Error, "databases")
}

// UpdateDatabaseStatus records a database's state (and the error that put
// it there, or "").
func (s *Store) UpdateDatabaseStatus(ctx context.Context, id string, status release.DBStatus, errText, containerID string) error {
	u := map[string]any{"status": status, "error": errText}
	if containerID != "" {
		u["container_id"] = containerID
	}
	res := s.db.WithContext(ctx).Model(&Database{}).Where("id = ?", id).Updates(u)
	if res.Error == nil && res.RowsAffected == 0 {
		return fmt.Errorf("database %s: %w", id, ErrNotFound)
	}
	return wrap(res.Error, "database")
}

// DeleteDatabase removes a database's record, its backup policy and its
// backups' records (their files stay where they were stored).
func (s *Store) DeleteDatabase(ctx context.Context, id string) error {
	return s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		for _, m := range []any{&BackupPolicy{}, &Backup{}} {
			if err := tx.Where("database_id = ?", id).Delete(m).Error; err != nil {
				return wrap(err, "delete database")
			}
		}
		if err := tx.Where("kind = ? AND target_id = ?", release.DepDatabase, id).Delete(&Dependency{}).Error; err != nil {
			return wrap(err, "delete database")
		}
		res := tx.Where("id = ?", id).Delete(&Database{})
		if res.Error == nil && res.RowsAffected == 0 {
			return fmt.Errorf("database %s: %w", id, ErrNotFound)
		}
		return wrap(res.Error, "delete database")
	})
}
