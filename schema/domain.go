package schema

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"gorm.io/gorm"
)

// Domain is a host name an app answers to. Its primary key makes a host
// belong to one app at most, however two requests race to take it; the
// app's Domains list is the order the app shows them in.
type Domain struct {
	Host      string `gorm:"primaryKey;size:253"`
	AppID     string `gorm:"size:32;index;not null"`
	CreatedAt time.Time
}

// DomainTakenError says a host is another app's.
type DomainTakenError struct{ Host string }

func (e *DomainTakenError) Error() string { return e.Host + " is already served by another app" }

// Is makes a DomainTakenError an ErrConflict.
func (e *DomainTakenError) Is(target error) bool { return target == ErrConflict }

// syncDomains makes the domains table hold exactly app's domains for app,
// in tx; a host another app holds is a *DomainTakenError.
func syncDomains(tx *gorm.DB, app *App) error {
	q := tx.Where("app_id = ?", app.ID)
	if len(app.Domains) > 0 {
		q = q.Where("host NOT IN ?", app.Domains)
	}
	if err := q.Delete(&Domain{}).Error; err != nil {
		return wrap(err, "domains of "+app.Name)
	}
	for _, h := range app.Domains {
		var d Domain
		err := tx.Where("host = ?", h).First(&d).Error
		switch {
		case err == nil && d.AppID == app.ID:
			continue
		case err == nil:
			return &DomainTakenError{Host: h}
		case !errors.Is(err, gorm.ErrRecordNotFound):
			return wrap(err, "domain "+h)
		}
		if err := tx.Create(&Domain{Host: h, AppID: app.ID, CreatedAt: time.Now().UTC()}).Error; err != nil {
			if errors.Is(err, gorm.ErrDuplicatedKey) {
				return &DomainTakenError{Host: h} // taken meanwhile
			}
			return wrap(err, "domain "+h)
		}
	}
	return nil
}

// DomainOwner returns the ID of the app serving host: the app with host
// as a domain, else the one with the wildcard covering it (*.example.com
// covers a.example.com, not a.b.example.com).
func (s *Store) DomainOwner(ctx context.Context, host string) (string, error) {
	_, id, err := s.DomainEntry(ctx, host)
	return id, err
}

// DomainEntry is the domain serving host (host itself, or the wildcard
// covering it) and its app's ID.
func (s *Store) DomainEntry(ctx context.Context, host string) (entry, appID string, err error) {
	cands := []string{host}
	if i := strings.IndexByte(host, '.'); i > 0 && !strings.HasPrefix(host, "*.") {
		cands = append(cands, "*"+host[i:])
	}
	var ds []Domain
	if err := s.db.WithContext(ctx).Where("host IN ?", cands).Find(&ds).Error; err != nil {
		return "", "", wrap(err, fmt.Sprintf("domain %s", host))
	}
	for _, c := range cands {
		for _, d := range ds {
			if d.Host == c {
				return d.Host, d.AppID, nil
			}
		}
	}
	return "", "", wrap(gorm.ErrRecordNotFound, fmt.Sprintf("domain %s", host))
}
