// Package config is Rivetr's configuration: one struct whose fields are the
// flags of `rivetr server` and `rivetr worker`. Every field can be set by a
// flag, a RIVETR_* environment variable, or a key in rivetr.toml, in that
// order of precedence, over the Default* constants.
package config

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/BurntSushi/toml"
	"github.com/spf13/pflag"
)

// Defaults, reused as flag defaults.
const (
	// DefaultHTTPAddr is loopback: the dashboard reaches the network
	// over TLS (--dashboard-domain) or through a proxy of your own.
	DefaultHTTPAddr          = "127.0.0.1:8080"
	DefaultProxyAddr         = ":80"
	DefaultACMEDirectory     = "https://acme-v02.api.letsencrypt.org/directory"
	DefaultTemporalListen    = "127.0.0.1:7233"
	DefaultTemporalUIAddr    = "127.0.0.1:8233"
	DefaultTemporalNamespace = "default"
	DefaultLogLevel          = "info"
	DefaultNetwork           = "rivetr"
	DefaultNetworkPool       = "10.222.0.0/16"
	DefaultTaskQueue         = "rivetr"
	DefaultConfigFile        = "rivetr.toml"
	DefaultLoginRate         = 10
	DefaultAPIRate           = 50
	DefaultWebhookRate       = 10
)

