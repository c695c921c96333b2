package schema

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rivetr/rivetr/internal/ids"
	"github.com/rivetr/rivetr/internal/release"
	"gorm.io/driver/postgres"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"
)

// stores returns a fresh store per backend: a temp SQLite file always, and a
// PostgreSQL database when RIVETR_TEST_POSTGRES_URL is set (CI sets it; a
// test database is created and dropped per test so runs never share state).
func stores(t *testing.T) map[string]*Store {
	t.Helper()
	out := map[string]*Store{}
	s, err := Open(filepath.Join(t.TempDir(), "rivetr.db"), testKeys(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	out["sqlite"] = s

	if base := os.Getenv("RIVETR_TEST_POSTGRES_URL"); base != "" {
		out["postgres"] = freshPostgres(t, base)
	} else if os.Getenv("RIVETR_REQUIRE_POSTGRES") != "" {
		t.Fatal("RIVETR_REQUIRE_POSTGRES is set but RIVETR_TEST_POSTGRES_URL is empty")
	}
	return out
}

func freshPostgres(t *testing.T, base string) *Store {
	t.Helper()
	// A plain connection: the base database is the server's own, never
	// migrated by a test (an older checkout's tests would then refuse it).
	admin, err := gorm.Open(postgres.Open(base), &gorm.Config{Logger: logger.Discard})
	if err != nil {
		t.Fatalf("postgres at RIVETR_TEST_POSTGRES_URL: %v", err)
	}
	name := "rivetr_test_" + ids.New()
	if err := admin.Exec("CREATE DATABASE " + name).Error; err != nil {
		t.Fatal(err)
	}
	i := strings.LastIndex(base, "/")
	q := ""
	if j := strings.Index(base[i:], "?"); j >= 0 {
		q = base[i+j:]
	}
	s, err := Open(base[:i+1]+name+q, testKeys(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = s.Close()
		_ = admin.Exec("DROP DATABASE " + name).Error
		if db, err := admin.DB(); err == nil {
			_ = db.Close()
		}
	})
	return s
}

func newApp(name string) *App {
	return &App{ID: ids.New(), Name: name, GitURL: "https://example.com/" + name + ".git", Branch: "main",
		Domains: []string{name + ".example.com"}, Port: 8080, HealthInterval: Duration(time.Second)}
}

func TestAppsCRUD(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	for backend, s := range stores(t) {
		t.Run(backend, func(t *testing.T) {
			app := newApp("web")
			if err := s.CreateApp(ctx, app); err != nil {
				t.Fatal(err)
			}
			if err := s.CreateApp(ctx, newApp("web")); !errors.Is(err, ErrConflict) {
				t.Fatalf("duplicate name: got %v, want ErrConflict", err)
			}
			got, err := s.GetApp(ctx, "web")
			if err != nil {
				t.Fatal(err)
			}
			if got.ID != app.ID || got.Domains[0] != "web.example.com" || got.HealthInterval.D() != time.Second {
				t.Fatalf("round trip: %+v", got)
			}
			if _, err := s.GetApp(ctx, got.ID); err != nil {
				t.Fatalf("by id: %v", err)
			}
			if _, err := s.GetApp(ctx, "nope"); !errors.Is(err, ErrNotFound) {
				t.Fatalf("missing app: got %v", err)
			}
			got.Port = 9090
			if err := s.SaveApp(ctx, got); err != nil {
				t.Fatal(err)
			}
			if err := s.SetCurrentDeployment(ctx, got.ID, "d1"); err != nil {
				t.Fatal(err)
			}
			again, _ := s.GetApp(ctx, "web")
			if again.Port != 9090 || again.CurrentDeploymentID != "d1" {
				t.Fatalf("after save: %+v", again)
			}
			if err := s.DeleteApp(ctx, got.ID); err != nil {
				t.Fatal(err)
			}
			if err := s.DeleteApp(ctx, got.ID); !errors.Is(err, ErrNotFound) {
				t.Fatalf("second delete: %v", err)
			}
		})
	}
}

func TestEnvUpsert(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	for backend, s := range stores(t) {
		t.Run(backend, func(t *testing.T) {
			app := newApp("api")
			if err := s.CreateApp(ctx, app); err != nil {
				t.Fatal(err)
			}
			if err := s.SetEnv(ctx, app.ID, []EnvVar{{Key: "A", Value: "1"}, {Key: "B", Value: "s", Secret: true}}); err != nil {
				t.Fatal(err)
			}
			if err := s.SetEnv(ctx, app.ID, []EnvVar{{Key: "A", Value: "2"}}); err != nil {
				t.Fatal(err)
			}
			vars, err := s.ListEnv(ctx, app.ID)
			if err != nil {
				t.Fatal(err)
			}
			if len(vars) != 2 || vars[0].Value != "2" || !vars[1].Secret {
				t.Fatalf("env: %+v", vars)
			}
			n, err := s.UnsetEnv(ctx, app.ID, []string{"A", "Z"})
			if err != nil || n != 1 {
				t.Fatalf("unset: %d %v", n, err)
			}
		})
	}
}

func TestDeploymentsAndLogs(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	for backend, s := range stores(t) {
		t.Run(backend, func(t *testing.T) {
			app := newApp("svc")
			if err := s.CreateApp(ctx, app); err != nil {
				t.Fatal(err)
			}
			var made []string
			for i := 0; i < 3; i++ {
				d := &Deployment{ID: ids.New(), AppID: app.ID, AppName: app.Name, Kind: release.KindDeploy, Status: release.StatusQueued}
				if err := s.CreateDeployment(ctx, d); err != nil {
					t.Fatal(err)
				}
				made = append(made, d.ID)
				time.Sleep(2 * time.Millisecond) // IDs sort by millisecond
			}
			list, err := s.ListDeployments(ctx, DeploymentFilter{AppID: app.ID})
			if err != nil || len(list) != 3 || list[0].ID != made[2] {
				t.Fatalf("newest first: %v %+v", err, list)
			}
			id := made[0]
			if err := s.UpdateDeployment(ctx, id, DeploymentUpdate{Status: release.StatusSucceeded, Finished: true}); err != nil {
				t.Fatal(err)
			}
			// A late non-terminal update must not resurrect it.
			if err := s.UpdateDeployment(ctx, id, DeploymentUpdate{Status: release.StatusBuilding, Step: release.StepBuild}); err != nil {
				t.Fatal(err)
			}
			d, _ := s.GetDeployment(ctx, id)
			if d.Status != release.StatusSucceeded || d.FinishedAt == nil {
				t.Fatalf("terminal status overwritten: %+v", d)
			}
			// Marking it rolled back later keeps its finish time.
			time.Sleep(10 * time.Millisecond)
			if err := s.UpdateDeployment(ctx, id, DeploymentUpdate{Status: release.StatusRolledBack, Finished: true}); err != nil {
				t.Fatal(err)
			}
			again, _ := s.GetDeployment(ctx, id)
			if again.Status != release.StatusRolledBack || !again.FinishedAt.Equal(*d.FinishedAt) {
				t.Fatalf("finish time moved: %v → %v (%s)", d.FinishedAt, again.FinishedAt, again.Status)
			}
			if err := s.UpdateDeployment(ctx, "missing", DeploymentUpdate{Status: release.StatusFailed}); !errors.Is(err, ErrNotFound) {
				t.Fatalf("update missing: %v", err)
			}
			filtered, _ := s.ListDeployments(ctx, DeploymentFilter{Statuses: []release.Status{release.StatusQueued}})
			if len(filtered) != 2 {
				t.Fatalf("status filter: %d", len(filtered))
			}

			var lines []LogLine
			for i := 0; i < 450; i++ {
				lines = append(lines, LogLine{DeploymentID: id, Time: time.Now(), Stream: "build", Text: fmt.Sprint("line ", i)})
			}
			if err := s.AppendLogs(ctx, lines); err != nil {
				t.Fatal(err)
			}
			first, _ := s.LogsAfter(ctx, id, 0, 400)
			rest, _ := s.LogsAfter(ctx, id, first[len(first)-1].ID, 400)
			if len(first) != 400 || len(rest) != 50 || rest[49].Text != "line 449" {
				t.Fatalf("log paging: %d + %d", len(first), len(rest))
			}
			if tail, total, err := s.LogTail(ctx, id, 30); err != nil || total != 450 || len(tail) != 30 || tail[0].Text != "line 420" || tail[29].Text != "line 449" {
				t.Fatalf("log tail: %d of %d, %v", len(tail), total, err)
			}
			if err := s.DeleteApp(ctx, app.ID); err != nil {
				t.Fatal(err)
			}
			if left, _ := s.LogsAfter(ctx, id, 0, 10); len(left) != 0 {
				t.Fatalf("logs survived app delete: %d", len(left))
			}
		})
	}
}

func TestTokens(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	for backend, s := range stores(t) {
		t.Run(backend, func(t *testing.T) {
			if err := s.CreateToken(ctx, &APIToken{ID: ids.New(), Name: "admin", Hash: "abc"}); err != nil {
				t.Fatal(err)
			}
			if _, err := s.TokenByHash(ctx, "abc"); err != nil {
				t.Fatal(err)
			}
			if _, err := s.TokenByHash(ctx, "zzz"); !errors.Is(err, ErrNotFound) {
				t.Fatalf("unknown token: %v", err)
			}
			if n, _ := s.CountTokens(ctx); n != 1 {
				t.Fatalf("count %d", n)
			}
		})
	}
}

func TestLatestAndByID(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	for backend, s := range stores(t) {
		t.Run(backend, func(t *testing.T) {
			a, b, c := newApp("a"), newApp("b"), newApp("c")
			for _, app := range []*App{a, b, c} {
				if err := s.CreateApp(ctx, app); err != nil {
					t.Fatal(err)
				}
			}
			for i, appID := range []string{a.ID, a.ID, b.ID, a.ID, b.ID} {
				d := &Deployment{ID: fmt.Sprintf("d%d", i), AppID: appID, AppName: "x", Kind: release.KindDeploy, Status: release.StatusSucceeded}
				if err := s.CreateDeployment(ctx, d); err != nil {
					t.Fatal(err)
				}
			}
			latest, err := s.LatestDeployments(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if len(latest) != 2 || latest[a.ID].ID != "d3" || latest[b.ID].ID != "d4" {
				t.Fatalf("latest %+v", latest)
			}
			byID, err := s.DeploymentsByID(ctx, []string{"d0", "d2", "missing"})
			if err != nil || len(byID) != 2 || byID["d2"].AppID != b.ID {
				t.Fatalf("by id %+v %v", byID, err)
			}
		})
	}
}

// A password reset ends the user's sessions and revokes their API tokens:
// whoever knew the old password may have made one.
func TestPasswordResetRevokesTokens(t *testing.T) {
	t.Parallel()
	for driver, s := range stores(t) {
		t.Run(driver, func(t *testing.T) {
			ctx := context.Background()
			u := &User{ID: "u-" + driver, Email: driver + "-reset@example.com"}
			if err := s.CreateUser(ctx, u); err != nil {
				t.Fatal(err)
			}
			mine := &APIToken{ID: "t1-" + driver, Name: "laptop", Hash: driver + "-hash-1", UserID: u.ID}
			other := &APIToken{ID: "t2-" + driver, Name: "theirs", Hash: driver + "-hash-2", UserID: "someone-else"}
			for _, tok := range []*APIToken{mine, other} {
				if err := s.CreateToken(ctx, tok); err != nil {
					t.Fatal(err)
				}
			}
			if err := s.SetPassword(ctx, u.ID, "new-hash"); err != nil {
				t.Fatal(err)
			}
			if _, err := s.TokenByHash(ctx, mine.Hash); !errors.Is(err, ErrNotFound) {
				t.Errorf("the user's token outlived the reset: %v", err)
			}
			if _, err := s.TokenByHash(ctx, other.Hash); err != nil {
				t.Errorf("another user's token went too: %v", err)
			}
		})
	}
}

// The installation's ID is made once and the same for every caller.
func TestInstanceID(t *testing.T) {
	t.Parallel()
	for driver, s := range stores(t) {
		t.Run(driver, func(t *testing.T) {
			ctx := context.Background()
			a, err := s.InstanceID(ctx)
			if err != nil || len(a) < 10 {
				t.Fatalf("instance ID %q: %v", a, err)
			}
			if b, err := s.InstanceID(ctx); err != nil || b != a {
				t.Fatalf("asked again: %q %v, first %q", b, err, a)
			}
		})
	}
}

// An app's volume names and paths are each its own; deleting the app
// deletes its volumes' records.
func TestVolumes(t *testing.T) {
	for name, s := range stores(t) {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			app := &App{ID: ids.New(), Name: "vol-" + name, GitURL: "/srv/x", Branch: "main", Domains: []string{"vol-" + name + ".test"}}
			if err := s.CreateApp(ctx, app); err != nil {
				t.Fatal(err)
			}
			if err := s.CreateVolume(ctx, &Volume{AppID: app.ID, Name: "data", Path: "/data"}); err != nil {
				t.Fatal(err)
			}
			for _, v := range []Volume{{AppID: app.ID, Name: "data", Path: "/other"}, {AppID: app.ID, Name: "other", Path: "/data"}} {
				if err := s.CreateVolume(ctx, &v); !errors.Is(err, ErrConflict) {
					t.Fatalf("%s at %s again: %v", v.Name, v.Path, err)
				}
			}
			if err := s.CreateVolume(ctx, &Volume{AppID: app.ID, Name: "cache", Path: "/cache"}); err != nil {
				t.Fatal(err)
			}
			if vs, err := s.ListVolumes(ctx, app.ID); err != nil || len(vs) != 2 || vs[0].Name != "cache" || vs[1].Path != "/data" {
				t.Fatalf("list: %+v %v", vs, err)
			}
			if err := s.DeleteVolume(ctx, app.ID, "cache"); err != nil {
				t.Fatal(err)
			}
			if err := s.DeleteVolume(ctx, app.ID, "cache"); !errors.Is(err, ErrNotFound) {
				t.Fatalf("delete twice: %v", err)
			}
			if err := s.DeleteApp(ctx, app.ID); err != nil {
				t.Fatal(err)
			}
			if vs, _ := s.ListVolumes(ctx, app.ID); len(vs) != 0 {
				t.Fatalf("volumes outlived their app: %+v", vs)
			}
		})
	}
}
