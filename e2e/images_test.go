package e2e

import (
	"bufio"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestImagesBeyondKeepCountArePruned deploys three versions with
// --keep-images 2: the oldest image goes, and a rollback to it fails with a
// clear reason while the current version keeps serving. A rollback to a kept
// image works.
func TestImagesBeyondKeepCountArePruned(t *testing.T) {
	env := newSharedApp(t, "keep", "v1", "--keep-images", "2")
	s, app, host, repo := env.S, env.App, env.Host, env.Repo
	var ids []string
	for _, v := range []string{"v1", "v2", "v3"} {
		if v != "v1" {
			repo.Commit(v, map[string]string{"Dockerfile": AppDockerfile(v, "", "")})
		}
		s.MustCLI("deploy", app, "--wait")
		ids = append([]string{s.Deployments(app)[0].ID}, ids...) // newest first
	}
	v3, v2, v1 := ids[0], ids[1], ids[2]
	eventually(t, 30*time.Second, "the oldest image pruned", func() bool {
		tags := Images(t, app)
		return len(tags) == 2 && slices.Contains(tags, v3) && slices.Contains(tags, v2)
	})

	r := s.CLI("rollback", app, "--to", v1, "--wait")
	if r.Code == 0 || !strings.Contains(r.Stderr, "no longer exists") {
		t.Fatalf("rollback to a pruned image: %d\n%s", r.Code, r.Stderr)
	}
	if body := s.MustGet(host, "/"); body != "v3" {
		t.Fatalf("after a failed rollback: %q", body)
	}
	s.MustCLI("rollback", app, "--wait")
	if body := s.MustGet(host, "/"); body != "v2" {
		t.Fatalf("after rollback to the kept image: %q", body)
	}
}

// TestFollowRuntimeLogs follows the app's output while requests arrive.
func TestFollowRuntimeLogs(t *testing.T) {
	env := newSharedApp(t, "logs", "v1")
	s, app, host := env.S, env.App, env.Host
	s.MustCLI("deploy", app, "--wait")

	cmd := exec.Command(binary, "logs", app, "-f", "--tail", "0")
	cmd.Env = append(os.Environ(), "RIVETR_URL="+s.HTTP, "RIVETR_DATA_DIR="+s.DataDir, "RIVETR_TOKEN=")
	out, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	lines := make(chan string, 100)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	time.Sleep(500 * time.Millisecond) // the follow has started before the request
	s.Get(host, "/followed")
	deadline := time.After(10 * time.Second)
	for {
		select {
		case l, ok := <-lines:
			if !ok {
				t.Fatal("logs -f ended")
			}
			if strings.Contains(l, "response:404") { // /followed does not exist
				return
			}
		case <-deadline:
			t.Fatal("the request never showed in the followed logs")
		}
	}
}
