package config

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/spf13/pflag"
)

// FuzzConfigFile reads arbitrary rivetr.toml files: each is either refused
// with an error or yields a configuration that validates. Seeds:
// testdata/fuzz/FuzzConfigFile.
func FuzzConfigFile(f *testing.F) {
	f.Add([]byte("http_addr = \":9000\"\nproxy_addr = \":80\"\n"))
	f.Add([]byte("shutdown_timeout = \"5s\"\nlog_level = \"debug\"\n"))
	f.Add([]byte("database_url = \"postgres://u:p@h/db\"\n"))
	f.Add([]byte("[table]\nx = 1\n"))
	f.Add([]byte("http_addr = 8080\n"))
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte) {
		path := filepath.Join(dir, "rivetr.toml")
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		cfg := Default()
		fs := pflag.NewFlagSet("fuzz", pflag.ContinueOnError)
		BindFlags(fs, &cfg)
		if err := fs.Parse([]string{"--config", path}); err != nil {
			t.Fatal(err)
		}
		if err := Resolve(fs, &cfg); err != nil {
			return
		}
		if err := cfg.Validate(); err != nil {
			t.Fatalf("Resolve accepted a configuration that does not validate: %v", err)
		}
	})
}
