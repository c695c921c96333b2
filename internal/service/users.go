package service

import (
	"context"
	"errors"
	"fmt"
	"net/mail"
	"strings"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/rivetr/rivetr/internal/ids"
	"github.com/rivetr/rivetr/internal/release"
	"github.com/rivetr/rivetr/schema"
)

// DefaultTeam is the team made with the owner account; apps from before
// teams existed move there.
const DefaultTeam = "default"

// MinPasswordLength is the shortest password accepted.
const MinPasswordLength = 10

// UserInput creates a user.
type UserInput struct {
	Email    string `json:"email"`
	Name     string `json:"name"`
	Password string `json:"password"`
	// InstanceAdmin makes the user an instance admin (only instance admins
	// may set it).
	InstanceAdmin bool `json:"instance_admin,omitempty"`
}

func (in *UserInput) validate() error {
	f := fieldErrors{}
	in.Email = strings.ToLower(strings.TrimSpace(in.Email))
	in.Name = strings.TrimSpace(in.Name)
	if a, err := mail.ParseAddress(in.Email); err != nil || a.Address != in.Email {
		f.add("email", "must be an email address like ada@example.com")
	}
	if len(in.Name) > 255 {
		f.add("name", "must be at most 255 characters")
	}
	if err := validPassword(in.Password); err != nil {
		f.add("password", "%s", err.Error())
	}
	return f.err()
}

func validPassword(p string) error {
	switch {
	case len(p) < MinPasswordLength:
		return fmt.Errorf("must be at least %d characters", MinPasswordLength)
	case len(p) > 72:
		return errors.New("must be at most 72 bytes (bcrypt's limit)")
	}
	return nil
}

// UserView is a user as the API shows it.
type UserView struct {
	User
	Teams []TeamRole `json:"teams,omitempty"`
}

// TeamRole is one of a user's teams with their role there.
type TeamRole struct {
	Team     string       `json:"team"`
	TeamID   string       `json:"team_id"`
	Role     release.Role `json:"role"`
	Approver bool         `json:"approver,omitempty"`
}

func (s *core) createUser(ctx context.Context, in UserInput) (*schema.User, error) {
	if err := in.validate(); err != nil {
		return nil, err
	}
	hash, err := bcrypt.GenerateFromPassword([]byte(in.Password), bcrypt.DefaultCost)
	if err != nil {
		return nil, err
	}
	u := &schema.User{ID: ids.New(), Email: in.Email, Name: in.Name, PasswordHash: string(hash), InstanceAdmin: in.InstanceAdmin}
	if err := s.store.CreateUser(ctx, u); err != nil {
		if errors.Is(err, schema.ErrConflict) {
			return nil, &ValidationError{Fields: map[string]string{"email": "a user with this email already exists"}}
		}
		return nil, err
	}
	return u, nil
}

// SetupNeeded reports whether no user exists yet: the dashboard then offers
// the owner setup page.
func (s *People) SetupNeeded(ctx context.Context) (bool, error) {
	n, err := s.store.CountUsers(ctx)
	return n == 0, err
}

// OwnerResult is what CreateOwner made.
type OwnerResult struct {
	User      User  `json:"user"`
	Team      Team  `json:"team"`
	MovedApps int64 `json:"moved_apps"`
}

// CreateOwner makes the first user: an instance admin who owns the default
// team, which also receives the apps made before teams existed. It needs
// the admin token (so whoever reaches a fresh server first cannot claim
// it) and works only while no user exists.
func (s *People) CreateOwner(ctx context.Context, in UserInput) (*OwnerResult, error) {
	a, err := actor(ctx)
	if err != nil {
		return nil, err
	}
	if !a.InstanceAdmin || a.UserID != "" {
		return nil, errorf(KindForbidden, "creating the owner needs the admin token from <data-dir>/admin-token")
	}
	if need, err := s.SetupNeeded(ctx); err != nil {
		return nil, err
	} else if !need {
		return nil, stateErr("the owner already exists; an instance admin adds more users with rivetr users create")
	}
	in.InstanceAdmin = true
	u, err := s.createUser(ctx, in)
	if err != nil {
		return nil, err
	}
	res, err := s.migrateTeams(ctx, u)
	if err != nil {
		return nil, err
	}
	res.User = userOf(u)
	s.audit(ctx, AuditOwnerCreate, res.Team.ID, u.Email, nil, map[string]any{"email": u.Email, "name": u.Name, "team": res.Team.Name, "moved_apps": res.MovedApps})
	return res, nil
}

