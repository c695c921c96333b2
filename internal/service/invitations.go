package service

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"net/mail"
	"strings"
	"time"

	"github.com/rivetr/rivetr/internal/ids"
	rmail "github.com/rivetr/rivetr/internal/mail"
	"github.com/rivetr/rivetr/internal/release"
	"github.com/rivetr/rivetr/schema"
)

// InvitationTTL is how long an invitation link works.
const InvitationTTL = 7 * 24 * time.Hour

// InvitationInput invites someone to a team.
type InvitationInput struct {
	Email    string       `json:"email"`
	Role     release.Role `json:"role"`
	Approver bool         `json:"approver,omitempty"`
}

// InvitationView is an invitation as shown: Link only right after it is
// made (only the token's hash is kept), Mailed/MailError say whether the
// email went out.
type InvitationView struct {
	Invitation
	Team       string `json:"team"`
	Link       string `json:"link,omitempty"`
	Mailed     bool   `json:"mailed"`
	MailError  string `json:"mail_error,omitempty"`
	HasAccount bool   `json:"has_account"`
	// SignsUp says Link itself may create the invited account (an
	// instance admin's invitation); otherwise only the emailed link does,
	// and Link lets an existing account join.
	SignsUp bool `json:"signs_up"`
}

// Invite makes an invitation to a team and emails its link when SMTP is
// configured; the link is returned either way, to copy. base is the
// dashboard's address as the caller reached it (used unless --public-url
// is set).
func (s *People) Invite(ctx context.Context, team string, in InvitationInput, base string) (*InvitationView, error) {
	t, a, err := s.authorizeTeam(ctx, team, release.PermManageMembers)
	if err != nil {
		return nil, err
	}
	f := fieldErrors{}
	email := strings.ToLower(strings.TrimSpace(in.Email))
	if addr, err := mail.ParseAddress(email); err != nil || addr.Address != email {
		f.add("email", "must be an email address like ada@example.com")
	}
	if !in.Role.Valid() {
		f.add("role", "must be one of %s", strings.Join(release.RoleNames(), ", "))
	}
	if err := f.err(); err != nil {
		return nil, err
	}
	if a.RoleIn(t.ID) != release.RoleOwner && in.Role.Rank() >= release.RoleAdmin.Rank() {
		return nil, errorf(KindForbidden, "only owners invite owners and admins")
	}
	if u, err := s.store.GetUser(ctx, email); err == nil {
		if members, err := s.store.TeamMembers(ctx, t.ID); err == nil {
			for _, m := range members {
				if m.UserID == u.ID && m.Role.Rank() >= in.Role.Rank() {
					return nil, &ValidationError{Fields: map[string]string{"email": fmt.Sprintf("%s is already %s in %s", email, m.Role, t.Name)}}
				}
			}
		}
	}
	// Two links: the one shown to the inviter lets an existing account
	// join; only the emailed one creates the account, so an inviter
	// cannot open an account for an address they do not hold (and own
	// it when its person arrives). An instance admin's link may, since
	// instance admins create accounts anyway.
	token, mailed := ids.Token(32), ids.Token(32)
	now := time.Now().UTC()
	inv := schema.Invitation{ID: ids.New(), TeamID: t.ID, Email: email, Role: in.Role, Approver: in.Approver,
		TokenHash: hashToken(token), InvitedBy: a.Who(), Status: schema.InvitePending, CreatedAt: now, ExpiresAt: now.Add(InvitationTTL)}
	switch {
	case a.ActsAsInstanceAdmin():
		inv.SignUpHash = inv.TokenHash
	case s.mailer != nil:
		inv.SignUpHash = hashToken(mailed)
	}
	if err := s.store.CreateInvitation(ctx, &inv); err != nil {
		return nil, err
	}
	if s.publicURL != "" {
		base = s.publicURL
	}
	link := func(tok string) string { return strings.TrimRight(base, "/") + "/invite/" + tok }
	v := &InvitationView{Invitation: invitationOf(&inv), Team: t.Name, Link: link(token), SignsUp: inv.SignUpHash == inv.TokenHash}
	if s.mailer != nil {
		sent := link(mailed)
		if v.SignsUp {
			sent = v.Link
		}
		err := s.mailer.Send(ctx, rmail.Message{
			To:      email,
			Subject: fmt.Sprintf("%s invited you to %s on Rivetr", a.Who(), t.Name),
			Body: fmt.Sprintf("%s invited you to join the team %s on Rivetr as %s.\n\nAccept or decline here:\n%s\n\nThe link works until %s. If you did not expect this, ignore it.\n",
				a.Who(), t.Name, in.Role, sent, inv.ExpiresAt.Format("Mon 2 Jan 2006 15:04 MST")),
		})
		v.Mailed = err == nil
		if err != nil {
			v.MailError = err.Error()
			s.log.Warn("invitation email not sent; the link is shown to copy instead", "to", email, "err", err)
		}
	}
	s.audit(ctx, AuditInvite, t.ID, email, nil, map[string]any{"role": in.Role, "approver": in.Approver, "mailed": v.Mailed})
	return v, nil
}

// ListInvitations returns a team's open invitations (managers only).
func (s *People) ListInvitations(ctx context.Context, team string) ([]InvitationView, error) {
	t, _, err := s.authorizeTeam(ctx, team, release.PermManageMembers)
	if err != nil {
		return nil, err
	}
	invs, err := s.store.ListInvitations(ctx, t.ID)
	if err != nil {
		return nil, err
	}
	out := make([]InvitationView, 0, len(invs))
	for _, inv := range invs {
		out = append(out, InvitationView{Invitation: invitationOf(&inv), Team: t.Name})
	}
	return out, nil
}

