package schema

import (
	"context"
	"strings"
	"testing"

	"github.com/rivetr/rivetr/internal/secrets"
)

// A certificate's private key is sealed in the table, bound to its key
// (moved to another row it does not open).
func TestCertObjectsAreSealed(t *testing.T) {
	t.Parallel()
	for driver, s := range stores(t) {
		t.Run(driver, func(t *testing.T) {
			ctx := context.Background()
			if err := s.PutCertObject(ctx, "certificates/x/x.key", []byte("PRIVATE KEY material")); err != nil {
				t.Fatal(err)
			}
			var raw string
			if err := s.db.Raw("SELECT value FROM cert_objects WHERE path = ?", "certificates/x/x.key").Scan(&raw).Error; err != nil {
				t.Fatal(err)
			}
			if strings.Contains(raw, "PRIVATE") || !secrets.IsSealed(raw) {
				t.Fatalf("stored as %q", raw)
			}
			if err := s.db.Exec("UPDATE cert_objects SET path = ? WHERE path = ?", "certificates/y/y.key", "certificates/x/x.key").Error; err != nil {
				t.Fatal(err)
			}
			if _, _, err := s.GetCertObject(ctx, "certificates/y/y.key"); err == nil {
				t.Fatal("a sealed value moved to another key opened")
			}
		})
	}
}
