// Package egress decides where the connections Rivetr opens on a tenant's
// behalf may go: git remotes, git provider APIs, notification URLs and S3
// destinations are all addresses a team member types, and without a rule
// each would let them reach what only the server can (its loopback, the
// cloud metadata service, the LAN) and read the answers or the error
// texts like a port scanner.
//
// A Policy refuses loopback, unspecified, link-local, private (RFC 1918,
// unique-local IPv6), shared (CGNAT), multicast and other reserved
// addresses unless the instance allows a range (--egress-allow). The check
// runs on the address a connection is actually made to (the dialer's
// Control hook), after DNS, so a name that resolves differently the
// second time (DNS rebinding) gains nothing.
package egress

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"syscall"
	"time"
)

// ErrRefused is the error of a connection to an address the policy does
// not allow.
var ErrRefused = errors.New("the address is not allowed")

// blocked are the ranges no tenant URL reaches by default.
var blocked = func() []netip.Prefix {
	var ps []netip.Prefix
	for _, s := range []string{
		"0.0.0.0/8",       // "this network", 0.0.0.0 reaches the host
		"10.0.0.0/8",      // private
		"100.64.0.0/10",   // shared address space (CGNAT)
		"127.0.0.0/8",     // loopback
		"169.254.0.0/16",  // link-local, cloud metadata
		"172.16.0.0/12",   // private
		"192.0.0.0/24",    // IETF protocol assignments
		"192.0.2.0/24",    // documentation
		"192.168.0.0/16",  // private
		"198.18.0.0/15",   // benchmarking
		"198.51.100.0/24", // documentation
		"203.0.113.0/24",  // documentation
		"224.0.0.0/4",     // multicast
		"240.0.0.0/4",     // reserved, broadcast
		"::/128",          // unspecified
		"::1/128",         // loopback
		"64:ff9b::/96",    // NAT64 (embeds an IPv4 address)
		"64:ff9b:1::/48",  // local NAT64
		"100::/64",        // discard
		"2001::/32",       // Teredo (embeds an IPv4 address)
		"2001:db8::/32",   // documentation
		"2002::/16",       // 6to4 (embeds an IPv4 address)
		"fc00::/7",        // unique local
		"fe80::/10",       // link-local
		"ff00::/8",        // multicast
	} {
		ps = append(ps, netip.MustParsePrefix(s))
	}
	return ps
}()

// Policy is where outbound connections may go. The zero value and nil
// refuse every blocked range.
type Policy struct {
	allow []netip.Prefix
}

// Parse reads the --egress-allow list: IP addresses and CIDR ranges
// separated by commas or spaces ("127.0.0.0/8, 10.1.2.3"); empty allows
// none of the blocked ranges.
func Parse(list string) (*Policy, error) {
	p := &Policy{}
	for _, f := range strings.FieldsFunc(list, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' || r == '\n' }) {
		if pfx, err := netip.ParsePrefix(f); err == nil {
			p.allow = append(p.allow, pfx.Masked())
			continue
		}
		a, err := netip.ParseAddr(f)
		if err != nil {
			return nil, fmt.Errorf("egress allow list: %q is neither an IP address nor a CIDR range (e.g. 10.0.0.0/8)", f)
		}
		a = a.Unmap()
		p.allow = append(p.allow, netip.PrefixFrom(a, a.BitLen()))
	}
	return p, nil
}

// MustParse is Parse for lists known to be valid (tests).
func MustParse(list string) *Policy {
	p, err := Parse(list)
	if err != nil {
		panic(err)
	}
	return p
}

// String is the allow list as Parse reads it.
func (p *Policy) String() string {
	if p == nil {
		return ""
	}
	s := make([]string, len(p.allow))
	for i, a := range p.allow {
		s[i] = a.String()
	}
	return strings.Join(s, ",")
}

// Permits reports whether a connection to ip is allowed.
func (p *Policy) Permits(ip netip.Addr) bool {
	if !ip.IsValid() {
		return false
	}
	ip = ip.Unmap().WithZone("")
	if p != nil {
		for _, a := range p.allow {
			if a.Contains(ip) {
				return true
			}
		}
	}
	for _, b := range blocked {
		if b.Contains(ip) {
			return false
		}
	}
	return true
}

// Control is a net.Dialer Control hook: it refuses a connection to an
// address the policy does not permit, after name resolution.
func (p *Policy) Control(network, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("%w (%s)", ErrRefused, network)
	}
	if !p.Permits(ap.Addr()) {
		return ErrRefused
	}
	return nil
}

