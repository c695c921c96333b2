package schema

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/rivetr/rivetr/internal/release"
)

func TestEffectiveApproval(t *testing.T) {
	t.Parallel()
	h := func(n int) Duration { return Duration(time.Duration(n) * time.Hour) }
	for _, tc := range []struct {
		name string
		app  App
		env  *Environment
		want release.ApprovalPolicy
	}{
		{"neither", App{ApprovalsNeeded: 3}, &Environment{ApprovalsNeeded: 2}, release.ApprovalPolicy{}},
		{"app only", App{RequireApproval: true, ApprovalsNeeded: 2, AllowSelfApproval: true, ApprovalTTL: h(4)}, nil,
			release.ApprovalPolicy{Required: true, Needed: 2, AllowSelf: true, TTL: h(4).D()}},
		{"environment only", App{ApprovalsNeeded: 5}, &Environment{RequireApproval: true, ApprovalsNeeded: 1, ApprovalTTL: h(24)},
			release.ApprovalPolicy{Required: true, Needed: 1, TTL: h(24).D()}},
		{"a zero count means one", App{RequireApproval: true}, nil, release.ApprovalPolicy{Required: true, Needed: 1}},
		// Both: the most approvals, self-approval only if both allow it,
		// the shorter wait.
		{"both, stricter wins", App{RequireApproval: true, ApprovalsNeeded: 1, AllowSelfApproval: true, ApprovalTTL: h(48)},
			&Environment{RequireApproval: true, ApprovalsNeeded: 2, AllowSelfApproval: false, ApprovalTTL: h(12)},
			release.ApprovalPolicy{Required: true, Needed: 2, AllowSelf: false, TTL: h(12).D()}},
		{"both allow self", App{RequireApproval: true, ApprovalsNeeded: 3, AllowSelfApproval: true, ApprovalTTL: h(2)},
			&Environment{RequireApproval: true, ApprovalsNeeded: 2, AllowSelfApproval: true, ApprovalTTL: h(12)},
			release.ApprovalPolicy{Required: true, Needed: 3, AllowSelf: true, TTL: h(2).D()}},
		// A policy that does not require approval loosens nothing.
		{"lax environment", App{RequireApproval: true, ApprovalsNeeded: 2}, &Environment{AllowSelfApproval: true, ApprovalsNeeded: 1},
			release.ApprovalPolicy{Required: true, Needed: 2}},
	} {
		if got := EffectiveApproval(&tc.app, tc.env); got != tc.want {
			t.Errorf("%s: %+v, want %+v", tc.name, got, tc.want)
		}
	}
}

