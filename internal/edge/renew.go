package edge

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/caddyserver/certmagic"
)

// Forced renewals, and following the renewals other proxies sharing the
// store make.

// Renew renews host's certificate now, before its time; until the new
// one is in, the old one keeps serving. This proxy serves the new one at
// once; others sharing the store within seconds (FollowRenewals).
func (t *TLS) Renew(ctx context.Context, host string) error {
	old := t.cache.AllMatchingCertificates(host)
	magic, name := t.magic, host
	if t.dnsMagic != nil && t.dns.ZoneOf(host) != nil {
		n, err := t.certName(ctx, host)
		if err != nil {
			return err
		}
		magic, name = t.dnsMagic, n
	}
	if err := magic.RenewCertSync(ctx, name, true); err != nil {
		return err
	}
	_, err := t.replace(ctx, magic, name, old)
	return err
}

// replace caches name's certificate as the store holds it, dropping the
// cached copies old that differ from it; changed says whether one did.
func (t *TLS) replace(ctx context.Context, magic *certmagic.Config, name string, old []certmagic.Certificate) (changed bool, err error) {
	cur, err := magic.CacheManagedCertificate(ctx, name)
	if err != nil {
		return false, err
	}
	var hashes []string
	for _, c := range old {
		if c.Hash() != cur.Hash() {
			hashes = append(hashes, c.Hash())
		}
	}
	t.cache.Remove(hashes)
	return len(hashes) > 0, nil
}

// FollowRenewals loads, every interval until ctx ends, the certificates
// another proxy sharing the store obtained anew for names this one holds
// (a forced renewal, a replacement): without it, this proxy would serve
// its older copy until that one came due.
func (t *TLS) FollowRenewals(ctx context.Context, every time.Duration) {
	since := time.Now().Add(-every)
	tick := time.NewTicker(every)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		// Overlap the last window: a row committed late is seen next time.
		next := time.Now().Add(-every)
		if err := t.followOnce(ctx, since); err != nil {
			t.log.Warn("cannot check the store for renewed certificates", "err", err)
			continue
		}
		since = next
	}
}

// followOnce reloads the certificates obtained after since whose cached
// copy here is older.
func (t *TLS) followOnce(ctx context.Context, since time.Time) error {
	recs, err := t.store.CertificatesObtainedSince(ctx, since)
	if err != nil {
		return err
	}
	for _, rec := range recs {
		var held []certmagic.Certificate
		for _, c := range t.cache.AllMatchingCertificates(rec.Host) {
			if slices.Contains(c.Names, rec.Host) {
				held = append(held, c)
			}
		}
		if len(held) == 0 {
			continue // not served here: loaded from the store when asked for
		}
		magic := t.magic
		if t.dnsMagic != nil && t.dns.ZoneOf(strings.TrimPrefix(rec.Host, "*.")) != nil {
			magic = t.dnsMagic
		}
		changed, err := t.replace(ctx, magic, rec.Host, held)
		if err != nil {
			t.log.Warn("cannot load a renewed certificate from the store", "name", rec.Host, "err", err)
			continue
		}
		if changed {
			t.log.Info("serving the certificate another proxy obtained anew", "name", rec.Host)
		}
	}
	return nil
}