// Config holds the settings of a Rivetr process. The struct tags name the
// flag, the environment variable and the rivetr.toml key of each field; the
// usage tag is the help text.
type Config struct {
	// DataDir holds the SQLite databases, the admin token, the route table
	// and build workspaces.
	DataDir string `flag:"data-dir" env:"RIVETR_DATA_DIR" toml:"data_dir" usage:"directory for Rivetr's state (databases, admin token, routes, builds)"`
	// HTTPAddr serves the API and the dashboard.
	HTTPAddr string `flag:"http-addr" env:"RIVETR_HTTP_ADDR" toml:"http_addr" usage:"address of the API and dashboard (plain HTTP: keep it on loopback and reach it over HTTPS with --dashboard-domain, or put a TLS proxy in front)"`
	// DashboardDomain is the name the proxy serves the API and dashboard
	// on, over HTTPS with a certificate of its own.
	DashboardDomain string `flag:"dashboard-domain" env:"RIVETR_DASHBOARD_DOMAIN" toml:"dashboard_domain" usage:"DNS name the proxy serves the API and dashboard on, over HTTPS (needs --https-addr) with a certificate like an app's; e.g. rivetr.example.com"`
	// HTTPSAddr serves apps over TLS with automatic certificates; empty
	// serves them over plain HTTP only.
	HTTPSAddr string `flag:"https-addr" env:"RIVETR_HTTPS_ADDR" toml:"https_addr" usage:"address serving apps over HTTPS with automatic certificates (e.g. :443; empty: HTTP only)"`
	// ACMEEmail is the contact address of the ACME account.
	ACMEEmail string `flag:"acme-email" env:"RIVETR_ACME_EMAIL" toml:"acme_email" usage:"contact email of the ACME account (expiry notices from the CA)"`
	// ACMEDirectory is the ACME CA's directory URL.
	ACMEDirectory string `flag:"acme-directory" env:"RIVETR_ACME_DIRECTORY" toml:"acme_directory" usage:"ACME directory URL of the certificate authority"`
	// ACMECARoot is a PEM file of roots the ACME directory's TLS certificate
	// is checked against; empty uses the system roots.
	ACMECARoot string `flag:"acme-ca-root" env:"RIVETR_ACME_CA_ROOT" toml:"acme_ca_root" usage:"PEM file of the roots to trust for the ACME directory's TLS (empty: the system roots)"`
	// DNSConfig is a TOML file of DNS zones and their providers: names
	// in them get certificates by DNS-01 (wildcards too).
	DNSConfig string `flag:"dns-config" env:"RIVETR_DNS_CONFIG" toml:"dns_config" usage:"TOML file of DNS zones and their providers (cloudflare, route53, rfc2136): names in them get certificates by DNS-01, wildcards included (see docs/https.md)"`
	// PublicIPs are the addresses this server is reached at beside its
	// own interfaces' (behind NAT or a load balancer): a domain resolving
	// to one of them is this server's (domain ownership).
	PublicIPs string `flag:"public-ip" env:"RIVETR_PUBLIC_IP" toml:"public_ip" usage:"IPs (comma-separated) this server is reached at beside its interfaces' (NAT, load balancer): a domain resolving to one is proven this server's before a certificate is asked for"`
	// DNSResolver is the DNS server (host:port) domain ownership is
	// checked with; empty: the system's.
	DNSResolver string `flag:"dns-resolver" env:"RIVETR_DNS_RESOLVER" toml:"dns_resolver" usage:"DNS server (host:port) that domain ownership is checked with (A/AAAA and the _rivetr-challenge TXT record; default: the system's resolver)"`
	// NotifyURL receives the instance's operational alerts (a certificate
	// not obtained or not renewed) as JSON Slack and Discord read.
	NotifyURL string `flag:"notify-url" env:"RIVETR_NOTIFY_URL" toml:"notify_url" usage:"webhook URL for the instance's alerts (certificates not obtained or renewed); Slack- and Discord-compatible JSON"`
	// ProxyAddr serves apps by Host header; empty disables the proxy.
	ProxyAddr string `flag:"proxy-addr" env:"RIVETR_PROXY_ADDR" toml:"proxy_addr" usage:"address of the reverse proxy that serves apps (empty: no proxy)"`
	// ProxyMode says where the proxy runs: ProxyProcess (its own process,
	// started by the server and kept across the server's restarts),
	// ProxyExternal (its own process, supervised by someone else, e.g.
	// systemd), or ProxyEmbedded (inside the server; it stops with it).
	ProxyMode string `flag:"proxy-mode" env:"RIVETR_PROXY_MODE" toml:"proxy_mode" usage:"where the proxy runs: process (its own process, started by the server, serving on while the server restarts), external (a 'rivetr proxy' supervised by systemd or similar) or embedded (inside the server, stopping with it)"`
	// TemporalAddress points at an existing Temporal frontend; empty runs
	// the embedded Temporal server.
	TemporalAddress string `flag:"temporal-address" env:"RIVETR_TEMPORAL_ADDRESS" toml:"temporal_address" usage:"host:port of an existing Temporal cluster (empty: run the embedded server)"`
	// TemporalNamespace is the Temporal namespace Rivetr's workflows run in.
	TemporalNamespace string `flag:"temporal-namespace" env:"RIVETR_TEMPORAL_NAMESPACE" toml:"temporal_namespace" usage:"Temporal namespace"`
	// TemporalListen is where the embedded Temporal frontend listens.
	TemporalListen string `flag:"temporal-listen" env:"RIVETR_TEMPORAL_LISTEN" toml:"temporal_listen" usage:"gRPC address of the embedded Temporal frontend"`
	// TemporalUIAddr is where the embedded Temporal UI listens; empty
	// disables it.
	TemporalUIAddr string `flag:"temporal-ui-addr" env:"RIVETR_TEMPORAL_UI_ADDR" toml:"temporal_ui_addr" usage:"address of the embedded Temporal UI (empty: no UI)"`
	// TemporalUIURL is the base URL the dashboard and API link workflows to;
	// by default the embedded UI's address.
	TemporalUIURL string `flag:"temporal-ui-url" env:"RIVETR_TEMPORAL_UI_URL" toml:"temporal_ui_url" usage:"base URL of the Temporal UI used in links (default: the embedded UI)"`
	// DatabaseURL selects PostgreSQL (postgres://…); empty uses SQLite in
	// the data dir.
	DatabaseURL string `flag:"database-url" env:"RIVETR_DATABASE_URL" toml:"database_url" usage:"postgres://… for PostgreSQL (empty: SQLite file in the data dir)"`
	// LogLevel is debug, info, warn or error.
	LogLevel string `flag:"log-level" env:"RIVETR_LOG_LEVEL" toml:"log_level" usage:"debug, info, warn or error"`
	// HostName names this Docker host; its worker polls the task queue
	// rivetr.host.<HostName>.
	HostName string `flag:"host-name" env:"RIVETR_HOST_NAME" toml:"host_name" usage:"name of this Docker host; its worker polls rivetr.host.<name>"`
	// Network names the Docker bridge networks: each team's apps and
	// databases join NAME-<team ID> (release.TeamNetwork).
	Network string `flag:"docker-network" env:"RIVETR_DOCKER_NETWORK" toml:"docker_network" usage:"base name of the Docker bridge networks (one per team: NAME-<team ID>)"`
	// TrustedProxies lists the addresses (IPs or CIDRs, comma-separated)
	// whose X-Forwarded-For header is believed.
	TrustedProxies string `flag:"trusted-proxies" env:"RIVETR_TRUSTED_PROXIES" toml:"trusted_proxies" usage:"IPs or CIDRs (comma-separated) of reverse proxies in front of the API whose X-Forwarded-For and X-Forwarded-Proto are believed (https from them makes the session cookie Secure and __Host-; empty: none)"`
	// PublicURL is the dashboard's address as users reach it, for links in
	// invitations; empty: the address each request came to.
	PublicURL string `flag:"public-url" env:"RIVETR_PUBLIC_URL" toml:"public_url" usage:"the dashboard's URL as users reach it, for links in invitation emails (default: the address of the request)"`
	// PreviewDomain is the domain pull request previews answer under.
	PreviewDomain string `flag:"preview-domain" env:"RIVETR_PREVIEW_DOMAIN" toml:"preview_domain" usage:"domain pull request previews answer under, as pr-N.APP.DOMAIN (point a wildcard DNS record at the proxy); empty: no previews"`
	// SMTP settings for invitation emails; no SMTP address: invitations
	// are only shown as links to copy.
	SMTPAddr     string `flag:"smtp-addr" env:"RIVETR_SMTP_ADDR" toml:"smtp_addr" usage:"host:port of an SMTP server for invitation emails (empty: no email; links are shown to copy)"`
	SMTPFrom     string `flag:"smtp-from" env:"RIVETR_SMTP_FROM" toml:"smtp_from" usage:"From address of Rivetr's emails"`
	SMTPUser     string `flag:"smtp-user" env:"RIVETR_SMTP_USER" toml:"smtp_user" usage:"SMTP user name (empty: no authentication)"`
	SMTPPassword string `flag:"smtp-password" env:"RIVETR_SMTP_PASSWORD" toml:"smtp_password" usage:"SMTP password (prefer the environment variable)"`
	SMTPTLS      string `flag:"smtp-tls" env:"RIVETR_SMTP_TLS" toml:"smtp_tls" usage:"starttls (default: upgrade when offered, required with a password), tls (implicit, port 465) or none"`
	// AllowLocalGit lets apps deploy from file:// URLs and paths on the
	// server: off by default, as any such path reads the host's files
	// (other teams' checkouts included).
	AllowLocalGit bool `flag:"allow-local-git" env:"RIVETR_ALLOW_LOCAL_GIT" toml:"allow_local_git" usage:"let apps deploy from file:// URLs and paths on the server (they can read any repository on the host: for local development and tests only)"`
	// EgressAllow lists the loopback, private or link-local ranges the
	// addresses tenants give (git remotes, provider APIs, notification
	// URLs, S3 endpoints) may reach; by default none.
	EgressAllow string `flag:"egress-allow" env:"RIVETR_EGRESS_ALLOW" toml:"egress_allow" usage:"loopback, private or link-local IPs and CIDR ranges that git remotes, provider APIs, notification URLs and S3 endpoints may reach, comma-separated (e.g. 10.0.0.0/8 for a Gitea or MinIO on the LAN; default: none)"`
	// NetworkPool is where networks take a /24 of their own once
	// Docker's default address pools are used up (each team and each
	// stack has a network; the defaults give about 30).
	NetworkPool string `flag:"network-pool" env:"RIVETR_NETWORK_POOL" toml:"network_pool" usage:"an IPv4 range networks take a /24 of when Docker's default address pools are used up (a network per team and per stack); empty: none"`
	// ImageOverrides replaces images that stacks name (FROM=TO, comma-
	// separated): for hosts that cannot pull, with images built locally.
	ImageOverrides string `flag:"image-override" env:"RIVETR_IMAGE_OVERRIDES" toml:"image_overrides" usage:"images stacks name replaced by others on this host, FROM=TO comma-separated (for hosts that cannot pull: use images built here)"`
	// TemporalToken is the bearer token Rivetr's Temporal clients send. The
	// embedded frontend requires it from every client; when empty, the
	// server makes one in <data-dir>/temporal-token (workers and agents
	// joining that frontend pass it here).
	TemporalToken string `flag:"temporal-token" env:"RIVETR_TEMPORAL_TOKEN" toml:"temporal_token" usage:"bearer token for the Temporal frontend; the embedded one requires it (default: <data-dir>/temporal-token, made at first start; prefer the environment variable)"`
	// TemporalUIWrite lets the embedded UI change workflows (cancel,
	// terminate, signal, reset); by default it is read-only.
	TemporalUIWrite bool `flag:"temporal-ui-write" env:"RIVETR_TEMPORAL_UI_WRITE" toml:"temporal_ui_write" usage:"let the embedded Temporal UI cancel, terminate, signal and reset workflows (default: read-only)"`
	// LoginRate is how many sign-in attempts a client address, and an
	// account, may make per minute; 0 turns the limit off.
	LoginRate int `flag:"login-rate" env:"RIVETR_LOGIN_RATE" toml:"login_rate" usage:"sign-in attempts allowed per minute per client address and per account (0: no limit)"`
	// APIRate is how many API requests per second a client address, and a
	// token, may make (bursts of four times that); 0 turns it off.
	APIRate int `flag:"api-rate" env:"RIVETR_API_RATE" toml:"api_rate" usage:"API requests allowed per second per client address and per token, bursts of 4x (0: no limit)"`
	// WebhookRate limits webhook deliveries (per client address and per app).
	WebhookRate int `flag:"webhook-rate" env:"RIVETR_WEBHOOK_RATE" toml:"webhook_rate" usage:"webhook deliveries allowed per second per client address and per app, bursts of 4x (0: no limit)"`
	// ShutdownTimeout bounds a graceful shutdown.
	ShutdownTimeout time.Duration `flag:"shutdown-timeout" env:"RIVETR_SHUTDOWN_TIMEOUT" toml:"shutdown_timeout" usage:"how long a graceful shutdown may take"`

	// File is the config file that was read, if any.
	File string `flag:"-" toml:"-"`
}

