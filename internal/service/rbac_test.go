package service

import (
	"context"
	"errors"
	"testing"

	"github.com/rivetr/rivetr/internal/release"
	"github.com/rivetr/rivetr/internal/testdb"
	"github.com/rivetr/rivetr/schema"
)

// The service checks every action against the caller's capped role in the
// app's team, without HTTP in between: a table of who may do what.
func TestServiceAuthorisation(t *testing.T) {
	store, keys, dir := testdb.Open(t)
	ctx := context.Background()
	svc := New(Options{Store: store, Keys: keys, DataDir: dir, HostName: "h1"})
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	users := map[string]*schema.User{}
	for _, name := range []string{"owner", "admin", "dev", "viewer", "outsider"} {
		u := &schema.User{ID: name, Email: name + "@example.com"}
		must(store.CreateUser(ctx, u))
		users[name] = u
	}
	must(store.CreateTeam(ctx, &schema.Team{ID: "acme", Name: "acme"}, "owner"))
	must(store.CreateTeam(ctx, &schema.Team{ID: "other", Name: "other"}, "outsider"))
	for name, role := range map[string]release.Role{"admin": release.RoleAdmin, "dev": release.RoleDeveloper, "viewer": release.RoleViewer} {
		must(store.PutMembership(ctx, &schema.Membership{TeamID: "acme", UserID: name, Role: role}))
	}
	as := func(name string, capAt release.Role) context.Context {
		a, err := svc.loadActor(ctx, &Actor{UserID: name, Email: name + "@example.com", TokenRole: capAt})
		must(err)
		return WithActor(ctx, a)
	}
	name, git, team, domains := "shop", "https://example.com/shop.git", "acme", []string{"shop.test"}
	if _, err := svc.CreateApp(as("owner", ""), AppInput{Name: &name, GitURL: &git, Team: &team, Domains: &domains}); err != nil {
		t.Fatal(err)
	}
	read := func(c context.Context) error { _, err := svc.GetApp(c, "shop"); return err }
	setEnv := func(c context.Context) error {
		_, err := svc.SetEnv(c, "shop", []EnvInput{{Key: "MODE", Value: "x"}})
		return err
	}
	policy := func(on bool) func(context.Context) error {
		return func(c context.Context) error {
			_, err := svc.UpdateApp(c, "shop", AppInput{RequireApproval: &on})
			return err
		}
	}
	deleteTeam := func(c context.Context) error { return svc.DeleteTeam(c, "acme") }
	for _, tc := range []struct {
		who   string
		capAt release.Role
		what  string
		do    func(context.Context) error
		want  error // nil, ErrForbidden or ErrNotFound
	}{
		{"viewer", "", "read", read, nil},
		{"viewer", "", "set env", setEnv, ErrForbidden},
		{"dev", "", "set env", setEnv, nil},
		{"dev", release.RoleViewer, "set env with a viewer token", setEnv, ErrForbidden},
		{"dev", "", "change the release policy", policy(true), ErrForbidden},
		{"admin", "", "change the release policy", policy(true), nil},
		{"admin", release.RoleDeveloper, "change the policy back with a developer token", policy(false), ErrForbidden},
		{"outsider", "", "read another team's app", read, ErrNotFound},
		{"outsider", "", "set env in another team", setEnv, ErrNotFound},
		{"admin", "", "delete the team", deleteTeam, ErrForbidden},
		{"owner", release.RoleAdmin, "delete the team with an admin token", deleteTeam, ErrForbidden},
	} {
		err := tc.do(as(tc.who, tc.capAt))
		switch {
		case tc.want == nil && err != nil:
			t.Errorf("%s may %s: %v", tc.who, tc.what, err)
		case tc.want != nil && !errors.Is(err, tc.want):
			t.Errorf("%s %s: %v, want %v", tc.who, tc.what, err, tc.want)
		}
	}
	// An instance admin's token capped at viewer holds no instance-level
	// power and creates no app in the default team.
	must(store.CreateUser(ctx, &schema.User{ID: "root", Email: "root@example.com", InstanceAdmin: true}))
	must(store.CreateTeam(ctx, &schema.Team{ID: "default", Name: DefaultTeam}, "owner"))
	rootAs := func(capAt release.Role) context.Context {
		a, err := svc.loadActor(ctx, &Actor{UserID: "root", Email: "root@example.com", InstanceAdmin: true, TokenRole: capAt})
		must(err)
		return WithActor(ctx, a)
	}
	other, otherDomains := "other", []string{"other.test"}
	for _, tc := range []struct {
		what string
		do   func(context.Context) error
	}{
		{"list users", func(c context.Context) error { _, err := svc.ListUsers(c); return err }},
		{"create a user", func(c context.Context) error {
			_, err := svc.CreateUser(c, UserInput{Email: "new@example.com", Password: "correct horse battery"})
			return err
		}},
		{"reset a password", func(c context.Context) error { return svc.ResetPassword(c, "dev@example.com", "another good one") }},
		{"rotate the secret key", func(c context.Context) error { _, err := svc.RotateSecretKey(c); return err }},
		{"migrate teams", func(c context.Context) error { _, err := svc.MigrateTeams(c); return err }},
		{"create an app in the default team", func(c context.Context) error {
			_, err := svc.CreateApp(c, AppInput{Name: &other, GitURL: &git, Domains: &otherDomains})
			return err
		}},
	} {
		if err := tc.do(rootAs(release.RoleViewer)); !errors.Is(err, ErrForbidden) {
			t.Errorf("a viewer-capped token of an instance admin may %s: %v", tc.what, err)
		}
	}
	if _, err := svc.ListUsers(rootAs("")); err != nil {
		t.Errorf("an uncapped instance admin lists users: %v", err)
	}
	if _, err := svc.GetApp(ctx, "shop"); !errors.Is(err, ErrUnauthorized) {
		t.Errorf("no actor: %v", err)
	}
}
