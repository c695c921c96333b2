package service

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/rivetr/rivetr/internal/release"
	"github.com/rivetr/rivetr/schema"
)

// An app's dependencies (release.DepKind): the databases and apps of its
// team it needs. A deploy waits for them to be ready before the new
// container starts; what others need cannot be deleted; the team's graph
// draws them. Linking a database makes the app depend on it.

// DependencyRequest is the body of POST /api/apps/:name/dependencies.
type DependencyRequest struct {
	Kind release.DepKind `json:"kind"`
	Name string          `json:"name"`
}

// DependencyView is one of an app's dependencies with its target's state.
type DependencyView struct {
	Kind   release.DepKind `json:"kind"`
	Name   string          `json:"name"`
	Status string          `json:"status"` // the database's status; serving or not serving for an app
}

// ListDependencies returns what an app needs.
func (s *Apps) ListDependencies(ctx context.Context, name string) ([]DependencyView, error) {
	app, _, err := s.authorizeApp(ctx, name, release.PermRead)
	if err != nil {
		return nil, err
	}
	deps, err := s.store.ListDependencies(ctx, app.ID)
	if err != nil {
		return nil, err
	}
	out := make([]DependencyView, 0, len(deps))
	for _, d := range deps {
		v, err := s.dependencyView(ctx, d)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

func (s *core) dependencyView(ctx context.Context, d schema.Dependency) (DependencyView, error) {
	switch d.Kind {
	case release.DepDatabase:
		db, err := s.store.GetDatabase(ctx, d.TargetID)
		if err != nil {
			return DependencyView{}, err
		}
		return DependencyView{Kind: d.Kind, Name: db.Name, Status: string(db.Status)}, nil
	default:
		app, err := s.store.GetApp(ctx, d.TargetID)
		if err != nil {
			return DependencyView{}, err
		}
		return DependencyView{Kind: d.Kind, Name: app.Name, Status: servingOr(app)}, nil
	}
}

func servingOr(app *schema.App) string {
	if app.CurrentDeploymentID != "" {
		return "serving"
	}
	return "not serving"
}

// AddDependency makes an app need a database or another app of its team.
func (s *Apps) AddDependency(ctx context.Context, name string, in DependencyRequest) (*DependencyView, error) {
	app, _, err := s.authorizeApp(ctx, name, release.PermEditApp)
	if err != nil {
		return nil, err
	}
	if app.PreviewOf != "" {
		return nil, stateErr("%s is a pull request preview; give dependencies to the app it previews", app.Name)
	}
	target, err := s.dependencyTarget(ctx, app, in)
	if err != nil {
		return nil, err
	}
	deps, err := s.store.ListDependencies(ctx, app.ID)
	if err != nil {
		return nil, err
	}
	if len(deps) >= release.MaxDependencies {
		return nil, &ValidationError{Fields: map[string]string{"name": fmt.Sprintf("an app may have at most %d dependencies", release.MaxDependencies)}}
	}
	d := &schema.Dependency{AppID: app.ID, Kind: in.Kind, TargetID: target, CreatedAt: time.Now().UTC()}
	if err := s.store.AddDependency(ctx, d); errors.Is(err, schema.ErrConflict) {
		return nil, &ValidationError{Fields: map[string]string{"name": fmt.Sprintf("%s already depends on %s %s", app.Name, in.Kind, in.Name)}}
	} else if err != nil {
		return nil, err
	}
	s.audit(ctx, AuditDependencyAdd, app.TeamID, app.Name, nil, map[string]any{"kind": in.Kind, "name": in.Name})
	v, err := s.dependencyView(ctx, *d)
	return &v, err
}

// dependencyTarget finds what app would depend on: in its own team (else
// not found, as for anything of another team), not itself, closing no
// cycle.
func (s *Apps) dependencyTarget(ctx context.Context, app *schema.App, in DependencyRequest) (string, error) {
	in.Name = strings.TrimSpace(in.Name)
	switch in.Kind {
	case release.DepDatabase:
		db, err := s.store.GetDatabase(ctx, in.Name)
		if err != nil || db.TeamID != app.TeamID {
			return "", fmt.Errorf("database %s in %s's team: %w", in.Name, app.Name, schema.ErrNotFound)
		}
		return db.ID, nil
	case release.DepApp:
		other, err := s.store.GetApp(ctx, in.Name)
		if err != nil || other.TeamID != app.TeamID || other.PreviewOf != "" {
			return "", fmt.Errorf("app %s in %s's team: %w", in.Name, app.Name, schema.ErrNotFound)
		}
		needs, names, err := s.teamNeeds(ctx, app.TeamID)
		if err != nil {
			return "", err
		}
		if cycle := release.DependencyCycle(needs, app.ID, other.ID); cycle != nil {
			for i, id := range cycle {
				cycle[i] = names[id]
			}
			return "", &ValidationError{Fields: map[string]string{"name": "that would close a cycle: " + strings.Join(cycle, " → ") + "; apps cannot wait for each other"}}
		}
		return other.ID, nil
	}
	return "", &ValidationError{Fields: map[string]string{"kind": "must be database or app"}}
}

// teamNeeds is the team's app-to-app dependencies (by ID) and its apps'
// names.
func (s *core) teamNeeds(ctx context.Context, teamID string) (map[string][]string, map[string]string, error) {
	deps, err := s.store.TeamDependencies(ctx, teamID)
	if err != nil {
		return nil, nil, err
	}
	apps, err := s.store.ListAppsIn(ctx, []string{teamID})
	if err != nil {
		return nil, nil, err
	}
	names := map[string]string{}
	for _, a := range apps {
		names[a.ID] = a.Name
	}
	needs := map[string][]string{}
	for _, d := range deps {
		if d.Kind == release.DepApp {
			needs[d.AppID] = append(needs[d.AppID], d.TargetID)
		}
	}
	return needs, names, nil
}

// RemoveDependency takes a dependency from an app.
func (s *Apps) RemoveDependency(ctx context.Context, name string, in DependencyRequest) error {
	app, _, err := s.authorizeApp(ctx, name, release.PermEditApp)
	if err != nil {
		return err
	}
	var target string
	switch in.Kind {
	case release.DepDatabase:
		if db, err := s.store.GetDatabase(ctx, in.Name); err == nil && db.TeamID == app.TeamID {
			target = db.ID
		}
	case release.DepApp:
		if other, err := s.store.GetApp(ctx, in.Name); err == nil && other.TeamID == app.TeamID {
			target = other.ID
		}
	}
	if target == "" {
		return fmt.Errorf("%s does not depend on %s %s: %w", app.Name, in.Kind, in.Name, schema.ErrNotFound)
	}
	if err := s.store.RemoveDependency(ctx, app.ID, in.Kind, target); err != nil {
		if errors.Is(err, schema.ErrNotFound) {
			return fmt.Errorf("%s does not depend on %s %s: %w", app.Name, in.Kind, in.Name, schema.ErrNotFound)
		}
		return err
	}
	s.audit(ctx, AuditDependencyRemove, app.TeamID, app.Name, map[string]any{"kind": in.Kind, "name": in.Name}, nil)
	return nil
}

// neededBy refuses deleting what other apps depend on, naming them and
// how to let go.
func (s *core) neededBy(ctx context.Context, kind release.DepKind, targetID, what string) error {
	deps, err := s.store.Dependents(ctx, kind, targetID)
	if err != nil || len(deps) == 0 {
		return err
	}
	var names []string
	for _, d := range deps {
		if app, err := s.store.GetApp(ctx, d.AppID); err == nil {
			names = append(names, app.Name)
		}
	}
	slices.Sort(names)
	if len(names) == 0 {
		return nil
	}
	ref := map[release.DepKind]string{release.DepDatabase: "database:", release.DepApp: "app:"}[kind] + what
	return stateErr("%s is needed by %s; remove the dependency first (rivetr apps depend %s --remove %s)", what, strings.Join(names, ", "), names[0], ref)
}
