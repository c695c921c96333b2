package service

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/rivetr/rivetr/internal/release"
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
func (s *Apps) SetEnv(ctx context.Context, appName string, vars []EnvInput) ([]EnvView, error) {
	app, _, err := s.authorizeApp(ctx, appName, release.PermEnv)
	if err != nil {
		return nil, err
	}
	if len(vars) == 0 {
		return nil, &ValidationError{Fields: map[string]string{"vars": "give at least one KEY=VALUE"}}
	}
	rows, err := envRows(vars)
	if err != nil {
		return nil, err
	}
	have, err := s.store.ListEnvMasked(ctx, app.ID)
	if err != nil {
		return nil, err
	}
	if err := s.store.SetEnv(ctx, app.ID, rows); err != nil {
		return nil, err
	}
	before, after := map[string]any{}, map[string]any{}
	for _, v := range have {
		before[v.Key] = envShown(v.Value, v.Secret)
	}
	for _, v := range rows {
		after[v.Key] = envShown(v.Value, v.Secret)
	}
	b, a := changed(before, after)
	for k := range a {
		if _, ok := before[k]; !ok {
			delete(b, k)
		}
	}
	s.audit(ctx, AuditEnvSet, app.TeamID, app.Name, b, a)
	return s.ListEnv(ctx, appName)
}

// envRows checks env vars as given and makes their rows.
func envRows(vars []EnvInput) ([]schema.EnvVar, error) {
	f := fieldErrors{}
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
	return rows, nil
}

// UnsetEnv removes env vars; removing a key that is not set is an error, so
// a typo does not pass silently.
func (s *Apps) UnsetEnv(ctx context.Context, appName string, keys []string) error {
	app, _, err := s.authorizeApp(ctx, appName, release.PermEnv)
	if err != nil {
		return err
	}
	have, err := s.store.ListEnvMasked(ctx, app.ID)
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
	if _, err = s.store.UnsetEnv(ctx, app.ID, keys); err != nil {
		return err
	}
	before := map[string]any{}
	for _, v := range have {
		if slices.Contains(keys, v.Key) {
			before[v.Key] = envShown(v.Value, v.Secret)
		}
	}
	s.audit(ctx, AuditEnvUnset, app.TeamID, app.Name, before, nil)
	return nil
}

// envShown is an env value as the audit log shows it: a secret's never.
func envShown(v string, secret bool) string {
	if secret {
		return "(secret)"
	}
	return v
}

// ListEnv returns an app's env vars with secret values left out.
func (s *Apps) ListEnv(ctx context.Context, appName string) ([]EnvView, error) {
	app, _, err := s.authorizeApp(ctx, appName, release.PermRead)
	if err != nil {
		return nil, err
	}
	vars, err := s.store.ListEnvMasked(ctx, app.ID)
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