// RevokeInvitation closes an open invitation so its link stops working.
func (s *People) RevokeInvitation(ctx context.Context, team, id string) error {
	t, _, err := s.authorizeTeam(ctx, team, release.PermManageMembers)
	if err != nil {
		return err
	}
	invs, err := s.store.ListInvitations(ctx, t.ID)
	if err != nil {
		return err
	}
	for _, inv := range invs {
		if inv.ID == id {
			if err := s.store.CloseInvitation(ctx, id, schema.InviteRevoked, time.Now().UTC()); err != nil {
				return err
			}
			s.audit(ctx, AuditInviteRevoke, t.ID, inv.Email, map[string]any{"role": inv.Role}, nil)
			return nil
		}
	}
	return fmt.Errorf("no open invitation %s in %s: %w", id, t.Name, schema.ErrNotFound)
}

// Invitation looks an invitation up by its link's token: what the accept
// page shows. Used, declined, revoked and expired links say so.
func (s *People) Invitation(ctx context.Context, token string) (*InvitationView, error) {
	inv, err := s.store.InvitationByHash(ctx, hashToken(token))
	if errors.Is(err, schema.ErrNotFound) {
		return nil, fmt.Errorf("this invitation link is not valid; ask for a new one: %w", schema.ErrNotFound)
	} else if err != nil {
		return nil, err
	}
	switch {
	case inv.Status == schema.InviteAccepted:
		return nil, stateErr("this invitation was already accepted; sign in instead")
	case inv.Status != schema.InvitePending:
		return nil, stateErr("this invitation was %s; ask for a new one", inv.Status)
	case !time.Now().Before(inv.ExpiresAt):
		return nil, stateErr("this invitation expired on %s; ask for a new one", inv.ExpiresAt.Format("2 Jan 2006 15:04 MST"))
	}
	v := &InvitationView{Invitation: invitationOf(inv)}
	if t, err := s.store.GetTeam(ctx, inv.TeamID); err == nil {
		v.Team = t.Name
	}
	if u, err := s.store.GetUser(ctx, inv.Email); err == nil && u.Email == inv.Email {
		v.HasAccount = true
	}
	v.SignsUp = inv.SignUpHash != "" && subtle.ConstantTimeCompare([]byte(inv.SignUpHash), []byte(hashToken(token))) == 1
	return v, nil
}

// AcceptInput creates the account of someone accepting an invitation who
// has none; the email is the invitation's.
type AcceptInput struct {
	Name     string `json:"name,omitempty"`
	Password string `json:"password,omitempty"`
}

// AcceptResult says who joined which team as what.
type AcceptResult struct {
	User User         `json:"user"`
	Team string       `json:"team"`
	Role release.Role `json:"role"`
}

// AcceptInvitation adds the invited person to the team. Someone signed in
// must be the invited email; someone with no account creates one here
// (in); someone with an account must sign in first.
func (s *People) AcceptInvitation(ctx context.Context, token string, in AcceptInput) (*AcceptResult, error) {
	v, err := s.Invitation(ctx, token)
	if err != nil {
		return nil, err
	}
	var u *schema.User
	if a := ActorFrom(ctx); a != nil && a.UserID != "" {
		if a.Email != v.Email {
			return nil, errorf(KindForbidden, "this invitation is for %s; you are signed in as %s", v.Email, a.Email)
		}
		if u, err = s.store.GetUser(ctx, a.UserID); err != nil {
			return nil, err
		}
	} else if v.HasAccount {
		return nil, errorf(KindUnauthorized, "%s already has an account: sign in as %s to accept", v.Email, v.Email)
	} else if !v.SignsUp {
		s.writeAudit(ctx, &schema.AuditEntry{Time: time.Now().UTC(), Actor: "anonymous", TeamID: v.TeamID, Action: AuditInviteRefused, Target: v.Email,
			After: map[string]any{"reason": "an account asked for with a link that was not emailed"}})
		return nil, errorf(KindForbidden, "%s has no account yet, and this link cannot create one: only the link emailed to %s does "+
			"(or an instance admin's invitation). Ask the team for an invitation by email, or an instance admin to create the account, then sign in and open this link again", v.Email, v.Email)
	} else {
		if u, err = s.createUser(ctx, UserInput{Email: v.Email, Name: in.Name, Password: in.Password}); err != nil {
			return nil, err
		}
	}
	inv := &schema.Invitation{ID: v.ID, TeamID: v.TeamID, Email: v.Email, Role: v.Role, Approver: v.Approver, Status: v.Status}
	if err := s.store.AcceptInvitation(ctx, inv, u.ID, time.Now().UTC()); err != nil {
		return nil, err
	}
	a, err := s.userActor(ctx, u.ID, &Actor{})
	if err != nil {
		return nil, err
	}
	s.audit(WithActor(ctx, a), AuditInviteAccept, v.TeamID, u.Email, nil, map[string]any{"role": v.Role, "invited_by": v.InvitedBy})
	return &AcceptResult{User: userOf(u), Team: v.Team, Role: a.RoleIn(v.TeamID)}, nil
}

// DeclineInvitation closes an invitation at its recipient's request.
func (s *People) DeclineInvitation(ctx context.Context, token string) error {
	v, err := s.Invitation(ctx, token)
	if err != nil {
		return err
	}
	if err := s.store.CloseInvitation(ctx, v.ID, schema.InviteDeclined, time.Now().UTC()); err != nil {
		return err
	}
	s.writeAudit(ctx, &schema.AuditEntry{Time: time.Now().UTC(), Actor: v.Email, TeamID: v.TeamID, Action: AuditInviteDecline, Target: v.Email})
	return nil
}
