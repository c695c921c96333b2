package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"go.temporal.io/sdk/client"
)

type backupRow struct {
	ID        string
	Kind      string
	Status    string
	Trigger   string
	Key       string
	Size      int64
	SHA256    string
	Locations []string
	Error     string
}

// s3Server runs versitygw (built by scripts/test-deps.sh) with its POSIX
// backend in a temporary directory, with one bucket.
type s3Server struct {
	URL, Root, Bucket, Access, Secret string
}

func startS3(t *testing.T) *s3Server {
	t.Helper()
	bin, err := filepath.Abs("../.tools/bin/versitygw")
	if err == nil {
		_, err = os.Stat(bin)
	}
	if err != nil {
		if p, lerr := exec.LookPath("versitygw"); lerr == nil {
			bin, err = p, nil
		}
	}
	if err != nil {
		msg := "versitygw is missing: run scripts/test-deps.sh (make test does)"
		if os.Getenv("RIVETR_REQUIRE_DOCKER") != "" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	s := &s3Server{Root: t.TempDir(), Bucket: "backups", Access: "rivetr-test", Secret: "rivetr-test-secret-key"}
	os.MkdirAll(filepath.Join(s.Root, s.Bucket), 0o755)
	port := freePort(t)
	s.URL = fmt.Sprintf("http://127.0.0.1:%d", port)
	cmd := exec.Command(bin, "--access", s.Access, "--secret", s.Secret, "--port", fmt.Sprintf("127.0.0.1:%d", port), "posix", s.Root)
	logf, _ := os.Create(filepath.Join(t.TempDir(), "versitygw.log"))
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	eventually(t, 15*time.Second, "versitygw answers", func() bool {
		res, err := http.Get(s.URL)
		if err == nil {
			res.Body.Close()
		}
		return err == nil
	})
	return s
}

// notifications records what a Slack-style webhook receives.
type notifications struct {
	mu   sync.Mutex
	msgs []string
	srv  *httptest.Server
}

func newNotifications(t *testing.T) *notifications {
	n := &notifications{}
	n.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var m struct{ Text, Content string }
		json.NewDecoder(r.Body).Decode(&m)
		n.mu.Lock()
		n.msgs = append(n.msgs, m.Text)
		n.mu.Unlock()
	}))
	t.Cleanup(n.srv.Close)
	return n
}

func (n *notifications) all() []string {
	n.mu.Lock()
	defer n.mu.Unlock()
	return append([]string(nil), n.msgs...)
}

