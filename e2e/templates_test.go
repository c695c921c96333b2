package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// templateImage stands in for the templates' upstream images, which
// cannot be pulled here (the shared server's image override map points
// the three deployed below at it): it serves the ports and health paths
// they declare, shows the env it got at /rivetr-env, counts its starts in
// /app/data (uptime-kuma's volume) and says at /db whether a "db"
// service answers on 5432.
const templateImage = "rivetr-test/tpl-serve:1"

// templateOverrides are the shared server's image overrides for the
// templates deployed end to end: their services' images by the
// catalog's tags, the database a real PostgreSQL (scripts/db-images.sh).
var templateOverrides = []string{
	"louislam/uptime-kuma:1.23.16=" + templateImage,
	"grafana/grafana-oss:11.3.0=" + templateImage,
	"ghcr.io/umami-software/umami:postgresql-v2.13.2=" + templateImage,
	"postgres:16.4-alpine=rivetr-test/postgres:15",
}

var buildTemplateImage = sync.OnceValue(func() error {
	dir, err := os.MkdirTemp("", "tpl-serve")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	serve := `#!/bin/sh
mkdir -p /www/api /app/data
env | sort > /www/rivetr-env
echo ok > /www/index.html; echo ok > /www/api/health; echo ok > /www/api/heartbeat
date >> /app/data/starts
( while :; do cp /app/data/starts /www/starts; if echo x | nc -w 2 db 5432 >/dev/null 2>&1; then echo reachable > /www/db; else echo unreachable > /www/db; fi; sleep 1; done ) &
for p in 3000 3001; do httpd -p $p -h /www; done
trap 'exit 0' TERM
while :; do sleep 1; done
`
	if err := os.WriteFile(filepath.Join(dir, "serve"), []byte(serve), 0o755); err != nil {
		return err
	}
	df := "FROM " + BaseImage + "\nCOPY serve /serve\nENTRYPOINT [\"/serve\"]\n"
	if err := os.WriteFile(filepath.Join(dir, "Dockerfile"), []byte(df), 0o644); err != nil {
		return err
	}
	out, err := exec.Command("docker", "build", "-q", "-t", templateImage, dir).CombinedOutput()
	if err != nil {
		return &buildError{string(out)}
	}
	return nil
})

type buildError struct{ out string }

func (e *buildError) Error() string { return "docker build: " + e.out }

