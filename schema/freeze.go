package schema

import (
	"context"
	"fmt"
	"time"

	"github.com/robfig/cron/v3"
)

// Freeze policies: a deploy that meets a freeze waits for its end, or is
// refused at once.
const (
	FreezeWait   = "wait"
	FreezeReject = "reject"
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
	Cron     string   `gorm:"size:255" json:"cron,omitempty"`
	Duration Duration `json:"duration,omitempty"`
	TZ       string   `gorm:"size:64" json:"tz,omitempty"`
	Policy   string   `gorm:"size:16" json:"policy"`
	// BlockRollbacks makes rollbacks wait too (by default they may run).
	BlockRollbacks bool      `json:"block_rollbacks,omitempty"`
	CreatedBy      string    `gorm:"size:255" json:"created_by"`
	CreatedAt      time.Time `json:"created_at"`
}

var cronParser = cron.NewParser(cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow | cron.Descriptor)

// ParseCron checks a recurring window's schedule and time zone.
func ParseCron(expr, tz string) (cron.Schedule, *time.Location, error) {
	loc, err := time.LoadLocation(tz)
	if err != nil {
		return nil, nil, fmt.Errorf("time zone %q: %w", tz, err)
	}
	s, err := cronParser.Parse(expr)
	if err != nil {
		return nil, nil, fmt.Errorf("cron %q: %w", expr, err)
	}
	return s, loc, nil
}

// ActiveAt reports whether the window covers t, and until when.
func (w *FreezeWindow) ActiveAt(t time.Time) (bool, time.Time) {
	if w.Cron == "" {
		if w.Start != nil && w.End != nil && !t.Before(*w.Start) && t.Before(*w.End) {
			return true, *w.End
		}
		return false, time.Time{}
	}
	s, loc, err := ParseCron(w.Cron, w.TZ)
	if err != nil || w.Duration <= 0 {
		return false, time.Time{}
	}
	// The latest start at or before t is the first start after t-Duration
	// (windows of one schedule do not overlap).
	start := s.Next(t.In(loc).Add(-w.Duration.D() - time.Second))
	if !start.After(t) {
		if end := start.Add(w.Duration.D()); t.Before(end) {
			return true, end
		}
	}
	return false, time.Time{}
}

// NextAfter returns the window's next start and end after t (the current
// one if it is active at t); ok is false when it has none.
func (w *FreezeWindow) NextAfter(t time.Time) (start, end time.Time, ok bool) {
	if active, until := w.ActiveAt(t); active {
		if w.Cron == "" {
			return *w.Start, until, true
		}
		return until.Add(-w.Duration.D()), until, true
	}
	if w.Cron == "" {
		if w.Start != nil && w.End != nil && w.Start.After(t) {
			return *w.Start, *w.End, true
		}
		return time.Time{}, time.Time{}, false
	}
	s, loc, err := ParseCron(w.Cron, w.TZ)
	if err != nil {
		return time.Time{}, time.Time{}, false
	}
	start = s.Next(t.In(loc))
	return start, start.Add(w.Duration.D()), !start.IsZero()
}

// Occurrences lists the window's times that overlap [from, to), at most
// limit of them, in order: the current one first if it is active at from.
func (w *FreezeWindow) Occurrences(from, to time.Time, limit int) []Occurrence {
	var out []Occurrence
	t := from
	for len(out) < limit {
		start, end, ok := w.NextAfter(t)
		if !ok || !start.Before(to) {
			break
		}
		out = append(out, Occurrence{Start: start, End: end})
		if w.Cron == "" || !end.After(t) {
			break
		}
		t = end
	}
	return out
}

// Occurrence is one time a freeze window is in force.
type Occurrence struct {
	Start time.Time `json:"start"`
	End   time.Time `json:"end"`
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

// AppliesTo reports whether the window freezes app: it is the app's own,
// its environment's (in its team) or the instance's. FreezesFor asks the
// database the same question.
func (w *FreezeWindow) AppliesTo(app *App) bool {
	switch {
	case w.AppID != "":
		return w.AppID == app.ID
	case w.Environment != "":
		return w.TeamID == app.TeamID && w.Environment == app.Environment
	}
	return true
}

// FreezesFor returns the windows that apply to app: its own, its
// environment's and the instance's.
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
