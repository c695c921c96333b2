package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// pastedCompose is a stack without a repository: web (routed), extra in
// profile "extra", debug in profile "debug".
const pastedCompose = `services:
  web:
    image: busybox:1.36
    command: ["sh", "-c", "echo $$GREETING > /www/index.html; exec httpd -f -p 8080 -h /www"]
    environment:
      GREETING: ${GREETING:-none}
  extra:
    image: busybox:1.36
    profiles: [extra]
    command: ["sh", "-c", "trap 'exit 0' TERM; while :; do echo extra-running; sleep 1; done"]
  debug:
    image: busybox:1.36
    profiles: [debug]
    command: ["sh", "-c", "trap 'exit 0' TERM; while :; do sleep 1; done"]
`

// A compose file given to the CLI (pasted: no repository) deploys with
// the profiles enabled; its services are listed with their state and one
// service's output read; a pasted file that builds is refused and the
// stack keeps serving; disabling the profile retires its service, and a
// rollback brings back the release's file and profiles.
func TestPastedStackWithProfiles(t *testing.T) {
	parallelE2E(t)
	s := sharedServer(t)
	app := "paste-" + randSuffix()
	host := app + ".test"
	CleanupApp(t, app)
	file := filepath.Join(t.TempDir(), "compose.yaml")
	if err := os.WriteFile(file, []byte(pastedCompose), 0o644); err != nil {
		t.Fatal(err)
	}
	s.MustCLI("apps", "create", app, "--compose", file, "--service", "web", "--port", "8080", "--domain", host, "--profile", "extra", "--drain-timeout", "1s")
	s.MustCLI("env", "set", app, "GREETING=pasted")
	s.MustCLI("deploy", app, "--wait")
	if got := s.MustGet(host, "/"); got != "pasted" {
		t.Fatalf("web: %q", got)
	}
	if show := s.MustCLI("apps", "show", app); !strings.Contains(show, "a pasted compose file") || !strings.Contains(show, "profiles extra") {
		t.Fatalf("apps show:\n%s", show)
	}
	svcs := s.MustCLI("apps", "services", app)
	if !strings.Contains(svcs, "web (routed)") || !strings.Contains(svcs, "extra") || strings.Contains(svcs, "debug") || !strings.Contains(svcs, "running") {
		t.Fatalf("apps services:\n%s", svcs)
	}
	eventually(t, 20*time.Second, "extra's output", func() bool {
		return strings.Contains(s.CLI("logs", app, "--service", "extra", "--tail", "5").Stdout, "extra-running")
	})
	if r := s.CLI("logs", app, "--service", "nope"); r.Code == 0 || !strings.Contains(r.Stderr, `has no service "nope"`) {
		t.Fatalf("logs of an unknown service: %+v", r)
	}
	first := s.Deployments(app)[0].ID

	// A pasted file cannot build: refused, web keeps serving.
	built := filepath.Join(t.TempDir(), "compose.yaml")
	os.WriteFile(built, []byte(strings.Replace(pastedCompose, "    image: busybox:1.36\n    command: [\"sh\", \"-c\", \"echo", "    build: .\n    command: [\"sh\", \"-c\", \"echo", 1)), 0o644)
	s.MustCLI("apps", "update", app, "--compose", built)
	if r := s.CLI("deploy", app, "--wait"); r.Code == 0 || !strings.Contains(r.Stderr, "service web has a build, but a pasted compose file has no repository to build from") {
		t.Fatalf("a pasted file that builds: %+v", r)
	}
	if got := s.MustGet(host, "/"); got != "pasted" {
		t.Fatalf("after the refused deploy: %q", got)
	}

	// Without the profile, extra is retired.
	s.MustCLI("apps", "update", app, "--compose", file, "--profile", "")
	s.MustCLI("deploy", app, "--wait")
	eventually(t, 60*time.Second, "extra retired", func() bool {
		for _, c := range Containers(t, app) {
			if strings.Contains(c, "-extra-") {
				return false
			}
		}
		return true
	})
	// A rollback to the first release brings its profiles back.
	s.MustCLI("rollback", app, "--to", first, "--yes", "--wait")
	if svcs := s.MustCLI("apps", "services", app); !strings.Contains(svcs, "extra") {
		t.Fatalf("after the rollback:\n%s", svcs)
	}
	if got := s.MustGet(host, "/"); got != "pasted" {
		t.Fatalf("web after the rollback: %q", got)
	}
}
