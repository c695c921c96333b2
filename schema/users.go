package schema

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/rivetr/rivetr/internal/release"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// ---- users ----

// CreateUser inserts u; ErrConflict when the email is taken.
func (s *Store) CreateUser(ctx context.Context, u *User) error {
	u.Email = strings.ToLower(u.Email)
	return wrap(s.db.WithContext(ctx).Create(u).Error, "user "+u.Email)
}

// GetUser finds a user by ID or email.
func (s *Store) GetUser(ctx context.Context, idOrEmail string) (*User, error) {
	var u User
	err := s.db.WithContext(ctx).Where("id = ? OR email = ?", idOrEmail, strings.ToLower(idOrEmail)).First(&u).Error
	if err != nil {
		return nil, wrap(err, "user "+idOrEmail)
	}
	return &u, nil
}

// ListUsers returns every user, by email.
func (s *Store) ListUsers(ctx context.Context) ([]User, error) {
	var us []User
	err := s.db.WithContext(ctx).Order("email").Find(&us).Error
	return us, wrap(err, "list users")
}

// CountUsers returns how many users exist.
func (s *Store) CountUsers(ctx context.Context) (int64, error) {
	var n int64
	err := s.db.WithContext(ctx).Model(&User{}).Count(&n).Error
	return n, wrap(err, "count users")
}

// FirstInstanceAdmin returns the earliest instance admin: the owner made at
// setup.
func (s *Store) FirstInstanceAdmin(ctx context.Context) (*User, error) {
	var u User
	err := s.db.WithContext(ctx).Where("instance_admin = ?", true).Order("created_at, id").First(&u).Error
	if err != nil {
		return nil, wrap(err, "instance admin")
	}
	return &u, nil
}

// SetPassword replaces a user's password hash and ends their sessions.
func (s *Store) SetPassword(ctx context.Context, userID, hash string) error {
	return s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		res := tx.Model(&User{}).Where("id = ?", userID).Update("password_hash", hash)
		if res.Error == nil && res.RowsAffected == 0 {
			return fmt.Errorf("user %s: %w", userID, ErrNotFound)
		}
		if res.Error != nil {
			return wrap(res.Error, "set password")
		}
		if err := tx.Where("user_id = ?", userID).Delete(&Session{}).Error; err != nil {
			return wrap(err, "end sessions")
		}
		// A reset password is one someone else may have known: the API
		// tokens made with it go too.
		return wrap(tx.Where("user_id = ?", userID).Delete(&APIToken{}).Error, "revoke tokens")
	})
}

// ---- teams ----

// CreateTeam inserts t and makes owner its owner, in one transaction.
func (s *Store) CreateTeam(ctx context.Context, t *Team, owner string) error {
	return s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Create(t).Error; err != nil {
			return wrap(err, "team "+t.Name)
		}
		if owner == "" {
			return nil
		}
		return wrap(tx.Create(&Membership{TeamID: t.ID, UserID: owner, Role: release.RoleOwner}).Error, "team owner")
	})
}

// GetTeam finds a team by name or ID.
func (s *Store) GetTeam(ctx context.Context, nameOrID string) (*Team, error) {
	var t Team
	if err := s.db.WithContext(ctx).Where("name = ? OR id = ?", nameOrID, nameOrID).First(&t).Error; err != nil {
		return nil, wrap(err, "team "+nameOrID)
	}
	return &t, nil
}

// ListTeams returns teams by name: all of them when ids is nil, else those
// with the given IDs.
func (s *Store) ListTeams(ctx context.Context, ids []string) ([]Team, error) {
	var ts []Team
	q := s.db.WithContext(ctx).Order("name")
	if ids != nil {
		if len(ids) == 0 {
			return nil, nil
		}
		q = q.Where("id IN ?", ids)
	}
	err := q.Find(&ts).Error
	return ts, wrap(err, "list teams")
}

// DeleteTeam removes a team and its memberships; ErrConflict while it
// still owns apps.
func (s *Store) DeleteTeam(ctx context.Context, teamID string) error {
	return s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var n int64
		if err := tx.Model(&App{}).Where("team_id = ?", teamID).Count(&n).Error; err != nil {
			return wrap(err, "delete team")
		}
		if n > 0 {
			return &InUseError{Reason: fmt.Sprintf("team still owns %d apps (delete or move them first)", n)}
		}
		for _, m := range []any{&Membership{}, &AppShare{}, &Environment{}, &FreezeWindow{}} {
			if err := tx.Where("team_id = ?", teamID).Delete(m).Error; err != nil {
				return wrap(err, "delete team")
			}
		}
		res := tx.Where("id = ?", teamID).Delete(&Team{})
		if res.Error == nil && res.RowsAffected == 0 {
			return fmt.Errorf("team %s: %w", teamID, ErrNotFound)
		}
		return wrap(res.Error, "delete team")
	})
}

