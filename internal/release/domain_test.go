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
