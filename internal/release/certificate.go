package release

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Limits of an uploaded certificate: a chain of a few certificates and
// one key fit well inside them.
const (
	MaxCertPEM = 64 << 10
	MaxKeyPEM  = 16 << 10
)

// UploadedCert is what an uploaded certificate holds, once checked.
type UploadedCert struct {
	Names     []string
	Issuer    string
	NotBefore time.Time
	NotAfter  time.Time
}

// CertError says why an uploaded certificate is refused; Field is the
// part at fault ("cert" or "key").
type CertError struct {
	Field  string
	Reason string
}

func (e *CertError) Error() string { return e.Reason }

// CheckCertificate checks a certificate uploaded for domain (an app's
// domain, possibly a wildcard): certPEM is the leaf then its chain,
// keyPEM the leaf's private key. It is refused, with the reason, when
// either does not parse, the key is not the leaf's, the leaf does not
// name domain, it has expired or is not valid yet, it is self-signed,
// or its chain does not lead from the leaf to a root: a trusted one
// (roots; nil for the system's) or one the file ends with (a private
// CA's). Browsers refuse a server that sends no chain, so Rivetr does
// before serving it.
func CheckCertificate(certPEM, keyPEM []byte, domain string, roots *x509.CertPool, now time.Time) (*UploadedCert, error) {
	refuse := func(field, format string, args ...any) (*UploadedCert, error) {
		return nil, &CertError{Field: field, Reason: fmt.Sprintf(format, args...)}
	}
	if len(certPEM) > MaxCertPEM {
		return refuse("cert", "the certificate file is over %d KiB; give the leaf and its chain only", MaxCertPEM>>10)
	}
	if len(keyPEM) > MaxKeyPEM {
		return refuse("key", "the key file is over %d KiB", MaxKeyPEM>>10)
	}
	var certs []*x509.Certificate
	for rest := certPEM; ; {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			break
		}
		if block.Type != "CERTIFICATE" {
			if strings.Contains(block.Type, "PRIVATE KEY") {
				return refuse("cert", "the certificate file holds a private key: give the certificates (leaf first, then its chain) and the key separately")
			}
			return refuse("cert", "the certificate file holds a %q PEM block; it must hold CERTIFICATE blocks only (leaf first, then its chain)", block.Type)
		}
		c, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return refuse("cert", "certificate %d of the file does not parse: %v", len(certs)+1, err)
		}
		certs = append(certs, c)
	}
	if len(certs) == 0 {
		return refuse("cert", "the certificate file holds no PEM certificate (-----BEGIN CERTIFICATE-----)")
	}
	if block, _ := pem.Decode(keyPEM); block == nil || !strings.Contains(block.Type, "PRIVATE KEY") {
		return refuse("key", "the key file holds no PEM private key (-----BEGIN PRIVATE KEY-----, or RSA/EC PRIVATE KEY)")
	}
	if _, err := tls.X509KeyPair(certPEM, keyPEM); err != nil {
		if strings.Contains(err.Error(), "does not match") {
			return refuse("key", "the key does not match the certificate: give the key the certificate was issued for (the leaf must come first in the certificate file)")
		}
		return refuse("key", "the key does not parse: %s", strings.TrimPrefix(err.Error(), "tls: "))
	}
	leaf := certs[0]
	if wild, ok := strings.CutPrefix(domain, "*."); ok {
		if !slices.ContainsFunc(leaf.DNSNames, func(n string) bool { return strings.EqualFold(n, "*."+wild) }) {
			return refuse("cert", "the certificate is for %s, not %s: a wildcard domain needs a certificate naming the wildcard", names(leaf), domain)
		}
	} else if err := leaf.VerifyHostname(domain); err != nil {
		return refuse("cert", "the certificate is for %s, not %s", names(leaf), domain)
	}
	switch {
	case now.After(leaf.NotAfter):
		return refuse("cert", "the certificate expired on %s", leaf.NotAfter.UTC().Format("2006-01-02 15:04 MST"))
	case now.Add(5 * time.Minute).Before(leaf.NotBefore):
		return refuse("cert", "the certificate is not valid before %s", leaf.NotBefore.UTC().Format("2006-01-02 15:04 MST"))
	case leaf.Subject.String() == leaf.Issuer.String() && leaf.CheckSignature(leaf.SignatureAlgorithm, leaf.RawTBSCertificate, leaf.Signature) == nil:
		return refuse("cert", "the certificate is self-signed: no browser trusts it; upload one issued by a certificate authority, with its chain")
	}
	inter, own := x509.NewCertPool(), x509.NewCertPool()
	for _, c := range certs[1:] {
		if c.CheckSignatureFrom(c) == nil {
			own.AddCert(c)
		} else {
			inter.AddCert(c)
		}
	}
	opts := x509.VerifyOptions{Intermediates: inter, Roots: roots, CurrentTime: now, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	if _, err := leaf.Verify(opts); err != nil {
		// Not to a trusted root: to a root the file ends with?
		opts.Roots = own
		if _, err2 := leaf.Verify(opts); err2 != nil {
			var unknown x509.UnknownAuthorityError
			if errors.As(err, &unknown) || len(certs) == 1 {
				return refuse("cert", "the certificate lacks its chain: %s's issuer %q is neither in the file nor a trusted root; append the intermediate certificates after the leaf (the full chain, e.g. fullchain.pem)",
					leaf.Subject.CommonName, leaf.Issuer.CommonName)
			}
			return refuse("cert", "the certificate's chain does not verify: %s", strings.TrimPrefix(err.Error(), "x509: "))
		}
	}
	issuer := leaf.Issuer.CommonName
	if len(leaf.Issuer.Organization) > 0 && leaf.Issuer.Organization[0] != issuer {
		issuer = strings.TrimSpace(leaf.Issuer.Organization[0] + " " + issuer)
	}
	return &UploadedCert{Names: leaf.DNSNames, Issuer: issuer, NotBefore: leaf.NotBefore, NotAfter: leaf.NotAfter}, nil
}

func names(c *x509.Certificate) string {
	if len(c.DNSNames) == 0 {
		if c.Subject.CommonName != "" {
			return c.Subject.CommonName
		}
		return "no DNS name"
	}
	if len(c.DNSNames) > 4 {
		return strings.Join(c.DNSNames[:4], ", ") + fmt.Sprintf(" and %d more", len(c.DNSNames)-4)
	}
	return strings.Join(c.DNSNames, ", ")
}
