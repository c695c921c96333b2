// Package edge serves apps over HTTPS with certificates obtained from an
// ACME certificate authority (Let's Encrypt by default) by certmagic, the
// library behind Caddy, and kept in Rivetr's store (package certstore), so
// every proxy sharing the store shares them and the CA is asked once per
// name. A certificate is asked for on the first TLS handshake for a name,
// and only for names that are an app's domain: nobody can make Rivetr ask
// the CA for names of their choosing. Renewals run in the background.
package edge

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

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
	// Lookup is the domain serving name (name itself, or the wildcard
	// covering it: the store's DomainEntry); no certificate is asked for
	// a name without one.
	Lookup func(ctx context.Context, name string) (entry string, err error)
	// DNS, when set, holds the zones whose names get their certificates
	// by DNS-01 (LoadDNSConfig); PreviewDomain is --preview-domain: when
	// a zone holds it, each app's previews share one wildcard certificate.
	DNS           *DNSConfig
	PreviewDomain string
	// OwnNames are the server's own names (--dashboard-domain): they get
	// certificates without being an app's domain.
	OwnNames []string
	// Ownership, when set, must prove a domain this server's before the
	// CA is asked for its certificate (once: the proof is recorded).
	Ownership *Ownership
	// Notify, when set, is told once per failure streak that a host's
	// certificate could not be obtained or renewed.
	Notify func(ctx context.Context, text string) error
	Log    *slog.Logger
}

// TLS is the certificate manager of one proxy.
type TLS struct {
	magic *certmagic.Config
	// dnsMagic gets the certificates of names in DNS's zones by DNS-01
	// (nil without --dns-config); managed remembers the names it was
	// given to obtain and renew.
	dnsMagic      *certmagic.Config
	dns           *DNSConfig
	managed       sync.Map
	lookup        func(ctx context.Context, name string) (string, error)
	previewDomain string
	cache         *certmagic.Cache
	issuer        *certmagic.ACMEIssuer
	storage       *certstore.Storage
	store         *schema.Store
	log           *slog.Logger
	// seen remembers, per host, whether it had a certificate and when
	// that was checked (HasCertificate).
	seen sync.Map
	// notify and alerted: a failure is told once until the host gets a
	// certificate again.
	notify  func(ctx context.Context, text string) error
	alerted sync.Map
	// custom serves the certificates teams uploaded, before any of the CA's.
	custom   *customCerts
	ownNames []string
	// ownership proves domains this server's; notOwned remembers recent
	// failures (host → ownedEntry).
	ownership *Ownership
	notOwned  sync.Map
}

type ownedEntry struct {
	err error
	at  time.Time
}

// ownedRetry is how long a failed ownership check stands before a
// handshake checks again.
const ownedRetry = 10 * time.Second

