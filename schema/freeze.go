package schema

import (
	"context"
	"fmt"
	"time"

	"github.com/rivetr/rivetr/internal/release"
)

// FreezeWindow stops deploys for a while: once (Start to End) or on a
// recurring schedule (a cron expression in a time zone, each time lasting
// Duration). AppID scopes it to one app; Environment (with TeamID) to every
// app of that team's environment; neither freezes the whole instance.
type FreezeWindow struct {
	ID     string `gorm:"primaryKey;size:32" json:"id"`
	AppID  string `gorm:"size:32;index" json:"app_id,omitempty"`
	TeamID string `gorm:"size:32;index" json:"team_id,omitempty"`
	// Environment is the environment name the window freezes (AppID empty).
	Environment string `gorm:"size:63;not null;default:''" json:"environment,omitempty"`
	Reason      string `json:"reason"`
	// One-off.
	Start *time.Time `json:"start,omitempty"`
	End   *time.Time `json:"end,omitempty"`
	// Recurring.
	Cron     string               `gorm:"size:255" json:"cron,omitempty"`
	Duration Duration             `json:"duration,omitempty"`
	TZ       string               `gorm:"size:64" json:"tz,omitempty"`
	Policy   release.FreezePolicy `gorm:"size:16" json:"policy"`
	// BlockRollbacks makes rollbacks wait too (by default they may run).
	BlockRollbacks bool      `json:"block_rollbacks,omitempty"`
	CreatedBy      string    `gorm:"size:255" json:"created_by"`
	CreatedAt      time.Time `json:"created_at"`
}

// Rule is the window as the freeze rules see it (see release.Window).
func (w *FreezeWindow) Rule() release.Window {
	return release.Window{
		ID: w.ID, Scope: release.Scope{AppID: w.AppID, TeamID: w.TeamID, Environment: w.Environment}, Reason: w.Reason,
		Start: w.Start, End: w.End, Cron: w.Cron, Duration: w.Duration.D(), TZ: w.TZ, Policy: w.Policy, BlockRollbacks: w.BlockRollbacks,
	}
}

// Rules returns the windows as the freeze rules see them.
func Rules(ws []FreezeWindow) []release.Window {
	out := make([]release.Window, len(ws))
	for i := range ws {
		out[i] = ws[i].Rule()
	}
	return out
}

// Target is the app as scoped rules see it (see release.Scope).
func (app *App) Target() release.Target {
	return release.Target{AppID: app.ID, TeamID: app.TeamID, Environment: app.Environment}
}

// CreateFreeze stores a window.
func (s *Store) CreateFreeze(ctx context.Context, w *FreezeWindow) error {
	return wrap(s.db.WithContext(ctx).Create(w).Error, "freeze window")
}

// ListFreezes returns the windows of the given apps, the environment
// windows of the given teams, and the instance-wide ones (all windows when
// appIDs is nil), oldest first.
func (s *Store) ListFreezes(ctx context.Context, appIDs, teamIDs []string) ([]FreezeWindow, error) {
	q := s.db.WithContext(ctx).Order("created_at")
	if appIDs != nil {
		q = q.Where("(app_id = '' AND environment = '') OR (app_id <> '' AND app_id IN ?) OR (app_id = '' AND environment <> '' AND team_id IN ?)",
			append(append([]string(nil), appIDs...), ""), append(append([]string(nil), teamIDs...), ""))
	}
	var out []FreezeWindow
	return out, wrap(q.Find(&out).Error, "freeze windows")
}

// FreezesFor returns the windows that apply to app: its own, its
// environment's and the instance's (release.Scope.AppliesTo in SQL).
func (s *Store) FreezesFor(ctx context.Context, app *App) ([]FreezeWindow, error) {
	var out []FreezeWindow
	err := s.db.WithContext(ctx).Where("(app_id = '' AND environment = '') OR app_id = ? OR (app_id = '' AND environment <> '' AND team_id = ? AND environment = ?)",
		app.ID, app.TeamID, app.Environment).Order("created_at").Find(&out).Error
	return out, wrap(err, "freeze windows")
}

// GetFreeze finds a window.
func (s *Store) GetFreeze(ctx context.Context, id string) (*FreezeWindow, error) {
	var w FreezeWindow
	if err := s.db.WithContext(ctx).Where("id = ?", id).First(&w).Error; err != nil {
		return nil, wrap(err, "freeze window "+id)
	}
	return &w, nil
}

// DeleteFreeze removes a window.
func (s *Store) DeleteFreeze(ctx context.Context, id string) error {
	res := s.db.WithContext(ctx).Where("id = ?", id).Delete(&FreezeWindow{})
	if res.Error == nil && res.RowsAffected == 0 {
		return fmt.Errorf("freeze window %s: %w", id, ErrNotFound)
	}
	return wrap(res.Error, "freeze window")
}
