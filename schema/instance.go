package schema

import (
	"context"
	"time"

	"gorm.io/gorm/clause"

	"github.com/rivetr/rivetr/internal/ids"
)

// Instance is the one row naming this Rivetr installation: its ID labels
// what it creates on a Docker engine (rivetr.instance), so that two
// installations sharing an engine never take each other's containers,
// volumes or images for their own.
type Instance struct {
	Key       int    `gorm:"primaryKey;autoIncrement:false"`
	ID        string `gorm:"size:32;not null"`
	CreatedAt time.Time
}

func (Instance) TableName() string { return "instance" }

// InstanceID returns this installation's ID, made on first use (by
// whichever process asks first: server and agents share it).
func (s *Store) InstanceID(ctx context.Context) (string, error) {
	err := s.db.WithContext(ctx).Clauses(clause.OnConflict{DoNothing: true}).
		Create(&Instance{Key: 1, ID: ids.New(), CreatedAt: time.Now().UTC()}).Error
	if err != nil {
		return "", wrap(err, "instance")
	}
	var in Instance
	if err := s.db.WithContext(ctx).First(&in, "key = ?", 1).Error; err != nil {
		return "", wrap(err, "instance")
	}
	return in.ID, nil
}
