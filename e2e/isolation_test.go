package e2e

import (
	"os/exec"
	"strings"
	"testing"
)

// TestTeamsAreIsolated: two teams share one server, Docker engine and
// proxy. The attacker is an app of the second team. Its container reaches
// nothing of the first team's — apps and databases, by name or by address
// — while the first team's app reaches its own database by name; and its
// builds cannot start FROM (or COPY --from) the first team's images, by
// name, through an ARG or by image ID.
func TestTeamsAreIsolated(t *testing.T) {
	parallelE2E(t)
	needDatabaseImages(t)
	s := NewServer(t, false)
	s.Start()
	if r := s.CLIAsAdmin("owner password 1\n", "users", "create-owner", "--email", "owner@example.com", "--password-stdin"); r.Code != 0 {
		t.Fatal(r.Stderr)
	}
	// Mallory has an account and a team of her own, nothing in the
	// owner's.
	dir := t.TempDir()
	owner, mallory := dir+"/owner.json", dir+"/mallory.json"
	as := func(creds, stdin string, args ...string) Result {
		t.Helper()
		r := s.CLIAs(creds, stdin, args...)
		if r.Code != 0 && args[0] != "deploy" {
			t.Fatalf("rivetr %s: %d\n%s%s", strings.Join(args, " "), r.Code, r.Stdout, r.Stderr)
		}
		return r
	}
	as(owner, "owner password 1\n", "login", "--email", "owner@example.com", "--password-stdin")
	as(owner, "mallory password\n", "users", "create", "--email", "mallory@example.com", "--password-stdin")
	as(mallory, "mallory password\n", "login", "--email", "mallory@example.com", "--password-stdin")
	rival := "rival-" + randSuffix()
	as(mallory, "", "teams", "create", rival)

	victim := newAppOn(t, s, "iso-a", "iso-a-v1")
	s.MustCLI("deploy", victim.App, "--wait")
	db := "isodb-" + randSuffix()
	cleanupDatabase(t, db)
	s.MustCLI("databases", "create", db, "--engine", "redis", "--image", "rivetr-test/redis:7", "--wait")
	attacker := newAppOn(t, s, "iso-b", "iso-b-v1", "--team", rival)
	as(mallory, "", "deploy", attacker.App, "--wait")

	vc, ac := Containers(t, victim.App), Containers(t, attacker.App)
	if len(vc) != 1 || len(ac) != 1 {
		t.Fatalf("containers: %v %v", vc, ac)
	}
	vNet, aNet, dbNet := teamNetwork(t, vc[0]), teamNetwork(t, ac[0]), teamNetwork(t, "rivetr-db-"+db)
	if vNet == aNet || vNet != dbNet || !strings.HasPrefix(vNet, s.Network+"-") || !strings.HasPrefix(aNet, s.Network+"-") {
		t.Fatalf("networks: victim %q, attacker %q, database %q (base %s)", vNet, aNet, dbNet, s.Network)
	}
	ip := func(c string) string {
		return dockerOut(t, "inspect", "-f", "{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}", c)
	}
	// reach runs a TCP probe inside container c; it says whether it got
	// an answer.
	reach := func(c, probe string) (bool, string) {
		out, err := exec.Command("docker", "exec", c, "sh", "-c", probe).CombinedOutput()
		return err == nil && len(strings.TrimSpace(string(out))) > 0, string(out)
	}
	redis := func(host string) string { return "echo PING | nc -w 2 " + host + " 6379" }
	web := func(host string) string { return "wget -q -T 2 -O - http://" + host + ":8080/" }

	// The control: a team's app reaches its own database by name.
	if ok, out := reach(vc[0], redis("rivetr-db-"+db)); !ok || !strings.Contains(out, "NOAUTH") {
		t.Fatalf("the victim's app cannot reach its own database: %s", out)
	}
	for what, probe := range map[string]string{
		"the database by name":        redis("rivetr-db-" + db),
		"the database by address":     redis(ip("rivetr-db-" + db)),
		"the victim's app by address": web(ip(vc[0])),
		"the victim's app by name":    web(vc[0]),
	} {
		if ok, out := reach(ac[0], probe); ok {
			t.Errorf("the other team's app reached %s: %s", what, out)
		}
	}
	// An app gains no privileges through setuid binaries and runs a
	// bounded number of processes (no fork bomb takes the shared host).
	if got := dockerOut(t, "inspect", "-f", "{{.HostConfig.PidsLimit}} {{.HostConfig.SecurityOpt}}", ac[0]); got != "4096 [no-new-privileges:true]" {
		t.Fatalf("the attacker's container runs with %q", got)
	}
	// Both still serve through the one proxy.
	if body := s.MustGet(victim.Host, "/"); body != "iso-a-v1" {
		t.Fatalf("the victim serves %q", body)
	}

	// Builds: the victim's image, however it is named.
	image := "rivetr/" + victim.App + ":" + s.Deployments(victim.App)[0].ID
	id := strings.TrimPrefix(dockerOut(t, "image", "inspect", "-f", "{{.Id}}", image), "sha256:")
	for _, tc := range []struct{ name, dockerfile, want string }{
		{"FROM by name", "FROM " + image + "\nCMD [\"cat\", \"/www/index.html\"]\n", "an image of another app"},
		{"FROM through an ARG", "ARG BASE=" + image + "\nFROM $BASE\n", "an image of another app"},
		{"FROM by image ID", "FROM " + id[:12] + "\n", "names a local image by its ID"},
		{"COPY --from", "FROM " + BaseImage + "\nCOPY --from=" + image + " /www /stolen\n", "an image of another app"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			attacker.Repo.Commit(tc.name, map[string]string{"Dockerfile": tc.dockerfile})
			r := as(mallory, "", "deploy", attacker.App, "--wait")
			if r.Code == 0 || !strings.Contains(r.Stderr, tc.want) {
				t.Fatalf("exit %d, want a refusal saying %q:\n%s", r.Code, tc.want, r.Stderr)
			}
			if body := s.MustGet(attacker.Host, "/"); body != "iso-b-v1" {
				t.Fatalf("the attacker's app serves %q", body)
			}
		})
	}
	// Its own images stay usable as a base.
	own := "rivetr/" + attacker.App + ":" + s.Deployments(attacker.App)[len(s.Deployments(attacker.App))-1].ID
	attacker.Repo.Commit("own base", map[string]string{"Dockerfile": "FROM " + own + "\nRUN echo iso-b-v2 > /www/index.html\n"})
	if r := as(mallory, "", "deploy", attacker.App, "--wait"); r.Code != 0 {
		t.Fatalf("deploy on its own image: %s%s", r.Stdout, r.Stderr)
	}
	if body := s.MustGet(attacker.Host, "/"); body != "iso-b-v2" {
		t.Fatalf("built on its own image, the attacker's app serves %q", body)
	}
}
