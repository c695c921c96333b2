package service

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/rivetr/rivetr/schema"
)

// ErrForbidden means the caller is signed in but their role does not allow
// the action.
var ErrForbidden = errors.New("forbidden")

// Perm is something a role allows in a team.
type Perm string

// The permissions. Each needs a minimum role (see PermissionMatrix); the
// approver permission is also granted to a developer whose membership has
// Approver set.
const (
	PermRead          Perm = "read"           // see apps, deployments, logs, env keys
	PermCreateApp     Perm = "create_app"     // create apps in the team
	PermEditApp       Perm = "edit_app"       // change an app's settings
	PermDeploy        Perm = "deploy"         // deploy and cancel
	PermRollback      Perm = "rollback"       // roll back
	PermEnv           Perm = "env"            // set and unset env vars
	PermDeleteApp     Perm = "delete_app"     // delete apps
	PermManageMembers Perm = "manage_members" // add, change and remove members
	PermManageTeam    Perm = "manage_team"    // delete the team
	PermApprove       Perm = "approve"        // approve gated deploys (release controls)
	PermAudit         Perm = "audit"          // read the team's audit log
	PermShare         Perm = "share"          // share apps with other teams, read-only
	PermPolicy        Perm = "policy"         // change release policies (the approval gate)
	PermDatabases     Perm = "databases"      // create, start, stop, link and back up databases
	PermDatabaseAdmin Perm = "database_admin" // delete and restore databases, reveal their passwords
)

// PermissionMatrix is the least role each permission needs. README.md's
// permission table is written from it; a test keeps the two equal.
var PermissionMatrix = []struct {
	Perm    Perm
	MinRole string
	What    string
}{
	{PermRead, schema.RoleViewer, "see apps, deployments, logs and env var names (never secret values)"},
	{PermCreateApp, schema.RoleDeveloper, "create apps"},
	{PermEditApp, schema.RoleDeveloper, "change app settings"},
	{PermDeploy, schema.RoleDeveloper, "deploy and cancel deployments"},
	{PermRollback, schema.RoleDeveloper, "roll back"},
	{PermEnv, schema.RoleDeveloper, "set and unset env vars"},
	{PermApprove, schema.RoleAdmin, "approve or reject deploys waiting for approval (grantable to developers)"},
	{PermPolicy, schema.RoleAdmin, "change release policies (approval, environments, freeze windows)"},
	{PermDatabases, schema.RoleDeveloper, "create, start, stop, link and back up databases"},
	{PermDeleteApp, schema.RoleAdmin, "delete apps"},
	{PermDatabaseAdmin, schema.RoleAdmin, "delete and restore databases, see their passwords"},
	{PermShare, schema.RoleAdmin, "share apps with other teams (read-only for them)"},
	{PermManageMembers, schema.RoleAdmin, "add, change and remove members (admins cannot touch owners)"},
	{PermAudit, schema.RoleAdmin, "read the team's audit log"},
	{PermManageTeam, schema.RoleOwner, "delete the team"},
}

// Roles lists the roles from least to most powerful.
var Roles = []string{schema.RoleViewer, schema.RoleDeveloper, schema.RoleAdmin, schema.RoleOwner}

func roleRank(r string) int {
	for i, x := range Roles {
		if x == r {
			return i + 1
		}
	}
	return 0
}

// ValidRole reports whether r names a role.
func ValidRole(r string) bool { return roleRank(r) > 0 }

func minRole(p Perm) string {
	for _, e := range PermissionMatrix {
		if e.Perm == p {
			return e.MinRole
		}
	}
	return schema.RoleOwner
}

// RoleAllows reports whether a role holds p (without the approver grant).
func RoleAllows(role string, p Perm) bool {
	return role != "" && roleRank(role) >= roleRank(minRole(p))
}

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
	TokenRole string
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
func (a *Actor) RoleIn(teamID string) string {
	role := ""
	if a.InstanceAdmin {
		role = schema.RoleOwner
	} else if m, ok := a.teams[teamID]; ok && teamID != "" {
		role = m.Role
	}
	if a.TokenRole != "" && roleRank(a.TokenRole) < roleRank(role) {
		role = a.TokenRole
	}
	return role
}

// Member reports whether the actor can see the team at all.
func (a *Actor) Member(teamID string) bool { return a.RoleIn(teamID) != "" }

// Can reports whether the actor holds p in a team.
func (a *Actor) Can(teamID string, p Perm) bool {
	role := a.RoleIn(teamID)
	if role == "" {
		return false
	}
	if roleRank(role) >= roleRank(minRole(p)) {
		return true
	}
	// A developer made an approver approves, unless a token caps them lower.
	if p == PermApprove && role == schema.RoleDeveloper {
		m, ok := a.teams[teamID]
		return ok && m.Approver
	}
	return false
}

// CanAnywhere reports whether the actor holds p in some team.
func (a *Actor) CanAnywhere(p Perm) bool {
	if a.InstanceAdmin {
		return a.TokenRole == "" || RoleAllows(a.TokenRole, p)
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

// forbid builds the error for a missing permission, saying what role it
// takes.
func forbid(a *Actor, team string, p Perm) error {
	role := a.RoleIn(team)
	what := strings.ReplaceAll(string(p), "_", " ")
	if a.TokenRole != "" && roleRank(a.TokenRole) < roleRank(minRole(p)) {
		return fmt.Errorf("this token is limited to the %s role; %s needs %s or higher: %w", a.TokenRole, what, minRole(p), ErrForbidden)
	}
	return fmt.Errorf("your role in this team is %s; %s needs %s or higher: %w", role, what, minRole(p), ErrForbidden)
}

// authorizeApp loads an app the actor may see and checks p on its team.
// An app in a team the actor is not in is reported not found, so app
// names do not leak across teams.
func (s *Service) authorizeApp(ctx context.Context, name string, p Perm) (*schema.App, *Actor, error) {
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
		if p != PermRead {
			return nil, a, fmt.Errorf("%s is shared with your team read-only; %s needs a role in its own team: %w", app.Name, strings.ReplaceAll(string(p), "_", " "), ErrForbidden)
		}
		return app, a, nil
	}
	if !a.Can(app.TeamID, p) {
		return nil, a, forbid(a, app.TeamID, p)
	}
	return app, a, nil
}

// sharedWith reports whether app is shared with a team the actor is in.
func (s *Service) sharedWith(ctx context.Context, a *Actor, app *schema.App) (bool, error) {
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
func appRole(a *Actor, app *schema.App, shared map[string]bool) string {
	if r := a.RoleIn(app.TeamID); r != "" {
		return r
	}
	if shared[app.ID] {
		return schema.RoleViewer
	}
	return ""
}

// loadActor fills in a user's memberships.
func (s *Service) loadActor(ctx context.Context, a *Actor) (*Actor, error) {
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
