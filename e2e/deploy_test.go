package e2e

import (
	"context"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/client"
	"google.golang.org/protobuf/encoding/protojson"
)

// TestDeployLifecycle is the walk-through of the README, against the real
// thing: create an app with the CLI, deploy it, deploy a new version under
// continuous load (zero failed requests), deploy a broken version (the old
// one keeps serving), roll back, cancel, and delete.
func TestDeployLifecycle(t *testing.T) {
	env := newAppSetup(t, "web", true, "v1", "--port", "8080", "--health-path", "/up")
	s, app, host, repo, v1 := env.S, env.App, env.Host, env.Repo, env.First
	s.MustCLI("env", "set", app, "GREETING=hello")
	s.MustCLI("env", "set", app, "API_KEY=very-secret-value-42", "--secret")

	// v1
	r := s.CLI("deploy", app, "--wait")
	if r.Code != 0 {
		t.Fatalf("deploy v1: %d\n%s\n%s", r.Code, r.Stdout, r.Stderr)
	}
	if !strings.Contains(r.Stdout, "Step 1/") || !strings.Contains(r.Stdout, "healthy") {
		t.Fatalf("deploy --wait did not stream the log:\n%s", r.Stdout)
	}
	if body := s.MustGet(host, "/"); body != "v1" {
		t.Fatalf("after v1: %q", body)
	}
	if body := s.MustGet(host, "/greeting"); body != "hello" {
		t.Fatalf("env var not passed: %q", body)
	}
	deps := s.Deployments(app)
	if len(deps) != 1 || deps[0].Status != "succeeded" || deps[0].Commit != v1 {
		t.Fatalf("deployments after v1: %+v", deps)
	}
	// Workflow links go through the dashboard (its /temporal/ proxy, for
	// signed-in instance admins), not to the UI's own loopback address.
	if !strings.HasPrefix(deps[0].WorkflowURL, s.HTTP+"/temporal/namespaces/default/workflows/deploy%2F"+app) {
		t.Fatalf("workflow link %q", deps[0].WorkflowURL)
	}
	checkUI(t, s, deps[0].WorkflowURL)
	checkSecretNotInHistory(t, s, deps[0].WorkflowID, "very-secret-value-42")
	if out := s.MustCLI("env", "list", app); strings.Contains(out, "very-secret-value-42") || !strings.Contains(out, "GREETING=hello") {
		t.Fatalf("env list leaks or misses values:\n%s", out)
	}

	// v2 under continuous load: not one request may fail.
	repo.Commit("v2", map[string]string{"Dockerfile": AppDockerfile("v2", "", "")})
	load := StartLoad(s.Proxy, host, 6, "v1", "v2")
	time.Sleep(300 * time.Millisecond)
	r = s.CLI("deploy", app, "--wait")
	time.Sleep(300 * time.Millisecond)
	load.Stop()
	if r.Code != 0 {
		t.Fatalf("deploy v2: %d\n%s", r.Code, r.Stderr)
	}
	t.Logf("load during v2 deploy: ok=%d failed=%d bodies=%v", load.OK, load.Failed, load.Bodies)
	if load.Failed != 0 || load.Bodies["v2"] == 0 || load.OK < 100 {
		t.Fatalf("requests failed during a zero-downtime deploy: ok=%d failed=%d %v", load.OK, load.Failed, load.Errors)
	}
	if body := s.MustGet(host, "/"); body != "v2" {
		t.Fatalf("after v2: %q", body)
	}
	eventually(t, 30*time.Second, "one container after v2", func() bool { return len(Containers(t, app)) == 1 })

	// v3 never becomes healthy: v2 keeps serving, the CLI exits non-zero.
	repo.Commit("v3", map[string]string{"Dockerfile": "FROM " + BaseImage + "\nCMD [\"sh\", \"-c\", \"echo v3 is broken; sleep 600\"]\n"})
	s.MustCLI("apps", "update", app, "--health-deadline", "4s")
	r = s.CLI("deploy", app, "--wait")
	if r.Code == 0 {
		t.Fatal("deploy of an unhealthy version exited 0")
	}
	if !strings.Contains(r.Stderr, "never became healthy") || !strings.Contains(r.Stderr, "v3 is broken") {
		t.Fatalf("failure reason lacks the cause or the container's output:\n%s", r.Stderr)
	}
	if body := s.MustGet(host, "/"); body != "v2" {
		t.Fatalf("after failed v3: %q", body)
	}
	eventually(t, 30*time.Second, "the failed candidate removed", func() bool { return len(Containers(t, app)) == 1 })
	s.MustCLI("apps", "update", app, "--health-deadline", "60s")

	// After a deploy that never served, v2 is the good version: a plain
	// rollback says so and changes nothing without --yes (no terminal here
	// to ask on); the list marks what serves.
	before := len(s.Deployments(app))
	if r := s.CLI("rollback", app); r.Code == 0 || !strings.Contains(r.Stderr, "failed and never served") || !strings.Contains(r.Stderr, "rivetr rollback "+app+" --yes") {
		t.Fatalf("rollback after a failed deploy: %d\n%s", r.Code, r.Stderr)
	}
	if after := len(s.Deployments(app)); after != before {
		t.Fatalf("a refused rollback queued a deployment (%d → %d)", before, after)
	}
	if list := s.MustCLI("deployments", app); !strings.Contains(list, s.Deployments(app)[1].ID) || !regexp.MustCompile(s.Deployments(app)[1].ID+`.*← serving`).MatchString(list) {
		t.Fatalf("the list does not mark the serving deployment:\n%s", list)
	}

	// Roll back to v1: its release comes back, env included (the app's
	// env changed since; the next deploy takes the change).
	s.MustCLI("env", "set", app, "GREETING=changed-since-v1")
	deps = s.Deployments(app)
	v1ID, v2ID := deps[2].ID, deps[1].ID
	r = s.CLI("rollback", app, "--to", v1ID, "--wait")
	if r.Code != 0 {
		t.Fatalf("rollback: %d\n%s", r.Code, r.Stderr)
	}
	if body := s.MustGet(host, "/"); body != "v1" {
		t.Fatalf("after rollback: %q", body)
	}
	if body := s.MustGet(host, "/greeting"); body != "hello" {
		t.Fatalf("the rollback to v1 runs with env GREETING=%q, not v1's", body)
	}
	s.WaitDeployment(app, v2ID, 20*time.Second, func(d Deployment) bool { return d.Status == "rolled_back" })
	r = s.CLI("rollback", app, "--to", deps[0].ID)
	if r.Code == 0 || !strings.Contains(r.Stderr, "only deployments that succeeded") {
		t.Fatalf("rollback to a failed deployment: %d %s", r.Code, r.Stderr)
	}

	// Logs: the app's runtime output and a deployment's build log.
	s.MustGet(host, "/")
	eventually(t, 10*time.Second, "runtime logs", func() bool {
		return strings.Contains(s.CLI("logs", app, "--tail", "20").Stdout, "response:200")
	})
	if out := s.MustCLI("logs", app, "--deployment", v1ID); !strings.Contains(out, "Successfully built") {
		t.Fatalf("deployment log:\n%s", out)
	}

	// Cancel a slow build: it ends cancelled and leaves nothing behind.
	repo.Commit("v4 slow", map[string]string{"Dockerfile": AppDockerfile("v4", "sleep 30", "")})
	out := s.MustCLI("deploy", app, "-o", "json")
	var started Deployment
	mustUnmarshal(t, []byte(out), &started)
	s.WaitDeployment(app, started.ID, 30*time.Second, func(d Deployment) bool { return d.Step == "build" })
	time.Sleep(time.Second)
	if out := s.MustCLI("deployments", "cancel", started.ID); !strings.Contains(out, "cancelled") {
		t.Fatalf("cancel: %s", out)
	}
	if body := s.MustGet(host, "/"); body != "v1" {
		t.Fatalf("after cancel: %q", body)
	}
	if tags := Images(t, app); slices.Contains(tags, started.ID) {
		t.Fatalf("cancelled build left its image: %v", tags)
	}
	eventually(t, 30*time.Second, "only the serving container", func() bool { return len(Containers(t, app)) == 1 })

	// Delete removes containers, images and the route.
	s.MustCLI("apps", "delete", app)
	if n := len(Containers(t, app)); n != 0 {
		t.Fatalf("%d containers left after delete", n)
	}
	if tags := Images(t, app); len(tags) != 0 {
		t.Fatalf("images left after delete: %v", tags)
	}
	if code, _, _ := s.Get(host, "/"); code != 404 {
		t.Fatalf("deleted app still routed: %d", code)
	}
}

