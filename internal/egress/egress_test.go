package egress

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strings"
	"testing"
	"time"
)

func TestPermits(t *testing.T) {
	var none *Policy
	lan := MustParse("10.1.0.0/16, 127.0.0.1")
	for _, tc := range []struct {
		ip           string
		def, withLAN bool
	}{
		{"8.8.8.8", true, true},
		{"2606:4700:4700::1111", true, true},
		{"127.0.0.1", false, true},
		{"127.0.0.2", false, false},
		{"::1", false, false},
		{"::ffff:127.0.0.1", false, true}, // IPv4-mapped loopback
		{"::ffff:169.254.169.254", false, false},
		{"0.0.0.0", false, false},
		{"::", false, false},
		{"169.254.169.254", false, false}, // cloud metadata
		{"fe80::1%eth0", false, false},
		{"10.1.2.3", false, true},
		{"10.2.0.1", false, false},
		{"172.16.0.1", false, false},
		{"172.32.0.1", true, true},
		{"192.168.1.1", false, false},
		{"100.64.0.1", false, false},
		{"fd00::1", false, false},
		{"224.0.0.1", false, false},
		{"255.255.255.255", false, false},
		{"64:ff9b::7f00:1", false, false}, // NAT64 of 127.0.0.1
		{"2002:7f00:1::", false, false},   // 6to4 of 127.0.0.1
	} {
		a := netip.MustParseAddr(tc.ip)
		if got := none.Permits(a); got != tc.def {
			t.Errorf("default policy, %s: %v, want %v", tc.ip, got, tc.def)
		}
		if got := lan.Permits(a); got != tc.withLAN {
			t.Errorf("allowing 10.1/16 and 127.0.0.1, %s: %v, want %v", tc.ip, got, tc.withLAN)
		}
	}
	if (&Policy{}).Permits(netip.Addr{}) {
		t.Fatal("the invalid address is permitted")
	}
}

func TestParse(t *testing.T) {
	p, err := Parse(" 10.0.0.0/8,192.168.1.7\n::1 ")
	if err != nil || p.String() != "10.0.0.0/8,192.168.1.7/32,::1/128" {
		t.Fatalf("%v %v", p, err)
	}
	for _, bad := range []string{"10.0.0.0/33", "gitea.lan", "10.0.0.0/8,*"} {
		if _, err := Parse(bad); err == nil || !strings.Contains(err.Error(), "CIDR") {
			t.Errorf("%q: %v", bad, err)
		}
	}
}

func TestCheckURL(t *testing.T) {
	var p *Policy
	for raw, ok := range map[string]bool{
		"https://hooks.slack.com/services/x":      true,
		"https://s3.eu-west-1.amazonaws.com":      true,
		"http://localhost:2375/containers/json":   false,
		"http://LOCALHOST./x":                     false,
		"http://api.localhost/":                   false,
		"http://127.0.0.1:8080/":                  false,
		"http://[::1]:8080/":                      false,
		"http://[::ffff:127.0.0.1]/":              false,
		"http://169.254.169.254/latest/meta-data": false,
		"http://10.0.0.5/":                        false,
		"https:///nohost":                         false,
		"::not a url":                             false,
	} {
		if err := p.CheckURL(raw); (err == nil) != ok {
			t.Errorf("%s: %v", raw, err)
		}
	}
	if err := MustParse("127.0.0.0/8").CheckURL("http://localhost:9000"); err != nil {
		t.Fatalf("an allowed loopback: %v", err)
	}
}

// The attack: a notification URL (or S3 endpoint, or git remote) naming
// this server. The client built from the policy never connects to it,
// whatever the URL says (a name, a literal, a redirect); allowing the range
// lets it through.
func TestClientRefusesWhatThePolicyDoes(t *testing.T) {
	hits := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hits++ }))
	defer srv.Close()
	u, _ := url.Parse(srv.URL)
	redirect := httptest.NewServer(http.RedirectHandler(srv.URL, http.StatusFound))
	defer redirect.Close()

	var def *Policy
	for _, target := range []string{srv.URL, "http://localhost:" + u.Port()} {
		_, err := def.Client(5 * time.Second).Get(target)
		if !errors.Is(err, ErrRefused) {
			t.Fatalf("%s: %v", target, err)
		}
	}
	if hits != 0 {
		t.Fatalf("the refused server was reached %d times", hits)
	}
	// Allowing loopback lets both through (a redirect to an allowed
	// address is followed); a redirect to the metadata service is not.
	lo := MustParse("127.0.0.0/8")
	res, err := lo.Client(5 * time.Second).Get(redirect.URL)
	if err != nil || hits != 1 {
		t.Fatalf("allowed loopback: %v, %d hits", err, hits)
	}
	res.Body.Close()
	toMeta := httptest.NewServer(http.RedirectHandler("http://169.254.169.254/latest/meta-data", http.StatusFound))
	defer toMeta.Close()
	if _, err := lo.Client(5 * time.Second).Get(toMeta.URL); !errors.Is(err, ErrRefused) {
		t.Fatalf("a redirect to the metadata service: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, err := def.DialContext(ctx, "tcp", "[::1]:"+u.Port()); !errors.Is(err, ErrRefused) {
		t.Fatalf("dial ::1: %v", err)
	}
}

func TestExplain(t *testing.T) {
	if err := Explain(errors.New("dial tcp 10.0.0.7:5432: connect: connection refused"), "db.internal"); err.Error() != "cannot reach db.internal" {
		t.Fatalf("%v", err)
	}
	if err := Explain(ErrRefused, "x.example"); !errors.Is(err, ErrRefused) || strings.Contains(err.Error(), "10.") {
		t.Fatalf("%v", err)
	}
	if Explain(nil, "x") != nil {
		t.Fatal("nil")
	}
}

// FuzzCheckURL: whatever the input, CheckURL does not panic, and a URL it
// lets through under the default policy never names a blocked literal
// address (in any spelling netip or the URL parser accepts) or localhost.
func FuzzCheckURL(f *testing.F) {
	for _, s := range []string{"http://127.0.0.1/", "http://[::ffff:7f00:1]/", "http://0x7f000001/", "http://2130706433/",
		"http://[fe80::1%25eth0]/", "https://user@10.0.0.1:443@evil.com/", "http://127.1/", "http://LocalHost/", "http://[::]/", "https://example.com/"} {
		f.Add(s)
	}
	var def *Policy
	f.Fuzz(func(t *testing.T, raw string) {
		if def.CheckURL(raw) != nil {
			return
		}
		u, err := url.Parse(raw)
		if err != nil {
			t.Fatalf("passed but does not parse: %q", raw)
		}
		h := strings.ToLower(strings.TrimSuffix(u.Hostname(), "."))
		if h == "localhost" || strings.HasSuffix(h, ".localhost") {
			t.Fatalf("passed localhost: %q", raw)
		}
		if a, err := netip.ParseAddr(h); err == nil && !def.Permits(a) {
			t.Fatalf("passed a blocked address: %q", raw)
		}
		// Control is the last word: it must refuse every blocked address
		// it is handed, and never panic on junk.
		_ = def.Control("tcp", h, nil)
	})
}
