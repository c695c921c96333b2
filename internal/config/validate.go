package config

import (
	"errors"
	"fmt"
	"net"
	"net/mail"
	"net/url"
	"regexp"
	"strings"

	"github.com/rivetr/rivetr/internal/docker"
)

// Validate and the rules it applies: every value of a configuration
// checked, and what is wrong said in terms of its flag.

// Validate checks the values and says what is wrong in terms of flags.
func (c *Config) Validate() error {
	var errs []error
	if c.NetworkPool != "" {
		if _, err := docker.ParsePool(c.NetworkPool); err != nil {
			errs = append(errs, fmt.Errorf("--network-pool: %w", err))
		}
	}
	if c.DataDir == "" {
		errs = append(errs, errors.New("--data-dir must not be empty"))
	}
	checkAddr := func(flag, addr string, optional bool) {
		if addr == "" && optional {
			return
		}
		if _, _, err := net.SplitHostPort(addr); err != nil {
			errs = append(errs, fmt.Errorf("--%s %q: want host:port (e.g. :8080 or 127.0.0.1:8080)", flag, addr))
		}
	}
	checkAddr("http-addr", c.HTTPAddr, false)
	checkAddr("proxy-addr", c.ProxyAddr, true)
	checkAddr("temporal-address", c.TemporalAddress, true)
	checkAddr("temporal-listen", c.TemporalListen, false)
	checkAddr("temporal-ui-addr", c.TemporalUIAddr, true)
	switch c.ProxyMode {
	case ProxyProcess, ProxyExternal, ProxyEmbedded:
	default:
		errs = append(errs, fmt.Errorf("--proxy-mode %q: want process, external or embedded", c.ProxyMode))
	}
	if c.DatabaseURL != "" && !strings.HasPrefix(c.DatabaseURL, "postgres://") && !strings.HasPrefix(c.DatabaseURL, "postgresql://") {
		errs = append(errs, errors.New("--database-url must start with postgres:// (leave it empty for SQLite)"))
	}
	if _, err := ParseLevel(c.LogLevel); err != nil {
		errs = append(errs, err)
	}
	if c.TemporalNamespace == "" {
		errs = append(errs, errors.New("--temporal-namespace must not be empty"))
	}
	if c.HostName == "" {
		errs = append(errs, errors.New("--host-name must not be empty"))
	}
	if c.SMTPAddr != "" {
		checkAddr("smtp-addr", c.SMTPAddr, false)
		if _, err := mail.ParseAddress(c.SMTPFrom); err != nil {
			errs = append(errs, fmt.Errorf("--smtp-from %q: want an email address (needed with --smtp-addr)", c.SMTPFrom))
		}
	}
	switch c.SMTPTLS {
	case "", "starttls", "tls", "none":
	default:
		errs = append(errs, fmt.Errorf("--smtp-tls %q: want starttls, tls or none", c.SMTPTLS))
	}
	if c.PreviewDomain != "" && !validDomain(strings.Trim(c.PreviewDomain, ".")) {
		errs = append(errs, fmt.Errorf("--preview-domain %q: want a DNS name such as preview.example.com", c.PreviewDomain))
	}
	for _, ip := range c.PublicIPList() {
		if net.ParseIP(ip) == nil {
			errs = append(errs, fmt.Errorf("--public-ip %q: want IP addresses, comma-separated", ip))
		}
	}
	if c.DNSResolver != "" {
		checkAddr("dns-resolver", c.DNSResolver, false)
	}
	if c.DashboardDomain != "" {
		if !validDomain(c.DashboardDomain) || !strings.Contains(c.DashboardDomain, ".") {
			errs = append(errs, fmt.Errorf("--dashboard-domain %q: want a DNS name such as rivetr.example.com", c.DashboardDomain))
		}
		if c.HTTPSAddr == "" {
			errs = append(errs, errors.New("--dashboard-domain needs --https-addr: the dashboard is served over HTTPS"))
		}
	}
	if c.PublicURL != "" {
		if u, err := url.Parse(c.PublicURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			errs = append(errs, fmt.Errorf("--public-url %q: want http(s)://host[:port]", c.PublicURL))
		}
	}
	if c.LoginRate < 0 || c.APIRate < 0 || c.WebhookRate < 0 {
		errs = append(errs, errors.New("--login-rate, --api-rate and --webhook-rate must be 0 (no limit) or more"))
	}
	for _, p := range c.TrustedProxyList() {
		if net.ParseIP(p) == nil {
			if _, _, err := net.ParseCIDR(p); err != nil {
				errs = append(errs, fmt.Errorf("--trusted-proxies: %q is neither an IP nor a CIDR", p))
			}
		}
	}
	return errors.Join(errs...)
}

var labelRE = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$`)

// validDomain reports whether d is a lower-case DNS name.
func validDomain(d string) bool {
	if d == "" || len(d) > 200 {
		return false
	}
	for _, l := range strings.Split(d, ".") {
		if !labelRE.MatchString(l) {
			return false
		}
	}
	return true
}
