package api

import (
	"context"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/rivetr/rivetr/internal/mail"
	"github.com/rivetr/rivetr/internal/service"
	"github.com/rivetr/rivetr/internal/testsmtp"
	"github.com/rivetr/rivetr/schema"
)

func TestInvitationsOverSMTP(t *testing.T) {
	smtpd, err := testsmtp.Start(testsmtp.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer smtpd.Close()
	w := newRBACWorldWith(t, func(o *service.Options) {
		o.Mailer = &mail.Sender{Addr: smtpd.Addr, From: "Rivetr <rivetr@example.com>"}
	})
	w.token = w.tokens[admin]
	code, b := w.do(t, "POST", "/api/teams/acme/invitations", `{"email":"New.Person@Example.com","role":"developer","approver":true}`)
	var v service.InvitationView
	mustUnmarshal(t, b, &v)
	if code != 201 || !v.Mailed || v.Email != "new.person@example.com" || !strings.Contains(v.Link, "/invite/") {
		t.Fatalf("invite: %d %s", code, b)
	}
	msg, err := smtpd.WaitFor("new.person@example.com", 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(msg.Data, "admin@example.com invited you to join the team acme") || v.SignsUp {
		t.Fatalf("the email:\n%s", msg.Data)
	}
	token := regexp.MustCompile(`/invite/([A-Za-z0-9_-]+)`).FindStringSubmatch(msg.Data)[1]
	// Attack: account pre-hijacking. The inviter holds the link they were
	// shown, not the address; that link cannot open the account (which
	// they would then own), only the emailed one can. Nothing is created,
	// the refusal is audited, and the invitation stays open.
	shown := v.Link[strings.LastIndex(v.Link, "/")+1:]
	if shown == token {
		t.Fatal("the emailed link should differ from the one shown to the inviter")
	}
	if code, b := w.call(t, "", "GET", "/api/invitations/"+shown, ""); code != 200 || !strings.Contains(string(b), `"signs_up":false`) {
		t.Fatalf("read with the shown link: %d %s", code, b)
	}
	if code, b := w.call(t, "", "POST", "/api/invitations/"+shown+"/accept", `{"name":"Mallory","password":"mallorys password"}`); code != 403 ||
		!strings.Contains(string(b), "only the link emailed to new.person@example.com") {
		t.Fatalf("an account made with the inviter's link: %d %s", code, b)
	}
	if _, err := w.store.GetUser(context.Background(), "new.person@example.com"); err == nil {
		t.Fatal("the refused accept created the account")
	}
	if entries, err := w.store.ListAudit(context.Background(), schema.AuditFilter{Action: service.AuditInviteRefused}); err != nil || len(entries) != 1 || entries[0].Target != "new.person@example.com" {
		t.Fatalf("the refusal is not audited: %v %+v", err, entries)
	}
	// Admins cannot invite admins; the list shows the open invitation
	// without its link.
	if code, _ := w.do(t, "POST", "/api/teams/acme/invitations", `{"email":"boss@example.com","role":"admin"}`); code != 403 {
		t.Fatalf("an admin inviting an admin: %d", code)
	}
	code, b = w.do(t, "GET", "/api/teams/acme/invitations", "")
	if code != 200 || !strings.Contains(string(b), "new.person@example.com") || strings.Contains(string(b), token) {
		t.Fatalf("list: %d %s", code, b)
	}

	// The recipient, without an account, reads the link and accepts with
	// a new password.
	code, b = w.call(t, "", "GET", "/api/invitations/"+token, "")
	if code != 200 || !strings.Contains(string(b), `"has_account":false`) || !strings.Contains(string(b), `"team":"acme"`) {
		t.Fatalf("read the invitation: %d %s", code, b)
	}
	if code, _ := w.call(t, "", "POST", "/api/invitations/"+token+"/accept", `{"password":"short"}`); code != 400 {
		t.Fatalf("accept with a short password: %d", code)
	}
	code, b = w.call(t, "", "POST", "/api/invitations/"+token+"/accept", `{"name":"New Person","password":"a long password"}`)
	if code != 200 || !strings.Contains(string(b), `"role":"developer"`) {
		t.Fatalf("accept: %d %s", code, b)
	}
	if code, b := w.call(t, "", "POST", "/api/invitations/"+token+"/accept", `{"password":"a long password"}`); code != 409 || !strings.Contains(string(b), "already accepted") {
		t.Fatalf("the link used twice: %d %s", code, b)
	}
	code, b = w.call(t, "", "POST", "/api/auth/login", `{"email":"new.person@example.com","password":"a long password"}`)
	if code != 201 {
		t.Fatalf("the new member signs in: %d %s", code, b)
	}
	var tok service.NewToken
	mustUnmarshal(t, b, &tok)
	code, b = w.call(t, tok.Token, "GET", "/api/me", "")
	if !strings.Contains(string(b), `"team":"acme","team_id"`) || !strings.Contains(string(b), `"role":"developer","approver":true`) {
		t.Fatalf("the new member's teams: %d %s", code, b)
	}

	// Someone with an account signs in first, as the invited email.
	w.token = w.tokens[owner]
	code, b = w.do(t, "POST", "/api/teams/acme/invitations", `{"email":"viewer@example.com","role":"admin"}`)
	mustUnmarshal(t, b, &v)
	token = v.Link[strings.LastIndex(v.Link, "/")+1:]
	if code, b := w.call(t, "", "POST", "/api/invitations/"+token+"/accept", `{}`); code != 401 || !strings.Contains(string(b), "sign in as viewer@example.com") {
		t.Fatalf("accept without signing in: %d %s", code, b)
	}
	if code, _ := w.call(t, w.tokens[developer], "POST", "/api/invitations/"+token+"/accept", `{}`); code != 403 {
		t.Fatalf("accepted by someone else: %d", code)
	}
	if code, b := w.call(t, w.tokens[viewer], "POST", "/api/invitations/"+token+"/accept", `{}`); code != 200 || !strings.Contains(string(b), `"role":"admin"`) {
		t.Fatalf("accepted by the invited user: %d %s", code, b)
	}

	// Revoked and expired links stop working, and say why.
	code, b = w.do(t, "POST", "/api/teams/acme/invitations", `{"email":"late@example.com","role":"viewer"}`)
	mustUnmarshal(t, b, &v)
	token = v.Link[strings.LastIndex(v.Link, "/")+1:]
	if code, _ := w.do(t, "DELETE", "/api/teams/acme/invitations/"+v.ID, ""); code != 204 {
		t.Fatalf("revoke: %d", code)
	}
	if code, b := w.call(t, "", "GET", "/api/invitations/"+token, ""); code != 409 || !strings.Contains(string(b), "revoked") {
		t.Fatalf("a revoked link: %d %s", code, b)
	}
	_, tok2 := w.invitation(t)
	old := &schema.Invitation{ID: "old1", TeamID: w.acme.ID, Email: "old@example.com", Role: "viewer", TokenHash: sha256hex("expired-token"),
		Status: schema.InvitePending, CreatedAt: time.Now().Add(-8 * 24 * time.Hour), ExpiresAt: time.Now().Add(-24 * time.Hour)}
	if err := w.store.CreateInvitation(context.Background(), old); err != nil {
		t.Fatal(err)
	}
	if code, b := w.call(t, "", "POST", "/api/invitations/expired-token/accept", `{"password":"a long password"}`); code != 409 || !strings.Contains(string(b), "expired on") {
		t.Fatalf("an expired link: %d %s", code, b)
	}
	if code, _ := w.call(t, "", "POST", "/api/invitations/"+tok2+"/decline", ""); code != 204 {
		t.Fatalf("decline: %d", code)
	}
	if code, _ := w.call(t, "", "GET", "/api/invitations/"+tok2, ""); code != 409 {
		t.Fatalf("a declined link: %d", code)
	}

	// An instance admin's link creates the account itself (they may
	// create accounts anyway).
	w.token = w.tokens[root]
	code, b = w.do(t, "POST", "/api/teams/acme/invitations", `{"email":"ops@example.com","role":"viewer"}`)
	mustUnmarshal(t, b, &v)
	if code != 201 || !v.SignsUp {
		t.Fatalf("an instance admin's invitation: %d %s", code, b)
	}
	token = v.Link[strings.LastIndex(v.Link, "/")+1:]
	if code, b := w.call(t, "", "POST", "/api/invitations/"+token+"/accept", `{"password":"a long password"}`); code != 200 {
		t.Fatalf("accept an instance admin's link: %d %s", code, b)
	}
}

// When the SMTP server is down the invitation is still made and its link
// returned to copy.
func TestInvitationWithoutMail(t *testing.T) {
	w := newRBACWorldWith(t, func(o *service.Options) {
		o.Mailer = &mail.Sender{Addr: "127.0.0.1:1", From: "rivetr@example.com"}
	})
	w.token = w.tokens[owner]
	code, b := w.do(t, "POST", "/api/teams/acme/invitations", `{"email":"x@example.com","role":"viewer"}`)
	var v service.InvitationView
	mustUnmarshal(t, b, &v)
	if code != 201 || v.Mailed || !strings.Contains(v.MailError, "connect to SMTP server") || v.Link == "" {
		t.Fatalf("invite with SMTP down: %d %s", code, b)
	}
}
