package e2e

import (
	"fmt"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// stackCompose is a three-service stack: db keeps an ID in a volume and
// serves it (healthy once it has one), worker runs beside it, web (built
// from the repository, routed) fetches db's ID at start through the
// stack's network and serves it with its version.
func stackCompose(version string, build ...string) map[string]string {
	pre := ""
	for _, b := range build {
		// The nonce keeps the step out of Docker's layer cache (an
		// earlier run on the same dockerd built the same Dockerfile).
		pre += fmt.Sprintf("RUN echo build-%x && %s\n", time.Now().UnixNano(), b)
	}
	return map[string]string{
		"compose.yaml": `services:
  web:
    build: ./web
    expose: ["8080"]
    environment:
      VERSION: ` + version + `
      GREETING: ${GREETING:-hi}
    depends_on:
      db:
        condition: service_healthy
      worker:
        condition: service_started
  worker:
    image: busybox:1.36
    command: ["sh", "-c", "trap 'exit 0' TERM; while true; do sleep 1; done"]
    depends_on: [db]
  db:
    image: busybox:1.36
    command: ["sh", "-c", "mkdir -p /data; [ -f /data/id ] || cat /proc/sys/kernel/random/uuid > /data/id; httpd -f -p 5432 -h /data & pid=$$!; trap 'kill $$pid; exit 0' TERM; wait $$pid"]
    volumes:
      - dbdata:/data
    healthcheck:
      test: ["CMD", "test", "-f", "/data/id"]
      interval: 1s
      retries: 30
volumes:
  dbdata: {}
`,
		"web/Dockerfile": "FROM " + BaseImage + "\n" + pre + "RUN mkdir -p /www && echo ok > /www/up\n" +
			`CMD ["sh", "-c", "wget -qO /www/db http://db:5432/id; echo $VERSION > /www/index.html; echo $GREETING > /www/greeting; httpd -f -p 8080 -h /www & pid=$!; trap 'kill $pid; exit 0' TERM; wait $pid"]` + "\n",
	}
}

// A three-service stack deploys in dependency order through the Engine
// API: the web service answers through the proxy with what it fetched
// from the database service over the stack's network, interpolated from
// Rivetr's env; a new version under load drops no request and keeps the
// database's volume; a compose file that reaches past the stack is
// refused with its line; the worker is on the stack's network only.
func TestStackDeploysInDependencyOrder(t *testing.T) {
	parallelE2E(t)
	s := sharedServer(t)
	app := "stk-" + randSuffix()
	host := app + ".test"
	CleanupApp(t, app)
	repo := NewRepo(t)
	repo.Commit("v1", stackCompose("v1"))
	if r := s.CLI("apps", "create", app, "--git", repo.Dir, "--domain", host, "--build-type", "compose"); r.Code == 0 || !strings.Contains(r.Stderr, "--service NAME") {
		t.Fatalf("a stack without its service: %+v", r)
	}
	s.MustCLI("apps", "create", app, "--git", repo.Dir, "--domain", host, "--build-type", "compose", "--service", "web", "--port", "8080", "--health-path", "/up", "--drain-timeout", "1s")
	s.MustCLI("env", "set", app, "GREETING=hello-from-rivetr")
	r := s.CLI("deploy", app, "--wait")
	if r.Code != 0 {
		t.Fatalf("deploy: %d\n%s\n%s", r.Code, r.Stdout, r.Stderr)
	}
	if !strings.Contains(r.Stdout, "services db, worker, web, in that order") {
		t.Fatalf("the log does not give the order:\n%s", r.Stdout)
	}
	if got := s.MustGet(host, "/"); got != "v1" {
		t.Fatalf("web: %q", got)
	}
	if got := s.MustGet(host, "/greeting"); got != "hello-from-rivetr" {
		t.Fatalf("the env did not reach the stack: %q", got)
	}
	dbID := s.MustGet(host, "/db")
	if len(dbID) < 30 {
		t.Fatalf("web did not reach db over the stack's network: %q", dbID)
	}
	if len(Containers(t, app)) != 3 {
		t.Fatalf("containers: %v", Containers(t, app))
	}
	for _, c := range Containers(t, app) {
		if !strings.Contains(c, "-worker-") {
			continue
		}
		nets, _ := exec.Command("docker", "inspect", "-f", "{{range $k, $v := .NetworkSettings.Networks}}{{$k}} {{end}}", c).Output()
		if got := strings.Fields(string(nets)); len(got) != 1 || !strings.HasPrefix(got[0], "rivetr-stack-") {
			t.Fatalf("the worker is on %v, want its stack's network only", got)
		}
	}

	// v2 under load: no request fails; db keeps its volume.
	repo.Commit("v2", stackCompose("v2"))
	load := StartLoad(s.Proxy, host, 4, "v1", "v2")
	time.Sleep(300 * time.Millisecond)
	r = s.CLI("deploy", app, "--wait")
	time.Sleep(300 * time.Millisecond)
	load.Stop()
	t.Logf("stack v2 under load: ok=%d failed=%d bodies=%v", load.OK, load.Failed, load.Bodies)
	if r.Code != 0 {
		t.Fatalf("deploy v2: %d\n%s", r.Code, r.Stderr)
	}
	if load.Failed != 0 || load.Bodies["v2"] == 0 {
		t.Fatalf("requests failed during the stack's release: %v", load.Errors)
	}
	if got := s.MustGet(host, "/db"); got != dbID {
		t.Fatalf("db's volume changed: %q, was %q", got, dbID)
	}
	eventually(t, 60*time.Second, "the old deployment's containers retired", func() bool { return len(Containers(t, app)) == 3 })

	// A compose file binding a host port and a host path: refused with
	// the line, nothing started, v2 keeps serving.
	bad := stackCompose("v3")
	bad["compose.yaml"] = strings.Replace(bad["compose.yaml"], `    expose: ["8080"]`, "    expose: [\"8080\"]\n    ports: [\"80:8080\"]\n    volumes: [\"/etc:/host-etc\"]", 1)
	repo.Commit("v3", bad)
	r = s.CLI("deploy", app, "--wait")
	if r.Code == 0 || !strings.Contains(r.Stderr, "failed in") || !strings.Contains(r.Stderr, ": build failed: compose.yaml line 5 (services.web.ports): publishing host ports is refused") || strings.Contains(r.Stderr, "scheduledEventID") {
		t.Fatalf("a compose file reaching past the stack: %d\n%s", r.Code, r.Stderr)
	}
	if got := s.MustGet(host, "/"); got != "v2" {
		t.Fatalf("after the refused deploy: %q", got)
	}
	// A rollback brings v1 back (its compose file and images); the
	// database keeps its data.
	deps := s.Deployments(app)
	s.MustCLI("rollback", app, "--to", deps[2].ID, "--yes", "--wait")
	if got := s.MustGet(host, "/"); got != "v1" {
		t.Fatalf("after the rollback: %q", got)
	}
	if got := s.MustGet(host, "/db"); got != dbID {
		t.Fatalf("db's volume after the rollback: %q, was %q", got, dbID)
	}
	s.WaitDeployment(app, deps[1].ID, 30*time.Second, func(d Deployment) bool { return d.Status == "rolled_back" })

	// Pruning keeps the images of the newest releases (--keep-images 1:
	// what serves, v1's); deleting the app removes them all.
	s.MustCLI("apps", "update", app, "--keep-images", "1")
	repo.Commit("v4", stackCompose("v4"))
	s.MustCLI("deploy", app, "--wait")
	var shown struct {
		ID string `json:"id"`
	}
	mustUnmarshal(t, []byte(s.MustCLI("apps", "show", app, "-o", "json")), &shown)
	stackImages := func() []string {
		out, _ := exec.Command("docker", "images", "--format", "{{.Repository}}:{{.Tag}}", "--filter", "reference=rivetr-stack/"+shown.ID+"-*").Output()
		return strings.Fields(string(out))
	}
	eventually(t, 60*time.Second, "the stack's images pruned to what serves", func() bool {
		imgs := stackImages()
		return len(imgs) == 1 && strings.HasSuffix(imgs[0], ":"+s.Deployments(app)[0].ID)
	})
	s.MustCLI("apps", "delete", app, "--yes")
	eventually(t, 60*time.Second, "the stack's images gone with the app", func() bool { return len(stackImages()) == 0 })
}

// A SIGKILL of the server mid-stack-deploy — during the build, while the
// services start — and a restart: the deployment ends succeeded, serving
// the new version with one container per service.
func TestStackSurvivesSIGKILL(t *testing.T) {
	parallelE2E(t)
	s := NewServer(t, false)
	s.Start()
	app := "stk-kill-" + randSuffix()
	host := app + ".test"
	CleanupApp(t, app)
	repo := NewRepo(t)
	repo.Commit("k0", stackCompose("k0"))
	s.MustCLI("apps", "create", app, "--git", repo.Dir, "--domain", host, "--build-type", "compose", "--service", "web", "--port", "8080", "--health-path", "/up", "--drain-timeout", "1s")
	s.MustCLI("deploy", app, "--wait")
	for i, p := range []struct {
		name, step string
		after      time.Duration
	}{
		{"during the build", "build", 1500 * time.Millisecond},
		{"while the services start", "start", 0},
	} {
		v := fmt.Sprintf("k%d", i+1)
		repo.Commit(v, stackCompose(v, "sleep 3"))
		var d Deployment
		mustUnmarshal(t, []byte(s.MustCLI("deploy", app, "-o", "json")), &d)
		s.WaitDeployment(app, d.ID, 90*time.Second, func(x Deployment) bool { return x.Step == p.step })
		time.Sleep(p.after)
		s.Kill()
		s.Start()
		final := s.WaitDeployment(app, d.ID, 3*time.Minute, func(x Deployment) bool {
			return x.Status == "succeeded" || x.Status == "failed" || x.Status == "cancelled"
		})
		if final.Status != "succeeded" {
			t.Fatalf("after SIGKILL %s: %s (%s)", p.name, final.Status, final.FailureReason)
		}
		if got := s.MustGet(host, "/"); got != v {
			t.Fatalf("after SIGKILL %s: serving %q, want %s", p.name, got, v)
		}
		eventually(t, 60*time.Second, "one container per service, of the new deployment", func() bool {
			names := Containers(t, app)
			for _, n := range names {
				if !strings.HasSuffix(n, d.ID) {
					return false
				}
			}
			return len(names) == 3
		})
	}
}
