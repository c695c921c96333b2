// Package edge serves apps over HTTPS with certificates obtained from an
// ACME certificate authority (Let's Encrypt by default) by certmagic, the
// library behind Caddy, and kept in Rivetr's store (package certstore), so
// every proxy sharing the store shares them and the CA is asked once per
// name. A certificate is asked for on the first TLS handshake for a name,
// and only for names that are an app's domain: nobody can make Rivetr ask
// the CA for names of their choosing. Renewals run in the background.
package edge

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"

	"github.com/caddyserver/certmagic"
	"go.uber.org/zap"

	"github.com/rivetr/rivetr/internal/certstore"
	"github.com/rivetr/rivetr/schema"
)

// Options configure the certificates.
type Options struct {
	Store *schema.Store
	// Email is the ACME account's contact; Directory the CA's directory
	// URL; CARoot a PEM file of roots its TLS is checked against ("" for
	// the system roots).
	Email, Directory, CARoot string
	// HTTPPort and HTTPSPort are where this host's proxy listens, so the
	// challenges are answered there (never on a listener of certmagic's).
	HTTPPort, HTTPSPort int
	// Allowed says whether name may have a certificate: it is an app's
	// domain. Anything else is refused before the CA is asked.
	Allowed func(ctx context.Context, name string) error
	Log     *slog.Logger
}

// TLS is the certificate manager of one proxy.
type TLS struct {
	magic  *certmagic.Config
	issuer *certmagic.ACMEIssuer
	log    *slog.Logger
}

// New prepares the manager; nothing is asked of the CA until a handshake
// needs a certificate.
func New(o Options) (*TLS, error) {
	if o.Log == nil {
		o.Log = slog.Default()
	}
	if o.Directory == "" {
		return nil, errors.New("--acme-directory is empty")
	}
	var roots *x509.CertPool
	if o.CARoot != "" {
		pem, err := os.ReadFile(o.CARoot)
		if err != nil {
			return nil, fmt.Errorf("--acme-ca-root: %w", err)
		}
		roots = x509.NewCertPool()
		if !roots.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("--acme-ca-root %s holds no PEM certificate", o.CARoot)
		}
	}
	t := &TLS{log: o.Log}
	var magic *certmagic.Config
	cache := certmagic.NewCache(certmagic.CacheOptions{
		GetConfigForCert: func(certmagic.Certificate) (*certmagic.Config, error) { return magic, nil },
		Logger:           zap.NewNop(),
	})
	magic = certmagic.New(cache, certmagic.Config{
		Storage: certstore.New(o.Store),
		OnDemand: &certmagic.OnDemandConfig{DecisionFunc: func(ctx context.Context, name string) error {
			if err := o.Allowed(ctx, name); err != nil {
				return fmt.Errorf("no certificate for %s: %w", name, err)
			}
			return nil
		}},
		OCSP:    certmagic.OCSPConfig{DisableStapling: true},
		OnEvent: t.event,
		Logger:  zap.NewNop(),
	})
	t.issuer = certmagic.NewACMEIssuer(magic, certmagic.ACMEIssuer{
		CA:             o.Directory,
		Email:          o.Email,
		Agreed:         true,
		TrustedRoots:   roots,
		AltHTTPPort:    o.HTTPPort,
		AltTLSALPNPort: o.HTTPSPort,
		Logger:         zap.NewNop(),
	})
	magic.Issuers = []certmagic.Issuer{t.issuer}
	t.magic = magic
	return t, nil
}

// event logs what certmagic reports about certificates.
func (t *TLS) event(_ context.Context, event string, data map[string]any) error {
	switch event {
	case "cert_obtained":
		t.log.Info("certificate obtained", "name", data["identifier"], "renewal", data["renewal"], "issuer", data["issuer"])
	case "cert_failed":
		t.log.Warn("certificate not obtained", "name", data["identifier"], "renewal", data["renewal"], "err", data["error"])
	case "cert_obtaining":
		t.log.Info("asking for a certificate", "name", data["identifier"], "renewal", data["renewal"])
	}
	return nil
}

// TLSConfig is the proxy's TLS configuration: certificates by SNI,
// HTTP/2 and HTTP/1.1, and the TLS-ALPN-01 challenge.
func (t *TLS) TLSConfig() *tls.Config {
	c := t.magic.TLSConfig()
	c.NextProtos = append([]string{"h2", "http/1.1"}, c.NextProtos...)
	c.MinVersion = tls.VersionTLS12
	return c
}

// HTTPHandler answers the CA's HTTP-01 challenges (from the store, so the
// proxy a challenge reaches need not be the one that asked), passing
// everything else to next.
func (t *TLS) HTTPHandler(next http.Handler) http.Handler { return t.issuer.HTTPChallengeHandler(next) }