// Memberships returns a user's memberships.
func (s *Store) Memberships(ctx context.Context, userID string) ([]Membership, error) {
	var ms []Membership
	err := s.db.WithContext(ctx).Where("user_id = ?", userID).Find(&ms).Error
	return ms, wrap(err, "memberships")
}

// Member is a membership with its user, as team listings show it.
type Member struct {
	Membership
	Email string `json:"email"`
	Name  string `json:"name"`
}

// TeamMembers returns a team's members by email.
func (s *Store) TeamMembers(ctx context.Context, teamID string) ([]Member, error) {
	var ms []Member
	err := s.db.WithContext(ctx).Table("memberships").
		Select("memberships.*, users.email, users.name").
		Joins("JOIN users ON users.id = memberships.user_id").
		Where("memberships.team_id = ?", teamID).Order("users.email").Scan(&ms).Error
	return ms, wrap(err, "team members")
}

// PutMembership inserts or replaces a membership.
func (s *Store) PutMembership(ctx context.Context, m *Membership) error {
	return wrap(s.db.WithContext(ctx).Save(m).Error, "membership")
}

// DeleteMembership removes a user from a team.
func (s *Store) DeleteMembership(ctx context.Context, teamID, userID string) error {
	res := s.db.WithContext(ctx).Where("team_id = ? AND user_id = ?", teamID, userID).Delete(&Membership{})
	if res.Error == nil && res.RowsAffected == 0 {
		return fmt.Errorf("membership: %w", ErrNotFound)
	}
	return wrap(res.Error, "membership")
}

// CountOwners returns how many owners a team has.
func (s *Store) CountOwners(ctx context.Context, teamID string) (int64, error) {
	var n int64
	err := s.db.WithContext(ctx).Model(&Membership{}).Where("team_id = ? AND role = ?", teamID, release.RoleOwner).Count(&n).Error
	return n, wrap(err, "count owners")
}

// MoveUnownedApps puts every app without a team into teamID and returns
// how many moved.
func (s *Store) MoveUnownedApps(ctx context.Context, teamID string) (int64, error) {
	res := s.db.WithContext(ctx).Model(&App{}).Where("team_id = ? OR team_id IS NULL", "").Update("team_id", teamID)
	return res.RowsAffected, wrap(res.Error, "move apps")
}

// ListAppsIn returns the apps of the given teams, by name.
// Apps shared with one of the teams are included.
func (s *Store) ListAppsIn(ctx context.Context, teamIDs []string) ([]App, error) {
	if len(teamIDs) == 0 {
		return nil, nil
	}
	var apps []App
	shared := s.db.Model(&AppShare{}).Select("app_id").Where("team_id IN ?", teamIDs)
	err := s.db.WithContext(ctx).Where("team_id IN ? OR id IN (?)", teamIDs, shared).Order("name").Find(&apps).Error
	return apps, wrap(err, "list apps")
}

// ShareApp lets a team see an app; sharing twice is no error.
func (s *Store) ShareApp(ctx context.Context, appID, teamID string) error {
	err := s.db.WithContext(ctx).Clauses(clause.OnConflict{DoNothing: true}).Create(&AppShare{AppID: appID, TeamID: teamID}).Error
	return wrap(err, "share app")
}

// UnshareApp stops sharing an app with a team.
func (s *Store) UnshareApp(ctx context.Context, appID, teamID string) error {
	res := s.db.WithContext(ctx).Where("app_id = ? AND team_id = ?", appID, teamID).Delete(&AppShare{})
	if res.Error == nil && res.RowsAffected == 0 {
		return fmt.Errorf("the app is not shared with that team: %w", ErrNotFound)
	}
	return wrap(res.Error, "unshare app")
}

// AppShares returns the teams an app is shared with.
func (s *Store) AppShares(ctx context.Context, appID string) ([]string, error) {
	var ids []string
	err := s.db.WithContext(ctx).Model(&AppShare{}).Where("app_id = ?", appID).Order("team_id").Pluck("team_id", &ids).Error
	return ids, wrap(err, "app shares")
}

// SharesOf returns, for the given teams, which app IDs are shared with
// them.
func (s *Store) SharesOf(ctx context.Context, teamIDs []string) (map[string]bool, error) {
	out := map[string]bool{}
	if len(teamIDs) == 0 {
		return out, nil
	}
	var ids []string
	err := s.db.WithContext(ctx).Model(&AppShare{}).Where("team_id IN ?", teamIDs).Pluck("app_id", &ids).Error
	for _, id := range ids {
		out[id] = true
	}
	return out, wrap(err, "app shares")
}

