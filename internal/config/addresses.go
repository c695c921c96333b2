package config

import (
	"fmt"
	"net"
	"strings"
)

// Addresses derived from the configuration: the dashboard's for links and
// for the proxy in front of it, the Temporal UI's, and the warning when
// the API listens in the clear beyond loopback.

// UIBaseURL returns the Temporal UI base URL for links, "" when unknown.
func (c *Config) UIBaseURL() string {
	if c.TemporalUIURL != "" {
		return strings.TrimSuffix(c.TemporalUIURL, "/")
	}
	if c.Embedded() && c.TemporalUIAddr != "" {
		// Through the dashboard's proxy (instance admins, signed in): one
		// address for users, the one they reach the dashboard at.
		return c.DashboardBase() + UIPath
	}
	return ""
}

// DashboardBase is the dashboard's address for links: --public-url, else
// --dashboard-domain's, else --http-addr (on loopback when it listens on
// every interface).
func (c *Config) DashboardBase() string {
	if c.PublicURL != "" {
		return strings.TrimSuffix(c.PublicURL, "/")
	}
	if u := c.DashboardURL(); u != "" {
		return u
	}
	return "http://" + c.DashboardUpstream()
}

// UIPath is where the embedded Temporal UI is served: on its own address,
// and through the dashboard's authenticated proxy.
const UIPath = "/temporal"

// UIUpstream is the embedded UI's own address for the dashboard's proxy,
// "" when there is no embedded UI.
func (c *Config) UIUpstream() string {
	if !c.Embedded() || c.TemporalUIAddr == "" {
		return ""
	}
	host, port, _ := net.SplitHostPort(c.TemporalUIAddr)
	if host == "" || host == "0.0.0.0" || host == "::" {
		host = "127.0.0.1"
	}
	return "http://" + net.JoinHostPort(host, port)
}

// PlainExposure says, when the API and dashboard listen beyond loopback
// over plain HTTP with nothing in front said to be TLS, what that risks
// and what to do instead; "" otherwise.
func (c Config) PlainExposure() string {
	host, _, err := net.SplitHostPort(c.HTTPAddr)
	if err != nil {
		return ""
	}
	if ip := net.ParseIP(host); host == "localhost" || ip != nil && ip.IsLoopback() {
		return ""
	}
	if len(c.TrustedProxyList()) > 0 || strings.HasPrefix(c.PublicURL, "https://") {
		return "" // a TLS proxy of the user's own in front
	}
	where := host
	if host == "" || host == "0.0.0.0" || host == "::" {
		where = "every interface"
	}
	return fmt.Sprintf("the API and dashboard listen on %s (%s) over plain HTTP: passwords, sessions and tokens would cross the network in the clear. "+
		"Serve them over HTTPS with --dashboard-domain (and --https-addr), put a TLS proxy in front (--trusted-proxies), or listen on loopback (--http-addr 127.0.0.1:8080)", c.HTTPAddr, where)
}

// DashboardURL is the dashboard's address on --dashboard-domain ("" when
// unset): https, with the port unless it is 443.
func (c Config) DashboardURL() string {
	if c.DashboardDomain == "" {
		return ""
	}
	u := "https://" + c.DashboardDomain
	if _, port, err := net.SplitHostPort(c.HTTPSAddr); err == nil && port != "443" {
		u += ":" + port
	}
	return u
}

// DashboardUpstream is where the proxy reaches the API for
// --dashboard-domain: --http-addr, on loopback when it listens on every
// interface.
func (c Config) DashboardUpstream() string {
	host, port, err := net.SplitHostPort(c.HTTPAddr)
	if err != nil {
		return c.HTTPAddr
	}
	if host == "" || host == "0.0.0.0" {
		host = "127.0.0.1"
	} else if host == "::" {
		host = "::1"
	}
	return net.JoinHostPort(host, port)
}
