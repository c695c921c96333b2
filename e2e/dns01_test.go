package e2e

import (
	"bytes"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rivetr/rivetr/internal/testdns"
	"github.com/rivetr/rivetr/internal/testprovider"
	"github.com/rivetr/rivetr/internal/webhook"
)

// Wildcard certificates by DNS-01: a pull request preview under a zone of
// --dns-config gets *.APP.<preview domain> through the Cloudflare API (a
// local stand-in whose records Pebble's mock DNS serves), and the next
// preview shares it; a user's wildcard domain gets its wildcard; names
// nobody has, and wildcards outside every zone, get nothing and cost no
// order at the CA.
func TestWildcardCertificatesByDNS01(t *testing.T) {
	parallelE2E(t)
	needDocker(t)
	ca := newACMECA(t)
	world := testdns.New("dns01.test")
	cfURL := world.Cloudflare(t, "cf-token")
	resolver := world.DNSServer(t, "unused.", "dW51c2Vk")
	// Pebble resolves challenges through challtestsrv: mirror the records.
	world.OnChange = func(fqdn string, values []string) {
		post := func(path string, body map[string]string) {
			b, _ := json.Marshal(body)
			if res, err := http.Post("http://"+ca.chall+path, "application/json", bytes.NewReader(b)); err == nil {
				res.Body.Close()
			}
		}
		post("/clear-txt", map[string]string{"host": fqdn})
		for _, v := range values {
			post("/set-txt", map[string]string{"host": fqdn, "value": v})
		}
	}
	dnsFile := filepath.Join(t.TempDir(), "dns.toml")
	os.WriteFile(dnsFile, []byte(fmt.Sprintf(`resolvers = [%q]
[[zone]]
zone = "dns01.test"
provider = "cloudflare"
api_token = "cf-token"
api_url = %q
`, resolver, cfURL)), 0o600)

	httpsAddr := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	s := NewServer(t, false, "--https-addr", httpsAddr, "--acme-directory", ca.Directory, "--acme-ca-root", ca.CARoot,
		"--dns-config", dnsFile, "--preview-domain", "pr.dns01.test")
	s.Start()
	_, proxyPort, _ := net.SplitHostPort(s.Proxy)
	_, tlsPort, _ := net.SplitHostPort(httpsAddr)
	pp, _ := strconv.Atoi(proxyPort)
	tp, _ := strconv.Atoi(tlsPort)
	ca.start(t, pp, tp)

	// An app with previews, and a pull request opened.
	gh := testprovider.Start("github", "gh-token")
	defer gh.Close()
	a := newAppOn(t, s, "wild", "main-v1")
	tokenFile := filepath.Join(t.TempDir(), "token")
	os.WriteFile(tokenFile, []byte("gh-token\n"), 0o600)
	s.MustCLI("apps", "update", a.App, "--previews", "--provider-url", gh.URL, "--provider-token-file", tokenFile)
	s.MustCLI("deploy", a.App, "--wait")
	var info struct {
		URLs   map[string]string
		Secret string
	}
	mustUnmarshal(t, []byte(s.MustCLI("apps", "webhook", a.App, "-o", "json")), &info)
	a.Repo.git("checkout", "-q", "-b", "feature")
	f1 := a.Repo.Commit("feature-v1", map[string]string{"Dockerfile": AppDockerfile("feature-v1", "", "")})
	open := func(n int) string {
		body := fmt.Sprintf(`{"action":"opened","number":%d,"pull_request":{"number":%d,"html_url":"https://github.com/acme/w/pull/%d","title":"F","merged":false,
			"user":{"login":"mona"},"head":{"ref":"feature","sha":%q,"repo":{"full_name":"acme/w"}},"base":{"ref":"main","sha":%q,"repo":{"full_name":"acme/w"}}},
			"repository":{"full_name":"acme/w"}}`, n, n, n, f1, a.First)
		if code, r := postHook(t, info.URLs["github"], webhook.GitHub, "pull_request", fmt.Sprintf("pr-%d", n), info.Secret, body); code != 202 || r.Result != "preview" {
			t.Fatalf("pull request %d: %d %+v", n, code, r)
		}
		host := fmt.Sprintf("pr-%d.%s.pr.dns01.test", n, a.App)
		eventually(t, 3*time.Minute, host+" serving", func() bool {
			code, body, err := s.Get(host, "/")
			return err == nil && code == 200 && body == "feature-v1"
		})
		return host
	}
	first := open(1)
	leaf := func(host string) (*tls.ConnectionState, *http.Response, error) {
		c := ca.httpsClient(httpsAddr, true)
		res, err := c.Get("https://" + host + "/")
		if err != nil {
			return nil, nil, err
		}
		defer res.Body.Close()
		return res.TLS, res, nil
	}
	_, res, err := leaf(first)
	if err != nil {
		t.Fatalf("HTTPS to the preview: %v", err)
	}
	cert := res.TLS.PeerCertificates[0]
	want := "*." + a.App + ".pr.dns01.test"
	if len(cert.DNSNames) != 1 || cert.DNSNames[0] != want {
		t.Fatalf("the preview's certificate names %v, want %s", cert.DNSNames, want)
	}
	if world.Changes < 2 {
		t.Fatalf("the TXT record was written and removed %d times through the API, want both", world.Changes)
	}
	if txt := world.TXT("_acme-challenge." + a.App + ".pr.dns01.test"); len(txt) != 0 {
		t.Fatalf("the challenge's record is left: %q", txt)
	}

	// The next preview serves the same certificate: no new order.
	changes := world.Changes
	second := open(2)
	_, res, err = leaf(second)
	if err != nil {
		t.Fatalf("HTTPS to the second preview: %v", err)
	}
	if got := res.TLS.PeerCertificates[0].SerialNumber; got.Cmp(cert.SerialNumber) != 0 || world.Changes != changes {
		t.Fatalf("the second preview got certificate %v (first %v), %d DNS changes", got, cert.SerialNumber, world.Changes-changes)
	}
	// Plain HTTP to a preview with its certificate goes to HTTPS (the
	// proxy reads a new host's policy within 5 s).
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	eventually(t, 10*time.Second, "HTTP to the preview redirected", func() bool {
		req, _ := http.NewRequest("GET", "http://"+s.Proxy+"/x", nil)
		req.Host = second
		r, err := noFollow.Do(req)
		if err != nil {
			return false
		}
		r.Body.Close()
		return r.StatusCode == http.StatusPermanentRedirect
	})

	// Attack: a made-up name under the wildcard (no such preview) gets no
	// certificate and asks nothing of the CA or the DNS.
	if _, _, err := leaf("pr-99." + a.App + ".pr.dns01.test"); err == nil {
		t.Fatal("a name nobody has got a certificate")
	}

	// A user's wildcard domain, in the zone: one wildcard certificate for
	// every name below it.
	w := newAppOn(t, s, "star", "star-v1")
	s.MustCLI("domains", "add", w.App, "*.shop.dns01.test")
	s.MustCLI("deploy", w.App, "--wait")
	if body := s.MustGet("eu.shop.dns01.test", "/"); body != "star-v1" {
		t.Fatalf("a name under the wildcard serves %q", body)
	}
	_, res, err = leaf("eu.shop.dns01.test")
	if err != nil {
		t.Fatalf("HTTPS under the wildcard: %v", err)
	}
	if got := res.TLS.PeerCertificates[0].DNSNames; len(got) != 1 || got[0] != "*.shop.dns01.test" {
		t.Fatalf("the wildcard domain's certificate names %v", got)
	}
	changes = world.Changes
	if _, res, err = leaf("us.shop.dns01.test"); err != nil || res.TLS.PeerCertificates[0].DNSNames[0] != "*.shop.dns01.test" || world.Changes != changes {
		t.Fatalf("a second name under the wildcard: %v (%d DNS changes)", err, world.Changes-changes)
	}
	// A wildcard outside every zone is served over HTTP, but its made-up
	// names never reach the CA (they would spend its rate limits).
	s.MustCLI("domains", "add", w.App, "*.elsewhere.test")
	if body := s.MustGet("any.elsewhere.test", "/"); body != "star-v1" {
		t.Fatalf("a wildcard outside the zones serves %q over HTTP", body)
	}
	if _, _, err := leaf("any.elsewhere.test"); err == nil || !strings.Contains(err.Error(), "tls") {
		t.Fatalf("HTTPS to a wildcard outside the zones: %v", err)
	}
	if strings.Contains(string(s.logs()), `msg="asking for a certificate" name=any.elsewhere.test`) {
		t.Fatal("the CA was asked for a made-up name under a wildcard")
	}
}
