// Package dbengine knows the database engines Rivetr runs: their official
// images, ports, data directories and environment, the URLs apps connect
// with, and the commands that dump and restore them inside their
// containers.
package dbengine

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"
)

// Engine describes one database engine.
type Engine struct {
	Name string
	// Image and Version are the official image and its default tag.
	Image, Version string
	Port           int
	// DataPath is where the data volume is mounted.
	DataPath string
	// Scheme is the URL scheme apps connect with.
	Scheme string
	// DefaultUser is the user created; "" when the engine has none (Redis).
	DefaultUser string
	// DumpExt names a backup file's extension.
	DumpExt string
}

// Engines are the engines Rivetr runs, by name.
var Engines = map[string]Engine{
	"postgres": {Name: "postgres", Image: "postgres", Version: "17", Port: 5432, DataPath: "/var/lib/postgresql/data", Scheme: "postgres", DefaultUser: "app", DumpExt: "pgdump"},
	"mysql":    {Name: "mysql", Image: "mysql", Version: "8.4", Port: 3306, DataPath: "/var/lib/mysql", Scheme: "mysql", DefaultUser: "app", DumpExt: "sql"},
	"mariadb":  {Name: "mariadb", Image: "mariadb", Version: "11", Port: 3306, DataPath: "/var/lib/mysql", Scheme: "mysql", DefaultUser: "app", DumpExt: "sql"},
	"redis":    {Name: "redis", Image: "redis", Version: "7", Port: 6379, DataPath: "/data", Scheme: "redis", DumpExt: "rdb"},
	"mongo":    {Name: "mongo", Image: "mongo", Version: "7", Port: 27017, DataPath: "/data/db", Scheme: "mongodb", DefaultUser: "app", DumpExt: "archive"},
}

// Names lists the engines in a stable order.
var Names = []string{"postgres", "mysql", "mariadb", "redis", "mongo"}

// Lookup finds an engine.
func Lookup(name string) (Engine, error) {
	e, ok := Engines[name]
	if !ok {
		return Engine{}, fmt.Errorf("unknown engine %q (want %s)", name, strings.Join(Names, ", "))
	}
	return e, nil
}

// Instance is one database server: what its container and URL need.
type Instance struct {
	Engine       Engine
	Host         string // its name on its team's network
	User         string
	Password     string
	RootPassword string
	Database     string
}

// Env is the container's environment, in the official image's terms.
func (in Instance) Env() []string {
	switch in.Engine.Name {
	case "postgres":
		return []string{"POSTGRES_USER=" + in.User, "POSTGRES_PASSWORD=" + in.Password, "POSTGRES_DB=" + in.Database, "PGDATA=" + in.Engine.DataPath}
	case "mysql":
		return []string{"MYSQL_ROOT_PASSWORD=" + in.RootPassword, "MYSQL_USER=" + in.User, "MYSQL_PASSWORD=" + in.Password, "MYSQL_DATABASE=" + in.Database}
	case "mariadb":
		return []string{"MARIADB_ROOT_PASSWORD=" + in.RootPassword, "MARIADB_USER=" + in.User, "MARIADB_PASSWORD=" + in.Password, "MARIADB_DATABASE=" + in.Database}
	case "mongo":
		return []string{"MONGO_INITDB_ROOT_USERNAME=" + in.User, "MONGO_INITDB_ROOT_PASSWORD=" + in.Password, "MONGO_INITDB_DATABASE=" + in.Database}
	case "redis":
		return []string{"REDIS_PASSWORD=" + in.Password}
	}
	return nil
}

// Cmd is the container's command, when the image's default will not do:
// Redis saves to /data (RDB snapshots, which backups copy; no append-only
// file, which would shadow a restored snapshot) and reads its password
// from a config file written from the environment at start, never from
// its command line (which every process on the host can read with ps).
func (in Instance) Cmd() []string {
	if in.Engine.Name == "redis" {
		return []string{"sh", "-c", `umask 077 && printf 'requirepass "%s"\n' "$REDIS_PASSWORD" > /tmp/rivetr-redis.conf && ` +
			`exec redis-server /tmp/rivetr-redis.conf --dir /data --dbfilename dump.rdb --appendonly no --save "60 1"`}
	}
	return nil
}

// URL is what an app connects with; the password is masked unless reveal.
func (in Instance) URL(reveal bool) string {
	pw := in.Password
	if !reveal {
		pw = "********"
	}
	hostPort := in.Host + ":" + strconv.Itoa(in.Engine.Port)
	switch in.Engine.Name {
	case "redis":
		return "redis://:" + urlPart(pw, reveal) + "@" + hostPort + "/0"
	case "mongo":
		return "mongodb://" + url.PathEscape(in.User) + ":" + urlPart(pw, reveal) + "@" + hostPort + "/" + in.Database + "?authSource=admin"
	}
	return in.Engine.Scheme + "://" + url.PathEscape(in.User) + ":" + urlPart(pw, reveal) + "@" + hostPort + "/" + in.Database
}

func urlPart(pw string, reveal bool) string {
	if !reveal {
		return pw
	}
	return url.QueryEscape(pw)
}

