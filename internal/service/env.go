package service

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/rivetr/rivetr/internal/docker"
	"github.com/rivetr/rivetr/internal/ids"
	"github.com/rivetr/rivetr/schema"
)

// EnvInput sets one env var.
type EnvInput struct {
	Key    string `json:"key"`
	Value  string `json:"value"`
	Secret bool   `json:"secret"`
}

// EnvView is an env var as users see it; a secret's value is never shown.
type EnvView struct {
	Key       string    `json:"key"`
	Value     string    `json:"value,omitempty"`
	Secret    bool      `json:"secret"`
	UpdatedAt time.Time `json:"updated_at"`
}

var envKeyRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// SetEnv sets env vars of an app; they apply from the next deployment.
func (s *Service) SetEnv(ctx context.Context, appName string, vars []EnvInput) ([]EnvView, error) {
	app, err := s.store.GetApp(ctx, appName)
	if err != nil {
		return nil, err
	}
	f := fieldErrors{}
	if len(vars) == 0 {
		f.add("vars", "give at least one KEY=VALUE")
	}
	rows := make([]schema.EnvVar, 0, len(vars))
	for _, v := range vars {
		switch {
		case !envKeyRE.MatchString(v.Key):
			f.add("key", "%q is not a valid variable name (letters, digits, _; not starting with a digit)", v.Key)
		case v.Key == "PORT":
			f.add("key", "PORT is set by Rivetr from the app's port")
		case len(v.Value) > 64<<10:
			f.add("value", "%s is longer than 64 KiB", v.Key)
		case strings.ContainsRune(v.Value, 0):
			f.add("value", "%s contains a NUL byte", v.Key)
		}
		rows = append(rows, schema.EnvVar{Key: v.Key, Value: v.Value, Secret: v.Secret, UpdatedAt: time.Now().UTC()})
	}
	if err := f.err(); err != nil {
		return nil, err
	}
	if err := s.store.SetEnv(ctx, app.ID, rows); err != nil {
		return nil, err
	}
	return s.ListEnv(ctx, appName)
}

// UnsetEnv removes env vars; removing a key that is not set is an error, so
// a typo does not pass silently.
func (s *Service) UnsetEnv(ctx context.Context, appName string, keys []string) error {
	app, err := s.store.GetApp(ctx, appName)
	if err != nil {
		return err
	}
	have, err := s.store.ListEnv(ctx, app.ID)
	if err != nil {
		return err
	}
	set := map[string]bool{}
	for _, v := range have {
		set[v.Key] = true
	}
	for _, k := range keys {
		if !set[k] {
			return fmt.Errorf("env var %s is not set on %s: %w", k, appName, ErrNotFound)
		}
	}
	_, err = s.store.UnsetEnv(ctx, app.ID, keys)
	return err
}

// ListEnv returns an app's env vars with secret values left out.
func (s *Service) ListEnv(ctx context.Context, appName string) ([]EnvView, error) {
	app, err := s.store.GetApp(ctx, appName)
	if err != nil {
		return nil, err
	}
	vars, err := s.store.ListEnv(ctx, app.ID)
	if err != nil {
		return nil, err
	}
	out := make([]EnvView, 0, len(vars))
	for _, v := range vars {
		ev := EnvView{Key: v.Key, Secret: v.Secret, UpdatedAt: v.UpdatedAt}
		if !v.Secret {
			ev.Value = v.Value
		}
		out = append(out, ev)
	}
	return out, nil
}

// AppLogs writes the runtime output of an app's serving container to w: the
// last tail lines, then (with follow) new lines until ctx ends.
func (s *Service) AppLogs(ctx context.Context, appName string, tail int, follow bool, w io.Writer) error {
	app, err := s.store.GetApp(ctx, appName)
	if err != nil {
		return err
	}
	if app.CurrentDeploymentID == "" {
		return stateErr("%s has no deployment serving yet; see its deployment logs with rivetr logs %s --deployment ID", app.Name, app.Name)
	}
	if s.docker == nil {
		return fmt.Errorf("runtime logs: %w: Docker is not available on this server", ErrUnavailable)
	}
	cs, err := s.docker.Containers(ctx, map[string]string{docker.LabelDeployment: app.CurrentDeploymentID})
	if err != nil {
		return fmt.Errorf("runtime logs: %w: %v", ErrUnavailable, err)
	}
	if len(cs) == 0 {
		return stateErr("the container of deployment %s is not on this server's Docker host", app.CurrentDeploymentID)
	}
	return s.docker.Logs(ctx, cs[0].ID, tail, follow, w)
}

// ---- tokens ----

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

// ---- status ----

// Status is the health of the server and its dependencies.
type Status struct {
	OK          bool           `json:"ok"`
	Database    string         `json:"database"`
	Temporal    string         `json:"temporal"`
	Docker      string         `json:"docker"`
	Apps        int            `json:"apps"`
	Deployments map[string]int `json:"deployments"`
	TemporalUI  string         `json:"temporal_ui,omitempty"`
}

// Health checks the database, Temporal and Docker.
func (s *Service) Health(ctx context.Context) Status {
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	st := Status{OK: true, Database: "ok", Temporal: "ok", Docker: "ok", TemporalUI: s.uiBase}
	if err := s.store.Ping(ctx); err != nil {
		st.OK, st.Database = false, err.Error()
	}
	if _, err := s.temporal.CheckHealth(ctx, nil); err != nil {
		st.OK, st.Temporal = false, err.Error()
	}
	if s.docker == nil {
		st.Docker = "not configured on this server"
	} else if err := s.docker.Ping(ctx); err != nil {
		st.OK, st.Docker = false, err.Error()
	}
	return st
}

// Overview adds counts to Health.
func (s *Service) Overview(ctx context.Context) (Status, error) {
	st := s.Health(ctx)
	apps, err := s.store.ListApps(ctx)
	if err != nil {
		return st, err
	}
	st.Apps = len(apps)
	st.Deployments, err = s.store.CountDeploymentsByStatus(ctx)
	return st, err
}