// TestDatabaseBackups: a PostgreSQL database backed up to disk and to a
// real S3-compatible server, verified, rows deleted and restored; the
// same round trip for Redis and MariaDB; wrong S3 credentials fail the
// backup loudly (notified, nothing deleted by retention); a corrupted copy
// is refused at restore; retention keeps the newest; a restore into a new
// database; the schedule is a Temporal Schedule.
func TestDatabaseBackups(t *testing.T) {
	parallelE2E(t)
	needDatabaseImages(t)
	s3 := startS3(t)
	notes := newNotifications(t)
	s := NewServer(t, false)
	s.Start()
	pg := "bk-" + randSuffix()
	cleanupDatabase(t, pg)
	s.MustCLI("databases", "create", pg, "--engine", "postgres", "--image", "rivetr-test/postgres:15", "--wait")
	secretFile := filepath.Join(t.TempDir(), "s3secret")
	os.WriteFile(secretFile, []byte(s3.Secret), 0o600)
	s.MustCLI("databases", "backup-policy", pg, "--keep-last", "2", "--s3-endpoint", s3.URL, "--s3-bucket", s3.Bucket, "--s3-prefix", "rivetr/",
		"--s3-access-key", s3.Access, "--s3-secret-key-file", secretFile, "--s3-path-style", "--notify", notes.srv.URL)
	var shown dbView
	mustUnmarshal(t, []byte(s.MustCLI("databases", "show", pg, "--reveal", "-o", "json")), &shown)
	password := strings.TrimSuffix(strings.TrimPrefix(shown.URL, "postgres://app:"), "@rivetr-db-"+pg+":5432/app")
	psql := func(sql string) string {
		return dockerOut(t, "exec", "-e", "PGPASSWORD="+password, "rivetr-db-"+pg, "psql", "-h", "127.0.0.1", "-U", "app", "-d", "app", "-tAc", sql)
	}
	psql("CREATE TABLE orders (id int, item text); INSERT INTO orders SELECT g, 'item ' || g FROM generate_series(1, 5000) g")

	backup := func(db string) backupRow {
		t.Helper()
		var b backupRow
		r := s.CLI("databases", "backup", db, "--wait", "-o", "json")
		mustUnmarshal(t, []byte(r.Stdout), &b)
		if r.Code != 0 {
			t.Fatalf("backup of %s: %d %s%s", db, r.Code, r.Stdout, r.Stderr)
		}
		return b
	}
	b1 := backup(pg)
	if b1.Status != "succeeded" || len(b1.Locations) != 2 || !strings.HasPrefix(b1.Locations[1], "s3://backups/rivetr/"+pg+"/") || b1.Size == 0 || len(b1.SHA256) != 64 {
		t.Fatalf("backup %+v", b1)
	}
	// The object is in the S3 server's directory and on the host's disk.
	s3File := filepath.Join(s3.Root, s3.Bucket, "rivetr", filepath.FromSlash(b1.Key))
	if st, err := os.Stat(s3File); err != nil || st.Size() != b1.Size {
		t.Fatalf("the S3 object %s: %v", s3File, err)
	}
	if st, err := os.Stat(b1.Locations[0]); err != nil || st.Size() != b1.Size {
		t.Fatalf("the local copy %s: %v", b1.Locations[0], err)
	}

	// Rows gone, then back from the backup.
	psql("DELETE FROM orders WHERE id > 10")
	if r := s.CLI("databases", "restore", pg, b1.ID); r.Code == 0 || !strings.Contains(r.Stderr, "--yes") {
		t.Fatalf("restore without --yes: %d %s", r.Code, r.Stderr)
	}
	if out := s.MustCLI("databases", "restore", pg, b1.ID, "--yes"); !strings.Contains(out, "restored backup "+b1.ID) {
		t.Fatalf("restore: %s", out)
	}
	if got := psql("SELECT count(*) FROM orders"); got != "5000" {
		t.Fatalf("rows after the restore: %q", got)
	}
	// Into a new database, leaving the first alone.
	copyName := pg + "-copy"
	cleanupDatabase(t, copyName)
	psql("DELETE FROM orders")
	s.MustCLI("databases", "restore", pg, b1.ID, "--to", copyName)
	var cp dbView
	mustUnmarshal(t, []byte(s.MustCLI("databases", "show", copyName, "--reveal", "-o", "json")), &cp)
	cpw := strings.TrimSuffix(strings.TrimPrefix(cp.URL, "postgres://app:"), "@rivetr-db-"+copyName+":5432/app")
	if got := dockerOut(t, "exec", "-e", "PGPASSWORD="+cpw, "rivetr-db-"+copyName, "psql", "-h", "127.0.0.1", "-U", "app", "-d", "app", "-tAc", "SELECT count(*) FROM orders"); got != "5000" {
		t.Fatalf("rows in the restored copy: %q", got)
	}
	if got := psql("SELECT count(*) FROM orders"); got != "0" {
		t.Fatalf("the original changed: %q", got)
	}

	// Retention: keep the newest 2.
	b2, b3 := backup(pg), backup(pg)
	var list []backupRow
	mustUnmarshal(t, []byte(s.MustCLI("databases", "backups", pg, "-o", "json")), &list)
	if len(list) != 3 || list[0].ID != b3.ID || list[2].ID != b1.ID || list[2].Status != "deleted" || list[1].Status != "succeeded" {
		t.Fatalf("after retention: %+v", list)
	}
	if _, err := os.Stat(s3File); !os.IsNotExist(err) {
		t.Fatalf("the deleted backup's S3 object is still there: %v", err)
	}

	// Wrong S3 credentials: failed, notified, and retention deleted nothing.
	os.WriteFile(secretFile, []byte("wrong secret"), 0o600)
	s.MustCLI("databases", "backup-policy", pg, "--s3-secret-key-file", secretFile)
	r := s.CLI("databases", "backup", pg, "--wait")
	if r.Code == 0 || !strings.Contains(r.Stderr, "failed") {
		t.Fatalf("a backup with wrong credentials: %d %s%s", r.Code, r.Stdout, r.Stderr)
	}
	eventually(t, 30*time.Second, "the failure notification", func() bool {
		for _, m := range notes.all() {
			if strings.Contains(m, "backup") && strings.Contains(m, pg) && strings.Contains(m, "FAILED") {
				return true
			}
		}
		return false
	})
	mustUnmarshal(t, []byte(s.MustCLI("databases", "backups", pg, "-o", "json")), &list)
	good := 0
	for _, b := range list {
		if b.Status == "succeeded" {
			good++
		}
	}
	if list[0].Status != "failed" || list[0].Error == "" || good != 2 {
		t.Fatalf("after the failed backup: %+v", list)
	}
	for _, m := range notes.all() {
		if strings.Contains(m, "succeeded") && !strings.Contains(m, "retention") {
			t.Fatalf("a success was notified: %q", m)
		}
	}

	// S3 unreachable: failed the same way, and notified.
	os.WriteFile(secretFile, []byte(s3.Secret), 0o600)
	s.MustCLI("databases", "backup-policy", pg, "--s3-secret-key-file", secretFile, "--s3-endpoint", fmt.Sprintf("http://127.0.0.1:%d", freePort(t)))
	if r := s.CLI("databases", "backup", pg, "--wait"); r.Code == 0 || !strings.Contains(r.Stderr, "connection refused") {
		t.Fatalf("a backup to an unreachable S3: %d %s%s", r.Code, r.Stdout, r.Stderr)
	}
	eventually(t, 30*time.Second, "the second failure notification", func() bool {
		n := 0
		for _, m := range notes.all() {
			if strings.Contains(m, "FAILED") {
				n++
			}
		}
		return n >= 2
	})
	if entries, _ := filepath.Glob(filepath.Join(s.DataDir, "backups", pg, "*")); len(entries) != 2 {
		t.Fatalf("after two failed backups the host keeps %d files (want the 2 good ones): %v", len(entries), entries)
	}

	// A corrupted copy is refused before the database is touched.
	s.MustCLI("databases", "backup-policy", pg, "--s3-endpoint", s3.URL)
	for _, p := range []string{b3.Locations[0], filepath.Join(s3.Root, s3.Bucket, "rivetr", filepath.FromSlash(b3.Key))} {
		f, err := os.OpenFile(p, os.O_WRONLY, 0)
		if err != nil {
			t.Fatal(err)
		}
		f.WriteAt([]byte("corrupt"), 40)
		f.Close()
	}
	psql("INSERT INTO orders VALUES (42, 'kept')")
	r = s.CLI("databases", "restore", pg, b3.ID, "--yes")
	if r.Code == 0 || !strings.Contains(r.Stderr, "checksum mismatch") {
		t.Fatalf("restoring a corrupted backup: %d %s", r.Code, r.Stderr)
	}
	if got := psql("SELECT item FROM orders"); got != "kept" {
		t.Fatalf("the refused restore touched the database: %q", got)
	}
	_ = b2

	// The schedule is a Temporal Schedule; a triggered run is a backup.
	s.MustCLI("databases", "backup-policy", pg, "--cron", "0 3 * * *", "--tz", "Europe/Berlin")
	if out := s.MustCLI("databases", "backup-policy", pg); !strings.Contains(out, "0 3 * * * (Europe/Berlin), next") {
		t.Fatalf("policy:\n%s", out)
	}
	tc, err := client.Dial(s.TemporalOptions(""))
	if err != nil {
		t.Fatal(err)
	}
	defer tc.Close()
	h := tc.ScheduleClient().GetHandle(context.Background(), "backups/"+pg)
	desc, err := h.Describe(context.Background())
	if err != nil || len(desc.Info.NextActionTimes) == 0 || !atBerlin(desc.Info.NextActionTimes[0], 3, 0) {
		t.Fatalf("the schedule: %+v %v", desc, err)
	}
	if err := h.Trigger(context.Background(), client.ScheduleTriggerOptions{}); err != nil {
		t.Fatal(err)
	}
	eventually(t, 2*time.Minute, "the scheduled backup", func() bool {
		mustUnmarshal(t, []byte(s.MustCLI("databases", "backups", pg, "-o", "json")), &list)
		return list[0].Trigger == "schedule" && list[0].Status == "succeeded"
	})

	// SIGKILL of the server during a backup: it ends succeeded or failed,
	// and no partial copy is left or counted.
	psql("INSERT INTO orders SELECT g, repeat('x', 200) FROM generate_series(1, 200000) g")
	started := s.MustCLI("databases", "backup", pg, "-o", "json")
	var killed backupRow
	mustUnmarshal(t, []byte(started), &killed)
	s.Kill()
	s.Start()
	eventually(t, 3*time.Minute, "the interrupted backup ends", func() bool {
		mustUnmarshal(t, []byte(s.MustCLI("databases", "backups", pg, "-o", "json")), &list)
		for _, b := range list {
			if b.ID == killed.ID {
				killed = b
				return b.Status == "succeeded" || b.Status == "failed"
			}
		}
		return false
	})
	partials, _ := filepath.Glob(filepath.Join(s.DataDir, "backups", pg, "*.partial"))
	if len(partials) != 0 {
		t.Fatalf("partial copies left: %v", partials)
	}
	if killed.Status == "succeeded" {
		if st, err := os.Stat(killed.Locations[0]); err != nil || st.Size() != killed.Size {
			t.Fatalf("the interrupted backup succeeded without its copy: %+v %v", killed, err)
		}
	} else if _, err := os.Stat(filepath.Join(s.DataDir, "backups", filepath.FromSlash(killed.Key))); err == nil {
		t.Fatalf("a failed backup left its copy: %+v", killed)
	}
	t.Logf("the backup interrupted by SIGKILL ended %s", killed.Status)

	// A volume backup: the data files as a tar, taken with the database
	// stopped, restored likewise.
	psql("DELETE FROM orders; INSERT INTO orders VALUES (7, 'from the volume')")
	var vb backupRow
	if r := s.CLI("databases", "backup", pg, "--volume", "--wait", "-o", "json"); r.Code != 0 || json.Unmarshal([]byte(r.Stdout), &vb) != nil || vb.Status != "succeeded" || !strings.Contains(vb.Key, ".volume.tar.gz") {
		t.Fatalf("volume backup: %d %s%s", r.Code, r.Stdout, r.Stderr)
	}
	if got := psql("SELECT item FROM orders"); got != "from the volume" {
		t.Fatalf("after the volume backup the database answers %q", got)
	}
	psql("DELETE FROM orders")
	s.MustCLI("databases", "restore", pg, vb.ID, "--yes")
	if got := psql("SELECT item FROM orders"); got != "from the volume" {
		t.Fatalf("after restoring the volume: %q", got)
	}

	// Redis and MariaDB round trips (local copies).
	for _, tc := range []struct{ engine, image string }{{"redis", "rivetr-test/redis:7"}, {"mariadb", "rivetr-test/mariadb:10"}} {
		name := tc.engine + "-bk-" + randSuffix()
		cleanupDatabase(t, name)
		s.MustCLI("databases", "create", name, "--engine", tc.engine, "--image", tc.image, "--wait")
		var v dbView
		mustUnmarshal(t, []byte(s.MustCLI("databases", "show", name, "--reveal", "-o", "json")), &v)
		write, read := dbCommands(t, tc.engine, "rivetr-db-"+name, v.URL)
		if tc.engine == "redis" {
			// Attack: the password is on no command line (ps on the host
			// lists every container's processes with their arguments).
			pw := strings.TrimPrefix(v.URL, "redis://:")
			pw = pw[:strings.LastIndex(pw, "@")]
			if cmd := dockerOut(t, "inspect", "-f", "{{json .Config.Cmd}} {{json .Args}}", "rivetr-db-"+name); strings.Contains(cmd, pw) {
				t.Fatalf("the Redis password is on its command line: %s", cmd)
			}
			if ps, err := exec.Command("docker", "top", "rivetr-db-"+name, "-eo", "pid,args").CombinedOutput(); err != nil || strings.Contains(string(ps), pw) {
				t.Fatalf("ps shows the Redis password (%v): %s", err, ps)
			}
		}
		write("set", "alpha")
		b := backup(name)
		write("set", "beta")
		s.MustCLI("databases", "restore", name, b.ID, "--yes")
		if got := read(); got != "alpha" {
			t.Fatalf("%s after the restore: %q", tc.engine, got)
		}
	}
}

