package e2e

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/client"
)

// An app's volume backed up to a real S3-compatible server (versitygw)
// and restored: the copy is read back and checked, the files come back
// exactly (a file added since goes), the app's requests are held while it
// is stopped for the restore (none fails), a corrupted copy is refused
// before anything is touched, retention keeps the newest, and a backup of
// another app's volume cannot be restored into this one.
func TestVolumeBackupsThroughS3(t *testing.T) {
	parallelE2E(t)
	s3 := startS3(t)
	s := sharedServer(t)
	app, other := "vb-"+randSuffix(), "vb-"+randSuffix()
	host := app + ".test"
	CleanupApp(t, app)
	CleanupApp(t, other)
	repo := NewRepo(t)
	repo.Commit("v1", map[string]string{"Dockerfile": volumeDockerfile("v1")})
	for _, a := range []string{app, other} {
		s.MustCLI("apps", "create", a, "--git", repo.Dir, "--domain", a+".test", "--health-path", "/up", "--drain-timeout", "1s")
		s.MustCLI("volumes", "add", a, "data", "--path", "/data")
	}
	if r := s.CLI("volumes", "backup", app, "data", "--wait"); r.Code == 0 || !strings.Contains(r.Stderr, "created at the app's next deployment") {
		t.Fatalf("a backup before the volume exists: %+v", r)
	}
	secretFile := filepath.Join(t.TempDir(), "s3secret")
	os.WriteFile(secretFile, []byte(s3.Secret), 0o600)
	s.MustCLI("volumes", "backup-policy", app, "data", "--local=false", "--keep-last", "2", "--s3-endpoint", s3.URL, "--s3-bucket", s3.Bucket,
		"--s3-prefix", "vols/", "--s3-access-key", s3.Access, "--s3-secret-key-file", secretFile, "--s3-path-style", "--cron", "0 4 * * *")
	if out := s.MustCLI("volumes", "backup-policy", app, "data"); !strings.Contains(out, "0 4 * * * (UTC), next") || !strings.Contains(out, s3.Bucket) {
		t.Fatalf("the volume's policy:\n%s", out)
	}
	s.MustCLI("deploy", app, "--wait")
	s.MustCLI("deploy", other, "--wait")
	first := s.MustGet(host, "/first")
	container := Containers(t, app)[0]
	dockerOut(t, "exec", container, "sh", "-c", "mkdir -p /data/nested && echo kept > /data/nested/file && ln -s nested/file /data/link")

	backup := func(a string) backupRow {
		t.Helper()
		var b backupRow
		r := s.CLI("volumes", "backup", a, "data", "--wait", "-o", "json")
		if r.Code != 0 {
			t.Fatalf("volumes backup %s: %d\n%s", a, r.Code, r.Stderr)
		}
		mustUnmarshal(t, []byte(r.Stdout), &b)
		return b
	}
	b1 := backup(app)
	if b1.Status != "succeeded" || b1.Kind != "app-volume" || b1.Size < 100 || len(b1.SHA256) != 64 || len(b1.Locations) != 1 || !strings.HasPrefix(b1.Locations[0], "s3://"+s3.Bucket+"/vols/app-volumes/") {
		t.Fatalf("backup: %+v", b1)
	}
	stored := filepath.Join(s3.Root, s3.Bucket, "vols", filepath.FromSlash(b1.Key))
	if st, err := os.Stat(stored); err != nil || st.Size() != b1.Size {
		t.Fatalf("the copy in the bucket: %v (%d bytes, want %d)", err, sizeOf(st), b1.Size)
	}

	// Changed since: the restore brings the backup's files back, and
	// only them; requests meanwhile wait, none fails.
	dockerOut(t, "exec", container, "sh", "-c", "echo changed > /data/first && echo new > /data/added && rm /data/nested/file")
	load := StartLoad(s.Proxy, host, 4, "v1")
	if r := s.CLI("volumes", "restore", app, "data", b1.ID); r.Code == 0 || !strings.Contains(r.Stderr, "confirm with --yes") {
		t.Fatalf("restore without --yes: %+v", r)
	}
	s.MustCLI("volumes", "restore", app, "data", b1.ID, "--yes")
	load.Stop()
	t.Logf("restore under load: ok=%d failed=%d slowest=%s", load.OK, load.Failed, load.Slowest)
	if load.Failed != 0 || load.OK == 0 {
		t.Fatalf("requests failed while the volume was restored: %v", load.Errors)
	}
	container = Containers(t, app)[0]
	if got := dockerOut(t, "exec", container, "sh", "-c", "cat /data/first; cat /data/link; ls /data"); got != first+"\nkept\nfirst\nlink\nnested" {
		t.Fatalf("after the restore the volume holds:\n%s", got)
	}
	if got := s.MustGet(host, "/first"); got != first {
		t.Fatalf("the app, started again, serves %q, want %q", got, first)
	}

	// A corrupted copy is refused before the volume is touched.
	dockerOut(t, "exec", container, "sh", "-c", "echo after-restore > /data/marker")
	os.WriteFile(stored, []byte("not the backup"), 0o644)
	if r := s.CLI("volumes", "restore", app, "data", b1.ID, "--yes"); r.Code == 0 || !strings.Contains(r.Stderr, "refusing to restore") {
		t.Fatalf("restore of a corrupted copy: %d\n%s", r.Code, r.Stderr)
	}
	if got := dockerOut(t, "exec", Containers(t, app)[0], "cat", "/data/marker"); got != "after-restore" {
		t.Fatalf("a refused restore touched the volume: %q", got)
	}

	// Another app's volume's backup is not this volume's.
	ob := backup(other)
	if r := s.CLI("volumes", "restore", app, "data", ob.ID, "--yes"); r.Code == 0 || !strings.Contains(r.Stderr, "not found") {
		t.Fatalf("restoring another app's backup: %d\n%s", r.Code, r.Stderr)
	}

	// Retention: the newest two stay.
	b2, b3 := backup(app), backup(app)
	var bs []backupRow
	mustUnmarshal(t, []byte(s.MustCLI("volumes", "backups", app, "data", "-o", "json")), &bs)
	status := map[string]string{}
	for _, b := range bs {
		status[b.ID] = b.Status
	}
	if status[b3.ID] != "succeeded" || status[b2.ID] != "succeeded" || status[b1.ID] != "deleted" {
		t.Fatalf("after retention: %v", status)
	}
	if _, err := os.Stat(stored); !os.IsNotExist(err) {
		t.Fatalf("retention left the oldest copy in the bucket: %v", err)
	}

	// The schedule is a Temporal Schedule; a triggered run backs the
	// volume up. Removing the volume removes the schedule.
	tc, err := client.Dial(s.TemporalOptions(""))
	if err != nil {
		t.Fatal(err)
	}
	defer tc.Close()
	h := tc.ScheduleClient().GetHandle(context.Background(), "backups/"+app+"/data")
	if err := h.Trigger(context.Background(), client.ScheduleTriggerOptions{}); err != nil {
		t.Fatal(err)
	}
	eventually(t, time.Minute, "the scheduled backup", func() bool {
		mustUnmarshal(t, []byte(s.MustCLI("volumes", "backups", app, "data", "-o", "json")), &bs)
		return bs[0].Trigger == "schedule" && bs[0].Status == "succeeded" && bs[0].Kind == "app-volume"
	})
	s.MustCLI("volumes", "remove", app, "data", "--yes")
	if _, err := h.Describe(context.Background()); err == nil {
		t.Fatal("the removed volume's backup schedule is still there")
	}
	if r := s.CLI("volumes", "backup-policy", app, "data"); r.Code == 0 || !strings.Contains(r.Stderr, "has no volume named data") {
		t.Fatalf("the removed volume's policy: %+v", r)
	}
}

func sizeOf(st os.FileInfo) int64 {
	if st == nil {
		return -1
	}
	return st.Size()
}
