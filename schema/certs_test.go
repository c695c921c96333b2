package schema

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

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

// An uploaded certificate's key is sealed; the certificate goes with its
// domain (removed from the app, or with the app), so the name's next
// holder never gets it; a domain's token is new each time it is added.
func TestCustomCertsGoWithTheirDomain(t *testing.T) {
	t.Parallel()
	for driver, s := range stores(t) {
		t.Run(driver, func(t *testing.T) {
			ctx := context.Background()
			app := &App{ID: "cc1", Name: "cc1", Domains: []string{"a.cc.test", "b.cc.test"}}
			if err := s.CreateApp(ctx, app); err != nil {
				t.Fatal(err)
			}
			first, err := s.GetDomain(ctx, "b.cc.test")
			if err != nil || len(first.Token) != 32 {
				t.Fatalf("domain row: %+v %v", first, err)
			}
			if err := s.PutCustomCert(ctx, &CustomCert{Host: "b.cc.test", AppID: "other", CertPEM: "c", KeyPEM: "k"}); !errors.Is(err, ErrNotFound) {
				t.Fatalf("a certificate for another app's domain: %v", err)
			}
			for _, h := range []string{"a.cc.test", "b.cc.test"} {
				if err := s.PutCustomCert(ctx, &CustomCert{Host: h, AppID: "cc1", CertPEM: "CERT " + h, KeyPEM: "PRIVATE KEY of " + h}); err != nil {
					t.Fatal(err)
				}
			}
			var raw string
			if err := s.db.Raw("SELECT key_pem FROM custom_certs WHERE host = ?", "a.cc.test").Scan(&raw).Error; err != nil {
				t.Fatal(err)
			}
			if strings.Contains(raw, "PRIVATE") || !secrets.IsSealed(raw) {
				t.Fatalf("stored as %q", raw)
			}
			if c, err := s.GetCustomCert(ctx, "a.cc.test"); err != nil || c.KeyPEM != "PRIVATE KEY of a.cc.test" {
				t.Fatalf("read back: %+v %v", c, err)
			}
			if err := s.SetDomainRedirect(ctx, "cc1", "a.cc.test", "b.cc.test"); err != nil {
				t.Fatal(err)
			}
			app.Domains = []string{"a.cc.test"}
			if err := s.SaveApp(ctx, app); err != nil {
				t.Fatal(err)
			}
			if _, err := s.GetCustomCert(ctx, "b.cc.test"); !errors.Is(err, ErrNotFound) {
				t.Fatalf("the removed domain's certificate: %v", err)
			}
			if d, _ := s.GetDomain(ctx, "a.cc.test"); d == nil || d.RedirectTo != "" {
				t.Fatalf("a redirect to the removed domain stays: %+v", d)
			}
			other := &App{ID: "cc2", Name: "cc2", Domains: []string{"b.cc.test"}}
			if err := s.CreateApp(ctx, other); err != nil {
				t.Fatal(err)
			}
			if d, _ := s.GetDomain(ctx, "b.cc.test"); d == nil || d.Token == first.Token || d.VerifiedAt != nil {
				t.Fatalf("the name's next holder: %+v", d)
			}
			if err := s.DeleteApp(ctx, "cc1"); err != nil {
				t.Fatal(err)
			}
			if left, err := s.CustomCerts(ctx, []string{"a.cc.test"}); err != nil || len(left) != 0 {
				t.Fatalf("a deleted app's certificates: %+v %v", left, err)
			}
		})
	}
}

// Proxies follow each other's renewals by what was obtained since their
// last look; a failure recorded later leaves the certificate obtained.
func TestCertificatesObtainedSince(t *testing.T) {
	t.Parallel()
	for driver, s := range stores(t) {
		t.Run(driver, func(t *testing.T) {
			ctx := context.Background()
			nb, na := time.Now().Add(-time.Hour), time.Now().Add(90*24*time.Hour)
			if err := s.CertificateObtained(ctx, "old.example.com", "CA", nb, na); err != nil {
				t.Fatal(err)
			}
			time.Sleep(20 * time.Millisecond)
			mark := time.Now()
			time.Sleep(20 * time.Millisecond)
			if err := s.CertificateObtained(ctx, "new.example.com", "CA", nb, na); err != nil {
				t.Fatal(err)
			}
			if err := s.CertificateFailed(ctx, "old.example.com", "the CA is down"); err != nil {
				t.Fatal(err)
			}
			got, err := s.CertificatesObtainedSince(ctx, mark)
			if err != nil || len(got) != 1 || got[0].Host != "new.example.com" {
				t.Fatalf("obtained since the mark: %+v %v", got, err)
			}
		})
	}
}
