package server

import (
	"cmp"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/rivetr/rivetr/internal/config"
)

// banner is what a started server says to the person who started it, in
// one block: where the dashboard is, how the first account is made, where
// the admin token really is, how to point the CLI at this server, where
// apps are served. (The log keeps the machine-readable lines.)
type banner struct {
	Dashboard  string // the API and dashboard as users reach them
	Setup      bool   // no account yet: /setup makes the owner
	TokenPath  string
	DataDir    string
	ProxyAddr  string
	HTTPSAddr  string
	TemporalUI string // "" without the embedded UI
}

func newBanner(cfg config.Config, apiAddr, tokenPath string, setup bool) banner {
	b := banner{Dashboard: strings.TrimRight(cmp.Or(publicURL(cfg), "http://"+displayAddr(apiAddr)), "/"), Setup: setup, TokenPath: tokenPath,
		DataDir: cfg.DataDir, ProxyAddr: cfg.ProxyAddr, HTTPSAddr: cfg.HTTPSAddr}
	if cfg.UIUpstream() != "" {
		b.TemporalUI = b.Dashboard + config.UIPath + "/"
	}
	return b
}

func (b banner) write(w io.Writer) {
	var s strings.Builder
	row := func(k, v string) { fmt.Fprintf(&s, "  %-12s %s\n", k, v) }
	s.WriteString("\nRivetr is ready.\n")
	row("Dashboard", b.Dashboard+"/")
	if b.Setup {
		row("First visit", b.Dashboard+"/setup creates the owner account (it asks for the admin token)")
	}
	row("Admin token", b.TokenPath)
	row("CLI", cliHint(b.DataDir))
	apps := "no proxy (--proxy-addr is empty)"
	if b.ProxyAddr != "" {
		apps = "http on " + b.ProxyAddr
		if b.HTTPSAddr != "" {
			apps += ", https on " + b.HTTPSAddr + " (certificates at the first request)"
		}
		apps += ": rivetr apps create NAME --git URL --domain HOST, then rivetr deploy NAME --wait"
	}
	row("Apps", apps)
	if b.TemporalUI != "" {
		row("Temporal UI", b.TemporalUI+" (every deployment's workflow; instance admins)")
	}
	s.WriteString("\n")
	io.WriteString(w, s.String())
}

// cliHint says how the CLI reaches this server's admin token from where
// the server was started.
func cliHint(dataDir string) string {
	abs, _ := filepath.Abs(dataDir)
	if abs == filepath.Clean(config.DefaultDataDir()) {
		return "rivetr apps list (it reads the admin token from the default data dir)"
	}
	if wd, err := os.Getwd(); err == nil && abs == filepath.Join(wd, ".rivetr") {
		return "rivetr apps list, run in " + wd + " (it finds ./.rivetr), or elsewhere with export RIVETR_DATA_DIR=" + abs
	}
	return "export RIVETR_DATA_DIR=" + abs + ", then rivetr apps list"
}
