package e2e

import (
	"bufio"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestBrokenBuildsFailClearly deploys versions that cannot build: each ends
// failed with a reason a person can act on, the CLI exits non-zero, the
// serving version keeps serving, and nothing is left behind.
func TestBrokenBuildsFailClearly(t *testing.T) {
	env := newSharedApp(t, "broken", "good")
	s, app, host, repo := env.S, env.App, env.Host, env.Repo
	s.MustCLI("deploy", app, "--wait")

	tests := []struct {
		name  string
		files map[string]string
		want  string
	}{
		{"failing RUN step", map[string]string{"Dockerfile": "FROM " + BaseImage + "\nRUN echo compiling; exit 3\n"}, "returned a non-zero code: 3"},
		{"unknown instruction", map[string]string{"Dockerfile": "FROM " + BaseImage + "\nRUNN echo typo\n"}, "unknown instruction"},
		{"missing base image", map[string]string{"Dockerfile": "FROM rivetr-test/does-not-exist:1\n"}, "could not pull base image rivetr-test/does-not-exist:1"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			repo.Commit(tc.name, tc.files)
			start := time.Now()
			r := s.CLI("deploy", app, "--wait")
			if r.Code == 0 || !strings.Contains(r.Stderr, tc.want) || strings.Contains(r.Stderr, "build failed: build failed") {
				t.Fatalf("exit %d, want a failure mentioning %q:\n%s", r.Code, tc.want, r.Stderr)
			}
			t.Logf("reason: %s", strings.TrimSpace(r.Stderr[strings.LastIndex(r.Stderr, "\ndeployment"):]))
			if took := time.Since(start); took > 30*time.Second {
				t.Fatalf("a build failure took %s: it was retried", took)
			}
			if body := s.MustGet(host, "/"); body != "good" {
				t.Fatalf("serving %q", body)
			}
		})
	}

	t.Run("no Dockerfile", func(t *testing.T) {
		repo.git("rm", "-q", "Dockerfile")
		repo.Commit("no dockerfile", map[string]string{"README": "hi"})
		r := s.CLI("deploy", app, "--wait")
		if r.Code == 0 || !strings.Contains(r.Stderr, "no Dockerfile at Dockerfile") {
			t.Fatalf("exit %d:\n%s", r.Code, r.Stderr)
		}
	})
	t.Run("unknown commit", func(t *testing.T) {
		r := s.CLI("deploy", app, "--commit", strings.Repeat("f", 40), "--wait")
		if r.Code == 0 || !strings.Contains(r.Stderr, "not found") {
			t.Fatalf("exit %d:\n%s", r.Code, r.Stderr)
		}
	})
	eventually(t, 30*time.Second, "only the serving container", func() bool { return len(Containers(t, app)) == 1 })
}

// TestWrongHealthPathFailsFast: a health path that answers 404 to every
// probe fails the deploy within seconds, saying which path and what to
// change, not after the minute's deadline; on a first deploy nothing
// claims a previous version serves.
func TestWrongHealthPathFailsFast(t *testing.T) {
	env := newSharedApp(t, "healthpath", "v1", "--health-path", "/nope")
	s := env.S
	start := time.Now()
	r := s.CLI("deploy", env.App, "--wait")
	took := time.Since(start)
	if r.Code == 0 || !strings.Contains(r.Stderr, "GET /nope answers 404: is --health-path right?") || !strings.Contains(r.Stderr, "--health-path PATH") {
		t.Fatalf("exit %d:\n%s", r.Code, r.Stderr)
	}
	if took > 30*time.Second {
		t.Fatalf("a steady 404 took %s to fail", took)
	}
	d := s.Deployments(env.App)[0]
	logs := s.MustCLI("logs", env.App, "--deployment", d.ID)
	if strings.Contains(logs, "previous version") || !strings.Contains(logs, "nothing served before it") {
		t.Fatalf("a first deploy's log:\n%s", logs)
	}
	t.Logf("failed in %s", took.Round(100*time.Millisecond))
}

// TestInterruptedWaitSaysTheDeploymentGoesOn: Ctrl-C on `deploy --wait`
// stops the following, not the deployment, and says how to follow or
// cancel it; the deployment then succeeds.
func TestInterruptedWaitSaysTheDeploymentGoesOn(t *testing.T) {
	env := newSharedApp(t, "ctrlc", "v1")
	s := env.S
	// A build slow enough to interrupt.
	env.Repo.Commit("slow", map[string]string{"Dockerfile": AppDockerfile("v2", "sleep 3", "")})
	cmd := exec.Command(binary, "deploy", env.App, "--wait")
	cmd.Env = append(os.Environ(), "RIVETR_URL="+s.HTTP, "RIVETR_DATA_DIR="+s.DataDir, "RIVETR_TOKEN=",
		"RIVETR_CREDENTIALS="+filepath.Join(s.DataDir, "no-such-credentials.json"))
	var stderr strings.Builder
	out, _ := cmd.StdoutPipe()
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// Interrupt once the log streams.
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		t.Fatalf("no log line: %v", err)
	}
	cmd.Process.Signal(os.Interrupt)
	go io.Copy(io.Discard, out)
	err = cmd.Wait()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 130 {
		t.Fatalf("after Ctrl-C (first line %q): %v\n%s", line, err, stderr.String())
	}
	msg := stderr.String()
	d := s.Deployments(env.App)[0]
	for _, want := range []string{"deployment " + d.ID + " goes on on the server", "rivetr logs " + env.App + " --deployment " + d.ID, "rivetr deployments cancel " + d.ID} {
		if !strings.Contains(msg, want) {
			t.Fatalf("the interrupted wait lacks %q:\n%s", want, msg)
		}
	}
	s.WaitDeployment(env.App, d.ID, 2*time.Minute, func(d Deployment) bool { return d.Status == "succeeded" })
}
