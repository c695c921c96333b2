// Package testpki makes certificate authorities and certificates for
// tests: a root, an intermediate under it, leaves under that, as PEM.
package testpki

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"time"
)

// CA is a certificate authority: its certificate and key.
type CA struct {
	Cert *x509.Certificate
	Key  *ecdsa.PrivateKey
	PEM  []byte
}

// Leaf is an issued certificate and its key, as PEM.
type Leaf struct {
	Cert    *x509.Certificate
	CertPEM []byte
	KeyPEM  []byte
}

// T is what the helpers need of their caller: a *testing.T, or a
// program's (the benchmarks') stand-in.
type T interface{ Fatal(args ...any) }

var serial int64 = 1000

func newKey(t T) *ecdsa.PrivateKey {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func sign(t T, tmpl, parent *x509.Certificate, pub any, key *ecdsa.PrivateKey) (*x509.Certificate, []byte) {
	serial++
	tmpl.SerialNumber = big.NewInt(serial)
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, pub, key)
	if err != nil {
		t.Fatal(err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return c, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}

// Root is a new self-signed root CA named name.
func Root(t T, name string) *CA {
	k := newKey(t)
	tmpl := &x509.Certificate{
		Subject: pkix.Name{CommonName: name, Organization: []string{"Rivetr tests"}}, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(10 * 365 * 24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
	}
	c, p := sign(t, tmpl, tmpl, &k.PublicKey, k)
	return &CA{Cert: c, Key: k, PEM: p}
}

// Intermediate is a CA under ca.
func (ca *CA) Intermediate(t T, name string) *CA {
	k := newKey(t)
	tmpl := &x509.Certificate{
		Subject: pkix.Name{CommonName: name, Organization: []string{"Rivetr tests"}}, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(5 * 365 * 24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
	}
	c, p := sign(t, tmpl, ca.Cert, &k.PublicKey, ca.Key)
	return &CA{Cert: c, Key: k, PEM: p}
}

// Issue is a server certificate for names signed by ca, valid from
// notBefore to notAfter.
func (ca *CA) Issue(t T, notBefore, notAfter time.Time, names ...string) *Leaf {
	k := newKey(t)
	tmpl := &x509.Certificate{
		Subject: pkix.Name{CommonName: names[0]}, DNSNames: names, NotBefore: notBefore, NotAfter: notAfter,
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	c, p := sign(t, tmpl, ca.Cert, &k.PublicKey, ca.Key)
	return &Leaf{Cert: c, CertPEM: p, KeyPEM: KeyPEM(t, k)}
}

// SelfSigned is a self-signed server certificate for names.
func SelfSigned(t T, names ...string) *Leaf {
	k := newKey(t)
	tmpl := &x509.Certificate{
		Subject: pkix.Name{CommonName: names[0]}, Issuer: pkix.Name{CommonName: names[0]}, DNSNames: names,
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(90 * 24 * time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	c, p := sign(t, tmpl, tmpl, &k.PublicKey, k)
	return &Leaf{Cert: c, CertPEM: p, KeyPEM: KeyPEM(t, k)}
}

// KeyPEM is k as a PKCS #8 PEM block.
func KeyPEM(t T, k *ecdsa.PrivateKey) []byte {
	der, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
}

// Chain concatenates PEM blocks.
func Chain(parts ...[]byte) []byte {
	var out []byte
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}