// Default returns the configuration with every default filled in.
func Default() Config {
	host, _ := os.Hostname()
	return Config{
		DataDir:           DefaultDataDir(),
		HTTPAddr:          DefaultHTTPAddr,
		ProxyAddr:         DefaultProxyAddr,
		ProxyMode:         ProxyProcess,
		ACMEDirectory:     DefaultACMEDirectory,
		TemporalNamespace: DefaultTemporalNamespace,
		TemporalListen:    DefaultTemporalListen,
		TemporalUIAddr:    DefaultTemporalUIAddr,
		LogLevel:          DefaultLogLevel,
		HostName:          sanitizeHost(host),
		Network:           DefaultNetwork,
		NetworkPool:       DefaultNetworkPool,
		ShutdownTimeout:   30 * time.Second,
		LoginRate:         DefaultLoginRate,
		APIRate:           DefaultAPIRate,
		WebhookRate:       DefaultWebhookRate,
	}
}

// DefaultDataDir is /var/lib/rivetr for root and ~/.local/share/rivetr for
// anyone else.
func DefaultDataDir() string {
	if os.Geteuid() == 0 {
		return "/var/lib/rivetr"
	}
	if x := os.Getenv("XDG_DATA_HOME"); x != "" {
		return filepath.Join(x, "rivetr")
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "rivetr-data"
	}
	return filepath.Join(home, ".local", "share", "rivetr")
}

