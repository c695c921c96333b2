package service

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/rivetr/rivetr/internal/ids"
	"github.com/rivetr/rivetr/schema"
)

func hashToken(tok string) string {
	sum := sha256.Sum256([]byte(tok))
	return hex.EncodeToString(sum[:])
}

// TokenPrefix starts every API token, so leaked tokens are easy to find.
const TokenPrefix = "rvt_"

// EnsureAdminToken creates the admin token on first start: stored hashed in
// the database and in plain text in <dataDir>/admin-token (mode 0600). It
// returns the file's path and whether it made a new token. The admin token
// belongs to no user and acts as an instance admin.
func (s *People) EnsureAdminToken(ctx context.Context, dataDir string) (string, bool, error) {
	path := filepath.Join(dataDir, "admin-token")
	n, err := s.store.CountTokens(ctx)
	if err != nil {
		return "", false, err
	}
	if n > 0 {
		return path, false, nil
	}
	tok := TokenPrefix + ids.Token(24)
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

// Authenticate checks a bearer token and returns who it acts for. Tokens
// are looked up by SHA-256, an index lookup whose timing says nothing
// about how much of a guess was right; the stored hash is compared again
// in constant time.
func (s *People) Authenticate(ctx context.Context, token string) (*Actor, error) {
	if token == "" {
		return nil, ErrUnauthorized
	}
	h := hashToken(token)
	t, err := s.store.TokenByHash(ctx, h)
	if err != nil {
		if errors.Is(err, schema.ErrNotFound) {
			return nil, ErrUnauthorized
		}
		return nil, err
	}
	if subtle.ConstantTimeCompare([]byte(t.Hash), []byte(h)) != 1 {
		return nil, ErrUnauthorized
	}
	now := time.Now().UTC()
	if t.ExpiresAt != nil && !now.Before(*t.ExpiresAt) {
		return nil, errorf(KindUnauthorized, "token %s expired at %s; create a new one with rivetr tokens create", t.Name, t.ExpiresAt.Format(time.RFC3339))
	}
	_ = s.store.TouchToken(ctx, t.ID, now)
	a := &Actor{TokenID: t.ID, TokenRole: t.Role}
	if t.UserID == "" {
		a.InstanceAdmin = true
		return a, nil
	}
	return s.userActor(ctx, t.UserID, a)
}

func (s *core) userActor(ctx context.Context, userID string, a *Actor) (*Actor, error) {
	u, err := s.store.GetUser(ctx, userID)
	if errors.Is(err, schema.ErrNotFound) {
		return nil, ErrUnauthorized
	} else if err != nil {
		return nil, err
	}
	a.UserID, a.Email, a.Name, a.InstanceAdmin = u.ID, u.Email, u.Name, u.InstanceAdmin
	return s.loadActor(ctx, a)
}

// SessionTTL is how long a dashboard sign-in lasts.
const SessionTTL = 12 * time.Hour

// dummyHash is compared against when an email is unknown, so a wrong email
// takes as long to refuse as a wrong password.
var dummyHash, _ = bcrypt.GenerateFromPassword([]byte("rivetr-no-such-user"), bcrypt.DefaultCost)

// errBadLogin is the one answer to any wrong email or password.
var errBadLogin = errorf(KindUnauthorized, "wrong email or password")

// checkPassword returns the user with that email and password.
func (s *core) checkPassword(ctx context.Context, email, password string) (*schema.User, error) {
	email = strings.ToLower(strings.TrimSpace(email))
	u, err := s.store.GetUser(ctx, email)
	if err != nil && !errors.Is(err, schema.ErrNotFound) {
		return nil, err
	}
	if u == nil || u.Email != email {
		_ = bcrypt.CompareHashAndPassword(dummyHash, []byte(password))
		s.writeAudit(ctx, &schema.AuditEntry{Time: time.Now().UTC(), Actor: truncate(email, 255), Action: AuditLoginFailed, Target: truncate(email, 255), After: map[string]any{"reason": "no such user"}})
		return nil, errBadLogin
	}
	if bcrypt.CompareHashAndPassword([]byte(u.PasswordHash), []byte(password)) != nil {
		s.writeAudit(ctx, &schema.AuditEntry{Time: time.Now().UTC(), ActorID: u.ID, Actor: u.Email, Action: AuditLoginFailed, Target: u.Email, After: map[string]any{"reason": "wrong password"}})
		return nil, errBadLogin
	}
	return u, nil
}

// newSession stores a session for userID ("" for the admin token) and
// returns its cookie value.
func (s *core) newSession(ctx context.Context, userID string) (string, error) {
	id := ids.Token(32)
	now := time.Now().UTC()
	if err := s.store.CreateSession(ctx, &schema.Session{Hash: hashToken(id), UserID: userID, CreatedAt: now, ExpiresAt: now.Add(SessionTTL)}); err != nil {
		return "", err
	}
	return id, nil
}

// Login signs in to the dashboard with an email and password and returns
// the session's cookie value.
func (s *People) Login(ctx context.Context, email, password string) (string, error) {
	u, err := s.checkPassword(ctx, email, password)
	if err != nil {
		return "", err
	}
	id, err := s.newSession(ctx, u.ID)
	if err == nil {
		s.writeAudit(ctx, &schema.AuditEntry{Time: time.Now().UTC(), ActorID: u.ID, Actor: u.Email, Action: AuditLogin, Target: u.Email, After: map[string]any{"via": "dashboard"}})
	}
	return id, err
}

// LoginWithToken signs in to the dashboard with an API token (the admin
// token, before any user exists) and returns the session's cookie value.
// A user's token signs in as that user.
func (s *People) LoginWithToken(ctx context.Context, token string) (string, error) {
	a, err := s.Authenticate(ctx, strings.TrimSpace(token))
	if err != nil {
		return "", err
	}
	if a.TokenRole != "" {
		return "", errorf(KindUnauthorized, "a token limited to a role cannot sign in to the dashboard; use your email and password")
	}
	id, err := s.newSession(ctx, a.UserID)
	if err == nil {
		s.audit(WithActor(ctx, a), AuditLogin, "", a.Who(), nil, map[string]any{"via": "dashboard, with a token"})
	}
	return id, err
}

// CheckSession returns who a session cookie value signs in.
func (s *People) CheckSession(ctx context.Context, id string) (*Actor, error) {
	if id == "" {
		return nil, ErrUnauthorized
	}
	sess, err := s.store.GetSession(ctx, hashToken(id), time.Now().UTC())
	if err != nil {
		if errors.Is(err, schema.ErrNotFound) {
			return nil, ErrUnauthorized
		}
		return nil, err
	}
	a := &Actor{SessionID: sess.Hash}
	if sess.UserID == "" {
		a.InstanceAdmin = true
		return a, nil
	}
	return s.userActor(ctx, sess.UserID, a)
}

// Logout ends a session.
func (s *People) Logout(ctx context.Context, id string) error {
	if err := s.store.DeleteSession(ctx, hashToken(id), time.Now().UTC()); err != nil {
		return err
	}
	if a := ActorFrom(ctx); a != nil {
		s.audit(ctx, AuditLogout, "", a.Who(), nil, nil)
	}
	return nil
}
