package edge

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/BurntSushi/toml"
	"github.com/libdns/cloudflare"
	"github.com/libdns/libdns"
	"github.com/libdns/rfc2136"
	"github.com/libdns/route53"
	"github.com/mholt/acmez/v3/acme"
	"github.com/miekg/dns"
)

// DNS-01: names under a zone of the DNS file (--dns-config) get their
// certificates by a TXT record Rivetr writes through that zone's DNS
// provider (libdns: Cloudflare, Route 53, RFC 2136), which is the only way
// to a wildcard certificate. Other names keep HTTP-01 and TLS-ALPN-01.

// DNSZone is one zone of the DNS file and the provider that edits it.
type DNSZone struct {
	// Zone is the DNS zone (example.com); every name under it is solved
	// by DNS-01 through Provider.
	Zone     string `toml:"zone"`
	Provider string `toml:"provider"` // cloudflare, route53 or rfc2136

	// Cloudflare: an API token with Zone.DNS:Edit, and the API's base URL
	// (default https://api.cloudflare.com/client/v4).
	APIToken string `toml:"api_token"`
	APIURL   string `toml:"api_url"`

	// Route 53: credentials (default: the AWS environment and profile),
	// region, the hosted zone's ID (default: looked up by name) and the
	// API endpoint (default: AWS's; one per instance).
	AccessKeyID     string `toml:"access_key_id"`
	SecretAccessKey string `toml:"secret_access_key"`
	Region          string `toml:"region"`
	HostedZoneID    string `toml:"hosted_zone_id"`
	Endpoint        string `toml:"endpoint"`

	// RFC 2136: the primary's host:port and its TSIG key.
	Server  string `toml:"server"`
	KeyName string `toml:"key_name"`
	KeyAlg  string `toml:"key_alg"`
	Key     string `toml:"key"`
}

// DNSConfig is the DNS file.
type DNSConfig struct {
	Zones []DNSZone `toml:"zone"`
	// Resolvers are asked whether a TXT record is visible before the CA
	// is told to look (host:port; default: none, wait PropagationDelay).
	Resolvers []string `toml:"resolvers"`
	// PropagationDelay is waited after writing a record when no resolver
	// is given (default 10 s).
	PropagationDelay string `toml:"propagation_delay"`
}

// LoadDNSConfig reads and checks the DNS file.
func LoadDNSConfig(path string) (*DNSConfig, error) {
	var c DNSConfig
	md, err := toml.DecodeFile(path, &c)
	if err != nil {
		return nil, fmt.Errorf("--dns-config %s: %w", path, err)
	}
	if und := md.Undecoded(); len(und) > 0 {
		return nil, fmt.Errorf("--dns-config %s: unknown key %q", path, und[0].String())
	}
	if fi, err := os.Stat(path); err == nil && fi.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("--dns-config %s holds DNS credentials: make it readable by its owner only (chmod 600)", path)
	}
	if err := c.check(); err != nil {
		return nil, fmt.Errorf("--dns-config %s: %w", path, err)
	}
	return &c, nil
}