// owned is nil when name's ownership is proven: recorded in the store
// from before, or checked now (and recorded). A failure is remembered for
// ownedRetry, so handshakes do not flood the DNS, and shown as the
// certificate's last error.
func (t *TLS) owned(ctx context.Context, name string) error {
	if t.ownership == nil {
		return nil
	}
	d, err := t.store.GetDomain(ctx, name)
	if err != nil {
		return err
	}
	if d.VerifiedAt != nil {
		return nil
	}
	if v, ok := t.notOwned.Load(name); ok {
		if e := v.(ownedEntry); time.Since(e.at) < ownedRetry {
			return e.err
		}
	}
	how, err := t.ownership.Check(ctx, name, d.Token)
	if err != nil {
		err = fmt.Errorf("no certificate asked for: %w", err)
		t.notOwned.Store(name, ownedEntry{err, time.Now()})
		if rerr := t.store.CertificateFailed(context.WithoutCancel(ctx), name, err.Error()); rerr != nil {
			t.log.Warn("cannot record a certificate failure", "name", name, "err", rerr)
		}
		return err
	}
	t.notOwned.Delete(name)
	t.log.Info("domain ownership proven", "name", name, "by", how)
	return t.store.DomainVerified(context.WithoutCancel(ctx), name, how)
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
	t := &TLS{log: o.Log, storage: certstore.New(o.Store), store: o.Store, notify: o.Notify, custom: newCustomCerts(o.Store),
		dns: o.DNS, lookup: o.Lookup, ownership: o.Ownership, ownNames: o.OwnNames, previewDomain: strings.Trim(strings.ToLower(o.PreviewDomain), ".")}
	var magic, dnsMagic *certmagic.Config
	cache := certmagic.NewCache(certmagic.CacheOptions{
		GetConfigForCert: func(c certmagic.Certificate) (*certmagic.Config, error) {
			if dnsMagic != nil && len(c.Names) > 0 && t.dns.ZoneOf(c.Names[0]) != nil {
				return dnsMagic, nil
			}
			return magic, nil
		},
		Logger: zap.NewNop(),
	})
	magic = certmagic.New(cache, certmagic.Config{
		Storage: t.storage,
		OnDemand: &certmagic.OnDemandConfig{DecisionFunc: func(ctx context.Context, name string) error {
			if slices.Contains(o.OwnNames, name) {
				return nil
			}
			if t.custom.get(ctx, name) != nil {
				return fmt.Errorf("no certificate for %s from the CA: it serves an uploaded one", name)
			}
			entry, err := o.Lookup(ctx, name)
			if err != nil {
				return fmt.Errorf("no certificate for %s: %w", name, err)
			}
			if entry != name {
				// Anyone can make up names under a wildcard: asking the CA
				// for each would spend the domain's rate limits.
				return fmt.Errorf("no certificate for %s: it is served by the wildcard %s, whose certificate needs DNS-01 (a zone in --dns-config)", name, entry)
			}
			if t.dns.ZoneOf(name) != nil {
				return fmt.Errorf("no certificate for %s by HTTP-01: its zone is in --dns-config", name)
			}
			return t.owned(ctx, name)
		}},
		OCSP:    certmagic.OCSPConfig{DisableStapling: true},
		OnEvent: t.event,
		Logger:  zap.NewNop(),
	})
	issuer := certmagic.ACMEIssuer{
		CA:             o.Directory,
		Email:          o.Email,
		Agreed:         true,
		TrustedRoots:   roots,
		AltHTTPPort:    o.HTTPPort,
		AltTLSALPNPort: o.HTTPSPort,
		Logger:         zap.NewNop(),
	}
	t.issuer = certmagic.NewACMEIssuer(magic, issuer)
	magic.Issuers = []certmagic.Issuer{t.issuer}
	if o.DNS != nil && len(o.DNS.Zones) > 0 {
		dnsMagic = certmagic.New(cache, certmagic.Config{
			Storage: t.storage,
			OCSP:    certmagic.OCSPConfig{DisableStapling: true},
			OnEvent: t.event,
			Logger:  zap.NewNop(),
		})
		di := issuer
		di.DNS01Solver = newDNSSolver(o.DNS)
		dnsMagic.Issuers = []certmagic.Issuer{certmagic.NewACMEIssuer(dnsMagic, di)}
		t.dnsMagic = dnsMagic
	}
	t.magic, t.cache = magic, cache
	return t, nil
}

// event logs what certmagic reports about certificates and records it in
// the store, where `rivetr certs list` and the API read it.
func (t *TLS) event(ctx context.Context, event string, data map[string]any) error {
	name, _ := data["identifier"].(string)
	switch event {
	case "cert_obtained":
		t.log.Info("certificate obtained", "name", name, "renewal", data["renewal"], "issuer", data["issuer"])
		path, _ := data["certificate_path"].(string)
		if err := t.recordObtained(context.WithoutCancel(ctx), name, path); err != nil {
			t.log.Warn("cannot record a certificate", "name", name, "err", err)
		}
		t.alerted.Delete(name)
	case "cert_failed":
		reason := fmt.Sprint(data["error"])
		t.log.Warn("certificate not obtained", "name", name, "renewal", data["renewal"], "err", reason)
		if err := t.store.CertificateFailed(context.WithoutCancel(ctx), name, reason); err != nil {
			t.log.Warn("cannot record a certificate failure", "name", name, "err", err)
		}
		if _, told := t.alerted.LoadOrStore(name, true); !told && t.notify != nil {
			what := "obtained"
			if renewal, _ := data["renewal"].(bool); renewal {
				what = "renewed"
			}
			text := fmt.Sprintf("Rivetr: the certificate of %s could not be %s: %s. It is retried with backoff; `rivetr certs list` shows its state.", name, what, reason)
			go func() {
				nctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
				defer cancel()
				if err := t.notify(nctx, text); err != nil {
					t.log.Warn("cannot send the certificate alert", "name", name, "err", err)
				}
			}()
		}
	case "cert_obtaining":
		t.log.Info("asking for a certificate", "name", name, "renewal", data["renewal"])
	}
	return nil
}

// recordObtained records the certificate stored at path for name.
func (t *TLS) recordObtained(ctx context.Context, name, path string) error {
	b, err := t.storage.Load(ctx, path)
	if err != nil {
		return err
	}
	block, _ := pem.Decode(b)
	if block == nil {
		return errors.New("the stored certificate is not PEM")
	}
	leaf, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		return err
	}
	issuer := leaf.Issuer.CommonName
	if len(leaf.Issuer.Organization) > 0 {
		issuer = leaf.Issuer.Organization[0] + " " + issuer
	}
	return t.store.CertificateObtained(ctx, name, strings.TrimSpace(issuer), leaf.NotBefore, leaf.NotAfter)
}

