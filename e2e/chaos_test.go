package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// chaosRuns is how many times each fault is injected: RIVETR_CHAOS_RUNS
// (make chaos sets 3; make test runs each once).
func chaosRuns() int {
	if n, err := strconv.Atoi(os.Getenv("RIVETR_CHAOS_RUNS")); err == nil && n > 0 {
		return n
	}
	return 1
}

// chaosReport collects what was injected and what came of it; it is written
// to RIVETR_CHAOS_REPORT (Markdown) when set.
type chaosReport struct {
	mu   sync.Mutex
	rows []string
}

func (r *chaosReport) add(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.rows = append(r.rows, fmt.Sprintf(format, args...))
}

func (r *chaosReport) write(t *testing.T, title, header string) {
	path := os.Getenv("RIVETR_CHAOS_REPORT")
	if path == "" {
		return
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	fmt.Fprintf(f, "\n## %s\n\n%s\n", title, header)
	for _, row := range r.rows {
		fmt.Fprintln(f, row)
	}
}

// TestChaosKillAtEachStep kills `rivetr server` with SIGKILL at each step
// boundary of a deploy and restarts it. Every deploy must end succeeded
// (the versions are healthy), serving the new version, with no orphan
// container or image and a complete record.
func TestChaosKillAtEachStep(t *testing.T) {
	parallelE2E(t)
	env := newAppSetup(t, "chaos", false, "c0")
	s, app, host, repo := env.S, env.App, env.Host, env.Repo
	s.MustCLI("deploy", app, "--wait")
	report := &chaosReport{}
	defer report.write(t, "SIGKILL at each deploy step", "| point | run | outcome | serving | containers | recovery after restart |\n|---|---|---|---|---|---|")

	points := []struct {
		name, step string
		after      time.Duration
		build, pre string
		inFlight   bool // a slow request to the old version holds the drain open
	}{
		{"after clone", "build", 0, "sleep 3", "", false},
		{"during build", "build", 1500 * time.Millisecond, "sleep 5", "", false},
		{"after candidate start", "health", 0, "", "sleep 2", false},
		{"during health check", "health", time.Second, "", "sleep 4", false},
		{"right after the switch", "drain", 0, "", "", true},
		{"during drain", "drain", 1500 * time.Millisecond, "", "", true},
	}
	n := 0
	for _, p := range points {
		for run := 1; run <= chaosRuns(); run++ {
			n++
			v := fmt.Sprintf("c%d", n)
			t.Run(fmt.Sprintf("%s/%d", p.name, run), func(t *testing.T) {
				repo.Commit(v, map[string]string{"Dockerfile": AppDockerfile(v, p.build, p.pre)})
				if p.inFlight {
					go s.Get(host, "/cgi-bin/slow")
					time.Sleep(200 * time.Millisecond)
				}
				var d Deployment
				mustUnmarshal(t, []byte(s.MustCLI("deploy", app, "-o", "json")), &d)
				s.WaitDeployment(app, d.ID, 90*time.Second, func(x Deployment) bool { return x.Step == p.step })
				time.Sleep(p.after)
				s.Kill()
				restart := time.Now()
				s.Start()
				final := s.WaitDeployment(app, d.ID, 3*time.Minute, func(x Deployment) bool {
					return x.Status == "succeeded" || x.Status == "failed" || x.Status == "cancelled"
				})
				recovery := time.Since(restart).Round(100 * time.Millisecond)
				body := s.MustGet(host, "/")
				var names []string
				eventually(t, 60*time.Second, "only the new container", func() bool {
					names = Containers(t, app)
					return len(names) == 1 && strings.HasSuffix(names[0], d.ID)
				})
				report.add("| %s | %d | %s | %s | %d | %s |", p.name, run, final.Status, body, len(names), recovery)
				if final.Status != "succeeded" || body != v {
					t.Fatalf("after SIGKILL %s: %s (%s), serving %q", p.name, final.Status, final.FailureReason, body)
				}
				if final.Step != "done" || final.FinishedAt == "" {
					t.Fatalf("incomplete record: %+v", final)
				}
				// Pruning follows removing the old container in RetireWorkflow.
				var tags []string
				eventually(t, 60*time.Second, "images pruned to the keep count", func() bool {
					tags = Images(t, app)
					return slices.Contains(tags, d.ID) && len(tags) <= 5
				})
			})
		}
	}
}

// restartDockerd stops the Docker engine, waits until it is down, and starts
// it again in its own session (so it outlives the test), as the test
// dependencies script does.
func restartDockerd(t *testing.T, downFor time.Duration) {
	t.Helper()
	out, err := exec.Command("pidof", "dockerd").Output()
	if err != nil {
		t.Fatalf("pidof dockerd: %v", err)
	}
	pid, _ := strconv.Atoi(strings.Fields(string(out))[0])
	syscall.Kill(pid, syscall.SIGTERM)
	// Wait for the process itself to go: it removes its pid file last.
	for i := 0; i < 300 && syscall.Kill(pid, 0) == nil; i++ {
		time.Sleep(100 * time.Millisecond)
	}
	time.Sleep(downFor)
	logf, _ := os.OpenFile("/var/log/rivetr-test-dockerd.log", os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	cmd := exec.Command("dockerd")
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start dockerd: %v", err)
	}
	eventually(t, 60*time.Second, "dockerd back", func() bool { return exec.Command("docker", "info").Run() == nil })
}

// TestChaosDockerdRestart restarts the Docker engine in the middle of a
// build. The build's activity fails while Docker is away and is retried when
// it is back; the deploy completes and the app serves again (its container
// restarts with the engine, and the proxy follows its new address). It runs
// with RIVETR_CHAOS_DOCKERD=1 (make chaos) as root, since it stops the
// machine's dockerd.
func TestChaosDockerdRestart(t *testing.T) {
	if os.Getenv("RIVETR_CHAOS_FULL") == "" || os.Geteuid() != 0 {
		t.Skip("restarts dockerd: set RIVETR_CHAOS_FULL=1 and run as root (make chaos does)")
	}
	env := newAppSetup(t, "dockerd", false, "d0")
	s, app, host, repo := env.S, env.App, env.Host, env.Repo
	s.MustCLI("deploy", app, "--wait")
	report := &chaosReport{}
	defer report.write(t, "dockerd restarted during a build", "| run | outcome | serving afterwards | containers | deploy took |\n|---|---|---|---|---|")
	for run := 1; run <= chaosRuns(); run++ {
		v := fmt.Sprintf("d%d", run)
		repo.Commit(v, map[string]string{"Dockerfile": AppDockerfile(v, "sleep 4", "")})
		var d Deployment
		mustUnmarshal(t, []byte(s.MustCLI("deploy", app, "-o", "json")), &d)
		start := time.Now()
		s.WaitDeployment(app, d.ID, 60*time.Second, func(x Deployment) bool { return x.Step == "build" })
		time.Sleep(time.Second)
		restartDockerd(t, 3*time.Second)
		final := s.WaitDeployment(app, d.ID, 3*time.Minute, func(x Deployment) bool {
			return x.Status == "succeeded" || x.Status == "failed"
		})
		t.Logf("deployment %s ended %s %s", d.ID, final.Status, final.FailureReason)
		var body string
		var last string
		deadline := time.Now().Add(90 * time.Second)
		for time.Now().Before(deadline) {
			code, b, err := s.Get(host, "/")
			body, last = b, fmt.Sprintf("%d %q %v", code, b, err)
			if err == nil && code == 200 {
				break
			}
			time.Sleep(500 * time.Millisecond)
		}
		if !strings.HasPrefix(last, "200") {
			out, _ := exec.Command("docker", "ps", "-a", "--filter", "label=rivetr.app="+app, "--format", "{{.Names}} {{.Status}}").CombinedOutput()
			t.Fatalf("the app is not served after the restart: %s; containers:\n%s", last, out)
		}
		n := len(Containers(t, app))
		report.add("| %d | %s %s | %s | %d | %s |", run, final.Status, final.FailureReason, body, n, time.Since(start).Round(100*time.Millisecond))
		if final.Status != "succeeded" || body != v {
			t.Fatalf("after a dockerd restart: %s (%s), serving %q", final.Status, final.FailureReason, body)
		}
		eventually(t, 60*time.Second, "one container", func() bool { return len(Containers(t, app)) == 1 })
	}
}

// TestChaosTemporalOutage runs Rivetr against an external Temporal cluster
// and stops the cluster for 30 s in the middle of a build. The worker and
// the server keep retrying; when the cluster is back the deploy completes.
// It runs with RIVETR_CHAOS_FULL=1 (make chaos): it takes over a minute.
func TestChaosTemporalOutage(t *testing.T) {
	if os.Getenv("RIVETR_CHAOS_FULL") == "" {
		t.Skip("takes minutes: set RIVETR_CHAOS_FULL=1 (make chaos does)")
	}
	needDocker(t)
	cluster := NewServer(t, false)
	cluster.Start()
	ns := "rivetr-outage-" + randSuffix()
	registerNamespace(t, cluster, ns)
	s := NewServer(t, false)
	s.args = append(s.args, "--temporal-address", cluster.Temporal, "--temporal-namespace", ns)
	s.env = append(s.env, "RIVETR_TEMPORAL_TOKEN="+cluster.TemporalToken())
	s.Start()
	env := newAppOn(t, s, "outage", "o0")
	app, host, repo := env.App, env.Host, env.Repo
	s.MustCLI("deploy", app, "--wait")

	report := &chaosReport{}
	defer report.write(t, "external Temporal stopped for 30 s during a build", "| run | outcome | serving during the outage | serving afterwards | deploy took |\n|---|---|---|---|---|")
	for run := 1; run <= chaosRuns(); run++ {
		v := fmt.Sprintf("o%d", run)
		repo.Commit(v, map[string]string{"Dockerfile": AppDockerfile(v, "sleep 4", "")})
		var d Deployment
		mustUnmarshal(t, []byte(s.MustCLI("deploy", app, "-o", "json")), &d)
		start := time.Now()
		s.WaitDeployment(app, d.ID, 60*time.Second, func(x Deployment) bool { return x.Step == "build" })
		cluster.Stop()
		time.Sleep(15 * time.Second)
		// The proxy does not need Temporal: the old version keeps serving.
		_, during, _ := s.Get(host, "/")
		time.Sleep(15 * time.Second)
		cluster.Start()
		final := s.WaitDeployment(app, d.ID, 3*time.Minute, func(x Deployment) bool {
			return x.Status == "succeeded" || x.Status == "failed"
		})
		body := s.MustGet(host, "/")
		report.add("| %d | %s %s | %s | %s | %s |", run, final.Status, final.FailureReason, during, body, time.Since(start).Round(100*time.Millisecond))
		if final.Status != "succeeded" || body != v || during == "" {
			t.Fatalf("after a Temporal outage: %s (%s), serving %q (during the outage %q)", final.Status, final.FailureReason, body, during)
		}
		eventually(t, 60*time.Second, "one container", func() bool { return len(Containers(t, app)) == 1 })
	}
}

// TestChaosFullDisk runs the server on a small tmpfs data dir and fills it.
// A deploy asked for then is refused with a clear "disk is full" error and
// changes nothing; the running version keeps serving; once space is freed a
// deploy succeeds. Root only (it mounts a tmpfs), with RIVETR_CHAOS_FULL=1.
func TestChaosFullDisk(t *testing.T) {
	if os.Getenv("RIVETR_CHAOS_FULL") == "" || os.Geteuid() != 0 {
		t.Skip("mounts a tmpfs: set RIVETR_CHAOS_FULL=1 and run as root (make chaos does)")
	}
	needDocker(t)
	dir := filepath.Join(t.TempDir(), "data")
	os.MkdirAll(dir, 0o700)
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=96m", "tmpfs", dir).CombinedOutput(); err != nil {
		t.Skipf("cannot mount a tmpfs here: %v %s", err, out)
	}
	s := NewServer(t, false, "--data-dir", dir)
	t.Cleanup(func() { s.Stop(); exec.Command("umount", "-l", dir).Run() })
	s.DataDir = dir
	s.Start()
	env := newAppOn(t, s, "full", "f0")
	app, host, repo := env.App, env.Host, env.Repo
	s.MustCLI("deploy", app, "--wait")

	report := &chaosReport{}
	defer report.write(t, "data dir on a full disk", "| phase | result |\n|---|---|")
	filler := filepath.Join(dir, "filler")
	exec.Command("dd", "if=/dev/zero", "of="+filler, "bs=1M").Run() // stops at ENOSPC
	repo.Commit("f1", map[string]string{"Dockerfile": AppDockerfile("f1", "", "")})
	r := s.CLI("deploy", app, "--wait")
	msg := strings.TrimSpace(r.Stderr)
	report.add("| deploy with the disk full | exit %d: %s |", r.Code, msg)
	if r.Code == 0 || !strings.Contains(msg, "disk is full") {
		t.Fatalf("deploy on a full disk: exit %d\n%s%s", r.Code, r.Stdout, r.Stderr)
	}
	if body := s.MustGet(host, "/"); body != "f0" {
		t.Fatalf("while the disk is full, serving %q", body)
	}
	report.add("| serving while full | f0 |")

	os.Remove(filler)
	var out Result
	eventually(t, 90*time.Second, "a deploy after space is freed", func() bool {
		out = s.CLI("deploy", app, "--wait")
		return out.Code == 0
	})
	body := s.MustGet(host, "/")
	report.add("| deploy after freeing space | exit %d, serving %s |", out.Code, body)
	if body != "f1" {
		t.Fatalf("after freeing space, serving %q", body)
	}
	for _, d := range s.Deployments(app) {
		if d.Status == "queued" || d.Status == "building" || d.Status == "deploying" {
			t.Fatalf("deployment %s left %s", d.ID, d.Status)
		}
	}
}
