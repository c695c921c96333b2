package schema

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm"
)

// Environment is a stage apps of a team are deployed to (production,
// staging, …). A team plays the part of a project: environment names are
// unique within it. Its release policy applies to every app placed in it,
// on top of the app's own (see EffectiveApproval), and freeze windows can
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

// ApprovalPolicy is the approval gate one deploy meets.
type ApprovalPolicy struct {
	Required  bool     `json:"required"`
	Needed    int      `json:"approvals_needed,omitempty"`
	AllowSelf bool     `json:"allow_self_approval,omitempty"`
	TTL       Duration `json:"approval_ttl,omitempty"`
}

// EffectiveApproval combines an app's approval policy with its
// environment's (env may be nil): the stricter wins. Approval is required
// when either requires it; the most approvals either asks for are needed;
// the requester may approve their own deploy only when every policy that
// requires approval allows it; and the shortest wait applies.
func EffectiveApproval(app *App, env *Environment) ApprovalPolicy {
	var p ApprovalPolicy
	add := func(required bool, needed int, self bool, ttl Duration) {
		if !required {
			return
		}
		needed = max(needed, 1)
		if !p.Required {
			p = ApprovalPolicy{Required: true, Needed: needed, AllowSelf: self, TTL: ttl}
			return
		}
		p.Needed = max(p.Needed, needed)
		p.AllowSelf = p.AllowSelf && self
		if ttl > 0 && (p.TTL <= 0 || ttl < p.TTL) {
			p.TTL = ttl
		}
	}
	add(app.RequireApproval, app.ApprovalsNeeded, app.AllowSelfApproval, app.ApprovalTTL)
	if env != nil {
		add(env.RequireApproval, env.ApprovalsNeeded, env.AllowSelfApproval, env.ApprovalTTL)
	}
	return p
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
			return fmt.Errorf("environment %s still has %d apps (move them to another environment first): %w", name, n, ErrConflict)
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