func (c *DNSConfig) check() error {
	seen := map[string]bool{}
	for i := range c.Zones {
		z := &c.Zones[i]
		z.Zone = strings.ToLower(strings.Trim(strings.TrimSpace(z.Zone), "."))
		if z.Zone == "" || !strings.Contains(z.Zone, ".") {
			return fmt.Errorf("zone %d: zone %q: want a DNS zone such as example.com", i+1, z.Zone)
		}
		if seen[z.Zone] {
			return fmt.Errorf("zone %s is listed twice", z.Zone)
		}
		seen[z.Zone] = true
		switch z.Provider {
		case "cloudflare":
			if z.APIToken == "" {
				return fmt.Errorf("zone %s: cloudflare needs api_token (a token with Zone.DNS:Edit)", z.Zone)
			}
			if z.APIURL != "" {
				if u, err := url.Parse(z.APIURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
					return fmt.Errorf("zone %s: api_url %q: want https://host/path", z.Zone, z.APIURL)
				}
			}
		case "route53":
			if (z.AccessKeyID == "") != (z.SecretAccessKey == "") {
				return fmt.Errorf("zone %s: route53 needs both access_key_id and secret_access_key, or neither (the AWS environment)", z.Zone)
			}
		case "rfc2136":
			if _, _, err := net.SplitHostPort(z.Server); err != nil {
				return fmt.Errorf("zone %s: rfc2136 needs server = \"host:port\" (the zone's primary)", z.Zone)
			}
			if z.KeyName == "" || z.Key == "" {
				return fmt.Errorf("zone %s: rfc2136 needs key_name and key (its TSIG key, base64)", z.Zone)
			}
			if z.KeyAlg == "" {
				z.KeyAlg = dns.HmacSHA256
			}
		default:
			return fmt.Errorf("zone %s: provider %q: want cloudflare, route53 or rfc2136", z.Zone, z.Provider)
		}
	}
	for _, r := range c.Resolvers {
		if _, _, err := net.SplitHostPort(r); err != nil {
			return fmt.Errorf("resolver %q: want host:port", r)
		}
	}
	if c.PropagationDelay != "" {
		if _, err := time.ParseDuration(c.PropagationDelay); err != nil {
			return fmt.Errorf("propagation_delay %q: want a duration such as 10s", c.PropagationDelay)
		}
	}
	// Longest zone first: a name goes to the most specific zone.
	sort.Slice(c.Zones, func(i, j int) bool { return len(c.Zones[i].Zone) > len(c.Zones[j].Zone) })
	return nil
}

// ZoneOf is the zone of the DNS file name is in, or nil.
func (c *DNSConfig) ZoneOf(name string) *DNSZone {
	if c == nil {
		return nil
	}
	name = strings.ToLower(strings.TrimPrefix(strings.Trim(name, "."), "*."))
	for i := range c.Zones {
		z := &c.Zones[i]
		if name == z.Zone || strings.HasSuffix(name, "."+z.Zone) {
			return z
		}
	}
	return nil
}

// dnsProvider is what the solver needs of a libdns provider.
type dnsProvider interface {
	libdns.RecordAppender
	libdns.RecordDeleter
}

// route53Endpoint is set once: the AWS SDK reads it from the environment.
var route53Endpoint sync.Once

func (z *DNSZone) provider() dnsProvider {
	switch z.Provider {
	case "cloudflare":
		p := &cloudflare.Provider{APIToken: z.APIToken}
		if z.APIURL != "" {
			p.HTTPClient = &http.Client{Timeout: 30 * time.Second, Transport: rebase{base: z.APIURL}}
		} else {
			p.HTTPClient = &http.Client{Timeout: 30 * time.Second}
		}
		return p
	case "route53":
		if z.Endpoint != "" {
			route53Endpoint.Do(func() { os.Setenv("AWS_ENDPOINT_URL_ROUTE_53", z.Endpoint) })
		}
		return &route53.Provider{Region: z.Region, AccessKeyId: z.AccessKeyID, SecretAccessKey: z.SecretAccessKey, HostedZoneID: z.HostedZoneID, MaxRetries: 3}
	case "rfc2136":
		return &rfc2136.Provider{Server: z.Server, KeyName: z.KeyName, KeyAlg: z.KeyAlg, Key: z.Key}
	}
	return nil
}

// rebase sends requests for Cloudflare's API to another base URL.
type rebase struct{ base string }

func (r rebase) RoundTrip(req *http.Request) (*http.Response, error) {
	const cf = "https://api.cloudflare.com/client/v4"
	u := req.URL.String()
	if !strings.HasPrefix(u, cf) {
		return nil, fmt.Errorf("refusing a request outside Cloudflare's API: %s", req.URL.Host)
	}
	nu, err := url.Parse(strings.TrimSuffix(r.base, "/") + strings.TrimPrefix(u, cf))
	if err != nil {
		return nil, err
	}
	out := req.Clone(req.Context())
	out.URL, out.Host = nu, nu.Host
	return http.DefaultTransport.RoundTrip(out)
}