// Freeze windows reach an app through its own scope, its environment (in
// its own team only) and the instance; deleting an environment takes its
// windows along and is refused while apps are in it.
func TestEnvironmentFreezesAndDelete(t *testing.T) {
	t.Parallel()
	for driver, s := range stores(t) {
		t.Run(driver, func(t *testing.T) {
			ctx := context.Background()
			for _, e := range []*Environment{{ID: "e1", TeamID: "t1", Name: "production"}, {ID: "e2", TeamID: "t2", Name: "production"},
				{ID: "e3", TeamID: "t1", Name: "staging"}} {
				if err := s.CreateEnvironment(ctx, e); err != nil {
					t.Fatal(err)
				}
			}
			if err := s.CreateEnvironment(ctx, &Environment{ID: "e4", TeamID: "t1", Name: "production"}); !errors.Is(err, ErrConflict) {
				t.Fatalf("a second production in t1: %v", err)
			}
			app := &App{ID: "a1", Name: "shop", GitURL: "x", Branch: "main", TeamID: "t1", Environment: "production"}
			if err := s.CreateApp(ctx, app); err != nil {
				t.Fatal(err)
			}
			now := time.Now()
			later := now.Add(time.Hour)
			for _, w := range []FreezeWindow{
				{ID: "instance", Reason: "r"},
				{ID: "own", AppID: "a1", TeamID: "t1", Reason: "r"},
				{ID: "other-app", AppID: "a2", TeamID: "t1", Reason: "r"},
				{ID: "t1-production", TeamID: "t1", Environment: "production", Reason: "r"},
				{ID: "t1-staging", TeamID: "t1", Environment: "staging", Reason: "r"},
				{ID: "t2-production", TeamID: "t2", Environment: "production", Reason: "r"},
			} {
				w.Start, w.End, w.Policy = &now, &later, release.FreezeWait
				if err := s.CreateFreeze(ctx, &w); err != nil {
					t.Fatal(err)
				}
			}
			idsOf := func(ws []FreezeWindow) []string {
				var out []string
				for _, w := range ws {
					out = append(out, w.ID)
				}
				slices.Sort(out)
				return out
			}
			ws, err := s.FreezesFor(ctx, app)
			if err != nil {
				t.Fatal(err)
			}
			if got := idsOf(ws); !slices.Equal(got, []string{"instance", "own", "t1-production"}) {
				t.Errorf("windows for the app: %v", got)
			}
			// The in-memory rule agrees with the query.
			all, _ := s.ListFreezes(ctx, nil, nil)
			var applying []FreezeWindow
			for _, w := range all {
				if w.Rule().Scope.AppliesTo(app.Target()) {
					applying = append(applying, w)
				}
			}
			if got := idsOf(applying); !slices.Equal(got, []string{"instance", "own", "t1-production"}) {
				t.Errorf("AppliesTo: %v", got)
			}
			// What a member of t1 who sees a1 lists.
			ws, err = s.ListFreezes(ctx, []string{"a1"}, []string{"t1"})
			if err != nil {
				t.Fatal(err)
			}
			if got := idsOf(ws); !slices.Equal(got, []string{"instance", "own", "t1-production", "t1-staging"}) {
				t.Errorf("windows t1 sees: %v", got)
			}
			if err := s.DeleteEnvironment(ctx, "t1", "production"); !errors.Is(err, ErrConflict) {
				t.Fatalf("deleting an environment with an app in it: %v", err)
			}
			if err := s.DeleteEnvironment(ctx, "t1", "staging"); err != nil {
				t.Fatal(err)
			}
			if _, err := s.GetFreeze(ctx, "t1-staging"); !errors.Is(err, ErrNotFound) {
				t.Errorf("the staging window outlived its environment: %v", err)
			}
			if err := s.DeleteEnvironment(ctx, "t1", "staging"); !errors.Is(err, ErrNotFound) {
				t.Errorf("deleting it twice: %v", err)
			}
		})
	}
}

// A database from before environments: the new columns arrive empty, not
// NULL, so old instance-wide windows and apps keep working.
func TestEnvironmentColumnsMigrate(t *testing.T) {
	t.Parallel()
	path := t.TempDir() + "/old.db"
	s, err := Open(path, testKeys(t))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	now := time.Now()
	later := now.Add(time.Hour)
	if err := s.CreateFreeze(ctx, &FreezeWindow{ID: "old", Reason: "r", Start: &now, End: &later, Policy: release.FreezeWait}); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateApp(ctx, &App{ID: "a1", Name: "shop", GitURL: "x", Branch: "main"}); err != nil {
		t.Fatal(err)
	}
	// Before environments there were no versioned migrations either.
	for _, q := range []string{"DROP INDEX idx_apps_environment", "ALTER TABLE apps DROP COLUMN environment", "ALTER TABLE freeze_windows DROP COLUMN environment", "DROP TABLE schema_migrations"} {
		if err := s.db.Exec(q).Error; err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	s.Close()
	if s, err = Open(path, testKeys(t)); err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	app, err := s.GetApp(ctx, "shop")
	if err != nil {
		t.Fatal(err)
	}
	ws, err := s.FreezesFor(ctx, app)
	if err != nil || len(ws) != 1 || ws[0].ID != "old" {
		t.Fatalf("an old instance window after the migration: %+v %v", ws, err)
	}
}