func sanitizeHost(h string) string {
	h = strings.ToLower(h)
	var b strings.Builder
	for _, r := range h {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r == '.' {
			b.WriteRune(r)
		}
	}
	if b.Len() == 0 {
		return "local"
	}
	return b.String()
}

// BindFlags registers one flag per field on fs, with cfg's values as defaults.
func BindFlags(fs *pflag.FlagSet, cfg *Config) {
	v := reflect.ValueOf(cfg).Elem()
	t := v.Type()
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		name := f.Tag.Get("flag")
		if name == "" || name == "-" {
			continue
		}
		usage := f.Tag.Get("usage") + " [" + f.Tag.Get("env") + "]"
		switch p := v.Field(i).Addr().Interface().(type) {
		case *string:
			fs.StringVar(p, name, *p, usage)
		case *time.Duration:
			fs.DurationVar(p, name, *p, usage)
		case *int:
			fs.IntVar(p, name, *p, usage)
		case *bool:
			fs.BoolVar(p, name, *p, usage)
		}
	}
	fs.String("config", "", "config file (default: ./"+DefaultConfigFile+" or <data-dir>/"+DefaultConfigFile+" when present) [RIVETR_CONFIG]")
}

// Resolve fills the fields whose flag was not given on the command line from
// the environment, then from the config file. It must run after fs is parsed.
func Resolve(fs *pflag.FlagSet, cfg *Config) error {
	file, _ := fs.GetString("config")
	if file == "" {
		file = os.Getenv("RIVETR_CONFIG")
	}
	explicit := file != ""
	v := reflect.ValueOf(cfg).Elem()
	t := v.Type()

	// The data dir may come from the env, and names a place to look for the file.
	dataDir := cfg.DataDir
	if !fs.Changed("data-dir") {
		if e := os.Getenv("RIVETR_DATA_DIR"); e != "" {
			dataDir = e
		}
	}
	if !explicit {
		for _, cand := range []string{DefaultConfigFile, filepath.Join(dataDir, DefaultConfigFile)} {
			if _, err := os.Stat(cand); err == nil {
				file = cand
				break
			}
		}
	}
	fromFile := map[string]any{}
	if file != "" {
		md, err := toml.DecodeFile(file, &fromFile)
		if err != nil {
			return fmt.Errorf("config file %s: %w", file, err)
		}
		known := map[string]bool{}
		for i := 0; i < t.NumField(); i++ {
			known[t.Field(i).Tag.Get("toml")] = true
		}
		for _, k := range md.Keys() {
			if !known[k.String()] {
				return fmt.Errorf("config file %s: unknown key %q", file, k.String())
			}
		}
		cfg.File = file
	}

	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		name := f.Tag.Get("flag")
		if name == "" || name == "-" || fs.Changed(name) {
			continue
		}
		var raw string
		var have bool
		if e, ok := os.LookupEnv(f.Tag.Get("env")); ok {
			raw, have = e, true
		} else if fv, ok := fromFile[f.Tag.Get("toml")]; ok {
			switch x := fv.(type) {
			case int64:
				fv = strconv.FormatInt(x, 10)
			case bool:
				fv = strconv.FormatBool(x)
			}
			s, ok := fv.(string)
			if !ok {
				return fmt.Errorf("config file %s: %s must be a string", file, f.Tag.Get("toml"))
			}
			raw, have = s, true
		}
		if !have {
			continue
		}
		switch p := v.Field(i).Addr().Interface().(type) {
		case *string:
			*p = raw
		case *time.Duration:
			d, err := time.ParseDuration(raw)
			if err != nil {
				return fmt.Errorf("%s: %q is not a duration like 30s: %w", name, raw, err)
			}
			*p = d
		case *int:
			n, err := strconv.Atoi(strings.TrimSpace(raw))
			if err != nil {
				return fmt.Errorf("%s: %q is not a whole number", name, raw)
			}
			*p = n
		case *bool:
			b, err := strconv.ParseBool(strings.TrimSpace(raw))
			if err != nil {
				return fmt.Errorf("%s: %q is not true or false", name, raw)
			}
			*p = b
		}
	}
	return cfg.Validate()
}

