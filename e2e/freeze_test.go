package e2e

import (
	"strings"
	"testing"
	"time"
)

// TestFreezeWindow: during an instance-wide freeze a deploy waits in status
// frozen and runs when the window ends; during a longer one an approver
// overrides it with a reason; a rejecting window refuses at once.
func TestFreezeWindow(t *testing.T) {
	parallelE2E(t)
	a := newAppSetup(t, "freeze", false, "freeze-v1")
	s := a.S
	if r := s.CLI("deploy", a.App, "--wait"); r.Code != 0 {
		t.Fatalf("first deploy: %s%s", r.Stdout, r.Stderr)
	}
	now := time.Now().UTC()
	out := s.MustCLI("freeze", "create", "--reason", "maintenance", "--from", now.Add(-time.Minute).Format(time.RFC3339), "--until", now.Add(10*time.Second).Format(time.RFC3339))
	if !strings.Contains(out, "freeze window") {
		t.Fatalf("create: %s", out)
	}
	if st := s.MustCLI("status", "-o", "json"); !strings.Contains(st, `"frozen_reason": "maintenance"`) {
		t.Fatalf("status does not say frozen:\n%s", st)
	}
	a.Repo.Commit("freeze-v2", map[string]string{"Dockerfile": AppDockerfile("freeze-v2", "", "")})
	s.MustCLI("deploy", a.App)
	var d Deployment
	eventually(t, 30*time.Second, "the deploy waits for the freeze", func() bool {
		d = s.Deployments(a.App)[0]
		return d.Status == "frozen"
	})
	if body := s.MustGet(a.Host, "/"); body != "freeze-v1" {
		t.Fatalf("during the freeze the app serves %q", body)
	}
	eventually(t, 2*time.Minute, "the deploy runs after the freeze", func() bool {
		return s.Deployments(a.App)[0].Status == "succeeded"
	})
	if body := s.MustGet(a.Host, "/"); body != "freeze-v2" {
		t.Fatalf("after the freeze the app serves %q", body)
	}

	// A long freeze, overridden by an approver with a reason.
	now = time.Now().UTC()
	s.MustCLI("freeze", "create", "--app", a.App, "--reason", "launch week", "--from", now.Add(-time.Minute).Format(time.RFC3339), "--until", now.Add(time.Hour).Format(time.RFC3339))
	a.Repo.Commit("freeze-v3", map[string]string{"Dockerfile": AppDockerfile("freeze-v3", "", "")})
	s.MustCLI("deploy", a.App)
	eventually(t, 30*time.Second, "the second deploy waits", func() bool {
		d = s.Deployments(a.App)[0]
		return d.Status == "frozen"
	})
	if r := s.CLI("override", d.ID); r.Code == 0 || !strings.Contains(r.Stderr, "needs a reason") {
		t.Fatalf("an override without a reason: %d %s", r.Code, r.Stderr)
	}
	s.MustCLI("override", d.ID, "--reason", "security fix")
	eventually(t, 2*time.Minute, "the overridden deploy succeeds", func() bool {
		return s.Deployments(a.App)[0].Status == "succeeded"
	})
	if body := s.MustGet(a.Host, "/"); body != "freeze-v3" {
		t.Fatalf("after the override the app serves %q", body)
	}
	if audit := s.MustCLI("audit", "--action", "deployment.freeze_override", "-o", "json"); !strings.Contains(audit, "security fix") {
		t.Fatalf("the override is not audited:\n%s", audit)
	}

	// A rejecting window refuses at once.
	now = time.Now().UTC()
	s.MustCLI("freeze", "create", "--app", a.App, "--policy", "reject", "--reason", "no deploys", "--from", now.Add(-time.Minute).Format(time.RFC3339), "--until", now.Add(time.Hour).Format(time.RFC3339))
	s.MustCLI("deploy", a.App)
	eventually(t, 30*time.Second, "the deploy is refused", func() bool {
		d = s.Deployments(a.App)[0]
		return d.Status == "rejected"
	})
	if !strings.Contains(d.FailureReason, "refused, frozen until") || !strings.Contains(d.FailureReason, "no deploys") {
		t.Fatalf("reason %q", d.FailureReason)
	}
	if list := s.MustCLI("freeze", "list"); !strings.Contains(list, "launch week") || !strings.Contains(list, "now, until") {
		t.Fatalf("freeze list:\n%s", list)
	}
}
