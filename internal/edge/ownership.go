package edge

import (
	"context"
	"errors"
	"fmt"
	"net"
	"slices"
	"strings"
	"time"

	"github.com/rivetr/rivetr/internal/release"
)

// Ownership proves a domain is this server's before the CA is asked for
// its certificate, so a tenant cannot spend the instance's rate limits
// (or its standing with the CA) on names that point elsewhere: the name
// resolves to one of this server's addresses (its interfaces' and
// --public-ip), or its TXT record _rivetr-challenge.HOST holds the
// domain's token, or it is in a DNS zone this server manages.
type Ownership struct {
	resolver *net.Resolver
	public   []net.IP
	zones    *DNSConfig
}

// NewOwnership checks names through the DNS server at resolver ("": the
// system's), counting publicIPs as this server's too.
func NewOwnership(resolver string, publicIPs []string, zones *DNSConfig) *Ownership {
	o := &Ownership{resolver: net.DefaultResolver, zones: zones}
	if resolver != "" {
		o.resolver = &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, network, _ string) (net.Conn, error) {
			return (&net.Dialer{Timeout: 5 * time.Second}).DialContext(ctx, network, resolver)
		}}
	}
	for _, s := range publicIPs {
		if ip := net.ParseIP(s); ip != nil {
			o.public = append(o.public, ip)
		}
	}
	return o
}

// OwnershipError says why a domain is not proven this server's, and how
// to prove it.
type OwnershipError struct{ Reason string }

func (e *OwnershipError) Error() string { return e.Reason }

// Check proves host (a domain, possibly a wildcard) this server's with
// token, returning how (release.VerifiedBy*), or an *OwnershipError.
func (o *Ownership) Check(ctx context.Context, host, token string) (string, error) {
	if o.zones.ZoneOf(strings.TrimPrefix(host, "*.")) != nil {
		return release.VerifiedByZone, nil
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	recName, recValue := release.OwnershipRecord(host, token)
	if txts, err := o.resolver.LookupTXT(ctx, recName); err == nil && slices.Contains(txts, recValue) {
		return release.VerifiedByTXT, nil
	}
	name := host
	if rest, ok := strings.CutPrefix(host, "*."); ok {
		name = "rivetr-check." + rest // any name the wildcard record answers
	}
	mine := o.addresses()
	addrs, err := o.resolver.LookupIPAddr(ctx, name)
	how := fmt.Sprintf("point its A/AAAA record at this server, or prove it with the TXT record %s holding %q, then run `rivetr domains verify`", recName, recValue)
	if err != nil {
		var dnsErr *net.DNSError
		if errors.As(err, &dnsErr) && dnsErr.IsNotFound {
			return "", &OwnershipError{fmt.Sprintf("%s does not resolve: %s", host, how)}
		}
		return "", &OwnershipError{fmt.Sprintf("cannot resolve %s (%v): %s", host, err, how)}
	}
	var got []string
	for _, a := range addrs {
		if slices.ContainsFunc(mine, a.IP.Equal) {
			return release.VerifiedByDNS, nil
		}
		got = append(got, a.IP.String())
	}
	return "", &OwnershipError{fmt.Sprintf("%s resolves to %s, not to this server%s: %s", host, strings.Join(got, ", "), o.shown(mine), how)}
}

// addresses are this server's: its interfaces' and --public-ip.
func (o *Ownership) addresses() []net.IP {
	out := slices.Clone(o.public)
	if addrs, err := net.InterfaceAddrs(); err == nil {
		for _, a := range addrs {
			if n, ok := a.(*net.IPNet); ok {
				out = append(out, n.IP)
			}
		}
	}
	return out
}

// shown lists a few of this server's public addresses for a message.
func (o *Ownership) shown(mine []net.IP) string {
	var s []string
	for _, ip := range mine {
		if ip.IsGlobalUnicast() && !ip.IsPrivate() && len(s) < 4 {
			s = append(s, ip.String())
		}
	}
	if len(s) == 0 {
		return ""
	}
	return " (" + strings.Join(s, ", ") + ")"
}
