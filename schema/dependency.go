package schema

import (
	"context"
	"fmt"
	"time"

	"github.com/rivetr/rivetr/internal/release"
)

// Dependency says app AppID needs the database or app TargetID (see
// release.DepKind). The key makes each one once.
type Dependency struct {
	AppID     string          `gorm:"primaryKey;size:32"`
	Kind      release.DepKind `gorm:"primaryKey;size:16"`
	TargetID  string          `gorm:"primaryKey;size:32;index:idx_dependency_target"`
	CreatedAt time.Time
}

// AddDependency records a dependency (ErrConflict when it exists).
func (s *Store) AddDependency(ctx context.Context, d *Dependency) error {
	return wrap(s.db.WithContext(ctx).Create(d).Error, "dependency")
}

// RemoveDependency deletes a dependency.
func (s *Store) RemoveDependency(ctx context.Context, appID string, kind release.DepKind, targetID string) error {
	res := s.db.WithContext(ctx).Where("app_id = ? AND kind = ? AND target_id = ?", appID, kind, targetID).Delete(&Dependency{})
	if res.Error == nil && res.RowsAffected == 0 {
		return fmt.Errorf("dependency: %w", ErrNotFound)
	}
	return wrap(res.Error, "remove dependency")
}

// ListDependencies returns what app appID needs.
func (s *Store) ListDependencies(ctx context.Context, appID string) ([]Dependency, error) {
	var out []Dependency
	err := s.db.WithContext(ctx).Where("app_id = ?", appID).Order("kind, target_id").Find(&out).Error
	return out, wrap(err, "dependencies")
}

// Dependents returns the dependencies on the database or app targetID:
// who needs it.
func (s *Store) Dependents(ctx context.Context, kind release.DepKind, targetID string) ([]Dependency, error) {
	var out []Dependency
	err := s.db.WithContext(ctx).Where("kind = ? AND target_id = ?", kind, targetID).Order("app_id").Find(&out).Error
	return out, wrap(err, "dependents")
}

// TeamDependencies returns the dependencies of a team's apps.
func (s *Store) TeamDependencies(ctx context.Context, teamID string) ([]Dependency, error) {
	var out []Dependency
	err := s.db.WithContext(ctx).Where("app_id IN (?)", s.db.Model(&App{}).Select("id").Where("team_id = ?", teamID)).Order("app_id, kind, target_id").Find(&out).Error
	return out, wrap(err, "dependencies")
}
