package release

import (
	"crypto/x509"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/rivetr/rivetr/internal/testpki"
)

func TestCheckCertificate(t *testing.T) {
	t.Parallel()
	root := testpki.Root(t, "Test Root")
	inter := root.Intermediate(t, "Test Intermediate")
	now := time.Now()
	good := inter.Issue(t, now.Add(-time.Hour), now.Add(60*24*time.Hour), "shop.example.com", "www.shop.example.com")
	wild := inter.Issue(t, now.Add(-time.Hour), now.Add(60*24*time.Hour), "*.shop.example.com")
	expired := inter.Issue(t, now.Add(-90*24*time.Hour), now.Add(-24*time.Hour), "shop.example.com")
	later := inter.Issue(t, now.Add(24*time.Hour), now.Add(90*24*time.Hour), "shop.example.com")
	other := inter.Issue(t, now.Add(-time.Hour), now.Add(60*24*time.Hour), "shop.example.com")
	self := testpki.SelfSigned(t, "shop.example.com")
	trusted := x509.NewCertPool()
	trusted.AddCert(root.Cert)

	full := testpki.Chain(good.CertPEM, inter.PEM, root.PEM)
	ok := []struct {
		name       string
		cert, key  []byte
		domain     string
		roots      *x509.CertPool
		wantIssuer string
	}{
		{"full chain to the root in the file", full, good.KeyPEM, "shop.example.com", nil, "Rivetr tests Test Intermediate"},
		{"second name", full, good.KeyPEM, "www.shop.example.com", nil, "Rivetr tests Test Intermediate"},
		{"intermediate only, root trusted", testpki.Chain(good.CertPEM, inter.PEM), good.KeyPEM, "shop.example.com", trusted, "Rivetr tests Test Intermediate"},
		{"wildcard", testpki.Chain(wild.CertPEM, inter.PEM, root.PEM), wild.KeyPEM, "*.shop.example.com", nil, "Rivetr tests Test Intermediate"},
	}
	for _, c := range ok {
		got, err := CheckCertificate(c.cert, c.key, c.domain, c.roots, now)
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		if got.Issuer != c.wantIssuer || !got.NotAfter.Equal(good.Cert.NotAfter) && c.domain != "*.shop.example.com" {
			t.Errorf("%s: got %+v", c.name, got)
		}
	}

	bad := []struct {
		name, field, want string
		cert, key         []byte
		domain            string
	}{
		{"key of another certificate", "key", "does not match", full, other.KeyPEM, "shop.example.com"},
		{"leaf alone", "cert", "lacks its chain", good.CertPEM, good.KeyPEM, "shop.example.com"},
		{"no root in the file", "cert", "lacks its chain", testpki.Chain(good.CertPEM, inter.PEM), good.KeyPEM, "shop.example.com"},
		{"expired", "cert", "expired on", testpki.Chain(expired.CertPEM, inter.PEM, root.PEM), expired.KeyPEM, "shop.example.com"},
		{"not valid yet", "cert", "not valid before", testpki.Chain(later.CertPEM, inter.PEM, root.PEM), later.KeyPEM, "shop.example.com"},
		{"self-signed", "cert", "self-signed", self.CertPEM, self.KeyPEM, "shop.example.com"},
		{"another name", "cert", "not api.example.com", full, good.KeyPEM, "api.example.com"},
		{"a name is not the wildcard", "cert", "naming the wildcard", full, good.KeyPEM, "*.shop.example.com"},
		{"wildcard is not a name under it... one label deeper", "cert", "not a.b.shop.example.com", testpki.Chain(wild.CertPEM, inter.PEM, root.PEM), wild.KeyPEM, "a.b.shop.example.com"},
		{"not PEM", "cert", "no PEM certificate", []byte("hello"), good.KeyPEM, "shop.example.com"},
		{"key in the certificate file", "cert", "holds a private key", testpki.Chain(good.CertPEM, good.KeyPEM), good.KeyPEM, "shop.example.com"},
		{"key not PEM", "key", "no PEM private key", full, []byte("secret"), "shop.example.com"},
		{"a certificate as the key", "key", "no PEM private key", full, inter.PEM, "shop.example.com"},
		{"chain in the wrong order", "key", "does not match", testpki.Chain(inter.PEM, good.CertPEM, root.PEM), good.KeyPEM, "shop.example.com"},
		{"too big", "cert", "over 64 KiB", []byte(strings.Repeat("x", MaxCertPEM+1)), good.KeyPEM, "shop.example.com"},
	}
	for _, c := range bad {
		_, err := CheckCertificate(c.cert, c.key, c.domain, nil, now)
		var ce *CertError
		if !errors.As(err, &ce) {
			t.Errorf("%s: got %v, want a CertError", c.name, err)
			continue
		}
		if ce.Field != c.field || !strings.Contains(ce.Reason, c.want) {
			t.Errorf("%s: got %s: %q, want %s: …%s…", c.name, ce.Field, ce.Reason, c.field, c.want)
		}
		if keyBody := strings.Split(string(good.KeyPEM), "\n")[1]; strings.Contains(ce.Reason, keyBody) || strings.Contains(ce.Reason, "secret") {
			t.Errorf("%s: the reason echoes the key: %q", c.name, ce.Reason)
		}
	}
}
