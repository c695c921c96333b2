package schema

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"gorm.io/gorm"
)

// describe lists a database's tables, columns and indexes, one per line.
func describe(t *testing.T, s *Store) string {
	t.Helper()
	var rows []string
	q := `SELECT type || ' ' || name || ' ' || COALESCE(sql, '') FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' ORDER BY name`
	if s.driver == "postgres" {
		q = `SELECT table_name || '.' || column_name || ' ' || data_type || ' ' || is_nullable || ' ' || COALESCE(column_default, '') || ' ' || COALESCE(character_maximum_length::text, '')
		       FROM information_schema.columns WHERE table_schema = current_schema()
		     UNION ALL SELECT indexname || ' ' || indexdef FROM pg_indexes WHERE schemaname = current_schema()
		     UNION ALL SELECT 'trigger ' || tgname FROM pg_trigger WHERE NOT tgisinternal ORDER BY 1`
	}
	if err := s.db.Raw(q).Scan(&rows).Error; err != nil {
		t.Fatal(err)
	}
	return strings.Join(rows, "\n")
}

// The migrations are the schema: the current models add or change nothing
// in a migrated database. A model changed without a migration fails here.
func TestMigrationsMatchTheModels(t *testing.T) {
	t.Parallel()
	for driver, s := range stores(t) {
		t.Run(driver, func(t *testing.T) {
			before := describe(t, s)
			if !strings.Contains(before, "schema_migrations") || !strings.Contains(before, "apps") {
				t.Fatalf("a migrated database without its tables:\n%s", before)
			}
			if err := s.db.AutoMigrate(Models()...); err != nil {
				t.Fatal(err)
			}
			if after := describe(t, s); after != before {
				t.Fatalf("the models differ from the migrated schema: write a migration.\nmigrated:\n%s\n\nmodels:\n%s", before, after)
			}
		})
	}
}

func TestMigrationsAreRecordedOnce(t *testing.T) {
	t.Parallel()
	for driver, s := range stores(t) {
		t.Run(driver, func(t *testing.T) {
			got, err := s.AppliedMigrations()
			if err != nil {
				t.Fatal(err)
			}
			want := make([]int, 0, len(migrations))
			for _, m := range migrations {
				want = append(want, m.Version)
			}
			if !slices.Equal(got, want) || SchemaVersion() != want[len(want)-1] {
				t.Fatalf("applied %v, want %v", got, want)
			}
			// Migrating again changes nothing.
			if err := s.migrate(); err != nil {
				t.Fatal(err)
			}
			if again, _ := s.AppliedMigrations(); !slices.Equal(again, want) {
				t.Fatalf("after a second run %v", again)
			}
		})
	}
}

// A database a newer Rivetr migrated is refused with what to do, and left
// as it was.
func TestNewerSchemaIsRefused(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "rivetr.db")
	s, err := Open(path, testKeys(t))
	if err != nil {
		t.Fatal(err)
	}
	next := SchemaVersion() + 1
	if err := s.db.Create(&schemaMigration{Version: next, Name: "from the future"}).Error; err != nil {
		t.Fatal(err)
	}
	s.Close()
	_, err = Open(path, testKeys(t))
	if !errors.Is(err, ErrSchemaNewer) || !strings.Contains(err.Error(), fmt.Sprintf("version %d", next)) ||
		!strings.Contains(err.Error(), "restore a copy of the data dir") {
		t.Fatalf("opening a newer database: %v", err)
	}
}

// A migration that fails leaves nothing half-done: its changes roll back
// and it is not recorded, so the next start tries it again.
func TestFailedMigrationRollsBack(t *testing.T) {
	for driver, s := range stores(t) {
		t.Run(driver, func(t *testing.T) {
			defer func(ms []migration) { migrations = ms }(migrations)
			migrations = append(slices.Clip(migrations), migration{Version: SchemaVersion() + 1, Name: "a broken one", Up: func(tx *gorm.DB, _ string) error {
				if err := tx.Exec("CREATE TABLE half_done (id INTEGER)").Error; err != nil {
					return err
				}
				return errors.New("disk on fire")
			}})
			if err := s.migrate(); err == nil || !strings.Contains(err.Error(), "a broken one") || !strings.Contains(err.Error(), "disk on fire") {
				t.Fatalf("migrate: %v", err)
			}
			if s.db.Migrator().HasTable("half_done") {
				t.Fatal("the failed migration's table survived")
			}
			if got, _ := s.AppliedMigrations(); slices.Contains(got, SchemaVersion()) {
				t.Fatalf("the failed migration was recorded: %v", got)
			}
		})
	}
}

