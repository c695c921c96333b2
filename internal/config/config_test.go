package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spf13/pflag"
)

func parse(t *testing.T, args []string) (*Config, error) {
	t.Helper()
	cfg := Default()
	fs := pflag.NewFlagSet("test", pflag.ContinueOnError)
	BindFlags(fs, &cfg)
	if err := fs.Parse(args); err != nil {
		t.Fatal(err)
	}
	return &cfg, Resolve(fs, &cfg)
}

func TestPrecedence(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "rivetr.toml")
	os.WriteFile(file, []byte(`
http_addr = ":9000"
proxy_addr = ":9080"
log_level = "debug"
shutdown_timeout = "5s"
`), 0o600)
	t.Setenv("RIVETR_PROXY_ADDR", ":7070")
	t.Setenv("RIVETR_LOG_LEVEL", "warn")

	cfg, err := parse(t, []string{"--config", file, "--log-level", "error", "--data-dir", dir})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct{ name, got, want string }{
		{"file beats default", cfg.HTTPAddr, ":9000"},
		{"env beats file", cfg.ProxyAddr, ":7070"},
		{"flag beats env", cfg.LogLevel, "error"},
		{"default stays", cfg.TemporalListen, DefaultTemporalListen},
		{"file path recorded", cfg.File, file},
	}
	for _, tc := range tests {
		if tc.got != tc.want {
			t.Errorf("%s: got %q want %q", tc.name, tc.got, tc.want)
		}
	}
	if cfg.ShutdownTimeout != 5*time.Second {
		t.Errorf("duration from file: %v", cfg.ShutdownTimeout)
	}
}

func TestDataDirConfigFileIsFound(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, DefaultConfigFile), []byte(`http_addr = "127.0.0.1:1234"`), 0o600)
	t.Setenv("RIVETR_DATA_DIR", dir)
	cfg, err := parse(t, nil)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.HTTPAddr != "127.0.0.1:1234" || cfg.DataDir != dir {
		t.Fatalf("got %+v", cfg)
	}
}

func TestErrors(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.toml")
	os.WriteFile(bad, []byte(`htp_addr = ":1"`), 0o600)
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"--config", bad}, `unknown key "htp_addr"`},
		{[]string{"--http-addr", "8080"}, "--http-addr \"8080\": want host:port"},
		{[]string{"--database-url", "mysql://x"}, "--database-url must start with postgres://"},
		{[]string{"--log-level", "loud"}, "--log-level \"loud\""},
		{[]string{"--config", filepath.Join(dir, "missing.toml")}, "no such file"},
		{[]string{"--trusted-proxies", "10.0.0.0/8, lb.example.com"}, `--trusted-proxies: "lb.example.com" is neither an IP nor a CIDR`},
	}
	for _, tc := range tests {
		_, err := parse(t, tc.args)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: got %v, want %q", tc.args, err, tc.want)
		}
	}
}

func TestDerived(t *testing.T) {
	cfg := Default()
	cfg.DataDir = "/d"
	if cfg.DatabaseDSN() != "/d/rivetr.db" || !cfg.Embedded() || cfg.UIBaseURL() != "http://127.0.0.1:8080/temporal" || cfg.UIUpstream() != "http://127.0.0.1:8233" {
		t.Fatalf("defaults: %s %v %s", cfg.DatabaseDSN(), cfg.Embedded(), cfg.UIBaseURL())
	}
	cfg.TemporalAddress = "temporal:7233"
	if cfg.UIBaseURL() != "" || cfg.TemporalFrontend() != "temporal:7233" {
		t.Fatal("external cluster has no UI link unless --temporal-ui-url is set")
	}
	if got := MaskURL("postgres://u:secret@h/db"); got != "postgres://u:****@h/db" {
		t.Fatal(got)
	}
}

