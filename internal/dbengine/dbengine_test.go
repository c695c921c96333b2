package dbengine

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func inst(t *testing.T, engine string) Instance {
	t.Helper()
	e, err := Lookup(engine)
	if err != nil {
		t.Fatal(err)
	}
	return Instance{Engine: e, Host: "rivetr-db-x", User: "app", Password: "p@ss/w:rd", RootPassword: "rootpw", Database: "app"}
}

func TestURLs(t *testing.T) {
	for _, tc := range []struct{ engine, masked, revealed string }{
		{"postgres", "postgres://app:********@rivetr-db-x:5432/app", "postgres://app:p%40ss%2Fw%3Ard@rivetr-db-x:5432/app"},
		{"mariadb", "mysql://app:********@rivetr-db-x:3306/app", "mysql://app:p%40ss%2Fw%3Ard@rivetr-db-x:3306/app"},
		{"redis", "redis://:********@rivetr-db-x:6379/0", "redis://:p%40ss%2Fw%3Ard@rivetr-db-x:6379/0"},
		{"mongo", "mongodb://app:********@rivetr-db-x:27017/app?authSource=admin", "mongodb://app:p%40ss%2Fw%3Ard@rivetr-db-x:27017/app?authSource=admin"},
	} {
		in := inst(t, tc.engine)
		if got := in.URL(false); got != tc.masked {
			t.Errorf("%s masked: %s", tc.engine, got)
		}
		if got := in.URL(true); got != tc.revealed {
			t.Errorf("%s revealed: %s", tc.engine, got)
		}
	}
	if _, err := Lookup("oracle"); err == nil {
		t.Error("an unknown engine was accepted")
	}
}

// The official images' variables, and the commands each engine's backups
// and restores run (MongoDB's are only checked here: no image of it can
// be built on these machines).
func TestCommands(t *testing.T) {
	pg := inst(t, "postgres")
	if !slices.Contains(pg.Env(), "POSTGRES_PASSWORD=p@ss/w:rd") || !slices.Contains(pg.Env(), "POSTGRES_DB=app") {
		t.Errorf("postgres env %v", pg.Env())
	}
	if d := pg.DumpCommand(); !slices.Equal(d.Cmd[:2], []string{"pg_dump", "-Fc"}) || !slices.Contains(d.Env, "PGPASSWORD=p@ss/w:rd") {
		t.Errorf("pg_dump %+v", d)
	}
	if r := pg.RestoreCommand(); r.Cmd[0] != "pg_restore" || !slices.Contains(r.Cmd, "--clean") {
		t.Errorf("pg_restore %+v", r)
	}
	md := inst(t, "mariadb")
	if !slices.Contains(md.Env(), "MARIADB_ROOT_PASSWORD=rootpw") || !slices.Contains(md.Env(), "MARIADB_DATABASE=app") {
		t.Errorf("mariadb env %v", md.Env())
	}
	my := inst(t, "mysql")
	if !slices.Contains(my.Env(), "MYSQL_ROOT_PASSWORD=rootpw") {
		t.Errorf("mysql env %v", my.Env())
	}
	rd := inst(t, "redis")
	if d := rd.DumpCommand(); d.File != "/data/dump.rdb" || !strings.Contains(d.Cmd[2], "BGSAVE") {
		t.Errorf("redis dump %+v", d)
	}
	// The password is in the environment, never on the command line
	// (ps on the host shows every process's arguments).
	if cmd := strings.Join(rd.Cmd(), " "); strings.Contains(cmd, "p@ss/w:rd") || !strings.Contains(cmd, "requirepass") || !strings.Contains(cmd, "--appendonly no") ||
		!slices.Contains(rd.Env(), "REDIS_PASSWORD=p@ss/w:rd") {
		t.Errorf("redis command %v env %v", rd.Cmd(), rd.Env())
	}
	mg := inst(t, "mongo")
	d := mg.DumpCommand()
	if !strings.Contains(d.Cmd[2], "mongodump --archive") || !slices.Contains(d.Env, "MONGO_PASSWORD=p@ss/w:rd") || slices.Contains(d.Cmd, "p@ss/w:rd") {
		t.Errorf("mongodump %+v", d)
	}
	if r := mg.RestoreCommand(); !strings.Contains(r.Cmd[2], "mongorestore --archive --drop") {
		t.Errorf("mongorestore %+v", r)
	}
	if !slices.Contains(mg.Env(), "MONGO_INITDB_ROOT_PASSWORD=p@ss/w:rd") {
		t.Errorf("mongo env %v", mg.Env())
	}
	env := pg.LinkEnv("DATABASE")
	for _, k := range []string{"DATABASE_URL", "DATABASE_HOST", "DATABASE_PORT", "DATABASE_USER", "DATABASE_PASSWORD", "DATABASE_NAME"} {
		if env[k] == "" {
			t.Errorf("link env lacks %s: %v", k, env)
		}
	}
}

// The sh -c wrappers (MariaDB or MySQL tools, MongoDB's) hand the tool
// exactly its arguments: run them against stand-in tools that print
// theirs.
func TestWrappersPassArguments(t *testing.T) {
	bin := t.TempDir()
	for _, tool := range []string{"mariadb-admin", "mariadb-dump", "mariadb", "mongodump", "mongorestore"} {
		os.WriteFile(filepath.Join(bin, tool), []byte("#!/bin/sh\necho "+tool+" \"$@\" $MONGO_PASSWORD\n"), 0o755)
	}
	run := func(cmd, env []string) string {
		t.Helper()
		c := exec.Command(cmd[0], cmd[1:]...)
		c.Env = append([]string{"PATH=" + bin + ":/usr/bin:/bin"}, env...)
		out, err := c.CombinedOutput()
		if err != nil {
			t.Fatalf("%v: %v\n%s", cmd, err, out)
		}
		return strings.TrimSpace(string(out))
	}
	md := inst(t, "mariadb")
	if got := run(md.Ready(), md.ReadyEnv()); got != "mariadb-admin ping -h 127.0.0.1 -uroot --silent" {
		t.Errorf("ready: %q", got)
	}
	if got := run(md.DumpCommand().Cmd, nil); got != "mariadb-dump --single-transaction --routines --triggers -h 127.0.0.1 -uroot --databases app" {
		t.Errorf("dump: %q", got)
	}
	if got := run(md.RestoreCommand().Cmd, nil); got != "mariadb -h 127.0.0.1 -uroot" {
		t.Errorf("restore: %q", got)
	}
	mg := inst(t, "mongo")
	if got := run(mg.DumpCommand().Cmd, mg.DumpCommand().Env); got != "mongodump --archive --username app --password p@ss/w:rd --authenticationDatabase admin --db app p@ss/w:rd" {
		t.Errorf("mongodump: %q", got)
	}
}
