package release

import (
	"strings"
	"testing"
)

func TestDomains(t *testing.T) {
	for in, want := range map[string]string{
		"shop.example.com":                         "shop.example.com",
		"  Shop.Example.COM. ":                     "shop.example.com",
		"https://shop.example.com/":                "shop.example.com",
		"http://x.example.com":                     "x.example.com",
		"https://user@shop.example.com:8443/a?b#c": "shop.example.com",
		"shop.example.com:8080":                    "shop.example.com",
		"shop.example.com/path":                    "shop.example.com",
		"ftp//odd":                                 "ftp",
		"*.Example.com":                            "*.example.com",
	} {
		if got := NormalizeDomain(in); got != want {
			t.Errorf("NormalizeDomain(%q) = %q, want %q", in, got, want)
		}
	}
	for d, want := range map[string]string{
		"shop.example.com": "",
		"a.test":           "",
		"localhost":        "single label",
		"10.0.0.1":         "IP address",
		"::1":              "IP address",
		"-bad.example.com": "not a valid host name",
		"a_b.example.com":  "not a valid host name",
		"":                 "empty",
		"*.example.com":    "",
		"*.com":            "wildcard domain",
		"*.*.example.com":  "wildcard domain",
		"a.*.example.com":  "not a valid host name",
		"*":                "single label",
	} {
		err := CheckDomain(d)
		if want == "" && err != nil || want != "" && (err == nil || !strings.Contains(err.Error(), want)) {
			t.Errorf("CheckDomain(%q) = %v, want %q", d, err, want)
		}
	}
}

func TestCheckRedirect(t *testing.T) {
	t.Parallel()
	domains := []string{"example.com", "www.example.com", "old.example.com", "*.shop.example.com", "blog.example.com"}
	redirects := map[string]string{"old.example.com": "example.com"}
	for _, c := range []struct{ host, target, want string }{
		{"www.example.com", "example.com", ""},
		{"example.com", "www.example.com", "old.example.com redirects to example.com"},
		{"www.example.com", "", ""},
		{"www.example.com", "www.example.com", "to itself"},
		{"www.example.com", "evil.test", "not a domain of this app"},
		{"www.example.com", "*.shop.example.com", "redirect to a name"},
		{"*.shop.example.com", "example.com", "only a name redirects"},
		{"www.example.com", "old.example.com", "redirect www.example.com to example.com directly"},
		{"blog.example.com", "old.example.com", "directly"},
		{"example.com", "old.example.com", "a loop"},
	} {
		err := CheckRedirect(domains, redirects, c.host, c.target)
		if c.want == "" && err != nil || c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)) {
			t.Errorf("%s → %s: %v, want %q", c.host, c.target, err, c.want)
		}
	}
}