// A spawned proxy gets the configuration as RIVETR_* variables: they must
// give back exactly what the flags, environment and file made.
func TestEnvironRoundTrip(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "rivetr.toml")
	os.WriteFile(file, []byte("https_addr = \":8443\"\nshutdown_timeout = \"7s\"\n"), 0o600)
	t.Setenv("RIVETR_NOTIFY_URL", "https://hooks.example.com/x")
	cfg, err := parse(t, []string{"--config", file, "--data-dir", dir, "--allow-local-git", "--proxy-addr", "127.0.0.1:9", "--login-rate", "3"})
	if err != nil {
		t.Fatal(err)
	}
	for _, kv := range cfg.Environ() {
		k, v, _ := strings.Cut(kv, "=")
		t.Setenv(k, v)
	}
	t.Setenv("RIVETR_CONFIG", "")
	again, err := parse(t, nil)
	if err != nil {
		t.Fatal(err)
	}
	again.File, cfg.File = "", ""
	if *again != *cfg {
		t.Fatalf("through the environment:\n%+v\nwant\n%+v", *again, *cfg)
	}
}

func TestProxySocketFitsAUnixSocketPath(t *testing.T) {
	short := Config{DataDir: "/var/lib/rivetr"}
	if got := short.ProxySocket(); got != "/var/lib/rivetr/proxy.sock" {
		t.Fatalf("socket of a short data dir: %s", got)
	}
	long := Config{DataDir: "/" + strings.Repeat("d", 120)}
	other := Config{DataDir: "/" + strings.Repeat("e", 120)}
	if p := long.ProxySocket(); len(p) >= 100 || p == other.ProxySocket() || !strings.Contains(p, "rivetr-") {
		t.Fatalf("socket of a long data dir: %s (other %s)", p, other.ProxySocket())
	}
}

func TestProxyModeIsChecked(t *testing.T) {
	if _, err := parse(t, []string{"--proxy-mode", "sidecar"}); err == nil {
		t.Fatal("an unknown --proxy-mode was accepted")
	}
	cfg, _ := parse(t, nil)
	if cfg.ProxyMode != ProxyProcess {
		t.Fatalf("default proxy mode %q", cfg.ProxyMode)
	}
}

// The API and dashboard over plain HTTP beyond loopback is warned about at
// start, unless something in front is said to do TLS.
func TestPlainExposure(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string // "" for no warning
	}{
		{"default is loopback", nil, ""},
		{"localhost", []string{"--http-addr", "localhost:8080"}, ""},
		{"ipv6 loopback", []string{"--http-addr", "[::1]:8080"}, ""},
		{"every interface", []string{"--http-addr", ":8080"}, "every interface"},
		{"one address", []string{"--http-addr", "10.1.2.3:8080"}, "10.1.2.3"},
		{"a TLS proxy in front", []string{"--http-addr", ":8080", "--trusted-proxies", "10.0.0.1"}, ""},
		{"an https public URL", []string{"--http-addr", ":8080", "--public-url", "https://rivetr.example.com"}, ""},
	}
	for _, tc := range tests {
		cfg, err := parse(t, tc.args)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		got := cfg.PlainExposure()
		if tc.want == "" && got != "" || tc.want != "" && (!strings.Contains(got, tc.want) || !strings.Contains(got, "--dashboard-domain")) {
			t.Errorf("%s: got %q, want it to mention %q", tc.name, got, tc.want)
		}
	}
}

func TestDashboardDomain(t *testing.T) {
	if _, err := parse(t, []string{"--dashboard-domain", "rivetr.example.com"}); err == nil || !strings.Contains(err.Error(), "needs --https-addr") {
		t.Fatalf("without --https-addr: %v", err)
	}
	if _, err := parse(t, []string{"--dashboard-domain", "https://rivetr.example.com/", "--https-addr", ":443"}); err == nil || !strings.Contains(err.Error(), "want a DNS name") {
		t.Fatalf("a URL: %v", err)
	}
	cfg, err := parse(t, []string{"--dashboard-domain", "rivetr.example.com", "--https-addr", ":443", "--http-addr", ":9000"})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.DashboardURL() != "https://rivetr.example.com" || cfg.DashboardUpstream() != "127.0.0.1:9000" {
		t.Fatalf("URL %q upstream %q", cfg.DashboardURL(), cfg.DashboardUpstream())
	}
	cfg.HTTPSAddr, cfg.HTTPAddr = "127.0.0.1:8443", "[::]:9000"
	if cfg.DashboardURL() != "https://rivetr.example.com:8443" || cfg.DashboardUpstream() != "[::1]:9000" {
		t.Fatalf("URL %q upstream %q", cfg.DashboardURL(), cfg.DashboardUpstream())
	}
	if (&Config{}).DashboardURL() != "" {
		t.Fatal("no domain, no URL")
	}
}
