package e2e

import (
	"context"
	"database/sql"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/client"
	_ "modernc.org/sqlite" // the sqlite driver, to read and tamper with the data dir's database

	"github.com/rivetr/rivetr/schema"
)

// upgradeFrom is the previous release: the commit before versioned
// migrations. TestUpgrade builds its binary from the repository's history.
const upgradeFrom = "3fa4a5d9213609e4aa64d9bc93b2aaf1d0e7b322"

// previousRelease builds (once, kept in .tools/upgrade) the rivetr binary
// of upgradeFrom.
func previousRelease(t *testing.T) string {
	t.Helper()
	root, err := exec.Command("git", "rev-parse", "--show-toplevel").Output()
	if err != nil {
		t.Fatalf("the upgrade test builds the previous release from git history: %v", err)
	}
	top := strings.TrimSpace(string(root))
	bin := filepath.Join(top, ".tools", "upgrade", "rivetr-"+upgradeFrom[:12])
	if _, err := os.Stat(bin); err == nil {
		return bin
	}
	if err := exec.Command("git", "-C", top, "cat-file", "-e", upgradeFrom+"^{commit}").Run(); err != nil {
		t.Fatalf("commit %s (the previous release) is not in this clone: the upgrade test needs the history (git fetch --unshallow)", upgradeFrom[:12])
	}
	src := t.TempDir()
	archive := exec.Command("sh", "-c", `git -C "$1" archive "$2" | tar -x -C "$3"`, "sh", top, upgradeFrom, src)
	if out, err := archive.CombinedOutput(); err != nil {
		t.Fatalf("unpack %s: %v\n%s", upgradeFrom[:12], err, out)
	}
	if err := os.MkdirAll(filepath.Dir(bin), 0o755); err != nil {
		t.Fatal(err)
	}
	build := exec.Command("go", "build", "-o", bin+".tmp", "./cmd/rivetr")
	build.Dir = src
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build the previous release: %v\n%s", err, out)
	}
	if err := os.Rename(bin+".tmp", bin); err != nil {
		t.Fatal(err)
	}
	return bin
}

