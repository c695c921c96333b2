package e2e

import (
	"os/exec"
	"strings"
	"testing"
	"time"
)

// stackCompose is a three-service stack: db keeps an ID in a volume and
// serves it (healthy once it has one), worker runs beside it, web (built
// from the repository, routed) fetches db's ID at start through the
// stack's network and serves it with its version.
func stackCompose(version string) map[string]string {
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
		"web/Dockerfile": "FROM " + BaseImage + "\nRUN mkdir -p /www && echo ok > /www/up\n" +
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
	// Rolling a stack back is not there yet: refused, saying what to do.
	if r := s.CLI("rollback", app, "--yes"); r.Code == 0 || !strings.Contains(r.Stderr, "deploy the earlier commit instead") {
		t.Fatalf("rollback of a stack: %+v", r)
	}
}
