package schema

import (
	"context"
	"encoding/base64"
	"errors"
	"strings"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// CertObject is one object of the certificate storage (certificates,
// their private keys, ACME accounts, OCSP staples), named like a file
// path. Values are sealed: a private key never sits in the database in
// the clear.
type CertObject struct {
	Path     string `gorm:"primaryKey;size:512"`
	Value    string `gorm:"type:text;not null"`
	Size     int64
	Modified time.Time
}

// CertLock is a lock of the certificate storage, held by one process
// until it is released or its lease runs out.
type CertLock struct {
	Name    string `gorm:"primaryKey;size:512"`
	Owner   string `gorm:"size:64;not null"`
	Expires time.Time
}

func certContext(key string) string { return "cert:" + key }

// PutCertObject stores value at key, sealed.
func (s *Store) PutCertObject(ctx context.Context, key string, value []byte) error {
	if s.keys == nil {
		return errors.New("certificate storage: no secret key to seal private keys with")
	}
	sealed, err := s.keys.Seal(base64.StdEncoding.EncodeToString(value), certContext(key))
	if err != nil {
		return err
	}
	o := CertObject{Path: key, Value: sealed, Size: int64(len(value)), Modified: time.Now().UTC()}
	err = s.db.WithContext(ctx).Clauses(clause.OnConflict{
		Columns:   []clause.Column{{Name: "path"}},
		DoUpdates: clause.AssignmentColumns([]string{"value", "size", "modified"}),
	}).Create(&o).Error
	return wrap(err, "certificate storage "+key)
}

// GetCertObject returns the value at key and when it was written;
// ErrNotFound when there is none.
func (s *Store) GetCertObject(ctx context.Context, key string) ([]byte, time.Time, error) {
	var o CertObject
	if err := s.db.WithContext(ctx).Where("path = ?", key).First(&o).Error; err != nil {
		return nil, time.Time{}, wrap(err, "certificate storage "+key)
	}
	plain, err := s.keys.Open(o.Value, certContext(key))
	if err != nil {
		return nil, time.Time{}, err
	}
	b, err := base64.StdEncoding.DecodeString(plain)
	return b, o.Modified, err
}

// CertObjectInfo is a stored object without its value.
type CertObjectInfo struct {
	Path     string
	Size     int64
	Modified time.Time
}

// CertObjects lists the objects at key or under key/ ("" lists all).
func (s *Store) CertObjects(ctx context.Context, key string) ([]CertObjectInfo, error) {
	q := s.db.WithContext(ctx).Model(&CertObject{}).Select("path, size, modified").Order("path")
	if key != "" {
		q = q.Where("path = ? OR path LIKE ? ESCAPE '\\'", key, likePrefix(key+"/"))
	}
	var out []CertObjectInfo
	return out, wrap(q.Find(&out).Error, "certificate storage")
}

// DeleteCertObjects deletes the object at key and every object under
// key/.
func (s *Store) DeleteCertObjects(ctx context.Context, key string) error {
	err := s.db.WithContext(ctx).Where("path = ? OR path LIKE ? ESCAPE '\\'", key, likePrefix(key+"/")).Delete(&CertObject{}).Error
	return wrap(err, "certificate storage "+key)
}

// likePrefix is a LIKE pattern matching strings that start with p.
func likePrefix(p string) string {
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	return r.Replace(p) + "%"
}

// TryCertLock takes the lock name for owner until now+lease: it is free,
// its lease ran out, or owner holds it already (the lease is renewed).
func (s *Store) TryCertLock(ctx context.Context, name, owner string, lease time.Duration) (bool, error) {
	now := time.Now().UTC()
	got := false
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		res := tx.Model(&CertLock{}).Where("name = ? AND (owner = ? OR expires < ?)", name, owner, now).
			Updates(map[string]any{"owner": owner, "expires": now.Add(lease)})
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 1 {
			got = true
			return nil
		}
		res = tx.Clauses(clause.OnConflict{DoNothing: true}).Create(&CertLock{Name: name, Owner: owner, Expires: now.Add(lease)})
		got = res.Error == nil && res.RowsAffected == 1
		return res.Error
	})
	return got, wrap(err, "certificate lock "+name)
}

// ReleaseCertLock releases name if owner holds it.
func (s *Store) ReleaseCertLock(ctx context.Context, name, owner string) error {
	err := s.db.WithContext(ctx).Where("name = ? AND owner = ?", name, owner).Delete(&CertLock{}).Error
	return wrap(err, "certificate lock "+name)
}

// Certificate is what Rivetr knows of a host's certificate: the one
// obtained last, and the last failure to obtain or renew it. Proxies
// write it as certmagic reports; the API reads it.
type Certificate struct {
	Host       string `gorm:"primaryKey;size:253"`
	Issuer     string `gorm:"size:255"`
	NotBefore  *time.Time
	NotAfter   *time.Time
	ObtainedAt *time.Time
	LastError  string `gorm:"type:text"`
	FailedAt   *time.Time
	UpdatedAt  time.Time
}

// CertificateObtained records host's new certificate (clearing the last
// failure).
func (s *Store) CertificateObtained(ctx context.Context, host, issuer string, notBefore, notAfter time.Time) error {
	now := time.Now().UTC()
	c := Certificate{Host: host, Issuer: issuer, NotBefore: &notBefore, NotAfter: &notAfter, ObtainedAt: &now, UpdatedAt: now}
	err := s.db.WithContext(ctx).Clauses(clause.OnConflict{
		Columns:   []clause.Column{{Name: "host"}},
		DoUpdates: clause.Assignments(map[string]any{"issuer": issuer, "not_before": notBefore, "not_after": notAfter, "obtained_at": now, "last_error": "", "failed_at": nil, "updated_at": now}),
	}).Create(&c).Error
	return wrap(err, "certificate of "+host)
}

// CertificateFailed records a failure to obtain or renew host's
// certificate (a certificate obtained before stays recorded).
func (s *Store) CertificateFailed(ctx context.Context, host, reason string) error {
	now := time.Now().UTC()
	if len(reason) > 2000 {
		reason = reason[:2000]
	}
	c := Certificate{Host: host, LastError: reason, FailedAt: &now, UpdatedAt: now}
	err := s.db.WithContext(ctx).Clauses(clause.OnConflict{
		Columns:   []clause.Column{{Name: "host"}},
		DoUpdates: clause.Assignments(map[string]any{"last_error": reason, "failed_at": now, "updated_at": now}),
	}).Create(&c).Error
	return wrap(err, "certificate of "+host)
}

// Certificates returns the recorded certificates of hosts.
func (s *Store) Certificates(ctx context.Context, hosts []string) ([]Certificate, error) {
	var out []Certificate
	if len(hosts) == 0 {
		return out, nil
	}
	return out, wrap(s.db.WithContext(ctx).Where("host IN ?", hosts).Order("host").Find(&out).Error, "certificates")
}

// CertificatesObtainedSince returns the certificates obtained (or
// renewed) after since, by any proxy sharing the store.
func (s *Store) CertificatesObtainedSince(ctx context.Context, since time.Time) ([]Certificate, error) {
	var out []Certificate
	return out, wrap(s.db.WithContext(ctx).Where("obtained_at > ?", since.UTC()).Order("obtained_at").Limit(1000).Find(&out).Error, "certificates obtained")
}