// ParseLevel turns a --log-level value into a slog level.
func ParseLevel(s string) (slog.Level, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(s)); err != nil {
		return 0, fmt.Errorf("--log-level %q: want debug, info, warn or error", s)
	}
	return l, nil
}

// Where the proxy runs (--proxy-mode).
const (
	ProxyProcess  = "process"
	ProxyExternal = "external"
	ProxyEmbedded = "embedded"
)

// Role is what a Rivetr process is: the server, a Docker host's worker, or
// a proxy.
type Role string

const (
	RoleServer Role = "server"
	RoleWorker Role = "worker"
	RoleProxy  Role = "proxy"
)

// ProxySocket is the proxy's control socket: proxy.sock in the data dir,
// or, when that path is too long for a Unix socket (108 bytes), a name
// derived from it in a directory of this user's under the temp dir.
func (c *Config) ProxySocket() string {
	dir, err := filepath.Abs(c.DataDir)
	if err != nil {
		dir = c.DataDir
	}
	p := filepath.Join(dir, "proxy.sock")
	if len(p) < 100 {
		return p
	}
	sum := sha256.Sum256([]byte(dir))
	return filepath.Join(os.TempDir(), fmt.Sprintf("rivetr-%d", os.Getuid()), hex.EncodeToString(sum[:8])+".sock")
}

