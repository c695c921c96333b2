package edge

import (
	"context"
	"encoding/base64"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mholt/acmez/v3/acme"

	"github.com/rivetr/rivetr/internal/testdns"
)

// Each provider writes the challenge's TXT record through its API (a local
// stand-in checking credentials), the record is visible to the resolver
// before the CA is told to look, and it is gone after the clean-up.
func TestDNSProvidersSolveDNS01(t *testing.T) {
	secret := base64.StdEncoding.EncodeToString([]byte("0123456789abcdef0123456789abcdef"))
	for _, provider := range []string{"cloudflare", "route53", "rfc2136"} {
		t.Run(provider, func(t *testing.T) {
			w := testdns.New("example.com")
			resolver := w.DNSServer(t, "rivetr.", secret)
			z := DNSZone{Zone: "example.com", Provider: provider}
			switch provider {
			case "cloudflare":
				z.APIToken, z.APIURL = "cf-token", w.Cloudflare(t, "cf-token")
			case "route53":
				z.AccessKeyID, z.SecretAccessKey, z.Region, z.HostedZoneID = "AKIDTEST", "s3cret", "us-east-1", "Z123"
				z.Endpoint = w.Route53(t, "Z123", "AKIDTEST")
			case "rfc2136":
				z.Server, z.KeyName, z.Key = resolver, "rivetr.", secret
			}
			cfg := &DNSConfig{Zones: []DNSZone{z}, Resolvers: []string{resolver}}
			if err := cfg.check(); err != nil {
				t.Fatal(err)
			}
			s := newDNSSolver(cfg)
			chal := acme.Challenge{Type: "dns-01", Token: "tok-" + provider, KeyAuthorization: "tok." + provider,
				Identifier: acme.Identifier{Type: "dns", Value: "web.pr.example.com"}}
			ctx := context.Background()
			if err := s.Present(ctx, chal); err != nil {
				t.Fatalf("present: %v", err)
			}
			if got := w.TXT("_acme-challenge.web.pr.example.com"); len(got) != 1 || got[0] != chal.DNS01KeyAuthorization() {
				t.Fatalf("the TXT record holds %q, want %q", got, chal.DNS01KeyAuthorization())
			}
			if err := s.Wait(ctx, chal); err != nil {
				t.Fatalf("wait: %v", err)
			}
			if err := s.CleanUp(ctx, chal); err != nil {
				t.Fatalf("clean up: %v", err)
			}
			if got := w.TXT("_acme-challenge.web.pr.example.com"); len(got) != 0 {
				t.Fatalf("the TXT record is left: %q", got)
			}
		})
	}
}

// Wrong credentials and names outside every zone fail with the reason.
func TestDNSProvidersRefuse(t *testing.T) {
	secret := base64.StdEncoding.EncodeToString([]byte("0123456789abcdef0123456789abcdef"))
	w := testdns.New("example.com")
	resolver := w.DNSServer(t, "rivetr.", secret)
	chal := acme.Challenge{Type: "dns-01", Token: "t", KeyAuthorization: "t.k", Identifier: acme.Identifier{Type: "dns", Value: "a.example.com"}}
	for name, z := range map[string]DNSZone{
		"cloudflare token": {Zone: "example.com", Provider: "cloudflare", APIToken: "wrong", APIURL: w.Cloudflare(t, "right")},
		"tsig key":         {Zone: "example.com", Provider: "rfc2136", Server: resolver, KeyName: "rivetr.", Key: base64.StdEncoding.EncodeToString([]byte("not the key at all, not at all"))},
	} {
		s := newDNSSolver(&DNSConfig{Zones: []DNSZone{z}})
		if err := s.Present(context.Background(), chal); err == nil || !strings.Contains(err.Error(), "could not write the TXT record") {
			t.Errorf("%s: %v", name, err)
		}
	}
	if w.Changes != 0 {
		t.Fatalf("%d changes made with wrong credentials", w.Changes)
	}
	s := newDNSSolver(&DNSConfig{Zones: []DNSZone{{Zone: "example.com", Provider: "rfc2136"}}})
	other := chal
	other.Identifier.Value = "a.example.org"
	if err := s.Present(context.Background(), other); err == nil || !strings.Contains(err.Error(), "in no zone") {
		t.Fatalf("a name outside the zones: %v", err)
	}
}

func TestLoadDNSConfig(t *testing.T) {
	write := func(body string, mode os.FileMode) string {
		p := filepath.Join(t.TempDir(), "dns.toml")
		os.WriteFile(p, []byte(body), mode)
		return p
	}
	good := write(`
resolvers = ["127.0.0.1:53"]
[[zone]]
zone = "example.com."
provider = "cloudflare"
api_token = "t"
[[zone]]
zone = "pr.example.com"
provider = "rfc2136"
server = "10.0.0.53:53"
key_name = "rivetr"
key = "c2VjcmV0"
`, 0o600)
	c, err := LoadDNSConfig(good)
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]string{"x.pr.example.com": "pr.example.com", "*.web.pr.example.com": "pr.example.com", "shop.example.com": "example.com", "example.com": "example.com", "example.org": "", "badexample.com": ""} {
		got := ""
		if z := c.ZoneOf(name); z != nil {
			got = z.Zone
		}
		if got != want {
			t.Errorf("ZoneOf(%s) = %q, want %q", name, got, want)
		}
	}
	for body, want := range map[string]string{
		"[[zone]]\nzone = \"example.com\"\nprovider = \"godaddy\"\n":                        "want cloudflare, route53 or rfc2136",
		"[[zone]]\nzone = \"example.com\"\nprovider = \"cloudflare\"\n":                     "needs api_token",
		"[[zone]]\nzone = \"com\"\nprovider = \"cloudflare\"\napi_token = \"t\"\n":          "want a DNS zone",
		"[[zone]]\nzone = \"example.com\"\nprovider = \"rfc2136\"\nserver = \"x\"\n":        "needs server",
		"[[zone]]\nzone = \"example.com\"\nprovider = \"cloudflare\"\napi_tokn = \"t\"\n":   "unknown key",
		"[[zone]]\nzone = \"example.com\"\nprovider = \"route53\"\naccess_key_id = \"a\"\n": "both access_key_id and secret_access_key",
	} {
		if _, err := LoadDNSConfig(write(body, 0o600)); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: %v, want %q", body, err, want)
		}
	}
	if _, err := LoadDNSConfig(write("", 0o644)); err == nil || !strings.Contains(err.Error(), "chmod 600") {
		t.Errorf("a world-readable file of credentials: %v", err)
	}
}