// Three templates deploy end to end, as a user does it: `rivetr templates
// deploy NAME --domain D`. uptime-kuma (one service, a volume kept across
// a redeploy), grafana (a generated admin password reaching the service,
// the base URL from the domain), umami (a web service waiting for a real
// PostgreSQL to be healthy, both given the same generated password). A
// required variable missing is refused, listing it, and makes nothing.
func TestTemplatesDeployEndToEnd(t *testing.T) {
	parallelE2E(t)
	s := sharedServer(t)
	if err := buildTemplateImage(); err != nil {
		t.Fatal(err)
	}
	if r := s.MustCLI("templates", "list", "--category", "monitoring"); !strings.Contains(r, "uptime-kuma") || strings.Contains(r, "wordpress") {
		t.Fatalf("templates list:\n%s", r)
	}
	if r := s.MustCLI("templates", "show", "grafana"); !strings.Contains(r, "ADMIN_PASSWORD") || !strings.Contains(r, "generated (password)") || !strings.Contains(r, "grafana/grafana-oss:11.3.0") {
		t.Fatalf("templates show:\n%s", r)
	}
	missing := "pga-" + randSuffix()
	if r := s.CLI("templates", "deploy", "pgadmin", "--name", missing, "--domain", missing+".test"); r.Code == 0 || !strings.Contains(r.Stderr, "template pgadmin needs ADMIN_EMAIL: give --set ADMIN_EMAIL=") {
		t.Fatalf("a required variable missing: %+v", r)
	}
	if r := s.CLI("apps", "show", missing); r.Code == 0 {
		t.Fatal("the refused template deploy made the app")
	}
	deploy := func(t *testing.T, tpl string, args ...string) (app, host, out string) {
		app = tpl + "-" + randSuffix()
		host = app + ".test"
		CleanupApp(t, app)
		r := s.CLI(append([]string{"templates", "deploy", tpl, "--name", app, "--domain", host, "--wait"}, args...)...)
		if r.Code != 0 {
			t.Fatalf("templates deploy %s: %d\n%s\n%s", tpl, r.Code, r.Stdout, r.Stderr)
		}
		return app, host, r.Stdout
	}
	generated := func(t *testing.T, out, key string) string {
		m := regexp.MustCompile(`(?m)^  ` + key + `=(\S+)$`).FindStringSubmatch(out)
		if m == nil {
			t.Fatalf("%s is not printed:\n%s", key, out)
		}
		return m[1]
	}
	t.Run("uptime-kuma", func(t *testing.T) {
		t.Parallel()
		app, host, out := deploy(t, "uptime-kuma")
		if !strings.Contains(out, "runs template uptime-kuma@1") || !strings.Contains(out, "create the admin account") {
			t.Fatalf("the deploy's output:\n%s", out)
		}
		if got := s.MustGet(host, "/"); got != "ok" {
			t.Fatalf("uptime-kuma through the proxy: %q", got)
		}
		if _, first, _ := s.Get(host, "/starts"); strings.Count(strings.TrimSpace(first), "\n") != 0 {
			t.Fatalf("starts before the redeploy: %q", first)
		}
		// A redeploy keeps its volume (stop-first or not: one data dir).
		s.MustCLI("deploy", app, "--wait")
		starts := ""
		eventually(t, 30*time.Second, "the second start counted on the kept volume", func() bool {
			_, starts, _ = s.Get(host, "/starts")
			return len(strings.Fields(starts)) > 0 && strings.Count(strings.TrimSpace(starts), "\n") == 1
		})
		t.Logf("starts on the volume: %q", starts)
		if r := s.MustCLI("apps", "show", app); !strings.Contains(r, "template uptime-kuma@1") {
			t.Fatalf("apps show:\n%s", r)
		}
	})
	t.Run("grafana", func(t *testing.T) {
		t.Parallel()
		_, host, out := deploy(t, "grafana")
		pw := generated(t, out, "ADMIN_PASSWORD")
		if got := s.MustGet(host, "/api/health"); got != "ok" {
			t.Fatalf("grafana's health path through the proxy: %q", got)
		}
		env := s.MustGet(host, "/rivetr-env")
		for _, want := range []string{"GF_SECURITY_ADMIN_PASSWORD=" + pw, "GF_SECURITY_ADMIN_USER=admin", "GF_SERVER_ROOT_URL=https://" + host, "GF_USERS_ALLOW_SIGN_UP=false"} {
			if !strings.Contains(env, want+"\n") {
				t.Fatalf("grafana's env lacks %s:\n%s", want, env)
			}
		}
	})
	t.Run("umami", func(t *testing.T) {
		t.Parallel()
		app, host, out := deploy(t, "umami")
		if !strings.Contains(out, "services db, umami, in that order") {
			t.Fatalf("the deploy does not start db first:\n%s", out)
		}
		pw := generated(t, out, "DB_PASSWORD")
		generated(t, out, "APP_SECRET")
		if got := s.MustGet(host, "/api/heartbeat"); got != "ok" {
			t.Fatalf("umami's health path: %q", got)
		}
		if env := s.MustGet(host, "/rivetr-env"); !strings.Contains(env, "DATABASE_URL=postgresql://umami:"+pw+"@db:5432/umami\n") {
			t.Fatalf("umami's DATABASE_URL:\n%s", env)
		}
		eventually(t, 30*time.Second, "umami reaches db over the stack's network", func() bool {
			_, body, _ := s.Get(host, "/db")
			return strings.TrimSpace(body) == "reachable"
		})
		var db string
		for _, c := range Containers(t, app) {
			if strings.Contains(c, "-db-") {
				db = c
			}
		}
		if db == "" {
			t.Fatalf("no db container: %v", Containers(t, app))
		}
		// The generated password is the database's: PostgreSQL takes it.
		if got := dockerOut(t, "exec", "-e", "PGPASSWORD="+pw, db, "psql", "-h", "127.0.0.1", "-U", "umami", "-d", "umami", "-tAc", "select 40+2"); got != "42" {
			t.Fatalf("psql with the generated password: %q", got)
		}
		if r := exec.Command("docker", "exec", "-e", "PGPASSWORD=wrong", db, "psql", "-h", "127.0.0.1", "-U", "umami", "-d", "umami", "-tAc", "select 1"); r.Run() == nil {
			t.Fatal("PostgreSQL took a wrong password")
		}
	})
}
