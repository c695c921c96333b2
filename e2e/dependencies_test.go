package e2e

import (
	"strings"
	"testing"
	"time"
)

// An app that needs another waits for it: its deploy holds before its
// container starts until the other serves, then goes on; the needed app
// cannot be deleted; `rivetr graph` shows the edge; a dependency on an
// app of another team is not found.
func TestDeployWaitsForWhatTheAppNeeds(t *testing.T) {
	parallelE2E(t)
	s := sharedServer(t)
	api, web := "dep-api-"+randSuffix(), "dep-web-"+randSuffix()
	CleanupApp(t, api)
	CleanupApp(t, web)
	repo := NewRepo(t)
	repo.Commit("v1", map[string]string{"Dockerfile": AppDockerfile("v1", "", "")})
	for _, a := range []string{api, web} {
		s.MustCLI("apps", "create", a, "--git", repo.Dir, "--domain", a+".test", "--port", "8080", "--health-path", "/up")
	}
	if r := s.CLI("apps", "depend", web, "app:"+web); r.Code == 0 || !strings.Contains(r.Stderr, "cycle") {
		t.Fatalf("an app needing itself: %+v", r)
	}
	if r := s.CLI("apps", "depend", web, "queue:x"); r.Code == 0 || !strings.Contains(r.Stderr, "database:NAME, app:NAME") {
		t.Fatalf("a bad target: %+v", r)
	}
	if out := s.MustCLI("apps", "depend", web, "app:"+api); !strings.Contains(out, "needs app "+api+" (not serving)") {
		t.Fatalf("depend: %s", out)
	}

	// web's deploy waits: api serves nothing yet.
	s.MustCLI("deploy", web)
	eventually(t, 90*time.Second, "web's deploy says it waits for api", func() bool {
		deps := s.Deployments(web)
		out := s.CLI("logs", web, "--deployment", deps[0].ID).Stdout
		return strings.Contains(out, "waiting for app "+api+" (not serving)")
	})
	if got := Containers(t, web); len(got) != 0 {
		t.Fatalf("web's container started before api served: %v", got)
	}
	s.MustCLI("deploy", api, "--wait")
	first := s.Deployments(web)[0]
	s.WaitDeployment(web, first.ID, 90*time.Second, func(d Deployment) bool { return d.Status == "succeeded" })
	if got := s.MustGet(web+".test", "/"); got != "v1" {
		t.Fatalf("web after api served: %q", got)
	}
	deps := s.Deployments(web)
	if out := s.MustCLI("logs", web, "--deployment", deps[0].ID); !strings.Contains(out, "dependencies ready: app "+api+" (serving)") {
		t.Fatalf("web's deploy log:\n%s", out)
	}

	// What web needs cannot be deleted; the graph shows it.
	if r := s.CLI("apps", "delete", api, "--yes"); r.Code == 0 || !strings.Contains(r.Stderr, "needed by "+web) {
		t.Fatalf("deleting what web needs: %+v", r)
	}
	if out := s.MustCLI("graph"); !strings.Contains(out, "app "+web+" (serving) → needs app "+api+" (serving)") {
		t.Fatalf("graph:\n%s", out)
	}
	s.MustCLI("apps", "depend", web, "--remove", "app:"+api)
	if out := s.MustCLI("apps", "depend", web); !strings.Contains(out, "needs nothing") {
		t.Fatalf("after removing: %s", out)
	}
}