// ---- tokens ----

// ListTokens returns a user's tokens, newest first.
func (s *Store) ListTokens(ctx context.Context, userID string) ([]APIToken, error) {
	var ts []APIToken
	err := s.db.WithContext(ctx).Where("user_id = ?", userID).Order("created_at DESC").Find(&ts).Error
	return ts, wrap(err, "list tokens")
}

// DeleteToken revokes a user's token by ID or name.
func (s *Store) DeleteToken(ctx context.Context, userID, idOrName string) error {
	res := s.db.WithContext(ctx).Where("user_id = ? AND (id = ? OR name = ?)", userID, idOrName, idOrName).Delete(&APIToken{})
	if res.Error == nil && res.RowsAffected == 0 {
		return fmt.Errorf("token %s: %w", idOrName, ErrNotFound)
	}
	return wrap(res.Error, "revoke token")
}

// TouchToken records a token's use, at most once a minute.
func (s *Store) TouchToken(ctx context.Context, id string, now time.Time) error {
	err := s.db.WithContext(ctx).Model(&APIToken{}).
		Where("id = ? AND (last_used_at IS NULL OR last_used_at < ?)", id, now.Add(-time.Minute)).
		Update("last_used_at", now).Error
	return wrap(err, "touch token")
}

// ---- invitations ----

// CreateInvitation stores an invitation.
func (s *Store) CreateInvitation(ctx context.Context, inv *Invitation) error {
	inv.Email = strings.ToLower(inv.Email)
	return wrap(s.db.WithContext(ctx).Create(inv).Error, "invitation")
}

// InvitationByHash finds an invitation by the SHA-256 of one of its
// tokens (the link shown to the inviter or the one emailed).
func (s *Store) InvitationByHash(ctx context.Context, hash string) (*Invitation, error) {
	var inv Invitation
	if err := s.db.WithContext(ctx).Where("token_hash = ? OR (sign_up_hash = ? AND sign_up_hash <> '')", hash, hash).First(&inv).Error; err != nil {
		return nil, wrap(err, "invitation")
	}
	return &inv, nil
}

// ListInvitations returns a team's open invitations (not accepted,
// declined or revoked), newest first; expired ones are included.
func (s *Store) ListInvitations(ctx context.Context, teamID string) ([]Invitation, error) {
	var out []Invitation
	err := s.db.WithContext(ctx).Where("team_id = ? AND status = ?", teamID, InvitePending).Order("created_at DESC").Find(&out).Error
	return out, wrap(err, "list invitations")
}

// CloseInvitation moves a pending invitation to status; ErrNotFound when it
// is not pending (already used, declined or revoked).
func (s *Store) CloseInvitation(ctx context.Context, id, status string, now time.Time) error {
	res := s.db.WithContext(ctx).Model(&Invitation{}).Where("id = ? AND status = ?", id, InvitePending).
		Updates(map[string]any{"status": status, "closed_at": now})
	if res.Error == nil && res.RowsAffected == 0 {
		return fmt.Errorf("invitation %s is no longer open: %w", id, ErrNotFound)
	}
	return wrap(res.Error, "invitation")
}

// AcceptInvitation closes the invitation and adds the membership in one
// transaction, so an invitation makes one member at most.
func (s *Store) AcceptInvitation(ctx context.Context, inv *Invitation, userID string, now time.Time) error {
	return s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		res := tx.Model(&Invitation{}).Where("id = ? AND status = ?", inv.ID, InvitePending).
			Updates(map[string]any{"status": InviteAccepted, "closed_at": now, "accepted_by": userID})
		if res.Error != nil {
			return wrap(res.Error, "accept invitation")
		}
		if res.RowsAffected == 0 {
			return fmt.Errorf("this invitation was already used, declined or revoked: %w", ErrNotFound)
		}
		var existing Membership
		err := tx.Where("team_id = ? AND user_id = ?", inv.TeamID, userID).First(&existing).Error
		if err == nil {
			// Already a member: an invitation never lowers a role.
			if inv.Role.Rank() <= existing.Role.Rank() {
				return nil
			}
		}
		m := Membership{TeamID: inv.TeamID, UserID: userID, Role: inv.Role, Approver: inv.Approver || existing.Approver}
		return wrap(tx.Save(&m).Error, "membership")
	})
}

// InstanceAdminIDs returns the IDs of the instance admins.
func (s *Store) InstanceAdminIDs(ctx context.Context) ([]string, error) {
	var ids []string
	err := s.db.WithContext(ctx).Model(&User{}).Where("instance_admin = ?", true).Pluck("id", &ids).Error
	return ids, wrap(err, "instance admins")
}
