package schema

import (
	"context"
	"crypto/rand"
	"encoding/hex"
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
	Host  string `gorm:"primaryKey;size:253"`
	AppID string `gorm:"size:32;index;not null"`
	// RedirectTo, when set, is the app's domain this one sends its
	// visitors to (308, path and query kept): www.example.com →
	// example.com.
	RedirectTo string `gorm:"size:253;not null;default:''"`
	// Token is what proves ownership through DNS: a TXT record
	// _rivetr-challenge.HOST holding "rivetr-verify=TOKEN". A new row
	// gets a new one, so a token shown to one app's team never proves
	// the name for another's.
	Token string `gorm:"size:64;not null;default:''"`
	// VerifiedAt is when ownership was last proven, VerifiedBy how
	// (release.Verified*); nil until then.
	VerifiedAt *time.Time
	VerifiedBy string `gorm:"size:16;not null;default:''"`
	CreatedAt  time.Time
}

// newDomainToken is a fresh verification token.
func newDomainToken() string {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand does not fail on supported platforms
	}
	return hex.EncodeToString(b)
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
	var gone []string
	if err := q.Model(&Domain{}).Pluck("host", &gone).Error; err != nil {
		return wrap(err, "domains of "+app.Name)
	}
	if len(gone) > 0 {
		// An uploaded certificate goes with its domain: whoever takes
		// the name next never gets this app's key.
		if err := tx.Where("host IN ?", gone).Delete(&CustomCert{}).Error; err != nil {
			return wrap(err, "certificates of "+app.Name)
		}
		if err := tx.Where("app_id = ? AND host IN ?", app.ID, gone).Delete(&Domain{}).Error; err != nil {
			return wrap(err, "domains of "+app.Name)
		}
		if err := tx.Model(&Domain{}).Where("app_id = ? AND redirect_to IN ?", app.ID, gone).Update("redirect_to", "").Error; err != nil {
			return wrap(err, "domains of "+app.Name)
		}
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
		if err := tx.Create(&Domain{Host: h, AppID: app.ID, Token: newDomainToken(), CreatedAt: time.Now().UTC()}).Error; err != nil {
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

// AppDomains returns the domain rows of an app, by host.
func (s *Store) AppDomains(ctx context.Context, appID string) ([]Domain, error) {
	var ds []Domain
	err := s.db.WithContext(ctx).Where("app_id = ?", appID).Order("host").Find(&ds).Error
	return ds, wrap(err, "domains of app "+appID)
}

// GetDomain returns the domain row of host (exactly: no wildcard).
func (s *Store) GetDomain(ctx context.Context, host string) (*Domain, error) {
	var d Domain
	if err := s.db.WithContext(ctx).Where("host = ?", host).First(&d).Error; err != nil {
		return nil, wrap(err, "domain "+host)
	}
	return &d, nil
}

// SetDomainRedirect makes appID's domain host redirect to target ("":
// serve the app again). The caller checks target is another of the
// app's domains that redirects nowhere.
func (s *Store) SetDomainRedirect(ctx context.Context, appID, host, target string) error {
	res := s.db.WithContext(ctx).Model(&Domain{}).Where("host = ? AND app_id = ?", host, appID).Update("redirect_to", target)
	if res.Error == nil && res.RowsAffected == 0 {
		return fmt.Errorf("domain %s: %w", host, ErrNotFound)
	}
	return wrap(res.Error, "domain "+host)
}

// DomainVerified records that host's ownership was proven now, by how.
func (s *Store) DomainVerified(ctx context.Context, host, how string) error {
	now := time.Now().UTC()
	res := s.db.WithContext(ctx).Model(&Domain{}).Where("host = ?", host).Updates(map[string]any{"verified_at": now, "verified_by": how})
	if res.Error == nil && res.RowsAffected == 0 {
		return fmt.Errorf("domain %s: %w", host, ErrNotFound)
	}
	return wrap(res.Error, "domain "+host)
}

// CustomCert is a certificate an app's team uploaded for one of its
// domains (a wildcard domain's covers its names): served instead of one
// from the CA, never renewed by Rivetr. The key is sealed.
type CustomCert struct {
	Host  string `gorm:"primaryKey;size:253"`
	AppID string `gorm:"size:32;index;not null"`
	// CertPEM is the leaf then its chain.
	CertPEM string `gorm:"type:text;not null"`
	KeyPEM  string `gorm:"type:text;not null"`
	Issuer  string `gorm:"size:255"`
	// Names are the certificate's DNS names, comma-separated.
	Names      string `gorm:"type:text"`
	NotBefore  time.Time
	NotAfter   time.Time
	UploadedBy string `gorm:"size:255"`
	UploadedAt time.Time
}

func customCertContext(host string) string { return "custom-cert:" + host }

// PutCustomCert stores c (its key sealed), replacing host's earlier one,
// if host is still c.AppID's domain.
func (s *Store) PutCustomCert(ctx context.Context, c *CustomCert) error {
	if s.keys == nil {
		return errors.New("uploaded certificates: no secret key to seal private keys with")
	}
	sealed, err := s.keys.Seal(c.KeyPEM, customCertContext(c.Host))
	if err != nil {
		return err
	}
	row := *c
	row.KeyPEM = sealed
	return s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var d Domain
		if err := tx.Where("host = ? AND app_id = ?", c.Host, c.AppID).First(&d).Error; err != nil {
			return wrap(err, "domain "+c.Host)
		}
		if err := tx.Where("host = ?", c.Host).Delete(&CustomCert{}).Error; err != nil {
			return wrap(err, "certificate of "+c.Host)
		}
		return wrap(tx.Create(&row).Error, "certificate of "+c.Host)
	})
}

// GetCustomCert returns host's uploaded certificate with its key opened;
// ErrNotFound when there is none.
func (s *Store) GetCustomCert(ctx context.Context, host string) (*CustomCert, error) {
	var c CustomCert
	if err := s.db.WithContext(ctx).Where("host = ?", host).First(&c).Error; err != nil {
		return nil, wrap(err, "certificate of "+host)
	}
	key, err := s.keys.Open(c.KeyPEM, customCertContext(host))
	if err != nil {
		return nil, err
	}
	c.KeyPEM = key
	return &c, nil
}

// CustomCerts returns the uploaded certificates of hosts, keys left out.
func (s *Store) CustomCerts(ctx context.Context, hosts []string) ([]CustomCert, error) {
	var out []CustomCert
	if len(hosts) == 0 {
		return out, nil
	}
	err := s.db.WithContext(ctx).Omit("key_pem").Where("host IN ?", hosts).Order("host").Find(&out).Error
	for i := range out {
		out[i].KeyPEM = ""
	}
	return out, wrap(err, "uploaded certificates")
}

// DeleteCustomCert deletes appID's uploaded certificate of host.
func (s *Store) DeleteCustomCert(ctx context.Context, appID, host string) error {
	res := s.db.WithContext(ctx).Where("host = ? AND app_id = ?", host, appID).Delete(&CustomCert{})
	if res.Error == nil && res.RowsAffected == 0 {
		return fmt.Errorf("uploaded certificate of %s: %w", host, ErrNotFound)
	}
	return wrap(res.Error, "certificate of "+host)
}
