package schema

import (
	"context"
	"fmt"
	"time"
)

// RecurringDeploy deploys an app's branch head on a schedule (a Temporal
// Schedule with the same ID): a cron expression in a time zone, or a fixed
// interval.
type RecurringDeploy struct {
	ID        string   `gorm:"primaryKey;size:32" json:"id"`
	AppID     string   `gorm:"size:32;index;not null" json:"app_id"`
	TeamID    string   `gorm:"size:32" json:"team_id,omitempty"`
	Cron      string   `gorm:"size:255" json:"cron,omitempty"`
	TZ        string   `gorm:"size:64" json:"tz,omitempty"`
	Every     Duration `json:"every,omitempty"`
	CreatedBy string   `gorm:"size:255" json:"created_by"`
	// CreatedByID is the user who set it up: the requester of its deploys.
	CreatedByID string    `gorm:"size:32;not null;default:''" json:"created_by_id,omitempty"`
	CreatedAt   time.Time `json:"created_at"`
}

// CreateRecurring stores a recurring deploy.
func (s *Store) CreateRecurring(ctx context.Context, r *RecurringDeploy) error {
	return wrap(s.db.WithContext(ctx).Create(r).Error, "recurring deploy")
}

// ListRecurring returns an app's recurring deploys, oldest first.
func (s *Store) ListRecurring(ctx context.Context, appID string) ([]RecurringDeploy, error) {
	var out []RecurringDeploy
	err := s.db.WithContext(ctx).Where("app_id = ?", appID).Order("created_at").Find(&out).Error
	return out, wrap(err, "recurring deploys")
}

// DeleteRecurring removes an app's recurring deploy.
func (s *Store) DeleteRecurring(ctx context.Context, appID, id string) error {
	res := s.db.WithContext(ctx).Where("app_id = ? AND id = ?", appID, id).Delete(&RecurringDeploy{})
	if res.Error == nil && res.RowsAffected == 0 {
		return fmt.Errorf("recurring deploy %s: %w", id, ErrNotFound)
	}
	return wrap(res.Error, "recurring deploy")
}

// GetRecurring returns one recurring deploy.
func (s *Store) GetRecurring(ctx context.Context, id string) (*RecurringDeploy, error) {
	var r RecurringDeploy
	if err := s.db.WithContext(ctx).Where("id = ?", id).First(&r).Error; err != nil {
		return nil, wrap(err, "recurring deploy "+id)
	}
	return &r, nil
}