// Environ is the configuration as RIVETR_* variables: a process started
// with them (a spawned proxy) sees exactly this configuration, whatever
// mix of flags, environment and file made it.
func (c *Config) Environ() []string {
	var env []string
	v := reflect.ValueOf(c).Elem()
	t := v.Type()
	for i := 0; i < t.NumField(); i++ {
		name := t.Field(i).Tag.Get("env")
		if name == "" || t.Field(i).Tag.Get("flag") == "-" {
			continue
		}
		env = append(env, name+"="+fmt.Sprint(v.Field(i).Interface()))
	}
	return env
}

// Embedded reports whether this process runs its own Temporal server.
func (c *Config) Embedded() bool { return c.TemporalAddress == "" }

// DatabaseDSN returns the store DSN: DatabaseURL, or the SQLite file.
func (c *Config) DatabaseDSN() string {
	if c.DatabaseURL != "" {
		return c.DatabaseURL
	}
	return filepath.Join(c.DataDir, "rivetr.db")
}

// TemporalFrontend returns the address clients dial.
func (c *Config) TemporalFrontend() string {
	if c.Embedded() {
		return c.TemporalListen
	}
	return c.TemporalAddress
}

// HostQueue is the task queue of this Docker host's worker.
func (c *Config) HostQueue() string { return HostQueue(c.HostName) }

// HostQueue is the task queue of the worker on the Docker host named host.
func HostQueue(host string) string { return DefaultTaskQueue + ".host." + host }

// Print writes the effective configuration, with the database password
// masked.
func (c *Config) Print(w io.Writer) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	src := c.File
	if src == "" {
		src = "(none)"
	}
	fmt.Fprintf(tw, "config file\t%s\n", src)
	v := reflect.ValueOf(c).Elem()
	t := v.Type()
	for i := 0; i < t.NumField(); i++ {
		name := t.Field(i).Tag.Get("flag")
		if name == "" || name == "-" {
			continue
		}
		val := fmt.Sprint(v.Field(i).Interface())
		if name == "database-url" {
			val = MaskURL(val)
		}
		if name == "smtp-password" && val != "" {
			val = "(set)"
		}
		if val == "" {
			val = "(empty)"
		}
		fmt.Fprintf(tw, "%s\t%s\n", name, val)
	}
	mode := "embedded Temporal server on " + c.TemporalListen
	if !c.Embedded() {
		mode = "external Temporal cluster at " + c.TemporalAddress
	}
	fmt.Fprintf(tw, "temporal\t%s (namespace %s)\n", mode, c.TemporalNamespace)
	fmt.Fprintf(tw, "database\t%s\n", MaskURL(c.DatabaseDSN()))
	tw.Flush()
}

// MaskURL hides the password in a URL.
func MaskURL(s string) string {
	at := strings.Index(s, "@")
	scheme := strings.Index(s, "://")
	if at < 0 || scheme < 0 || at < scheme {
		return s
	}
	userinfo := s[scheme+3 : at]
	if i := strings.Index(userinfo, ":"); i >= 0 {
		return s[:scheme+3] + userinfo[:i] + ":****" + s[at:]
	}
	return s
}

// PublicIPList is --public-ip as a list.
func (c Config) PublicIPList() []string {
	var out []string
	for _, f := range strings.Split(c.PublicIPs, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

// TrustedProxyList returns TrustedProxies as a list.
func (c Config) TrustedProxyList() []string {
	var out []string
	for _, p := range strings.Split(c.TrustedProxies, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}
