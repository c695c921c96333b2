package release

import (
	"fmt"
	"net"
	"net/url"
	"strings"
)

// NormalizeDomain turns what a user types for a domain into the host name
// it means: "https://Shop.example.com:8443/x" is shop.example.com. Only
// the host is kept (scheme, port, path and a trailing dot go); CheckDomain
// says whether what is left is a name an app can answer to.
func NormalizeDomain(in string) string {
	d := strings.TrimSpace(in)
	if i := strings.Index(d, "://"); i >= 0 {
		if u, err := url.Parse(d); err == nil && u.Host != "" {
			d = u.Hostname()
		} else {
			d = d[i+3:]
		}
	}
	if i := strings.IndexAny(d, "/?#"); i >= 0 {
		d = d[:i]
	}
	if host, _, err := net.SplitHostPort(d); err == nil {
		d = host
	}
	return strings.TrimRight(strings.ToLower(d), ".")
}

// CheckDomain says why d (normalized) cannot be an app's domain, or nil:
// apps are reached by a full DNS name (the proxy routes by Host header,
// and certificates are issued for names).
func CheckDomain(d string) error {
	if rest, ok := strings.CutPrefix(d, "*."); ok {
		// A wildcard: one leading label, over a name of two labels or more.
		if !strings.Contains(rest, ".") || strings.Contains(rest, "*") || !validHostName(rest) {
			return fmt.Errorf("%s: a wildcard domain is *. before a name of two labels or more (e.g. *.example.com)", d)
		}
		return nil
	}
	switch {
	case d == "":
		return fmt.Errorf("is empty")
	case net.ParseIP(strings.Trim(d, "[]")) != nil:
		return fmt.Errorf("%s is an IP address; give a DNS name that points at this server (e.g. shop.example.com)", d)
	case !strings.Contains(d, "."):
		return fmt.Errorf("%s is a single label; give a full DNS name (e.g. %s.example.com)", d, d)
	case !validHostName(d):
		return fmt.Errorf("%q is not a valid host name (letters, digits and inner hyphens, labels of at most 63 characters, dots between)", d)
	}
	return nil
}

func validHostName(h string) bool {
	if len(h) > 253 {
		return false
	}
	for _, l := range strings.Split(h, ".") {
		if l == "" || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
			return false
		}
		for _, c := range l {
			if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
				return false
			}
		}
	}
	return true
}
