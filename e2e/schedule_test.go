package e2e

import (
	"strings"
	"testing"
	"time"
)

// TestScheduledDeploy: a deploy scheduled for later waits in status
// scheduled (through a server restart), is rescheduled, and then runs on
// its own; a cancelled one never runs.
func TestScheduledDeploy(t *testing.T) {
	parallelE2E(t)
	a := newAppSetup(t, "sched", false, "sched-v1")
	s := a.S
	if r := s.CLI("deploy", a.App, "--wait"); r.Code != 0 {
		t.Fatalf("first deploy: %s%s", r.Stdout, r.Stderr)
	}
	a.Repo.Commit("sched-v2", map[string]string{"Dockerfile": AppDockerfile("sched-v2", "", "")})
	if r := s.CLI("deploy", a.App, "--in", "6s"); r.Code != 0 || !strings.Contains(r.Stdout, "is scheduled for") {
		t.Fatalf("schedule: %d %s%s", r.Code, r.Stdout, r.Stderr)
	}
	if r := s.CLI("deploy", a.App, "--in", "-5m"); r.Code == 0 || !strings.Contains(r.Stderr, "must be a delay") {
		t.Fatalf("a past delay: %d %s", r.Code, r.Stderr)
	}
	d := s.Deployments(a.App)[0]
	if d.Status != "scheduled" {
		t.Fatalf("status %s", d.Status)
	}
	// Push it back, then restart the server while it waits.
	out := s.MustCLI("deployments", "reschedule", d.ID, "--in", "14s")
	if !strings.Contains(out, "is now scheduled for") {
		t.Fatalf("reschedule: %s", out)
	}
	time.Sleep(7 * time.Second)
	if got := s.Deployments(a.App)[0]; got.Status != "scheduled" {
		t.Fatalf("after the first time passed, the rescheduled deploy is %s", got.Status)
	}
	s.Kill()
	s.Start()
	if body := s.MustGet(a.Host, "/"); body != "sched-v1" {
		t.Fatalf("before its time the app serves %q", body)
	}
	eventually(t, 2*time.Minute, "the scheduled deploy runs and succeeds", func() bool {
		got := s.Deployments(a.App)[0]
		return got.ID == d.ID && got.Status == "succeeded"
	})
	if body := s.MustGet(a.Host, "/"); body != "sched-v2" {
		t.Fatalf("after its time the app serves %q", body)
	}

	// Scheduled, then cancelled: it never runs.
	r := s.CLI("deploy", a.App, "--in", "1h")
	if r.Code != 0 {
		t.Fatal(r.Stderr)
	}
	d = s.Deployments(a.App)[0]
	s.MustCLI("deployments", "cancel", d.ID)
	if got := s.Deployments(a.App)[0]; got.Status != "cancelled" || !strings.Contains(got.FailureReason, "before its scheduled time") {
		t.Fatalf("cancelled schedule: %+v", got)
	}
}
