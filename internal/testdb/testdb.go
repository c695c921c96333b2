// Package testdb opens fresh stores for tests: SQLite, with a secret
// keyring in the same temporary directory, and PostgreSQL when the tests
// have a server.
package testdb

import (
	"database/sql"
	"os"
	"path/filepath"
	"strings"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" driver, for the server's own database
	"github.com/rivetr/rivetr/internal/ids"

	"github.com/rivetr/rivetr/internal/secrets"
	"github.com/rivetr/rivetr/schema"
)

// Open returns a migrated store in a new temporary directory (closed when
// the test ends), its keyring, and the directory.
func Open(t testing.TB) (*schema.Store, *secrets.Keyring, string) {
	t.Helper()
	dir := t.TempDir()
	keys, err := secrets.Load(dir, true)
	if err != nil {
		t.Fatal(err)
	}
	store, err := schema.Open(filepath.Join(dir, "rivetr.db"), keys)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	return store, keys, dir
}

// Postgres returns a migrated store on a new database of the PostgreSQL
// server at RIVETR_TEST_POSTGRES_URL (dropped when the test ends), or
// skips the test without one (failing it when RIVETR_REQUIRE_POSTGRES is
// set). The server's own database is reached over a plain connection,
// never migrated.
func Postgres(t testing.TB, keys *secrets.Keyring) *schema.Store {
	t.Helper()
	base := os.Getenv("RIVETR_TEST_POSTGRES_URL")
	if base == "" {
		if os.Getenv("RIVETR_REQUIRE_POSTGRES") != "" {
			t.Fatal("RIVETR_REQUIRE_POSTGRES is set but RIVETR_TEST_POSTGRES_URL is empty")
		}
		t.Skip("needs PostgreSQL (RIVETR_TEST_POSTGRES_URL)")
	}
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatal(err)
	}
	name := "rivetr_test_" + ids.New()
	if _, err := admin.Exec("CREATE DATABASE " + name); err != nil {
		t.Fatalf("postgres at RIVETR_TEST_POSTGRES_URL: %v", err)
	}
	i := strings.LastIndex(base, "/")
	q := ""
	if j := strings.Index(base[i:], "?"); j >= 0 {
		q = base[i+j:]
	}
	store, err := schema.Open(base[:i+1]+name+q, keys)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		store.Close()
		admin.Exec("DROP DATABASE " + name)
		admin.Close()
	})
	return store
}