// Dialer dials only where the policy permits.
func (p *Policy) Dialer(timeout time.Duration) *net.Dialer {
	return &net.Dialer{Timeout: timeout, KeepAlive: 30 * time.Second, Control: p.Control}
}

// DialContext is the Dialer's DialContext with a 30-second connect timeout.
func (p *Policy) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	return p.Dialer(30*time.Second).DialContext(ctx, network, addr)
}

// Transport is an http.Transport whose connections obey the policy. It
// ignores HTTP_PROXY: a proxy would make the connection on our behalf to
// wherever the URL says.
func (p *Policy) Transport() *http.Transport {
	return &http.Transport{
		DialContext:           p.DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          16,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   10 * time.Second,
		ResponseHeaderTimeout: time.Minute,
	}
}

// Client is an http.Client with the policy's Transport and a timeout; it
// checks each redirect's URL too (the dialer would refuse the address
// anyway; this gives a clear error for a literal one).
func (p *Policy) Client(timeout time.Duration) *http.Client {
	return &http.Client{
		Timeout:   timeout,
		Transport: p.Transport(),
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if len(via) >= 5 {
				return errors.New("stopped after 5 redirects")
			}
			return p.CheckURL(req.URL.String())
		},
	}
}

// CheckURL refuses what can be refused without resolving a name: a URL
// that does not parse, has no host, names localhost, or names a blocked
// IP literal. Input validation uses it to answer at once; the dialer
// still checks the resolved address of every connection.
func (p *Policy) CheckURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Errorf("not a URL: %v", errors.Unwrap(err))
	}
	return p.CheckHost(u.Hostname())
}

// CheckHost is CheckURL for a host name or IP literal.
func (p *Policy) CheckHost(host string) error {
	h := strings.TrimSuffix(strings.ToLower(strings.TrimSpace(host)), ".")
	if h == "" {
		return errors.New("the URL has no host")
	}
	if h == "localhost" || strings.HasSuffix(h, ".localhost") {
		if !p.Permits(netip.MustParseAddr("127.0.0.1")) {
			return fmt.Errorf("%w: %s is this server (an instance admin can allow it with --egress-allow)", ErrRefused, host)
		}
		return nil
	}
	if a, err := netip.ParseAddr(strings.Trim(h, "[]")); err == nil && !p.Permits(a) {
		return fmt.Errorf("%w: %s is a loopback, private, link-local or reserved address (an instance admin can allow a range with --egress-allow)", ErrRefused, host)
	}
	return nil
}

// Explain turns a connection error into what a tenant may see: a refusal
// by the policy is named, any other failure says only that the host could
// not be reached, so error texts do not map the network.
func Explain(err error, host string) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, ErrRefused) {
		return fmt.Errorf("%w: %s resolves to a loopback, private, link-local or reserved address (an instance admin can allow a range with --egress-allow)", ErrRefused, host)
	}
	return fmt.Errorf("cannot reach %s", host)
}

type ctxKey struct{}

// WithPolicy returns a context whose connections made through
// ContextTransport obey p.
func WithPolicy(ctx context.Context, p *Policy) context.Context {
	return context.WithValue(ctx, ctxKey{}, p)
}

// FromContext is the policy WithPolicy stored; without one, the default
// (nil) policy.
func FromContext(ctx context.Context) *Policy {
	p, _ := ctx.Value(ctxKey{}).(*Policy)
	return p
}

// ContextTransport is an http.Transport that dials with the policy of each
// request's context, for libraries that take one HTTP client for the
// whole process (go-git's protocol table).
func ContextTransport() *http.Transport {
	t := (*Policy)(nil).Transport()
	t.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		return FromContext(ctx).DialContext(ctx, network, addr)
	}
	return t
}

// Resolve looks host up and refuses it unless every address it has is
// permitted: for protocols whose library dials by itself (git://), where
// the dialer cannot be given the policy.
func (p *Policy) Resolve(ctx context.Context, host string) error {
	if err := p.CheckHost(host); err != nil {
		return err
	}
	if _, err := netip.ParseAddr(strings.Trim(host, "[]")); err == nil {
		return nil
	}
	addrs, err := net.DefaultResolver.LookupNetIP(ctx, "ip", host)
	if err != nil {
		return fmt.Errorf("cannot resolve %s", host)
	}
	for _, a := range addrs {
		if !p.Permits(a) {
			return Explain(ErrRefused, host)
		}
	}
	return nil
}
