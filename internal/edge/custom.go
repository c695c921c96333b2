package edge

import (
	"context"
	"crypto/tls"
	"errors"
	"strings"
	"sync"
	"time"

	"github.com/rivetr/rivetr/schema"
)

// customFor is how long a proxy trusts what it read of a name's uploaded
// certificate: an upload, a replacement or a removal reaches every proxy
// within it.
const customFor = 5 * time.Second

// customMax bounds the names remembered (names under a wildcard are
// anyone's to make up); past it the memory starts over.
const customMax = 10000

// customCerts serves the certificates apps' teams uploaded (the store's
// CustomCert), read through a short cache so a handshake rarely waits
// for the database.
type customCerts struct {
	store  *schema.Store
	mu     sync.Mutex
	byName map[string]customEntry
}

type customEntry struct {
	cert *tls.Certificate // nil: none
	at   time.Time
}

func newCustomCerts(store *schema.Store) *customCerts {
	return &customCerts{store: store, byName: map[string]customEntry{}}
}

// get is the uploaded certificate serving name, nil when there is none
// or it has expired (the CA's then serves: better than a dead site).
func (c *customCerts) get(ctx context.Context, name string) *tls.Certificate {
	c.mu.Lock()
	e, ok := c.byName[name]
	c.mu.Unlock()
	if ok && time.Since(e.at) < customFor {
		return e.cert
	}
	cert, err := c.load(ctx, name)
	if err != nil && ok {
		cert = e.cert // the store did not answer: keep serving what we had
	}
	c.mu.Lock()
	if len(c.byName) >= customMax {
		clear(c.byName)
	}
	c.byName[name] = customEntry{cert: cert, at: time.Now()}
	c.mu.Unlock()
	if cert != nil && time.Now().After(cert.Leaf.NotAfter) {
		return nil
	}
	return cert
}

// load reads name's uploaded certificate: its domain's (name's own, or
// its wildcard's), uploaded by the app holding that domain now.
func (c *customCerts) load(ctx context.Context, name string) (*tls.Certificate, error) {
	entry, appID, err := c.store.DomainEntry(ctx, name)
	if errors.Is(err, schema.ErrNotFound) {
		return nil, nil
	} else if err != nil {
		return nil, err
	}
	cc, err := c.store.GetCustomCert(ctx, entry)
	switch {
	case errors.Is(err, schema.ErrNotFound):
		return nil, nil
	case err != nil:
		return nil, err
	case cc.AppID != appID:
		return nil, nil // another app's (the domain changed hands)
	}
	pair, err := tls.X509KeyPair([]byte(cc.CertPEM), []byte(cc.KeyPEM))
	if err != nil {
		return nil, nil // checked at upload; unreadable now means nothing to serve
	}
	return &pair, nil
}

func serverName(hello *tls.ClientHelloInfo) string {
	return strings.ToLower(strings.TrimSuffix(hello.ServerName, "."))
}

// isChallenge reports whether hello is the CA's TLS-ALPN-01 validation.
func isChallenge(hello *tls.ClientHelloInfo) bool {
	return len(hello.SupportedProtos) == 1 && hello.SupportedProtos[0] == "acme-tls/1"
}
