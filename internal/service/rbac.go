package service

import (
	"context"
	"fmt"
	"strings"

	"github.com/rivetr/rivetr/internal/release"
	"github.com/rivetr/rivetr/schema"
)

// Actor is who makes a request: a user signed in by session or token, or
// the instance-admin token.
type Actor struct {
	UserID        string
	Email         string
	Name          string
	InstanceAdmin bool
	// TokenID is the token used, if any; TokenRole caps the roles it acts
	// with ("" for no cap).
	TokenID   string
	TokenRole release.Role
	// SessionID is the session used, if any (its hash).
	SessionID string
	teams     map[string]schema.Membership
}

type actorKey struct{}

// WithActor returns ctx carrying a.
func WithActor(ctx context.Context, a *Actor) context.Context {
	return context.WithValue(ctx, actorKey{}, a)
}

// ActorFrom returns the actor in ctx, nil when there is none.
func ActorFrom(ctx context.Context) *Actor {
	a, _ := ctx.Value(actorKey{}).(*Actor)
	return a
}

// actor returns the actor in ctx or ErrUnauthorized: every service call
// that reads or changes team data needs one.
func actor(ctx context.Context) (*Actor, error) {
	if a := ActorFrom(ctx); a != nil {
		return a, nil
	}
	return nil, ErrUnauthorized
}

// Who names the actor for messages and the audit log.
func (a *Actor) Who() string {
	switch {
	case a.Email != "":
		return a.Email
	case a.InstanceAdmin:
		return "admin token"
	}
	return "unknown"
}

// RoleIn returns the actor's role in a team ("" for none): owner for
// instance admins, else their membership's, capped by the token's role.
func (a *Actor) RoleIn(teamID string) release.Role {
	var role release.Role
	if a.InstanceAdmin {
		role = release.RoleOwner
	} else if m, ok := a.teams[teamID]; ok && teamID != "" {
		role = m.Role
	}
	return role.Cap(a.TokenRole)
}

// Member reports whether the actor can see the team at all.
func (a *Actor) Member(teamID string) bool { return a.RoleIn(teamID) != "" }

// Can reports whether the actor holds p in a team (see release.Allows: a
// developer made an approver approves, unless a token caps them lower).
func (a *Actor) Can(teamID string, p release.Perm) bool {
	m, ok := a.teams[teamID]
	return release.Allows(a.RoleIn(teamID), ok && m.Approver, p)
}

// CanAnywhere reports whether the actor holds p in some team.
func (a *Actor) CanAnywhere(p release.Perm) bool {
	if a.InstanceAdmin {
		return a.TokenRole == "" || release.RoleAllows(a.TokenRole, p)
	}
	for id := range a.teams {
		if a.Can(id, p) {
			return true
		}
	}
	return false
}

// TeamIDs returns the teams the actor belongs to; nil for instance admins,
// who see every team.
func (a *Actor) TeamIDs() []string {
	if a.InstanceAdmin {
		return nil
	}
	out := make([]string, 0, len(a.teams))
	for id := range a.teams {
		out = append(out, id)
	}
	return out
}

// ActsAsInstanceAdmin reports whether the actor holds an instance admin's
// powers now: an instance admin whose token (if any) is not capped below
// owner. A capped token of an instance admin acts with its cap in every
// team and holds no instance-level power.
func (a *Actor) ActsAsInstanceAdmin() bool {
	return a.InstanceAdmin && (a.TokenRole == "" || a.TokenRole == release.RoleOwner)
}

// instanceAdminOnly refuses an instance-level action unless the actor acts
// as an instance admin; message says what needs one, for the uncapped
// case.
func instanceAdminOnly(a *Actor, message string) error {
	switch {
	case !a.InstanceAdmin:
		return errorf(KindForbidden, "%s", message)
	case !a.ActsAsInstanceAdmin():
		return errorf(KindForbidden, "this token is limited to the %s role; %s (use a token without a role cap)", a.TokenRole, message)
	}
	return nil
}

// forbid builds the error for a missing permission, saying what role it
// takes.
func forbid(a *Actor, team string, p release.Perm) error {
	role := a.RoleIn(team)
	what := strings.ReplaceAll(string(p), "_", " ")
	if a.TokenRole != "" && !release.RoleAllows(a.TokenRole, p) {
		return errorf(KindForbidden, "this token is limited to the %s role; %s needs %s or higher", a.TokenRole, what, p.MinRole())
	}
	return errorf(KindForbidden, "your role in this team is %s; %s needs %s or higher", role, what, p.MinRole())
}

// authorizeApp loads an app the actor may see and checks p on its team.
// An app in a team the actor is not in is reported not found, so app
// names do not leak across teams.
func (s *core) authorizeApp(ctx context.Context, name string, p release.Perm) (*schema.App, *Actor, error) {
	a, err := actor(ctx)
	if err != nil {
		return nil, nil, err
	}
	app, err := s.store.GetApp(ctx, name)
	if err != nil {
		return nil, a, err
	}
	if !a.Member(app.TeamID) {
		// Shared with one of the caller's teams: read-only.
		if shared, err := s.sharedWith(ctx, a, app); err != nil {
			return nil, a, err
		} else if !shared {
			return nil, a, fmt.Errorf("app %s: %w", name, schema.ErrNotFound)
		}
		if p != release.PermRead {
			return nil, a, errorf(KindForbidden, "%s is shared with your team read-only; %s needs a role in its own team", app.Name, strings.ReplaceAll(string(p), "_", " "))
		}
		return app, a, nil
	}
	if !a.Can(app.TeamID, p) {
		return nil, a, forbid(a, app.TeamID, p)
	}
	return app, a, nil
}

// sharedWith reports whether app is shared with a team the actor is in.
func (s *core) sharedWith(ctx context.Context, a *Actor, app *schema.App) (bool, error) {
	teams, err := s.store.AppShares(ctx, app.ID)
	if err != nil {
		return false, err
	}
	for _, t := range teams {
		if a.Member(t) {
			return true, nil
		}
	}
	return false, nil
}

// appRole is the actor's role for an app: their role in its team, or
// viewer when it is shared with one of their teams.
func appRole(a *Actor, app *schema.App, shared map[string]bool) release.Role {
	if r := a.RoleIn(app.TeamID); r != "" {
		return r
	}
	if shared[app.ID] {
		return release.RoleViewer
	}
	return ""
}

// loadActor fills in a user's memberships.
func (s *core) loadActor(ctx context.Context, a *Actor) (*Actor, error) {
	if a.UserID == "" {
		return a, nil
	}
	ms, err := s.store.Memberships(ctx, a.UserID)
	if err != nil {
		return nil, err
	}
	a.teams = make(map[string]schema.Membership, len(ms))
	for _, m := range ms {
		a.teams[m.TeamID] = m
	}
	return a, nil
}
