package release

import (
	"fmt"
	"net"
	"net/url"
	"slices"
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

// CheckRedirect says why host, a domain of an app with the given domains
// and redirects (domain → the domain it sends visitors to), cannot
// redirect to target, or nil ("" target: serve the app again). A target
// is another of the app's own domains (no redirect leaves the app, so a
// domain's redirect cannot be turned against someone else's site), never
// a wildcard, and redirects are one hop: no chains, no loops.
func CheckRedirect(domains []string, redirects map[string]string, host, target string) error {
	if target == "" {
		return nil
	}
	switch {
	case target == host:
		return fmt.Errorf("%s cannot redirect to itself", host)
	case strings.HasPrefix(host, "*."):
		return fmt.Errorf("%s is a wildcard domain: only a name redirects (add the name itself as a domain)", host)
	case strings.HasPrefix(target, "*."):
		return fmt.Errorf("%s is a wildcard domain: redirect to a name", target)
	case !slices.Contains(domains, target):
		return fmt.Errorf("%s is not a domain of this app: a redirect goes to one of the app's own domains (add it first)", target)
	case redirects[target] == host:
		return fmt.Errorf("%s redirects to %s: that would make a loop; stop that redirect first (domains redirect APP %s --off)", target, host, target)
	case redirects[target] != "":
		return fmt.Errorf("%s redirects to %s itself: redirect %s to %s directly", target, redirects[target], host, redirects[target])
	}
	for d, to := range redirects {
		if to == host && d != host {
			return fmt.Errorf("%s redirects to %s: that would make a chain of redirects; point %s at %s first", d, host, d, target)
		}
	}
	return nil
}

// How a domain's ownership was proven (schema.Domain.VerifiedBy).
const (
	// VerifiedByDNS: the name resolves to this server.
	VerifiedByDNS = "dns"
	// VerifiedByTXT: the name's challenge record holds its token.
	VerifiedByTXT = "txt"
	// VerifiedByZone: the name is in a DNS zone this server manages (a
	// zone of --dns-config).
	VerifiedByZone = "zone"
)

// OwnershipRecord is the TXT record proving host's ownership with token:
// _rivetr-challenge.HOST holding "rivetr-verify=TOKEN" (a wildcard's is
// its base name's).
func OwnershipRecord(host, token string) (name, value string) {
	return "_rivetr-challenge." + strings.TrimPrefix(host, "*."), "rivetr-verify=" + token
}
