package service

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/rivetr/rivetr/internal/ids"
	"github.com/rivetr/rivetr/schema"
)

func hashToken(tok string) string {
	sum := sha256.Sum256([]byte(tok))
	return hex.EncodeToString(sum[:])
}

// EnsureAdminToken creates the admin token on first start: stored hashed in
// the database and in plain text in <dataDir>/admin-token (mode 0600). It
// returns the file's path and whether it made a new token.
func (s *Service) EnsureAdminToken(ctx context.Context, dataDir string) (string, bool, error) {
	path := filepath.Join(dataDir, "admin-token")
	n, err := s.store.CountTokens(ctx)
	if err != nil {
		return "", false, err
	}
	if n > 0 {
		return path, false, nil
	}
	tok := "rvt_" + ids.Token(24)
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return "", false, err
	}
	if err := os.WriteFile(path, []byte(tok+"\n"), 0o600); err != nil {
		return "", false, fmt.Errorf("write admin token: %w", err)
	}
	if err := s.store.CreateToken(ctx, &schema.APIToken{ID: ids.New(), Name: "admin", Hash: hashToken(tok)}); err != nil {
		return "", false, err
	}
	return path, true, nil
}

// Authenticate checks a bearer token.
func (s *Service) Authenticate(ctx context.Context, token string) error {
	if token == "" {
		return ErrUnauthorized
	}
	if _, err := s.store.TokenByHash(ctx, hashToken(token)); err != nil {
		if errors.Is(err, schema.ErrNotFound) {
			return ErrUnauthorized
		}
		return err
	}
	return nil
}

// SessionTTL is how long a dashboard sign-in lasts.
const SessionTTL = 12 * time.Hour

// Login exchanges an API token for a dashboard session and returns the
// session's cookie value.
func (s *Service) Login(ctx context.Context, token string) (string, error) {
	if err := s.Authenticate(ctx, strings.TrimSpace(token)); err != nil {
		return "", err
	}
	id := ids.Token(32)
	now := time.Now().UTC()
	if err := s.store.CreateSession(ctx, &schema.Session{Hash: hashToken(id), CreatedAt: now, ExpiresAt: now.Add(SessionTTL)}); err != nil {
		return "", err
	}
	return id, nil
}

// CheckSession reports whether a session cookie value is signed in.
func (s *Service) CheckSession(ctx context.Context, id string) error {
	if id == "" {
		return ErrUnauthorized
	}
	if _, err := s.store.GetSession(ctx, hashToken(id), time.Now().UTC()); err != nil {
		if errors.Is(err, schema.ErrNotFound) {
			return ErrUnauthorized
		}
		return err
	}
	return nil
}

// Logout ends a session.
func (s *Service) Logout(ctx context.Context, id string) error {
	return s.store.DeleteSession(ctx, hashToken(id), time.Now().UTC())
}
