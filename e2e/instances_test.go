package e2e

import (
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestTwoInstallationsOnOneEngine: two Rivetr installations share a
// Docker engine, each with an app of the same name. Retiring old
// versions, pruning images and deleting the app in one never touch the
// other's containers or images; a database name the other holds is
// refused, not taken over; what each makes carries its installation ID.
func TestTwoInstallationsOnOneEngine(t *testing.T) {
	parallelE2E(t)
	needDatabaseImages(t)
	one := NewServer(t, false)
	one.Start()
	two := NewServer(t, false)
	two.Start()
	app := "twin-" + randSuffix()
	CleanupApp(t, app)
	for i, s := range []*Server{two, one} {
		repo := NewRepo(t)
		repo.Commit("v1", map[string]string{"Dockerfile": AppDockerfile([]string{"two", "one"}[i]+"-v1", "", "")})
		s.MustCLI("apps", "create", app, "--git", repo.Dir, "--domain", app+".test", "--keep-images", "1")
		s.MustCLI("deploy", app, "--wait")
		if i == 1 {
			// Two more deploys: each retires the old containers and
			// prunes images past the keep count.
			for _, v := range []string{"one-v2", "one-v3"} {
				repo.Commit(v, map[string]string{"Dockerfile": AppDockerfile(v, "", "")})
				s.MustCLI("deploy", app, "--wait")
			}
		}
	}
	twoDep := two.Deployments(app)[0].ID
	eventually(t, 30*time.Second, "one's old containers retired", func() bool { return len(Containers(t, app)) == 2 })
	if !slices.Contains(Containers(t, app), "rivetr-"+app+"-"+twoDep) || !slices.Contains(Images(t, app), twoDep) {
		t.Fatalf("one retired or pruned two's: containers %v, images %v", Containers(t, app), Images(t, app))
	}
	if body := two.MustGet(app+".test", "/"); body != "two-v1" {
		t.Fatalf("two serves %q", body)
	}
	ids := map[string]bool{}
	for _, c := range Containers(t, app) {
		ids[dockerOut(t, "inspect", "-f", `{{index .Config.Labels "rivetr.instance"}}`, c)] = true
	}
	if len(ids) != 2 || ids[""] {
		t.Fatalf("installation IDs on the containers: %v", ids)
	}

	// A database name the other installation holds.
	db := "twindb-" + randSuffix()
	cleanupDatabase(t, db)
	one.MustCLI("databases", "create", db, "--engine", "redis", "--image", "rivetr-test/redis:7", "--wait")
	if r := two.CLI("databases", "create", db, "--engine", "redis", "--image", "rivetr-test/redis:7", "--wait"); r.Code == 0 ||
		!strings.Contains(r.Stderr, "taken on this Docker engine by another Rivetr installation") {
		t.Fatalf("two took one's database container: %d %s", r.Code, r.Stderr)
	}
	if out, _ := exec.Command("docker", "inspect", "-f", "{{.State.Running}}", "rivetr-db-"+db).Output(); strings.TrimSpace(string(out)) != "true" {
		t.Fatalf("one's database after two's attempt: %s", out)
	}

	// Deleting the app in one leaves two's.
	one.MustCLI("apps", "delete", app)
	if c := Containers(t, app); len(c) != 1 || c[0] != "rivetr-"+app+"-"+twoDep {
		t.Fatalf("after one deleted its app: %v", c)
	}
	if tags := Images(t, app); len(tags) != 1 || tags[0] != twoDep {
		t.Fatalf("images after one deleted its app: %v", tags)
	}
	if body := two.MustGet(app+".test", "/"); body != "two-v1" {
		t.Fatalf("after one deleted its app two serves %q", body)
	}
}
