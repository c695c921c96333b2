package service

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/rivetr/rivetr/internal/ids"
	"github.com/rivetr/rivetr/internal/release"
	"github.com/rivetr/rivetr/schema"
)

// TeamView is a team with the caller's role in it.
type TeamView struct {
	Team
	Role release.Role `json:"role"`
}

// ListTeams returns the teams the caller belongs to (every team for
// instance admins).
func (s *People) ListTeams(ctx context.Context) ([]TeamView, error) {
	a, err := actor(ctx)
	if err != nil {
		return nil, err
	}
	ts, err := s.store.ListTeams(ctx, a.TeamIDs())
	if err != nil {
		return nil, err
	}
	out := make([]TeamView, 0, len(ts))
	for _, t := range ts {
		out = append(out, TeamView{Team: teamOf(&t), Role: a.RoleIn(t.ID)})
	}
	return out, nil
}

// TeamsFor returns the teams where the caller holds p. An instance admin
// on a server without teams yet gets one unnamed entry: apps made then go
// to the default team once it exists.
func (s *People) TeamsFor(ctx context.Context, p release.Perm) ([]TeamView, error) {
	ts, err := s.ListTeams(ctx)
	if err != nil {
		return nil, err
	}
	a := ActorFrom(ctx)
	out := ts[:0]
	for _, t := range ts {
		if a.Can(t.ID, p) {
			out = append(out, t)
		}
	}
	if len(out) == 0 && a.InstanceAdmin {
		out = append(out, TeamView{Role: release.RoleOwner})
	}
	return out, nil
}

// TeamInput creates a team.
type TeamInput struct {
	Name string `json:"name"`
}

// CreateTeam makes a team owned by the caller.
func (s *People) CreateTeam(ctx context.Context, in TeamInput) (*TeamView, error) {
	a, err := actor(ctx)
	if err != nil {
		return nil, err
	}
	if a.UserID == "" {
		return nil, errorf(KindForbidden, "teams are owned by users; create the owner (rivetr users create-owner) and sign in")
	}
	if a.TokenRole != "" && a.TokenRole != release.RoleOwner {
		return nil, errorf(KindForbidden, "this token is limited to the %s role; creating a team makes you its owner", a.TokenRole)
	}
	name := strings.TrimSpace(in.Name)
	if !nameRE.MatchString(name) {
		return nil, &ValidationError{Fields: map[string]string{"name": "must be 1–63 lowercase letters, digits or '-', starting with a letter or digit"}}
	}
	t := &schema.Team{ID: ids.New(), Name: name}
	if err := s.store.CreateTeam(ctx, t, a.UserID); err != nil {
		if errors.Is(err, schema.ErrConflict) {
			return nil, &ValidationError{Fields: map[string]string{"name": "a team named " + name + " already exists"}}
		}
		return nil, err
	}
	s.audit(ctx, AuditTeamCreate, t.ID, t.Name, nil, map[string]any{"name": t.Name})
	return &TeamView{Team: teamOf(t), Role: release.RoleOwner}, nil
}

// authorizeTeam loads a team the caller belongs to and checks p there;
// teams the caller is not in are not found.
func (s *core) authorizeTeam(ctx context.Context, name string, p release.Perm) (*schema.Team, *Actor, error) {
	a, err := actor(ctx)
	if err != nil {
		return nil, nil, err
	}
	t, err := s.store.GetTeam(ctx, name)
	if err != nil {
		return nil, a, err
	}
	if !a.Member(t.ID) {
		return nil, a, fmt.Errorf("team %s: %w", name, schema.ErrNotFound)
	}
	if !a.Can(t.ID, p) {
		return nil, a, forbid(a, t.ID, p)
	}
	return t, a, nil
}

// DeleteTeam deletes an empty team (owners only).
func (s *People) DeleteTeam(ctx context.Context, name string) error {
	t, _, err := s.authorizeTeam(ctx, name, release.PermManageTeam)
	if err != nil {
		return err
	}
	if t.Name == DefaultTeam {
		return stateErr("the default team cannot be deleted")
	}
	var inUse *schema.InUseError
	if err := s.store.DeleteTeam(ctx, t.ID); errors.As(err, &inUse) {
		return stateErr("%s", inUse.Reason)
	} else if err != nil {
		return err
	}
	s.audit(ctx, AuditTeamDelete, t.ID, t.Name, map[string]any{"name": t.Name}, nil)
	return nil
}

// ListMembers returns a team's members.
func (s *People) listMembers(ctx context.Context, team string) ([]schema.Member, error) {
	t, _, err := s.authorizeTeam(ctx, team, release.PermRead)
	if err != nil {
		return nil, err
	}
	return s.store.TeamMembers(ctx, t.ID)
}

// MemberInput adds a member or changes one.
type MemberInput struct {
	// Email names the user (when adding).
	Email    string       `json:"email,omitempty"`
	Role     release.Role `json:"role"`
	Approver *bool        `json:"approver,omitempty"`
}

