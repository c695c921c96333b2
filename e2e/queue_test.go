package e2e

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// TestQueueSupersedesAndCancels: while a slow build runs, a second deploy
// waits in the app's queue and a third supersedes it; a deploy waiting in
// the queue can be cancelled and never runs. Every path ends in a final
// status, and the app serves the newest deploy that ran.
func TestQueueSupersedesAndCancels(t *testing.T) {
	parallelE2E(t)
	a := newSharedApp(t, "queue", "q-v1")
	s := a.S
	deploy := func() Deployment {
		t.Helper()
		var d Deployment
		if err := json.Unmarshal([]byte(s.MustCLI("deploy", a.App, "-o", "json")), &d); err != nil {
			t.Fatal(err)
		}
		return d
	}
	a.Repo.Commit("q-v2 slow", map[string]string{"Dockerfile": AppDockerfile("q-v2", "sleep 6", "")})
	first := deploy()
	s.WaitDeployment(a.App, first.ID, time.Minute, func(d Deployment) bool { return d.Step == "build" })
	second, third := deploy(), deploy()
	last := s.WaitDeployment(a.App, third.ID, 3*time.Minute, func(d Deployment) bool { return d.Status == "succeeded" })
	if got := s.WaitDeployment(a.App, second.ID, time.Second, func(Deployment) bool { return true }); got.Status != "superseded" ||
		!strings.Contains(got.FailureReason, "superseded by deployment "+third.ID) {
		t.Fatalf("the middle deploy: %+v", got)
	}
	if got := s.WaitDeployment(a.App, first.ID, time.Second, func(Deployment) bool { return true }); got.Status != "succeeded" {
		t.Fatalf("the first deploy: %+v", got)
	}

	a.Repo.Commit("q-v3 slow", map[string]string{"Dockerfile": AppDockerfile("q-v3", "sleep 6", "")})
	running := deploy()
	s.WaitDeployment(a.App, running.ID, time.Minute, func(d Deployment) bool { return d.Step == "build" })
	queued := deploy()
	if out := s.MustCLI("deployments", "cancel", queued.ID); !strings.Contains(out, "cancelled") {
		t.Fatalf("cancel: %s", out)
	}
	s.WaitDeployment(a.App, running.ID, 3*time.Minute, func(d Deployment) bool { return d.Status == "succeeded" })
	if got := s.WaitDeployment(a.App, queued.ID, time.Minute, func(d Deployment) bool { return d.Status == "cancelled" }); !strings.Contains(got.FailureReason, "before it started") {
		t.Fatalf("the cancelled deploy: %+v", got)
	}
	if body := s.MustGet(a.Host, "/"); body != "q-v3" || last.ID == "" {
		t.Fatalf("the app serves %q", body)
	}
}