// A database from before versioned migrations (release v1 shaped it with
// AutoMigrate and kept no schema_migrations) is adopted: migrations run,
// its rows stay.
func TestPreMigrationDatabaseIsAdopted(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "rivetr.db")
	s, err := Open(path, testKeys(t))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := s.CreateApp(ctx, &App{ID: "a1", Name: "shop", GitURL: "x", Branch: "main"}); err != nil {
		t.Fatal(err)
	}
	if err := s.db.Exec("DROP TABLE schema_migrations").Error; err != nil {
		t.Fatal(err)
	}
	s.Close()
	if s, err = Open(path, testKeys(t)); err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if got, _ := s.AppliedMigrations(); len(got) != len(migrations) {
		t.Fatalf("applied %v", got)
	}
	if app, err := s.GetApp(ctx, "shop"); err != nil || app.ID != "a1" {
		t.Fatalf("the app after adoption: %+v %v", app, err)
	}
}

// Migration 3 keeps the name-based volume of databases made before it, so
// they find their data; new databases get ID-based ones.
func TestDatabaseVolumesMigrate(t *testing.T) {
	t.Parallel()
	s, path := openFile(t)
	ctx := context.Background()
	if err := s.CreateDatabase(ctx, &Database{ID: "d1", Name: "shop-db", Engine: "postgres", Image: "postgres:17", Status: "running"}); err != nil {
		t.Fatal(err)
	}
	s = reopenAfter(t, s, path, "UPDATE databases SET volume = ''", "DELETE FROM schema_migrations WHERE version >= 3")
	d, err := s.GetDatabase(ctx, "shop-db")
	if err != nil || d.Volume != "rivetr-db-shop-db-data" || d.VolumeName() != "rivetr-db-shop-db-data" {
		t.Fatalf("an existing database's volume after migration 3: %+v %v", d, err)
	}
}

// Migration 8 fills the domains table from the apps' lists; two apps that
// listed one host (the old check-then-write race) leave it to the older.
func TestDomainsMigrate(t *testing.T) {
	t.Parallel()
	s, path := openFile(t)
	ctx := context.Background()
	older := &App{ID: "a1", Name: "shop", Domains: []string{"shop.example.com", "www.shop.example.com"}, CreatedAt: time.Now().Add(-time.Hour)}
	if err := s.CreateApp(ctx, older); err != nil {
		t.Fatal(err)
	}
	// The race, as an old release could leave it: a second app with the
	// same host, written past the table.
	if err := s.db.Exec("DELETE FROM domains").Error; err != nil {
		t.Fatal(err)
	}
	if err := s.db.Create(&App{ID: "a2", Name: "squat", Domains: []string{"shop.example.com"}, CreatedAt: time.Now()}).Error; err != nil {
		t.Fatal(err)
	}
	s = reopenAfter(t, s, path, "DELETE FROM schema_migrations WHERE version >= 8")
	for host, want := range map[string]string{"shop.example.com": "a1", "www.shop.example.com": "a1"} {
		if got, err := s.DomainOwner(ctx, host); err != nil || got != want {
			t.Errorf("%s: %q %v, want %s", host, got, err, want)
		}
	}
	// The younger app's next save must give the host up.
	squat, _ := s.GetApp(ctx, "squat")
	var taken *DomainTakenError
	if err := s.SaveApp(ctx, squat); !errors.As(err, &taken) || taken.Host != "shop.example.com" || !errors.Is(err, ErrConflict) {
		t.Fatalf("saving the younger app: %v", err)
	}
	squat.Domains = []string{"squat.example.com"}
	if err := s.SaveApp(ctx, squat); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteApp(ctx, older.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.DomainOwner(ctx, "shop.example.com"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("a deleted app's domain: %v", err)
	}
}

// reopenAfter runs queries on s (rewinding it to an older schema), closes
// it and opens path again, which migrates; the new store is closed at the
// test's end.
func reopenAfter(t *testing.T, s *Store, path string, queries ...string) *Store {
	t.Helper()
	for _, q := range queries {
		if err := s.db.Exec(q).Error; err != nil {
			t.Fatal(err)
		}
	}
	s.Close()
	s, err := Open(path, testKeys(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// openFile opens a new SQLite store and returns it with its file.
func openFile(t *testing.T) (*Store, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "rivetr.db")
	s, err := Open(path, testKeys(t))
	if err != nil {
		t.Fatal(err)
	}
	return s, path
}
