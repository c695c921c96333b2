// Package testdb opens a fresh SQLite store for tests, with a secret
// keyring in the same temporary directory.
package testdb

import (
	"path/filepath"
	"testing"

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