// dnsSolver solves DNS-01 challenges through the zone's provider. It is an
// acmez.Solver (and Waiter).
type dnsSolver struct {
	cfg *DNSConfig
	mu  sync.Mutex
	// providers are made once per zone (they cache zone IDs).
	providers map[string]dnsProvider
	// made remembers each challenge's record, to delete it afterwards.
	made map[string]made
}

type made struct {
	zone   string
	record libdns.TXT
}

func newDNSSolver(cfg *DNSConfig) *dnsSolver {
	return &dnsSolver{cfg: cfg, providers: map[string]dnsProvider{}, made: map[string]made{}}
}

func (s *dnsSolver) providerFor(name string) (*DNSZone, dnsProvider, error) {
	z := s.cfg.ZoneOf(name)
	if z == nil {
		return nil, nil, fmt.Errorf("%s is in no zone of --dns-config: its DNS-01 challenge cannot be answered", name)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.providers[z.Zone]
	if p == nil {
		p = z.provider()
		s.providers[z.Zone] = p
	}
	return z, p, nil
}

// recordName is the challenge record's name relative to zone.
func recordName(chal acme.Challenge, zone string) string {
	fqdn := strings.ToLower(strings.TrimSuffix(chal.DNS01TXTRecordName(), "."))
	return libdns.RelativeName(fqdn+".", zone+".")
}

func (s *dnsSolver) Present(ctx context.Context, chal acme.Challenge) error {
	z, p, err := s.providerFor(chal.Identifier.Value)
	if err != nil {
		return err
	}
	rec := libdns.TXT{Name: recordName(chal, z.Zone), TTL: 60 * time.Second, Text: chal.DNS01KeyAuthorization()}
	if _, err := p.AppendRecords(ctx, z.Zone+".", []libdns.Record{rec}); err != nil {
		return fmt.Errorf("DNS-01 for %s: %s could not write the TXT record %s in zone %s: %w", chal.Identifier.Value, z.Provider, rec.Name, z.Zone, err)
	}
	s.mu.Lock()
	s.made[chal.Token] = made{zone: z.Zone, record: rec}
	s.mu.Unlock()
	return nil
}

// Wait returns once the record is visible to the resolvers of the DNS
// file, or after the propagation delay when there are none.
func (s *dnsSolver) Wait(ctx context.Context, chal acme.Challenge) error {
	want := chal.DNS01KeyAuthorization()
	fqdn := dns.Fqdn(chal.DNS01TXTRecordName())
	if len(s.cfg.Resolvers) == 0 {
		d := 10 * time.Second
		if s.cfg.PropagationDelay != "" {
			d, _ = time.ParseDuration(s.cfg.PropagationDelay)
		}
		select {
		case <-time.After(d):
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	c := &dns.Client{Timeout: 5 * time.Second}
	deadline := time.Now().Add(2 * time.Minute)
	for {
		for _, r := range s.cfg.Resolvers {
			m := new(dns.Msg)
			m.SetQuestion(fqdn, dns.TypeTXT)
			in, _, err := c.ExchangeContext(ctx, m, r)
			if err != nil {
				continue
			}
			for _, rr := range in.Answer {
				if txt, ok := rr.(*dns.TXT); ok && strings.Join(txt.Txt, "") == want {
					return nil
				}
			}
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("DNS-01 for %s: the TXT record %s is not visible to %v after 2 minutes", chal.Identifier.Value, fqdn, s.cfg.Resolvers)
		}
		select {
		case <-time.After(time.Second):
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

func (s *dnsSolver) CleanUp(ctx context.Context, chal acme.Challenge) error {
	s.mu.Lock()
	m, ok := s.made[chal.Token]
	delete(s.made, chal.Token)
	s.mu.Unlock()
	if !ok {
		return nil
	}
	_, p, err := s.providerFor(chal.Identifier.Value)
	if err != nil {
		return err
	}
	if _, err := p.DeleteRecords(ctx, m.zone+".", []libdns.Record{m.record}); err != nil {
		return fmt.Errorf("DNS-01 for %s: removing the TXT record %s: %w", chal.Identifier.Value, m.record.Name, err)
	}
	return nil
}