// LinkEnv are the env vars an app linked to the database gets, named with
// prefix (DATABASE gives DATABASE_URL, DATABASE_HOST, …).
func (in Instance) LinkEnv(prefix string) map[string]string {
	env := map[string]string{
		prefix + "_URL":  in.URL(true),
		prefix + "_HOST": in.Host,
		prefix + "_PORT": strconv.Itoa(in.Engine.Port),
	}
	if in.User != "" {
		env[prefix+"_USER"] = in.User
	}
	env[prefix+"_PASSWORD"] = in.Password
	if in.Database != "" {
		env[prefix+"_NAME"] = in.Database
	}
	return env
}

// Dump is how a backup is taken inside the container: a command writing
// the backup to standard output (with env holding the password), or, for
// Redis, a command that makes the server save a snapshot and the file to
// copy out afterwards.
type Dump struct {
	Cmd []string
	Env []string
	// File, when set, is copied out of the container after Cmd succeeds.
	File string
}

// DumpCommand is how in is backed up.
func (in Instance) DumpCommand() Dump {
	switch in.Engine.Name {
	case "postgres":
		return Dump{Cmd: []string{"pg_dump", "-Fc", "-h", "127.0.0.1", "-U", in.User, "-d", in.Database}, Env: []string{"PGPASSWORD=" + in.Password}}
	case "mysql", "mariadb":
		return Dump{Cmd: []string{"sh", "-c", `if command -v mariadb-dump >/dev/null; then exec mariadb-dump "$@"; else exec mysqldump "$@"; fi`, "dump",
			"--single-transaction", "--routines", "--triggers", "-h", "127.0.0.1", "-uroot", "--databases", in.Database}, Env: []string{"MYSQL_PWD=" + in.RootPassword}}
	case "redis":
		// BGSAVE, then wait until LASTSAVE moves past its value before.
		script := `before=$(redis-cli --no-auth-warning -a "$REDIS_PASSWORD" LASTSAVE) && redis-cli --no-auth-warning -a "$REDIS_PASSWORD" BGSAVE >/dev/null && ` +
			`for i in $(seq 1 600); do now=$(redis-cli --no-auth-warning -a "$REDIS_PASSWORD" LASTSAVE); [ "$now" != "$before" ] && exit 0; sleep 0.2; done; echo "BGSAVE did not finish" >&2; exit 1`
		return Dump{Cmd: []string{"sh", "-c", script}, Env: []string{"REDIS_PASSWORD=" + in.Password}, File: "/data/dump.rdb"}
	case "mongo":
		return Dump{Cmd: []string{"sh", "-c", `exec mongodump --archive --username "$1" --password "$MONGO_PASSWORD" --authenticationDatabase admin --db "$2"`, "dump", in.User, in.Database},
			Env: []string{"MONGO_PASSWORD=" + in.Password}}
	}
	return Dump{}
}

// Restore is how a backup is put back: a command reading it on standard
// input, or, for Redis, the file to replace while the server is stopped.
type Restore struct {
	Cmd  []string
	Env  []string
	File string
}

// RestoreCommand is how in is restored.
func (in Instance) RestoreCommand() Restore {
	switch in.Engine.Name {
	case "postgres":
		return Restore{Cmd: []string{"pg_restore", "--clean", "--if-exists", "--no-owner", "-h", "127.0.0.1", "-U", in.User, "-d", in.Database},
			Env: []string{"PGPASSWORD=" + in.Password}}
	case "mysql", "mariadb":
		return Restore{Cmd: []string{"sh", "-c", `if command -v mariadb >/dev/null; then exec mariadb "$@"; else exec mysql "$@"; fi`, "restore",
			"-h", "127.0.0.1", "-uroot"}, Env: []string{"MYSQL_PWD=" + in.RootPassword}}
	case "redis":
		return Restore{File: "/data/dump.rdb"}
	case "mongo":
		return Restore{Cmd: []string{"sh", "-c", `exec mongorestore --archive --drop --username "$1" --password "$MONGO_PASSWORD" --authenticationDatabase admin`, "restore", in.User},
			Env: []string{"MONGO_PASSWORD=" + in.Password}}
	}
	return Restore{}
}

// Ready is a command that succeeds once the server takes connections.
func (in Instance) Ready() []string {
	switch in.Engine.Name {
	case "postgres":
		return []string{"pg_isready", "-h", "127.0.0.1", "-U", in.User, "-d", in.Database}
	case "mysql", "mariadb":
		return []string{"sh", "-c", `if command -v mariadb-admin >/dev/null; then exec mariadb-admin "$@"; else exec mysqladmin "$@"; fi`, "ready", "ping", "-h", "127.0.0.1", "-uroot", "--silent"}
	case "redis":
		return []string{"sh", "-c", `redis-cli --no-auth-warning -a "$REDIS_PASSWORD" ping | grep -q PONG`}
	case "mongo":
		return []string{"mongosh", "--quiet", "--eval", "db.adminCommand('ping').ok"} // no auth needed for ping
	}
	return nil
}

// ReadyEnv is the environment Ready needs.
func (in Instance) ReadyEnv() []string {
	switch in.Engine.Name {
	case "mysql", "mariadb":
		return []string{"MYSQL_PWD=" + in.RootPassword}
	case "redis":
		return []string{"REDIS_PASSWORD=" + in.Password}
	}
	return nil
}
