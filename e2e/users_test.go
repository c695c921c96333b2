package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestUsersTeamsAndRoles walks the first-run path with the real binary: an
// app made with the admin token before any user exists, the owner created
// with the CLI (which moves the app into the default team), people added
// with roles, and each of them signed in with `rivetr login`. A viewer is
// refused a deploy, a developer deploys, someone outside the team does not
// see the app, and `rivetr logout` revokes the token.
func TestUsersTeamsAndRoles(t *testing.T) {
	a := newAppSetup(t, "teams", false, "teams-v1")
	s := a.S
	dir := t.TempDir()
	creds := func(who string) string { return filepath.Join(dir, who+".json") }

	r := s.CLIAs(creds("x"), "", "apps", "list")
	if r.Code == 0 {
		t.Fatalf("without credentials or the admin token the CLI must not get in:\n%s", r.Stdout)
	}
	r = s.CLIAsAdmin("", "users", "create-owner", "--email", "Owner@Example.com", "--password-stdin")
	if r.Code == 0 || !strings.Contains(r.Stderr, "password: must be at least 10 characters") {
		t.Fatalf("create-owner without a password: %d %s%s", r.Code, r.Stdout, r.Stderr)
	}
	r = s.CLIAsAdmin("correct horse battery\n", "users", "create-owner", "--email", "Owner@Example.com", "--name", "Olga", "--password-stdin")
	if r.Code != 0 || !strings.Contains(r.Stdout, "1 existing app moved in") {
		t.Fatalf("create-owner: %d\n%s%s", r.Code, r.Stdout, r.Stderr)
	}
	if r := s.CLI("db", "migrate-teams"); r.Code != 0 || !strings.Contains(r.Stdout, "0 apps moved into team default") {
		t.Fatalf("migrate-teams again should move nothing: %d %s%s", r.Code, r.Stdout, r.Stderr)
	}
	login := func(who, email, pw string) {
		t.Helper()
		r := s.CLIAs(creds(who), pw+"\n", "login", "--email", email, "--password-stdin")
		if r.Code != 0 {
			t.Fatalf("login %s: %d %s%s", email, r.Code, r.Stdout, r.Stderr)
		}
		if fi, err := os.Stat(creds(who)); err != nil || fi.Mode().Perm() != 0o600 {
			t.Fatalf("credentials of %s: %v %v", who, fi, err)
		}
	}
	if r := s.CLIAs(creds("owner"), "wrong password\n", "login", "--email", "owner@example.com", "--password-stdin"); r.Code == 0 || !strings.Contains(r.Stderr, "wrong email or password") {
		t.Fatalf("login with a wrong password: %d %s", r.Code, r.Stderr)
	}
	login("owner", "owner@example.com", "correct horse battery")
	as := func(who string, args ...string) Result { t.Helper(); return s.CLIAs(creds(who), "", args...) }
	must := func(who string, args ...string) string {
		t.Helper()
		r := as(who, args...)
		if r.Code != 0 {
			t.Fatalf("%s: rivetr %s: %d\n%s%s", who, strings.Join(args, " "), r.Code, r.Stdout, r.Stderr)
		}
		return r.Stdout
	}
	for _, email := range []string{"dev@example.com", "viewer@example.com", "outsider@example.com"} {
		r := s.CLIAs(creds("owner"), "a good long password\n", "users", "create", "--email", email, "--password-stdin")
		if r.Code != 0 {
			t.Fatalf("users create %s: %s%s", email, r.Stdout, r.Stderr)
		}
	}
	must("owner", "teams", "add", "default", "dev@example.com", "--role", "developer")
	must("owner", "teams", "add", "default", "viewer@example.com", "--role", "viewer")
	login("dev", "dev@example.com", "a good long password")
	login("viewer", "viewer@example.com", "a good long password")
	login("outsider", "outsider@example.com", "a good long password")

	var apps []struct{ Name, Team, Role string }
	mustUnmarshal(t, []byte(must("viewer", "apps", "list", "-o", "json")), &apps)
	if len(apps) != 1 || apps[0].Name != a.App || apps[0].Team != "default" || apps[0].Role != "viewer" {
		t.Fatalf("the viewer's app list: %+v", apps)
	}
	if w := must("viewer", "whoami"); !strings.Contains(w, "viewer@example.com") || !strings.Contains(w, "default  viewer") {
		t.Fatalf("whoami:\n%s", w)
	}
	r = as("viewer", "deploy", a.App)
	if r.Code == 0 || !strings.Contains(r.Stderr, "your role in this team is viewer; deploy needs developer or higher") {
		t.Fatalf("a viewer's deploy: %d\n%s%s", r.Code, r.Stdout, r.Stderr)
	}
	if r := as("outsider", "apps", "show", a.App); r.Code == 0 || !strings.Contains(r.Stderr, "not found") {
		t.Fatalf("someone outside the team must not see the app: %d %s%s", r.Code, r.Stdout, r.Stderr)
	}
	if r := as("dev", "deploy", a.App, "--wait"); r.Code != 0 {
		t.Fatalf("the developer's deploy: %d\n%s%s", r.Code, r.Stdout, r.Stderr)
	}
	if body := s.MustGet(a.Host, "/"); body != "teams-v1" {
		t.Fatalf("after the developer's deploy the app answers %q", body)
	}
	// The developer cannot delete the app; the owner's team admin could.
	if r := as("dev", "apps", "delete", a.App, "-y"); r.Code == 0 || !strings.Contains(r.Stderr, "delete app needs admin or higher") {
		t.Fatalf("a developer's delete: %d %s", r.Code, r.Stderr)
	}

	// The audit log has the developer's deploy, as the owner reads it; a
	// viewer may not read it.
	var entries []struct {
		Actor, Team, Action, Target string
		SourceIP                    string `json:"source_ip"`
		UserAgent                   string `json:"user_agent"`
	}
	mustUnmarshal(t, []byte(must("owner", "audit", "--action", "deploy", "-o", "json")), &entries)
	if len(entries) != 1 || entries[0].Actor != "dev@example.com" || entries[0].Team != "default" || entries[0].Target != a.App ||
		entries[0].SourceIP != "127.0.0.1" || !strings.HasPrefix(entries[0].UserAgent, "rivetr-cli/") {
		t.Fatalf("audit entries for deploy: %+v", entries)
	}
	if r := as("viewer", "audit"); r.Code == 0 || !strings.Contains(r.Stderr, "admin or owner role") {
		t.Fatalf("a viewer's audit: %d %s", r.Code, r.Stderr)
	}

	// logout revokes the token it saved.
	var saved struct{ Token string }
	b, _ := os.ReadFile(creds("dev"))
	mustUnmarshal(t, b, &saved)
	must("dev", "logout")
	if _, err := os.Stat(creds("dev")); !os.IsNotExist(err) {
		t.Fatal("logout left the credentials file")
	}
	r = s.CLIWithToken(saved.Token, "apps", "list")
	if r.Code == 0 || !strings.Contains(r.Stderr, "invalid token") {
		t.Fatalf("the revoked token still works: %d %s%s", r.Code, r.Stdout, r.Stderr)
	}
}
