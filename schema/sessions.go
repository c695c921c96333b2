package schema

import (
	"context"
	"time"
)

// CreateToken stores a token record.
func (s *Store) CreateToken(ctx context.Context, t *APIToken) error {
	return wrap(s.db.WithContext(ctx).Create(t).Error, "token "+t.Name)
}

// TokenByHash finds a token by the SHA-256 of its value.
func (s *Store) TokenByHash(ctx context.Context, hash string) (*APIToken, error) {
	var t APIToken
	if err := s.db.WithContext(ctx).Where("hash = ?", hash).First(&t).Error; err != nil {
		return nil, wrap(err, "token")
	}
	return &t, nil
}

// CountTokens returns how many tokens exist.
func (s *Store) CountTokens(ctx context.Context) (int64, error) {
	var n int64
	err := s.db.WithContext(ctx).Model(&APIToken{}).Count(&n).Error
	return n, wrap(err, "count tokens")
}

// CreateSession stores a session.
func (s *Store) CreateSession(ctx context.Context, sess *Session) error {
	return wrap(s.db.WithContext(ctx).Create(sess).Error, "session")
}

// GetSession finds an unexpired session by hash.
func (s *Store) GetSession(ctx context.Context, hash string, now time.Time) (*Session, error) {
	var sess Session
	err := s.db.WithContext(ctx).Where("hash = ? AND expires_at > ?", hash, now).First(&sess).Error
	if err != nil {
		return nil, wrap(err, "session")
	}
	return &sess, nil
}

// DeleteSession removes a session, and every expired one with it.
func (s *Store) DeleteSession(ctx context.Context, hash string, now time.Time) error {
	return wrap(s.db.WithContext(ctx).Where("hash = ? OR expires_at <= ?", hash, now).Delete(&Session{}).Error, "session")
}
