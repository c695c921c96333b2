package e2e

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/rivetr/rivetr/internal/testsmtp"
)

// TestTeamsInBrowser is the team workflow in a real Chromium against a
// real server, dockerd and SMTP server: the owner invites a developer from
// the team page, the invitation arrives by email, the developer follows
// the link, creates an account and deploys the team's app; a viewer sees
// no deploy button and the API refuses the viewer's deploy with 403.
func TestTeamsInBrowser(t *testing.T) {
	needDocker(t)
	smtpd, err := testsmtp.Start(testsmtp.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer smtpd.Close()
	ctx := browser(t)
	s := NewServer(t, false, "--smtp-addr", smtpd.Addr, "--smtp-from", "rivetr@example.com")
	s.Start()
	if r := s.CLIAsAdmin("owner password 1\n", "users", "create-owner", "--email", "owner@example.com", "--password-stdin"); r.Code != 0 {
		t.Fatalf("create-owner: %s%s", r.Stdout, r.Stderr)
	}
	a := newAppOn(t, s, "team", "team-v1")
	shots := screenshotDir(t)
	run := func(actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		tctx, cancel := context.WithTimeout(ctx, 90*time.Second)
		defer cancel()
		if err := chromedp.Do(tctx, actions...); err != nil {
			t.Fatal(err)
		}
	}
	text := func(sel string) string {
		t.Helper()
		v, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	signIn := func(email, password string) {
		t.Helper()
		run(chromedp.Navigate(s.HTTP+"/login"), chromedp.WaitVisible(chromedp.ID("email")),
			chromedp.SendKeys(chromedp.ID("email"), email), chromedp.SendKeys(chromedp.ID("password"), password),
			chromedp.Submit(chromedp.ID("password")), chromedp.WaitVisible(chromedp.ID("who")))
		if who := text("#who"); who != email {
			t.Fatalf("signed in as %q, want %s", who, email)
		}
	}
	signOut := func() {
		t.Helper()
		run(chromedp.Click(chromedp.CSS(`form[action="/logout"] button`)), chromedp.WaitVisible(chromedp.ID("email")))
	}

	// The owner invites a developer from the team page.
	signIn("owner@example.com", "owner password 1")
	run(chromedp.Navigate(s.HTTP+"/teams/default"), chromedp.WaitVisible(chromedp.ID("invite-email")),
		chromedp.SendKeys(chromedp.ID("invite-email"), "dev@example.com"),
		chromedp.SetValue(chromedp.ID("invite-role"), "developer"),
		chromedp.Click(chromedp.ID("invite-send")), chromedp.WaitVisible(chromedp.ID("new-invite")))
	shot(ctx, t, shots, "team-invite")
	if note := text("#new-invite"); !strings.Contains(note, "Emailed to dev@example.com") {
		t.Fatalf("after inviting: %q", note)
	}
	msg, err := smtpd.WaitFor("dev@example.com", 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	link := regexp.MustCompile(`http://\S+/invite/[A-Za-z0-9_-]+`).FindString(msg.Data)
	if link == "" || !strings.Contains(msg.Data, "owner@example.com invited you to join the team default") {
		t.Fatalf("the invitation email:\n%s", msg.Data)
	}
	signOut()

	// The developer follows the emailed link, creates an account, deploys.
	run(chromedp.Navigate(link), chromedp.WaitVisible(chromedp.ID("accept-name")))
	shot(ctx, t, shots, "invite-accept")
	run(chromedp.SendKeys(chromedp.ID("accept-name"), "Dev"), chromedp.SendKeys(chromedp.ID("accept-password"), "developer password"),
		chromedp.Click(chromedp.ID("accept")), chromedp.WaitVisible(chromedp.ID("who")))
	if who := text("#who"); who != "dev@example.com" {
		t.Fatalf("after accepting, signed in as %q", who)
	}
	run(chromedp.Navigate(s.HTTP+"/apps/"+a.App), chromedp.WaitVisible(chromedp.ID("deploy")),
		chromedp.Click(chromedp.ID("deploy")), chromedp.WaitVisible(chromedp.ID("log")))
	waitText(ctx, t, "#status", "succeeded", 3*time.Minute)
	if body := s.MustGet(a.Host, "/"); body != "team-v1" {
		t.Fatalf("after the developer's deploy the app answers %q", body)
	}
	signOut()

	// A viewer: no deploy button, and the API says 403.
	creds := t.TempDir() + "/owner.json"
	if r := s.CLIAs(creds, "owner password 1\n", "login", "--email", "owner@example.com", "--password-stdin"); r.Code != 0 {
		t.Fatal(r.Stderr)
	}
	if r := s.CLIAs(creds, "viewer password!\n", "users", "create", "--email", "viewer@example.com", "--password-stdin"); r.Code != 0 {
		t.Fatal(r.Stderr)
	}
	if r := s.CLIAs(creds, "", "teams", "add", "default", "viewer@example.com", "--role", "viewer"); r.Code != 0 {
		t.Fatal(r.Stderr)
	}
	signIn("viewer@example.com", "viewer password!")
	run(chromedp.Navigate(s.HTTP+"/apps/"+a.App), chromedp.WaitVisible(chromedp.ID("read-only")))
	shot(ctx, t, shots, "app-viewer")
	if n, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll("#deploy, form[action$='/rollback'], form[action$='/env']").length`)); err != nil || n != 0 {
		t.Fatalf("a viewer is offered %d deploy/rollback/env controls (%v)", n, err)
	}
	res, err := http.Post(s.HTTP+"/api/auth/login", "application/json", strings.NewReader(`{"email":"viewer@example.com","password":"viewer password!"}`))
	if err != nil {
		t.Fatal(err)
	}
	var tok struct{ Token string }
	json.NewDecoder(res.Body).Decode(&tok)
	res.Body.Close()
	req, _ := http.NewRequest("POST", s.HTTP+"/api/apps/"+a.App+"/deploy", strings.NewReader(`{}`))
	req.Header.Set("Authorization", "Bearer "+tok.Token)
	res, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 403 || !strings.Contains(string(b), `"forbidden"`) {
		t.Fatalf("the viewer's deploy through the API: %d %s", res.StatusCode, b)
	}
}