// MigrateTeams moves every app made before teams existed into the default
// team, owned by the first owner; it makes the team when missing. Running
// it again moves nothing.
func (s *People) MigrateTeams(ctx context.Context) (*OwnerResult, error) {
	a, err := actor(ctx)
	if err != nil {
		return nil, err
	}
	if err := instanceAdminOnly(a, "migrating teams needs an instance admin"); err != nil {
		return nil, err
	}
	owner, err := s.store.FirstInstanceAdmin(ctx)
	if errors.Is(err, schema.ErrNotFound) {
		return nil, stateErr("no owner exists yet; create one first with rivetr users create-owner")
	} else if err != nil {
		return nil, err
	}
	res, err := s.migrateTeams(ctx, owner)
	if err != nil {
		return nil, err
	}
	res.User = userOf(owner)
	if res.MovedApps > 0 {
		s.audit(ctx, AuditTeamsMigrate, res.Team.ID, res.Team.Name, nil, map[string]any{"moved_apps": res.MovedApps})
	}
	return res, nil
}

func (s *core) migrateTeams(ctx context.Context, owner *schema.User) (*OwnerResult, error) {
	team, err := s.store.GetTeam(ctx, DefaultTeam)
	if errors.Is(err, schema.ErrNotFound) {
		team = &schema.Team{ID: ids.New(), Name: DefaultTeam}
		err = s.store.CreateTeam(ctx, team, owner.ID)
	}
	if err != nil {
		return nil, err
	}
	moved, err := s.store.MoveUnownedApps(ctx, team.ID)
	if err != nil {
		return nil, err
	}
	return &OwnerResult{Team: teamOf(team), MovedApps: moved}, nil
}

// CreateUser adds a user with a password (instance admins only); teams
// then add them as members.
func (s *People) CreateUser(ctx context.Context, in UserInput) (*UserView, error) {
	a, err := actor(ctx)
	if err != nil {
		return nil, err
	}
	if err := instanceAdminOnly(a, "adding users needs an instance admin; team admins invite people to their team instead"); err != nil {
		return nil, err
	}
	u, err := s.createUser(ctx, in)
	if err != nil {
		return nil, err
	}
	s.audit(ctx, AuditUserCreate, "", u.Email, nil, map[string]any{"email": u.Email, "name": u.Name, "instance_admin": u.InstanceAdmin})
	return &UserView{User: userOf(u)}, nil
}

// ListUsers returns every user (instance admins only).
func (s *People) listUsers(ctx context.Context) ([]schema.User, error) {
	a, err := actor(ctx)
	if err != nil {
		return nil, err
	}
	if err := instanceAdminOnly(a, "listing users needs an instance admin"); err != nil {
		return nil, err
	}
	return s.store.ListUsers(ctx)
}

// ResetPassword sets a user's password (instance admins only) and ends
// the user's dashboard sessions.
func (s *People) ResetPassword(ctx context.Context, user, password string) error {
	a, err := actor(ctx)
	if err != nil {
		return err
	}
	if err := instanceAdminOnly(a, "resetting passwords needs an instance admin"); err != nil {
		return err
	}
	if err := validPassword(password); err != nil {
		return &ValidationError{Fields: map[string]string{"password": err.Error()}}
	}
	u, err := s.store.GetUser(ctx, user)
	if err != nil {
		return err
	}
	hash, err := bcrypt.GenerateFromPassword([]byte(password), bcrypt.DefaultCost)
	if err != nil {
		return err
	}
	if err := s.store.SetPassword(ctx, u.ID, string(hash)); err != nil {
		return err
	}
	s.audit(ctx, AuditPasswordReset, "", u.Email, nil, nil)
	return nil
}

// Me returns the signed-in user with their teams; the admin token has no
// user and is shown as an instance admin.
func (s *People) Me(ctx context.Context) (*UserView, error) {
	a, err := actor(ctx)
	if err != nil {
		return nil, err
	}
	v := &UserView{User: User{ID: a.UserID, Email: a.Email, Name: a.Name, InstanceAdmin: a.InstanceAdmin}}
	teams, err := s.store.ListTeams(ctx, a.TeamIDs())
	if err != nil {
		return nil, err
	}
	for _, t := range teams {
		if !a.Member(t.ID) {
			continue
		}
		tr := TeamRole{Team: t.Name, TeamID: t.ID, Role: a.RoleIn(t.ID)}
		if m, ok := a.teams[t.ID]; ok {
			tr.Approver = m.Approver
		}
		v.Teams = append(v.Teams, tr)
	}
	return v, nil
}

// ---- tokens ----

// TokenInput creates an API token.
type TokenInput struct {
	Name string `json:"name"`
	// Role caps the token; "" acts with the owner's roles.
	Role release.Role `json:"role,omitempty"`
	// ExpiresIn is a duration such as "720h"; "" never expires.
	ExpiresIn string `json:"expires_in,omitempty"`
}

// NewToken is a token as created: its value is shown this once.
type NewToken struct {
	APIToken
	Token string `json:"token"`
}

