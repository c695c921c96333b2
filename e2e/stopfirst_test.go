package e2e

import (
	"strings"
	"testing"
	"time"
)

// lockingDockerfile serves version from an app that takes its volume for
// itself: it refuses to start while another version holds /data/lock,
// and gives the lock back when stopped. Two versions at once cannot run.
func lockingDockerfile(version string) string {
	return "FROM " + BaseImage + "\nRUN mkdir -p /www && echo ok > /www/up && echo " + version + " > /www/index.html\n" +
		`CMD ["sh", "-c", "if [ -f /data/lock ]; then echo another version holds the volume: $(cat /data/lock); exit 3; fi; echo ` + version + ` > /data/lock; [ -f /data/first ] || cat /proc/sys/kernel/random/uuid > /data/first; cp /data/first /www/first; httpd -f -p 8080 -h /www & pid=$!; trap 'rm -f /data/lock; kill $pid; exit 0' TERM; wait $pid"]` + "\n"
}

// A stop-first app stops its old version before starting the new one,
// and the proxy holds requests meanwhile: under continuous load no
// request fails, neither through a release nor through one that fails
// (the old version is started again and serves the held requests), nor
// through a rollback; the volume keeps its data. The same app released
// start-first fails, as it must: its two versions would share the volume.
func TestStopFirstHoldsRequests(t *testing.T) {
	parallelE2E(t)
	s := sharedServer(t)
	app := "sf-" + randSuffix()
	host := app + ".test"
	CleanupApp(t, app)
	repo := NewRepo(t)
	repo.Commit("v1", map[string]string{"Dockerfile": lockingDockerfile("v1")})
	if r := s.CLI("apps", "create", app, "--git", repo.Dir, "--domain", host, "--health-path", "/up", "--strategy", "blue-green"); r.Code == 0 || !strings.Contains(r.Stderr, "start-first or stop-first") {
		t.Fatalf("an unknown strategy: %+v", r)
	}
	s.MustCLI("apps", "create", app, "--git", repo.Dir, "--domain", host, "--health-path", "/up", "--drain-timeout", "2s", "--strategy", "stop-first")
	if out := s.MustCLI("apps", "show", app); !strings.Contains(out, "stop-first (downtime: a short pause") {
		t.Fatalf("apps show does not state the strategy's downtime:\n%s", out)
	}
	s.MustCLI("volumes", "add", app, "data", "--path", "/data")
	s.MustCLI("deploy", app, "--wait")
	first := s.MustGet(host, "/first")

	// v2 under load: held, then served; never an error.
	repo.Commit("v2", map[string]string{"Dockerfile": lockingDockerfile("v2")})
	load := StartLoad(s.Proxy, host, 6, "v1", "v2")
	time.Sleep(300 * time.Millisecond)
	r := s.CLI("deploy", app, "--wait")
	time.Sleep(300 * time.Millisecond)
	load.Stop()
	t.Logf("stop-first v2 under load: ok=%d failed=%d bodies=%v slowest=%s", load.OK, load.Failed, load.Bodies, load.Slowest)
	if r.Code != 0 {
		t.Fatalf("stop-first deploy of v2: %d\n%s\n%s", r.Code, r.Stdout, r.Stderr)
	}
	if load.Failed != 0 || load.Bodies["v1"] == 0 || load.Bodies["v2"] == 0 {
		t.Fatalf("requests failed during a stop-first release: ok=%d failed=%d %v", load.OK, load.Failed, load.Errors)
	}
	if !strings.Contains(r.Stdout, "the proxy holds "+app+"'s new requests") || !strings.Contains(r.Stdout, "stopped the container of deployment") {
		t.Fatalf("the deploy log does not say it held and stopped:\n%s", r.Stdout)
	}
	if got := s.MustGet(host, "/first"); got != first {
		t.Fatalf("the volume's data changed: %q, was %q", got, first)
	}

	// v3 never becomes healthy: v2 is started again, and the requests held
	// meanwhile are served by it.
	repo.Commit("v3", map[string]string{"Dockerfile": "FROM " + BaseImage + "\nCMD [\"sh\", \"-c\", \"echo v3 is broken; sleep 600\"]\n"})
	s.MustCLI("apps", "update", app, "--health-deadline", "3s")
	load = StartLoad(s.Proxy, host, 4, "v2")
	time.Sleep(300 * time.Millisecond)
	r = s.CLI("deploy", app, "--wait")
	time.Sleep(300 * time.Millisecond)
	load.Stop()
	t.Logf("stop-first failing v3 under load: ok=%d failed=%d bodies=%v slowest=%s", load.OK, load.Failed, load.Bodies, load.Slowest)
	if r.Code == 0 || !strings.Contains(r.Stderr, "never became healthy") {
		t.Fatalf("the broken v3: %d\n%s", r.Code, r.Stderr)
	}
	if load.Failed != 0 || load.Bodies["v2"] == 0 || load.Slowest < time.Second {
		t.Fatalf("requests during a failed stop-first release: ok=%d failed=%d slowest %s %v", load.OK, load.Failed, load.Slowest, load.Errors)
	}
	deps := s.Deployments(app)
	log := s.MustCLI("logs", app, "--deployment", deps[0].ID)
	for _, want := range []string{"started deployment " + deps[1].ID + " again", "deployment " + deps[1].ID + " serves again"} {
		if !strings.Contains(log, want) {
			t.Fatalf("the failed deploy's log lacks %q:\n%s", want, log)
		}
	}
	s.MustCLI("apps", "update", app, "--health-deadline", "60s")
	eventually(t, 30*time.Second, "v2 alone", func() bool { return len(Containers(t, app)) == 1 })

	// A rollback is released stop-first too.
	load = StartLoad(s.Proxy, host, 4, "v1", "v2")
	s.MustCLI("rollback", app, "--to", deps[2].ID, "--wait")
	load.Stop()
	if load.Failed != 0 || s.MustGet(host, "/") != "v1" || s.MustGet(host, "/first") != first {
		t.Fatalf("stop-first rollback: failed=%d %v", load.Failed, load.Errors)
	}

	// Start-first, the two versions meet on the volume: the new one
	// refuses to start and the old one keeps serving.
	repo.Commit("v4", map[string]string{"Dockerfile": lockingDockerfile("v4")})
	s.MustCLI("apps", "update", app, "--strategy", "start-first", "--health-deadline", "5s")
	r = s.CLI("deploy", app, "--wait")
	if r.Code == 0 || !strings.Contains(r.Stderr, "another version holds the volume") {
		t.Fatalf("a start-first deploy of an app that locks its volume: %d\n%s", r.Code, r.Stderr)
	}
	if got := s.MustGet(host, "/"); got != "v1" {
		t.Fatalf("after the refused start-first deploy: %q", got)
	}
}