// TestUpgrade: a data dir made by the previous release — an app serving
// with plain and secret env vars, a recurring deploy, a database with a
// verified backup, and a deploy waiting for approval — is opened by this
// binary, which migrates it (recording the versions), serves the same app
// at once, and finishes the waiting deploy once it is approved. A data
// dir migrated past this binary is refused with what to do.
func TestUpgrade(t *testing.T) {
	parallelE2E(t)
	needDocker(t)
	old := previousRelease(t)
	s := NewServer(t, false)
	s.bin = old
	s.Start()
	oldCLIIn := func(stdin string, args ...string) string {
		t.Helper()
		cmd := exec.Command(old, args...)
		cmd.Stdin = strings.NewReader(stdin)
		cmd.Env = append(os.Environ(), "RIVETR_URL="+s.HTTP, "RIVETR_DATA_DIR="+s.DataDir, "RIVETR_TOKEN=",
			"RIVETR_CREDENTIALS="+filepath.Join(s.DataDir, "no-such-credentials.json"))
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("previous release: rivetr %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return string(out)
	}
	oldCLI := func(args ...string) string { t.Helper(); return oldCLIIn("", args...) }
	// An owner first, so the app and the database belong to a team.
	oldCLIIn("owner password 1\n", "users", "create-owner", "--email", "owner@example.com", "--password-stdin")
	app := "upg-" + randSuffix()
	CleanupApp(t, app)
	host := app + ".test"
	repo := NewRepo(t)
	repo.Commit("upg-v1", map[string]string{"Dockerfile": AppDockerfile("upg-v1", "", "")})
	oldCLI("apps", "create", app, "--git", repo.Dir, "--domain", host)
	oldCLI("env", "set", app, "PLAIN=kept")
	oldCLI("env", "set", app, "GREETING=sealed-by-v1", "--secret")
	oldCLI("deploy", app, "--wait")
	if body := s.MustGet(host, "/greeting"); body != "sealed-by-v1" {
		t.Fatalf("the previous release serves %q", body)
	}
	var rec struct{ ID string }
	if err := json.Unmarshal([]byte(oldCLI("schedules", "create", app, "--cron", "0 3 * * *", "--tz", "UTC", "-o", "json")), &rec); err != nil || rec.ID == "" {
		t.Fatalf("recurring deploy: %v", err)
	}
	db := "upgpg-" + randSuffix()
	t.Cleanup(func() {
		exec.Command("docker", "rm", "-f", "rivetr-db-"+db).Run()
		exec.Command("docker", "volume", "rm", "rivetr-db-"+db+"-data").Run()
	})
	oldCLI("databases", "create", db, "--engine", "postgres", "--image", "rivetr-test/postgres:15", "--wait")
	oldCLI("databases", "backup", db, "--wait")
	oldCLI("apps", "update", app, "--require-approval", "--allow-self-approval")
	repo.Commit("upg-v2", map[string]string{"Dockerfile": AppDockerfile("upg-v2", "", "")})
	var waiting Deployment
	if err := json.Unmarshal([]byte(oldCLI("deploy", app, "-o", "json")), &waiting); err != nil {
		t.Fatal(err)
	}
	s.WaitDeployment(app, waiting.ID, time.Minute, func(d Deployment) bool { return d.Status == "awaiting_approval" })
	s.Stop()

	// This release, on the same data dir.
	s.bin = ""
	s.Start()
	st, err := schema.Open(filepath.Join(s.DataDir, "rivetr.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	applied, err := st.AppliedMigrations()
	st.Close()
	if err != nil || len(applied) == 0 || applied[len(applied)-1] != schema.SchemaVersion() {
		t.Fatalf("migrations recorded: %v %v", applied, err)
	}
	if body := s.MustGet(host, "/greeting"); body != "sealed-by-v1" {
		t.Fatalf("after the upgrade the app serves %q", body)
	}
	// The previous release put every container on one network; this one
	// moved them onto their team's, the serving app without a miss.
	c := Containers(t, app)
	if len(c) != 1 {
		t.Fatalf("containers after the upgrade: %v", c)
	}
	if appNet, dbNet := teamNetwork(t, c[0]), teamNetwork(t, "rivetr-db-"+db); !strings.HasPrefix(appNet, s.Network+"-") || appNet != dbNet {
		t.Fatalf("after the upgrade the app is on %q and the database on %q", appNet, dbNet)
	}
	if env := s.MustCLI("env", "list", app); !strings.Contains(env, "PLAIN") || !strings.Contains(env, "kept") || !strings.Contains(env, "GREETING") ||
		strings.Contains(env, "sealed-by-v1") {
		t.Fatalf("env after the upgrade:\n%s", env)
	}
	if list := s.MustCLI("schedules", "list", app); !strings.Contains(list, rec.ID) {
		t.Fatalf("the recurring deploy after the upgrade:\n%s", list)
	}
	tc, err := client.Dial(s.TemporalOptions(""))
	if err != nil {
		t.Fatal(err)
	}
	defer tc.Close()
	if desc, err := tc.ScheduleClient().GetHandle(context.Background(), "recurring/"+app+"/"+rec.ID).Describe(context.Background()); err != nil ||
		len(desc.Info.NextActionTimes) == 0 {
		t.Fatalf("the Temporal Schedule after the upgrade: %+v %v", desc, err)
	}
	var backups []struct{ Status string }
	if err := json.Unmarshal([]byte(s.MustCLI("databases", "backups", db, "-o", "json")), &backups); err != nil || len(backups) != 1 || backups[0].Status != "succeeded" {
		t.Fatalf("backups after the upgrade: %+v %v", backups, err)
	}
	if got := s.Deployments(app)[0]; got.ID != waiting.ID || got.Status != "awaiting_approval" {
		t.Fatalf("the waiting deploy after the upgrade: %+v", got)
	}
	if out := s.MustCLI("approve", waiting.ID); !strings.Contains(out, "goes ahead") {
		t.Fatalf("approve: %s", out)
	}
	s.WaitDeployment(app, waiting.ID, 3*time.Minute, func(d Deployment) bool { return d.Status == "succeeded" })
	if body := s.MustGet(host, "/"); body != "upg-v2" {
		t.Fatalf("after approval the app serves %q", body)
	}
	if body := s.MustGet(host, "/greeting"); body != "sealed-by-v1" {
		t.Fatalf("the secret sealed by the previous release reached the new container as %q", body)
	}

	// A data dir a newer release migrated: refused, untouched.
	s.Stop()
	raw, err := sql.Open("sqlite", filepath.Join(s.DataDir, "rivetr.db"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := raw.Exec("INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, 'from a newer release', ?)", schema.SchemaVersion()+1, time.Now().UTC()); err != nil {
		t.Fatal(err)
	}
	raw.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, binary, s.args...).CombinedOutput()
	if err == nil || !strings.Contains(string(out), "newer than this binary") || !strings.Contains(string(out), "restore a copy of the data dir") {
		t.Fatalf("a newer data dir: %v\n%s", err, out)
	}
	st, err = schema.Open(filepath.Join(s.DataDir, "rivetr.db"), nil)
	if err == nil {
		st.Close()
		t.Fatal("the store opened a newer database")
	}
}