// CreateToken makes an API token for the signed-in user. Its role can
// only narrow what the user may do.
func (s *People) CreateToken(ctx context.Context, in TokenInput) (*NewToken, error) {
	a, err := actor(ctx)
	if err != nil {
		return nil, err
	}
	if a.UserID == "" {
		return nil, errorf(KindForbidden, "the admin token cannot make tokens; create the owner (rivetr users create-owner) and sign in")
	}
	f := fieldErrors{}
	in.Name = strings.TrimSpace(in.Name)
	if in.Name == "" || len(in.Name) > 100 {
		f.add("name", "is required (at most 100 characters)")
	}
	if in.Role != "" && !in.Role.Valid() {
		f.add("role", "must be one of %s", strings.Join(release.RoleNames(), ", "))
	}
	// A token never holds more than its maker's own token does.
	if in.Role == "" && a.TokenRole != "" {
		in.Role = a.TokenRole
	} else if in.Role != "" && a.TokenRole != "" && in.Role.Rank() > a.TokenRole.Rank() {
		f.add("role", "cannot be higher than the %s role of the token making it", a.TokenRole)
	}
	var expires *time.Time
	if in.ExpiresIn != "" {
		d, err := time.ParseDuration(in.ExpiresIn)
		if err != nil || d <= 0 || d > 10*365*24*time.Hour {
			f.add("expires_in", "must be a positive duration such as 720h, at most ten years")
		} else {
			t := time.Now().UTC().Add(d)
			expires = &t
		}
	}
	if err := f.err(); err != nil {
		return nil, err
	}
	value := TokenPrefix + ids.Token(24)
	t := schema.APIToken{ID: ids.New(), Name: in.Name, Hash: hashToken(value), UserID: a.UserID, Role: in.Role, ExpiresAt: expires}
	if err := s.store.CreateToken(ctx, &t); err != nil {
		return nil, err
	}
	after := map[string]any{"id": t.ID, "name": t.Name, "role": t.Role}
	if t.ExpiresAt != nil {
		after["expires_at"] = t.ExpiresAt.Format(time.RFC3339)
	}
	s.audit(ctx, AuditTokenCreate, "", a.Who(), nil, after)
	return &NewToken{APIToken: aPITokenOf(&t), Token: value}, nil
}

// ListTokens returns the signed-in user's tokens (never their values).
func (s *People) listTokens(ctx context.Context) ([]schema.APIToken, error) {
	a, err := actor(ctx)
	if err != nil {
		return nil, err
	}
	if a.UserID == "" {
		return []schema.APIToken{}, nil
	}
	return s.store.ListTokens(ctx, a.UserID)
}

// RevokeToken deletes one of the signed-in user's tokens by ID or name.
func (s *People) RevokeToken(ctx context.Context, idOrName string) error {
	a, err := actor(ctx)
	if err != nil {
		return err
	}
	if a.UserID == "" {
		return fmt.Errorf("token %s: %w", idOrName, schema.ErrNotFound)
	}
	if err := s.store.DeleteToken(ctx, a.UserID, idOrName); err != nil {
		return err
	}
	s.audit(ctx, AuditTokenRevoke, "", a.Who(), map[string]any{"token": idOrName}, nil)
	return nil
}

// RevokeCurrentToken revokes the token the request came with (rivetr
// logout). The admin token cannot revoke itself.
func (s *People) RevokeCurrentToken(ctx context.Context) error {
	a, err := actor(ctx)
	if err != nil {
		return err
	}
	if a.UserID == "" || a.TokenID == "" {
		return stateErr("only a user's token can be revoked this way")
	}
	if err := s.store.DeleteToken(ctx, a.UserID, a.TokenID); err != nil {
		return err
	}
	s.audit(ctx, AuditTokenRevoke, "", a.Who(), map[string]any{"token": a.TokenID}, map[string]any{"via": "logout"})
	return nil
}

// LoginForToken checks an email and password and makes a token for the
// CLI (`rivetr login`).
func (s *People) LoginForToken(ctx context.Context, email, password, name string) (*NewToken, error) {
	u, err := s.checkPassword(ctx, email, password)
	if err != nil {
		return nil, err
	}
	if strings.TrimSpace(name) == "" {
		name = "cli " + time.Now().UTC().Format("2006-01-02 15:04")
	}
	a, err := s.userActor(ctx, u.ID, &Actor{})
	if err != nil {
		return nil, err
	}
	ctx = WithActor(ctx, a)
	s.audit(ctx, AuditLogin, "", u.Email, nil, map[string]any{"via": "api", "token": name})
	return s.CreateToken(ctx, TokenInput{Name: name})
}

// ListUsers is listUsers with the records as the API answers them.
func (s *People) ListUsers(ctx context.Context) ([]User, error) {
	v, err := s.listUsers(ctx)
	return each(v, userOf), err
}

// ListTokens is listTokens with the records as the API answers them.
func (s *People) ListTokens(ctx context.Context) ([]APIToken, error) {
	v, err := s.listTokens(ctx)
	return each(v, aPITokenOf), err
}