// TLSConfig is the proxy's TLS configuration: certificates by SNI (an
// uploaded one first, then the CA's), HTTP/2 and HTTP/1.1, and the
// TLS-ALPN-01 challenge.
func (t *TLS) TLSConfig() *tls.Config {
	c := t.magic.TLSConfig()
	byCA := c.GetCertificate
	c.GetCertificate = func(hello *tls.ClientHelloInfo) (*tls.Certificate, error) {
		name := serverName(hello)
		if isChallenge(hello) {
			return byCA(hello) // TLS-ALPN-01: certmagic answers it
		}
		if cert := t.custom.get(hello.Context(), name); cert != nil {
			return cert, nil
		}
		if t.dnsMagic != nil && t.dns.ZoneOf(name) != nil {
			return t.dnsCertificate(hello, name)
		}
		return byCA(hello)
	}
	c.NextProtos = append([]string{"h2", "http/1.1"}, c.NextProtos...)
	c.MinVersion = tls.VersionTLS12
	return c
}

// certName is the name whose certificate serves host in a DNS zone: the
// wildcard domain covering it, the wildcard of an app's previews
// (*.APP.<preview domain>), or host itself.
func (t *TLS) certName(ctx context.Context, host string) (string, error) {
	if slices.Contains(t.ownNames, host) {
		return host, nil
	}
	entry, err := t.lookup(ctx, host)
	if err != nil {
		return "", fmt.Errorf("no certificate for %s: %w", host, err)
	}
	if strings.HasPrefix(entry, "*.") {
		return entry, nil
	}
	if pd := t.previewDomain; pd != "" && strings.HasSuffix(host, "."+pd) {
		if rest := host[strings.IndexByte(host, '.')+1:]; strings.HasSuffix(rest, "."+pd) {
			return "*." + rest, nil
		}
	}
	return host, nil
}

// dnsWait bounds how long a handshake waits for a certificate being
// obtained by DNS-01; the certificate keeps being asked for after it.
const dnsWait = 90 * time.Second

