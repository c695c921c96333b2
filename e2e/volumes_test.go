package e2e

import (
	"encoding/json"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// volumeDockerfile serves version at / and, at /first, what the app wrote
// to its volume the first time it ever started (a random ID); it stops at
// SIGTERM.
func volumeDockerfile(version string) string {
	return "FROM " + BaseImage + "\nRUN mkdir -p /www && echo ok > /www/up\n" +
		`CMD ["sh", "-c", "mkdir -p /data; [ -f /data/first ] || cat /proc/sys/kernel/random/uuid > /data/first; cp /data/first /www/first; echo ` + version + ` > /www/index.html; httpd -f -p 8080 -h /www & pid=$!; trap 'kill $pid; exit 0' TERM; wait $pid"]` + "\n"
}

// An app's volume keeps its data across deploys, a rollback and a
// container restart; another app's volume of the same name is another
// volume; a Docker volume Rivetr did not make for the app is never
// mounted; a removed volume's data goes at the next deploy, and the
// app's volumes go with the app.
func TestVolumesKeepDataAcrossReleases(t *testing.T) {
	parallelE2E(t)
	s := sharedServer(t)
	app := "vol-" + randSuffix()
	CleanupApp(t, app)
	repo := NewRepo(t)
	repo.Commit("v1", map[string]string{"Dockerfile": volumeDockerfile("v1")})
	s.MustCLI("apps", "create", app, "--git", repo.Dir, "--domain", app+".test", "--health-path", "/up", "--drain-timeout", "1s")
	host := app + ".test"
	if out := s.MustCLI("volumes", "list", app); !strings.Contains(out, "has no volumes") {
		t.Fatalf("volumes list before any: %s", out)
	}
	if r := s.CLI("volumes", "add", app, "data", "--path", "/etc"); r.Code == 0 || !strings.Contains(r.Stderr, "would hide what the container needs") {
		t.Fatalf("a volume over /etc: %+v", r)
	}
	s.MustCLI("volumes", "add", app, "data", "--path", "/data")
	s.MustCLI("deploy", app, "--wait")
	first := s.MustGet(host, "/first")
	if len(first) < 30 {
		t.Fatalf("/first: %q", first)
	}

	// A new version, a rollback, a container restart: the same data.
	repo.Commit("v2", map[string]string{"Dockerfile": volumeDockerfile("v2")})
	s.MustCLI("deploy", app, "--wait")
	if v, f := s.MustGet(host, "/"), s.MustGet(host, "/first"); v != "v2" || f != first {
		t.Fatalf("after deploying v2: %q, first %q (was %q)", v, f, first)
	}
	s.MustCLI("rollback", app, "--wait")
	if v, f := s.MustGet(host, "/"), s.MustGet(host, "/first"); v != "v1" || f != first {
		t.Fatalf("after the rollback: %q, first %q (was %q)", v, f, first)
	}
	eventually(t, 60*time.Second, "the replaced container retired", func() bool { return len(Containers(t, app)) == 1 })
	if out, err := exec.Command("docker", "restart", Containers(t, app)[0]).CombinedOutput(); err != nil {
		t.Fatalf("docker restart: %v %s", err, out)
	}
	eventually(t, 30*time.Second, "the restarted container answers with the same data", func() bool {
		code, body, err := s.Get(host, "/first")
		return err == nil && code == 200 && body == first
	})
	var vols []struct {
		Name   string `json:"name"`
		Docker string `json:"docker_volume"`
		Size   *int64 `json:"size"`
	}
	if err := json.Unmarshal([]byte(s.MustCLI("volumes", "list", app, "-o", "json")), &vols); err != nil || len(vols) != 1 || vols[0].Size == nil || *vols[0].Size < 30 {
		t.Fatalf("volumes list: %+v %v", vols, err)
	}

	// Another app with a volume of the same name has its own data.
	other := "vol-" + randSuffix()
	CleanupApp(t, other)
	s.MustCLI("apps", "create", other, "--git", repo.Dir, "--domain", other+".test", "--health-path", "/up")
	s.MustCLI("volumes", "add", other, "data", "--path", "/data")
	s.MustCLI("deploy", other, "--wait")
	if f := s.MustGet(other+".test", "/first"); f == first {
		t.Fatal("two apps' volumes named data share their data")
	}
	// A Docker volume under the name Rivetr would give the app's next
	// volume, made by someone else: the deploy refuses to mount it.
	var shown struct {
		ID string `json:"id"`
	}
	json.Unmarshal([]byte(s.MustCLI("apps", "show", other, "-o", "json")), &shown)
	planted := "rivetr-app-" + shown.ID + "-planted"
	if out, err := exec.Command("docker", "volume", "create", planted).CombinedOutput(); err != nil {
		t.Fatalf("docker volume create: %v %s", err, out)
	}
	t.Cleanup(func() { exec.Command("docker", "volume", "rm", "-f", planted).Run() })
	s.MustCLI("volumes", "add", other, "planted", "--path", "/planted")
	if r := s.CLI("deploy", other, "--wait"); r.Code == 0 || !strings.Contains(r.Stdout+r.Stderr, "was not made for "+other) {
		t.Fatalf("a deploy mounting a planted volume: %+v", r)
	}
	s.MustCLI("volumes", "remove", other, "planted", "--yes")

	// Removed: the next deploy mounts a fresh start and deletes the data.
	if r := s.CLI("volumes", "remove", app, "data"); r.Code == 0 || !strings.Contains(r.Stderr, "confirm with --yes") {
		t.Fatalf("remove without --yes: %+v", r)
	}
	s.MustCLI("volumes", "remove", app, "data", "--yes")
	s.MustCLI("deploy", app, "--wait")
	if f := s.MustGet(host, "/first"); f == first {
		t.Fatal("the removed volume is still mounted")
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		out, _ := exec.Command("docker", "volume", "inspect", vols[0].Docker).CombinedOutput()
		if strings.Contains(strings.ToLower(string(out)), "no such volume") {
			break
		}
		if time.Now().After(deadline) {
			users, _ := exec.Command("docker", "ps", "-a", "--filter", "volume="+vols[0].Docker, "--format", "{{.Names}} {{.Status}}").CombinedOutput()
			t.Fatalf("the removed volume is still there:\n%s\nused by:\n%s", out, users)
		}
		time.Sleep(200 * time.Millisecond)
	}

	// The app's volumes go with the app.
	otherVol := "rivetr-app-" + shown.ID + "-data"
	s.MustCLI("apps", "delete", other, "--yes")
	eventually(t, 60*time.Second, "the deleted app's volume is gone", func() bool {
		out, _ := exec.Command("docker", "volume", "inspect", otherVol).CombinedOutput()
		return strings.Contains(strings.ToLower(string(out)), "no such volume")
	})
}