// dbCommands writes and reads one value in a Redis or MariaDB database.
func dbCommands(t *testing.T, engine, container, url string) (write func(op, v string), read func() string) {
	t.Helper()
	pw := url[strings.Index(url, ":")+3:]
	if engine == "redis" {
		pw = strings.TrimPrefix(url, "redis://:")
		pw = pw[:strings.LastIndex(pw, "@")]
		return func(_, v string) {
				dockerOut(t, "exec", container, "redis-cli", "--no-auth-warning", "-a", pw, "SET", "greeting", v)
			}, func() string {
				return dockerOut(t, "exec", container, "redis-cli", "--no-auth-warning", "-a", pw, "GET", "greeting")
			}
	}
	pw = strings.TrimPrefix(url, "mysql://app:")
	pw = pw[:strings.LastIndex(pw, "@")]
	sql := func(q string) string {
		return dockerOut(t, "exec", "-e", "MYSQL_PWD="+pw, container, "mariadb", "-h", "127.0.0.1", "-uapp", "app", "-N", "-e", q)
	}
	sql("CREATE TABLE IF NOT EXISTS kv (k varchar(20) primary key, v text)")
	return func(_, v string) { sql("REPLACE INTO kv VALUES ('greeting', '" + v + "')") },
		func() string { return sql("SELECT v FROM kv WHERE k = 'greeting'") }
}
