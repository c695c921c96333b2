package e2e

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

type dbView struct {
	Name, Engine, Image, Status, Error, URL, Host, Volume string
	Port                                                  int
}

func dockerOut(t *testing.T, args ...string) string {
	t.Helper()
	out, err := exec.Command("docker", args...).CombinedOutput()
	if err != nil {
		t.Fatalf("docker %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(string(out))
}

// cleanupDatabase removes a database's container and volume however the
// test ended.
func cleanupDatabase(t *testing.T, name string) {
	t.Cleanup(func() {
		exec.Command("docker", "rm", "-f", "rivetr-db-"+name).Run()
		out, _ := exec.Command("docker", "volume", "ls", "-q", "--filter", "label=rivetr.database="+name).Output()
		for _, v := range strings.Fields(string(out)) {
			exec.Command("docker", "volume", "rm", "-f", v).Run()
		}
	})
}

// TestManagedDatabases: PostgreSQL, MariaDB and Redis databases from the
// locally built images run on Rivetr's network with their own volumes;
// passwords are masked unless revealed; linking gives an app the URL;
// stop and start keep the data; delete keeps the volume unless purged; an
// image that is not there fails the database with the reason.
func TestManagedDatabases(t *testing.T) {
	parallelE2E(t)
	needDatabaseImages(t)
	s := NewServer(t, false)
	s.Start()
	pg := "pg-" + randSuffix()
	cleanupDatabase(t, pg)
	out := s.MustCLI("databases", "create", pg, "--engine", "postgres", "--image", "rivetr-test/postgres:15", "--wait")
	if !strings.Contains(out, "is running") || !strings.Contains(out, "postgres://app:********@rivetr-db-"+pg+":5432/app") {
		t.Fatalf("create:\n%s", out)
	}
	var shown dbView
	mustUnmarshal(t, []byte(s.MustCLI("databases", "show", pg, "--reveal", "-o", "json")), &shown)
	password := strings.TrimSuffix(strings.TrimPrefix(shown.URL, "postgres://app:"), "@rivetr-db-"+pg+":5432/app")
	if len(password) < 20 || strings.Contains(password, "*") {
		t.Fatalf("revealed URL %q", shown.URL)
	}
	// Rows written over the network, by name, as an app would.
	psql := func(sql string) string {
		return dockerOut(t, "run", "--rm", "--network", teamNetwork(t, "rivetr-db-"+pg), "-e", "PGPASSWORD="+password, "--entrypoint", "psql", "rivetr-test/postgres:15",
			"-h", "rivetr-db-"+pg, "-U", "app", "-d", "app", "-tAc", sql)
	}
	psql("CREATE TABLE orders (id int); INSERT INTO orders VALUES (1), (2), (3)")
	if got := psql("SELECT count(*) FROM orders"); got != "3" {
		t.Fatalf("rows: %q", got)
	}
	if published := dockerOut(t, "port", "rivetr-db-"+pg); published != "" {
		t.Fatalf("published without asking: %s", published)
	}

	// Linking an app.
	a := newAppOn(t, s, "dbapp", "dbapp-v1")
	if out := s.MustCLI("databases", "link", pg, a.App); !strings.Contains(out, "DATABASE_URL") {
		t.Fatalf("link: %s", out)
	}
	if env := s.MustCLI("env", "list", a.App); !strings.Contains(env, "DATABASE_URL") || strings.Contains(env, password) {
		t.Fatalf("the app's env after linking:\n%s", env)
	}
	if out := s.MustCLI("apps", "depend", a.App); !strings.Contains(out, pg) {
		t.Fatalf("linking did not make the app need the database:\n%s", out)
	}

	// Stop and start keep the data.
	s.MustCLI("databases", "stop", pg, "--wait")
	if st := dockerOut(t, "inspect", "-f", "{{.State.Running}}", "rivetr-db-"+pg); st != "false" {
		t.Fatalf("stopped database running: %s", st)
	}
	s.MustCLI("databases", "start", pg, "--wait")
	if got := psql("SELECT count(*) FROM orders"); got != "3" {
		t.Fatalf("rows after a restart: %q", got)
	}

	// Delete asks for confirmation, is refused while the app needs the
	// database, keeps the volume without --purge.
	if r := s.CLI("databases", "delete", pg); r.Code == 0 || !strings.Contains(r.Stderr, "confirm with --yes") {
		t.Fatalf("delete without --yes: %d %s", r.Code, r.Stderr)
	}
	if r := s.CLI("databases", "delete", pg, "--yes"); r.Code == 0 || !strings.Contains(r.Stderr, "needed by "+a.App) {
		t.Fatalf("deleting a database an app needs: %d %s", r.Code, r.Stderr)
	}
	s.MustCLI("apps", "depend", a.App, "--remove", "database:"+pg)
	s.MustCLI("databases", "delete", pg, "--yes", "--wait")
	if out, _ := exec.Command("docker", "ps", "-aq", "--filter", "name=rivetr-db-"+pg).Output(); strings.TrimSpace(string(out)) != "" {
		t.Fatal("the container outlived the delete")
	}
	dockerOut(t, "volume", "inspect", shown.Volume)

	// The attack: a new database under the deleted one's name (in any
	// team) gets a volume of its own, never the kept one's data.
	s.MustCLI("databases", "create", pg, "--engine", "postgres", "--image", "rivetr-test/postgres:15", "--wait")
	var again dbView
	mustUnmarshal(t, []byte(s.MustCLI("databases", "show", pg, "--reveal", "-o", "json")), &again)
	if again.Volume == shown.Volume {
		t.Fatalf("the new %s got the deleted one's volume %s", pg, shown.Volume)
	}
	password = strings.TrimSuffix(strings.TrimPrefix(again.URL, "postgres://app:"), "@rivetr-db-"+pg+":5432/app")
	if got := psql("SELECT count(*) FROM pg_tables WHERE tablename = 'orders'"); got != "0" {
		t.Fatalf("the new %s holds the deleted one's table: %q", pg, got)
	}
	s.MustCLI("databases", "delete", pg, "--yes", "--wait")
	dockerOut(t, "volume", "inspect", shown.Volume)

	// MariaDB and Redis; --purge removes the volume.
	for _, tc := range []struct{ engine, image, ping string }{
		{"mariadb", "rivetr-test/mariadb:10", "mariadb-admin"},
		{"redis", "rivetr-test/redis:7", "redis-cli"},
	} {
		name := tc.engine + "-" + randSuffix()
		cleanupDatabase(t, name)
		if out := s.MustCLI("databases", "create", name, "--engine", tc.engine, "--image", tc.image, "--wait"); !strings.Contains(out, "is running") {
			t.Fatalf("%s: %s", tc.engine, out)
		}
		var v dbView
		mustUnmarshal(t, []byte(s.MustCLI("databases", "show", name, "-o", "json")), &v)
		s.MustCLI("databases", "delete", name, "--yes", "--purge", "--wait")
		if v.Volume == "" || exec.Command("docker", "volume", "inspect", v.Volume).Run() == nil {
			t.Fatalf("%s: the volume outlived --purge", tc.engine)
		}
	}

	// An image that is not there: failed, with the reason.
	bad := "bad-" + randSuffix()
	cleanupDatabase(t, bad)
	r := s.CLI("databases", "create", bad, "--engine", "postgres", "--image", "rivetr-test/nope:1", "--wait")
	if r.Code == 0 || !strings.Contains(r.Stderr, "image rivetr-test/nope:1 is not on this Docker host") {
		t.Fatalf("a missing image: %d %s", r.Code, r.Stderr)
	}
	if list := s.MustCLI("databases", "list"); !strings.Contains(list, bad) || !strings.Contains(list, "failed") {
		t.Fatalf("list:\n%s", list)
	}
}

// needDatabaseImages skips (or fails under RIVETR_REQUIRE_DOCKER) without
// the images scripts/db-images.sh builds.
func needDatabaseImages(t *testing.T) {
	t.Helper()
	needDocker(t)
	for _, img := range []string{"rivetr-test/postgres:15", "rivetr-test/mariadb:10", "rivetr-test/redis:7"} {
		if exec.Command("docker", "image", "inspect", img).Run() != nil {
			msg := "database image " + img + " is missing: run scripts/db-images.sh (make test does)"
			if os.Getenv("RIVETR_REQUIRE_DOCKER") != "" {
				t.Fatal(msg)
			}
			t.Skip(msg)
		}
	}
}