// checkUI fetches the Temporal UI page a deployment links to.
func checkUI(t *testing.T, s *Server, url string) {
	t.Helper()
	res, err := s.Browser().Get(url)
	if err != nil {
		t.Fatalf("Temporal UI: %v", err)
	}
	defer res.Body.Close()
	if res.StatusCode != 200 || !strings.Contains(res.Header.Get("Content-Type"), "text/html") || !strings.HasPrefix(res.Request.URL.Path, "/temporal/") {
		t.Fatalf("Temporal UI at %s: %d %s (ended at %s)", url, res.StatusCode, res.Header.Get("Content-Type"), res.Request.URL)
	}
}

// checkSecretNotInHistory reads a workflow's whole history from Temporal and
// fails if a secret value appears anywhere in it.
func checkSecretNotInHistory(t *testing.T, s *Server, workflowID, secret string) {
	t.Helper()
	c, err := client.Dial(s.TemporalOptions(""))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	it := c.GetWorkflowHistory(context.Background(), workflowID, "", false, 0)
	n := 0
	for it.HasNext() {
		ev, err := it.Next()
		if err != nil {
			t.Fatal(err)
		}
		b, _ := protojson.Marshal(ev)
		if strings.Contains(string(b), secret) {
			t.Fatalf("secret value found in workflow history event %d (%s)", ev.GetEventId(), ev.GetEventType())
		}
		n++
	}
	if n < 10 {
		t.Fatalf("history of %s has only %d events", workflowID, n)
	}
}
