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

// routedCompose has two services that answer on domains: web (the app's
// routed service) and admin (a stack route's), each saying its version.
const routedCompose = `services:
  web:
    image: busybox:1.36
    command: ["sh", "-c", "echo web-$$VERSION > /www/index.html; exec httpd -f -p 8080 -h /www"]
    environment:
      VERSION: ${VERSION:-v1}
  admin:
    image: busybox:1.36
    command: ["sh", "-c", "mkdir -p /www && echo admin-$$VERSION > /www/index.html && echo ok > /www/up; exec httpd -f -p 9000 -h /www"]
    environment:
      VERSION: ${VERSION:-v1}
`

// A stack routes another domain to another service: both answer through
// the proxy, a redeploy under load on both domains drops no request
// (admin is health-checked, switched and drained like web), removing the
// route gives the domain back to the app's service, and deleting the app
// removes both routes.
func TestStackRoutesDomainsToServices(t *testing.T) {
	parallelE2E(t)
	s := sharedServer(t)
	app := "routes-" + randSuffix()
	web, admin := app+".test", "admin-"+app+".test"
	CleanupApp(t, app)
	file := filepath.Join(t.TempDir(), "compose.yaml")
	os.WriteFile(file, []byte(routedCompose), 0o644)
	s.MustCLI("apps", "create", app, "--compose", file, "--service", "web", "--port", "8080", "--domain", web,
		"--route", admin+"=admin:9000/up", "--drain-timeout", "1s")
	r := s.CLI("deploy", app, "--wait")
	if r.Code != 0 || !strings.Contains(r.Stdout, "admin is routed to "+admin+" (port 9000, health /up)") || !strings.Contains(r.Stdout, "traffic of "+admin+" switched to service admin") {
		t.Fatalf("deploy: %d\n%s\n%s", r.Code, r.Stdout, r.Stderr)
	}
	if got := s.MustGet(web, "/"); got != "web-v1" {
		t.Fatalf("web: %q", got)
	}
	if got := s.MustGet(admin, "/"); got != "admin-v1" {
		t.Fatalf("admin: %q", got)
	}
	if svcs := s.MustCLI("apps", "services", app); strings.Count(svcs, "(routed)") != 2 {
		t.Fatalf("both services are routed:\n%s", svcs)
	}

	s.MustCLI("env", "set", app, "VERSION=v2")
	lw := StartLoad(s.Proxy, web, 3, "web-v1", "web-v2")
	la := StartLoad(s.Proxy, admin, 3, "admin-v1", "admin-v2")
	time.Sleep(300 * time.Millisecond)
	r = s.CLI("deploy", app, "--wait")
	time.Sleep(300 * time.Millisecond)
	lw.Stop()
	la.Stop()
	t.Logf("v2 under load: web ok=%d failed=%d %v; admin ok=%d failed=%d %v", lw.OK, lw.Failed, lw.Bodies, la.OK, la.Failed, la.Bodies)
	if r.Code != 0 {
		t.Fatalf("deploy v2: %d\n%s", r.Code, r.Stderr)
	}
	if lw.Failed != 0 || la.Failed != 0 || lw.Bodies["web-v2"] == 0 || la.Bodies["admin-v2"] == 0 {
		t.Fatalf("requests failed during the release: web %v, admin %v", lw.Errors, la.Errors)
	}

	// Without the route the domain is the app's service's.
	s.MustCLI("apps", "update", app, "--route", "")
	s.MustCLI("deploy", app, "--wait")
	if got := s.MustGet(admin, "/"); got != "web-v2" {
		t.Fatalf("%s after its route went: %q", admin, got)
	}
	s.MustCLI("apps", "update", app, "--route", admin+"=admin:9000/up")
	s.MustCLI("deploy", app, "--wait")
	if got := s.MustGet(admin, "/"); got != "admin-v2" {
		t.Fatalf("%s routed again: %q", admin, got)
	}
	s.MustCLI("apps", "delete", app, "--yes")
	eventually(t, 60*time.Second, "both routes removed with the app", func() bool {
		cw, _, _ := s.Get(web, "/")
		ca, _, _ := s.Get(admin, "/")
		return cw != 200 && ca != 200
	})
}