// dnsCertificate serves a name of a DNS zone: its certificate is managed
// (obtained by DNS-01, or loaded from the store when another proxy has
// it, then renewed) from the first handshake that needs it.
func (t *TLS) dnsCertificate(hello *tls.ClientHelloInfo, host string) (*tls.Certificate, error) {
	ctx := hello.Context()
	name, err := t.certName(ctx, host)
	if err != nil {
		return nil, err
	}
	if _, loaded := t.managed.LoadOrStore(name, true); !loaded {
		if err := t.dnsMagic.ManageAsync(context.WithoutCancel(ctx), []string{name}); err != nil {
			t.managed.Delete(name)
			return nil, err
		}
	}
	deadline := time.Now().Add(dnsWait)
	for {
		for _, c := range t.cache.AllMatchingCertificates(host) {
			if !c.Expired() {
				return &c.Certificate, nil
			}
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("no certificate for %s yet: %s is being obtained by DNS-01 (rivetr certs list shows its state)", host, name)
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// HTTPHandler answers the CA's HTTP-01 challenges (from the store, so the
// proxy a challenge reaches need not be the one that asked), passing
// everything else to next.
func (t *TLS) HTTPHandler(next http.Handler) http.Handler { return t.issuer.HTTPChallengeHandler(next) }

// haveFor is how long HasCertificate trusts its last answer for a host
// that had no certificate (one that has one is trusted until restart).
const haveFor = 30 * time.Second

// HasCertificate reports whether host has a certificate: loaded in
// memory, or in the store (obtained by another proxy, or before a
// restart).
func (t *TLS) HasCertificate(ctx context.Context, host string) bool {
	if t.custom.get(ctx, host) != nil {
		return true
	}
	for _, c := range t.cache.AllMatchingCertificates(host) {
		if !c.Expired() {
			return true
		}
	}
	if v, ok := t.seen.Load(host); ok {
		if at := v.(time.Time); at.IsZero() || time.Since(at) < haveFor {
			return at.IsZero()
		}
	}
	name := host
	if t.dns.ZoneOf(host) != nil {
		if n, err := t.certName(ctx, host); err == nil {
			name = n
		}
	}
	have := t.storage.Exists(ctx, certmagic.StorageKeys.SiteCert(t.issuer.IssuerKey(), name))
	if have {
		t.seen.Store(host, time.Time{})
	} else {
		t.seen.Store(host, time.Now())
	}
	return have
}

// Policy is what an app asks of HTTPS for one of its domains: plain
// HTTP kept (no redirect), HSTS sent, and the domain its visitors are
// sent to instead (RedirectTo: www.example.com → example.com).
type Policy struct {
	AllowHTTP  bool
	HSTS       bool
	RedirectTo string
}

// Canonical sends the visitors of a domain that redirects to its target
// (308: the method, path and query kept), over HTTPS when the request
// came over it or the target has a certificate and its app does not keep
// HTTP; anything else goes to next. t may be nil (no HTTPS).
func Canonical(next http.Handler, t *TLS, httpsPort int, policy func(ctx context.Context, host string) (Policy, bool)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, ok := policy(r.Context(), hostOnly(r.Host))
		if !ok || p.RedirectTo == "" {
			next.ServeHTTP(w, r)
			return
		}
		target := "http://" + p.RedirectTo
		if r.TLS != nil || t != nil && !p.AllowHTTP && t.HasCertificate(r.Context(), p.RedirectTo) {
			target = "https://" + p.RedirectTo
			if httpsPort != 443 {
				target += ":" + strconv.Itoa(httpsPort)
			}
		} else if _, port, err := net.SplitHostPort(r.Host); err == nil && port != "80" {
			target += ":" + port
		}
		http.Redirect(w, r, target+r.URL.RequestURI(), http.StatusPermanentRedirect)
	})
}

// Redirect sends a plain HTTP request to HTTPS (308, so a POST stays a
// POST) when its host has a certificate and its app does not keep HTTP;
// anything else goes to next. httpsPort is the HTTPS listener's port
// (left out of the URL when it is 443).
func (t *TLS) Redirect(next http.Handler, httpsPort int, policy func(ctx context.Context, host string) (Policy, bool)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		host := hostOnly(r.Host)
		if p, ok := policy(r.Context(), host); ok && !p.AllowHTTP && t.HasCertificate(r.Context(), host) {
			toHTTPS(w, r, host, httpsPort)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// toHTTPS answers r with a 308 to the same path and query on
// https://host (port left out when it is 443): a POST stays a POST.
func toHTTPS(w http.ResponseWriter, r *http.Request, host string, httpsPort int) {
	target := "https://" + host
	if httpsPort != 443 {
		target += ":" + strconv.Itoa(httpsPort)
	}
	http.Redirect(w, r, target+r.URL.RequestURI(), http.StatusPermanentRedirect)
}

// StrictTransport adds Strict-Transport-Security to HTTPS answers of apps
// that ask for it.
func StrictTransport(next http.Handler, policy func(ctx context.Context, host string) (Policy, bool)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if p, ok := policy(r.Context(), hostOnly(r.Host)); ok && p.HSTS {
			w.Header().Set("Strict-Transport-Security", "max-age=31536000")
		}
		next.ServeHTTP(w, r)
	})
}

func hostOnly(h string) string {
	if host, _, err := net.SplitHostPort(h); err == nil {
		h = host
	}
	return strings.TrimRight(strings.ToLower(h), ".")
}

// CachedPolicies wraps lookup (the store) so the proxy asks it at most
// once per host every ttl: a change of an app's HTTPS settings or
// redirects reaches the proxy within ttl. Any Host header is anyone's to
// send, so the memory is bounded: past policyMax hosts it starts over.
func CachedPolicies(lookup func(ctx context.Context, host string) (Policy, bool), ttl time.Duration) func(ctx context.Context, host string) (Policy, bool) {
	type entry struct {
		p  Policy
		ok bool
		at time.Time
	}
	var mu sync.RWMutex
	cache := map[string]entry{}
	return func(ctx context.Context, host string) (Policy, bool) {
		mu.RLock()
		e, hit := cache[host]
		mu.RUnlock()
		if hit && time.Since(e.at) < ttl {
			return e.p, e.ok
		}
		p, ok := lookup(ctx, host)
		mu.Lock()
		if len(cache) >= policyMax {
			clear(cache)
		}
		cache[host] = entry{p, ok, time.Now()}
		mu.Unlock()
		return p, ok
	}
}

// policyMax bounds the hosts CachedPolicies remembers.
const policyMax = 10000

// Webhook is a Notify posting text to url as JSON Slack ("text") and
// Discord ("content") both read.
func Webhook(url string) func(ctx context.Context, text string) error {
	client := &http.Client{Timeout: 15 * time.Second}
	return func(ctx context.Context, text string) error {
		body, _ := json.Marshal(map[string]string{"text": text, "content": text})
		req, err := http.NewRequestWithContext(ctx, "POST", url, bytes.NewReader(body))
		if err != nil {
			return err
		}
		req.Header.Set("Content-Type", "application/json")
		res, err := client.Do(req)
		if err != nil {
			return err
		}
		res.Body.Close()
		if res.StatusCode/100 != 2 {
			return fmt.Errorf("the notification URL answered %s", res.Status)
		}
		return nil
	}
}