// PutMember adds an existing user to a team or changes their role. Admins
// manage developers and viewers; only owners make or change owners and
// admins; a team always keeps one owner.
func (s *People) putMember(ctx context.Context, team, user string, in MemberInput) (*schema.Member, error) {
	t, a, err := s.authorizeTeam(ctx, team, release.PermManageMembers)
	if err != nil {
		return nil, err
	}
	if user == "" {
		user = in.Email
	}
	if !in.Role.Valid() {
		return nil, &ValidationError{Fields: map[string]string{"role": "must be one of " + strings.Join(release.RoleNames(), ", ")}}
	}
	u, err := s.store.GetUser(ctx, strings.TrimSpace(user))
	if errors.Is(err, schema.ErrNotFound) {
		return nil, &ValidationError{Fields: map[string]string{"email": "no user " + user + "; invite them, or ask an instance admin to create the user"}}
	} else if err != nil {
		return nil, err
	}
	mine := a.RoleIn(t.ID)
	var current release.Role
	members, err := s.store.TeamMembers(ctx, t.ID)
	if err != nil {
		return nil, err
	}
	var m schema.Membership
	for _, x := range members {
		if x.UserID == u.ID {
			current, m = x.Role, x.Membership
		}
	}
	if mine != release.RoleOwner && (in.Role.Rank() >= release.RoleAdmin.Rank() || current.Rank() >= release.RoleAdmin.Rank()) {
		return nil, errorf(KindForbidden, "only owners add, change or remove owners and admins")
	}
	if current == release.RoleOwner && in.Role != release.RoleOwner {
		if err := s.keepAnOwner(ctx, t.ID); err != nil {
			return nil, err
		}
	}
	m.TeamID, m.UserID, m.Role = t.ID, u.ID, in.Role
	if in.Approver != nil {
		m.Approver = *in.Approver
	}
	if err := s.store.PutMembership(ctx, &m); err != nil {
		return nil, err
	}
	var before map[string]any
	if current != "" {
		before = map[string]any{"role": current}
	}
	s.audit(ctx, AuditMemberPut, t.ID, u.Email, before, map[string]any{"role": m.Role, "approver": m.Approver})
	return &schema.Member{Membership: m, Email: u.Email, Name: u.Name}, nil
}

func (s *core) keepAnOwner(ctx context.Context, teamID string) error {
	n, err := s.store.CountOwners(ctx, teamID)
	if err != nil {
		return err
	}
	if n <= 1 {
		return stateErr("a team needs an owner; make someone else owner first")
	}
	return nil
}

// RemoveMember takes a user out of a team. Members may always leave,
// except the last owner.
func (s *People) RemoveMember(ctx context.Context, team, user string) error {
	a, err := actor(ctx)
	if err != nil {
		return err
	}
	u, err := s.store.GetUser(ctx, strings.TrimSpace(user))
	if err != nil {
		return err
	}
	perm := release.PermManageMembers
	if u.ID == a.UserID {
		perm = release.PermRead // leaving
	}
	t, a, err := s.authorizeTeam(ctx, team, perm)
	if err != nil {
		return err
	}
	var current release.Role
	members, err := s.store.TeamMembers(ctx, t.ID)
	if err != nil {
		return err
	}
	for _, x := range members {
		if x.UserID == u.ID {
			current = x.Role
		}
	}
	if current == "" {
		return fmt.Errorf("%s is not a member of %s: %w", u.Email, t.Name, schema.ErrNotFound)
	}
	if u.ID != a.UserID && a.RoleIn(t.ID) != release.RoleOwner && current.Rank() >= release.RoleAdmin.Rank() {
		return errorf(KindForbidden, "only owners remove owners and admins")
	}
	if current == release.RoleOwner {
		if err := s.keepAnOwner(ctx, t.ID); err != nil {
			return err
		}
	}
	if err := s.store.DeleteMembership(ctx, t.ID, u.ID); err != nil {
		return err
	}
	s.audit(ctx, AuditMemberRemove, t.ID, u.Email, map[string]any{"role": current}, nil)
	return nil
}

// ShareApp lets another team see an app, read-only (admins of the app's
// team).
func (s *People) ShareApp(ctx context.Context, appName, team string) error {
	app, _, err := s.authorizeApp(ctx, appName, release.PermShare)
	if err != nil {
		return err
	}
	t, err := s.store.GetTeam(ctx, strings.TrimSpace(team))
	if errors.Is(err, schema.ErrNotFound) {
		return &ValidationError{Fields: map[string]string{"team": "no team " + team}}
	} else if err != nil {
		return err
	}
	if t.ID == app.TeamID {
		return &ValidationError{Fields: map[string]string{"team": app.Name + " already belongs to " + t.Name}}
	}
	if err := s.store.ShareApp(ctx, app.ID, t.ID); err != nil {
		return err
	}
	s.audit(ctx, AuditAppShare, app.TeamID, app.Name, nil, map[string]any{"shared_with": t.Name})
	return nil
}

// UnshareApp stops sharing an app with a team.
func (s *People) UnshareApp(ctx context.Context, appName, team string) error {
	app, _, err := s.authorizeApp(ctx, appName, release.PermShare)
	if err != nil {
		return err
	}
	t, err := s.store.GetTeam(ctx, strings.TrimSpace(team))
	if err != nil {
		return err
	}
	if err := s.store.UnshareApp(ctx, app.ID, t.ID); err != nil {
		return err
	}
	s.audit(ctx, AuditAppUnshare, app.TeamID, app.Name, map[string]any{"shared_with": t.Name}, nil)
	return nil
}

// ListMembers is listMembers with the records as the API answers them.
func (s *People) ListMembers(ctx context.Context, team string) ([]Member, error) {
	v, err := s.listMembers(ctx, team)
	return each(v, memberOf), err
}

// PutMember is putMember with the records as the API answers them.
func (s *People) PutMember(ctx context.Context, team, user string, in MemberInput) (*Member, error) {
	v, err := s.putMember(ctx, team, user, in)
	return optional(v, memberOf), err
}
