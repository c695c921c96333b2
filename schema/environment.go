package schema

import (
	"context"
	"fmt"
	"time"

	"github.com/rivetr/rivetr/internal/release"
	"gorm.io/gorm"
)

// Environment is a stage apps of a team are deployed to (production,
// staging, …). A team plays the part of a project: environment names are
// unique within it. Its release policy applies to every app placed in it,
// on top of the app's own (see release.EffectiveApproval), and freeze windows can
// be scoped to it.
type Environment struct {
	ID     string `gorm:"primaryKey;size:32" json:"id"`
	TeamID string `gorm:"size:32;uniqueIndex:idx_environment_team_name;not null" json:"team_id"`
	Name   string `gorm:"size:63;uniqueIndex:idx_environment_team_name;not null" json:"name"`
	// The approval policy; the same fields as App's.
	RequireApproval   bool      `json:"require_approval"`
	ApprovalsNeeded   int       `json:"approvals_needed"`
	AllowSelfApproval bool      `json:"allow_self_approval"`
	ApprovalTTL       Duration  `json:"approval_ttl"`
	CreatedAt         time.Time `json:"created_at"`
	UpdatedAt         time.Time `json:"updated_at"`
}

// ApprovalPolicy is the environment's approval gate.
func (e *Environment) ApprovalPolicy() release.ApprovalPolicy {
	return release.ApprovalPolicy{Required: e.RequireApproval, Needed: e.ApprovalsNeeded, AllowSelf: e.AllowSelfApproval, TTL: e.ApprovalTTL.D()}
}

// ApprovalPolicy is the app's own approval gate.
func (app *App) ApprovalPolicy() release.ApprovalPolicy {
	return release.ApprovalPolicy{Required: app.RequireApproval, Needed: app.ApprovalsNeeded, AllowSelf: app.AllowSelfApproval, TTL: app.ApprovalTTL.D()}
}

// EffectiveApproval is the approval gate app's deploys meet: its own
// policy and its environment's (env may be nil) combined by
// release.EffectiveApproval.
func EffectiveApproval(app *App, env *Environment) release.ApprovalPolicy {
	if env == nil {
		return release.EffectiveApproval(app.ApprovalPolicy())
	}
	return release.EffectiveApproval(app.ApprovalPolicy(), env.ApprovalPolicy())
}

// CreateEnvironment stores an environment; ErrConflict when its team has
// one by that name.
func (s *Store) CreateEnvironment(ctx context.Context, e *Environment) error {
	return wrap(s.db.WithContext(ctx).Create(e).Error, "environment "+e.Name)
}

// GetEnvironment finds a team's environment by name.
func (s *Store) GetEnvironment(ctx context.Context, teamID, name string) (*Environment, error) {
	var e Environment
	if err := s.db.WithContext(ctx).Where("team_id = ? AND name = ?", teamID, name).First(&e).Error; err != nil {
		return nil, wrap(err, "environment "+name)
	}
	return &e, nil
}

// ListEnvironments returns the environments of the given teams by name.
func (s *Store) ListEnvironments(ctx context.Context, teamIDs []string) ([]Environment, error) {
	if len(teamIDs) == 0 {
		return nil, nil
	}
	var out []Environment
	err := s.db.WithContext(ctx).Where("team_id IN ?", teamIDs).Order("name").Find(&out).Error
	return out, wrap(err, "environments")
}

// SaveEnvironment writes every field of e.
func (s *Store) SaveEnvironment(ctx context.Context, e *Environment) error {
	return wrap(s.db.WithContext(ctx).Save(e).Error, "environment "+e.Name)
}

// DeleteEnvironment removes a team's environment and the freeze windows
// scoped to it; ErrConflict while apps are still in it.
func (s *Store) DeleteEnvironment(ctx context.Context, teamID, name string) error {
	return s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var n int64
		if err := tx.Model(&App{}).Where("team_id = ? AND environment = ?", teamID, name).Count(&n).Error; err != nil {
			return wrap(err, "delete environment")
		}
		if n > 0 {
			return &InUseError{Reason: fmt.Sprintf("environment %s still has %d apps (move them to another environment first)", name, n)}
		}
		if err := tx.Where("team_id = ? AND environment = ?", teamID, name).Delete(&FreezeWindow{}).Error; err != nil {
			return wrap(err, "delete environment")
		}
		res := tx.Where("team_id = ? AND name = ?", teamID, name).Delete(&Environment{})
		if res.Error == nil && res.RowsAffected == 0 {
			return fmt.Errorf("environment %s: %w", name, ErrNotFound)
		}
		return wrap(res.Error, "delete environment")
	})
}
