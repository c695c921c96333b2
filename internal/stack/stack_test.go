package stack

import (
	"errors"
	"os"
	"strings"
	"testing"
)

const threeServices = `name: ignored
services:
  web:
    build:
      context: ./web
    environment:
      DATABASE_URL: postgres://app:${DB_PASSWORD}@db:5432/app
      GREETING: ${GREETING:-hello}
    env_file: web.env
    expose: ["8080"]
    depends_on:
      db:
        condition: service_healthy
      worker:
        condition: service_started
    healthcheck:
      test: ["CMD", "wget", "-qO-", "http://127.0.0.1:8080/up"]
      interval: 2s
  worker:
    image: busybox:1.36
    command: ["sh", "-c", "while sleep 1; do :; done"]
    depends_on: [db]
  db:
    image: postgres:16
    environment:
      POSTGRES_PASSWORD: ${DB_PASSWORD:?set DB_PASSWORD}
    volumes:
      - pgdata:/var/lib/postgresql/data
      - type: tmpfs
        target: /tmp
  debug:
    image: busybox:1.36
    profiles: [debug]
volumes:
  pgdata: {}
x-notes: anything
`

func load(t *testing.T, compose string, mod ...func(*Input)) (*Stack, error) {
	t.Helper()
	in := Input{Name: "shop", File: "compose.yaml", Compose: []byte(compose), Env: map[string]string{"DB_PASSWORD": "s3cret"},
		ReadFile: func(rel string) ([]byte, error) {
			if rel == "web.env" {
				return []byte("FROM_FILE=yes\nGREETING=from-file\n"), nil
			}
			return nil, os.ErrNotExist
		}}
	for _, m := range mod {
		m(&in)
	}
	return Load(t.Context(), in)
}

// A stack with a build, a worker, a database with a volume, a profile:
// loaded in dependency order, interpolated from the stack's own variables
// (.env under Rivetr's env), env_file read from the repository under the
// service's own environment, images overridden.
func TestLoadsAStackInDependencyOrder(t *testing.T) {
	os.Setenv("RIVETR_SERVER_SECRET", "must-not-leak")
	defer os.Unsetenv("RIVETR_SERVER_SECRET")
	s, err := load(t, threeServices+"  # ${RIVETR_SERVER_SECRET}\n", func(in *Input) {
		in.DotEnv = []byte("DB_PASSWORD=from-dotenv\nGREETING=dotenv\n")
		in.Images = map[string]string{"postgres:16": "rivetr-test/postgres:15"}
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(s.Order, " "); got != "db worker web" {
		t.Fatalf("order %q", got)
	}
	if s.Project.Name != "shop" {
		t.Fatalf("project name %q", s.Project.Name)
	}
	if _, ok := s.Project.Services["debug"]; ok {
		t.Fatal("a service of a profile not enabled was loaded")
	}
	web := s.Project.Services["web"]
	env := func(k string) string {
		if v := web.Environment[k]; v != nil {
			return *v
		}
		return "<unset>"
	}
	if env("DATABASE_URL") != "postgres://app:s3cret@db:5432/app" || env("GREETING") != "dotenv" || env("FROM_FILE") != "yes" {
		t.Fatalf("web's environment: %v %v %v", env("DATABASE_URL"), env("GREETING"), env("FROM_FILE"))
	}
	if web.Build == nil || web.Build.Context != workDir+"/web" {
		t.Fatalf("web's build: %+v", web.Build)
	}
	if img := s.Project.Services["db"].Image; img != "rivetr-test/postgres:15" {
		t.Fatalf("db's image %q (not overridden)", img)
	}
	if c := web.DependsOn["db"].Condition; c != "service_healthy" {
		t.Fatalf("web waits for db with %q", c)
	}
	for _, svc := range s.Project.Services {
		for _, v := range svc.Environment {
			if v != nil && strings.Contains(*v, "must-not-leak") {
				t.Fatal("the server's environment reached the stack")
			}
		}
	}
	// Enabled, the profile's service loads too.
	s, err = load(t, threeServices, func(in *Input) { in.Profiles = []string{"debug"} })
	if err != nil || s.Project.Services["debug"].Image != "busybox:1.36" {
		t.Fatalf("with the debug profile: %v", err)
	}
	// A required variable that is missing is refused, naming it.
	if _, err := load(t, threeServices, func(in *Input) { in.Env = nil }); err == nil || !strings.Contains(err.Error(), "set DB_PASSWORD") {
		t.Fatalf("DB_PASSWORD missing: %v", err)
	}
}

// What reaches past the stack is refused with the line and the reason,
// every problem at once.
func TestRefusals(t *testing.T) {
	for _, tc := range []struct {
		name, compose, want string
		line                int
	}{
		{"not yaml", "services:\n  web:\n    image: [x\n", "not valid YAML", 0},
		{"no services", "volumes: {}\n", "names no services", 0},
		{"host port", "services:\n  web:\n    image: a\n    ports: [\"80:8080\"]\n", "publishing host ports is refused", 4},
		{"bind mount", "services:\n  web:\n    image: a\n    volumes:\n      - /etc:/host-etc\n", "host paths are refused (/etc)", 4},
		{"relative bind", "services:\n  web:\n    image: a\n    volumes:\n      - ./data:/data\n", "host paths are refused (data)", 4},
		{"docker socket", "services:\n  web:\n    image: a\n    volumes:\n      - /var/run/docker.sock:/var/run/docker.sock\n", "mounting the Docker socket", 4},
		{"privileged", "services:\n  web:\n    image: a\n    privileged: true\n", "privileged containers control the host", 4},
		{"host network", "services:\n  web:\n    image: a\n    network_mode: host\n", "joins its stack's own networks only", 4},
		{"devices", "services:\n  web:\n    image: a\n    devices: [\"/dev/sda:/dev/sda\"]\n", "host devices are refused", 4},
		{"pid host", "services:\n  web:\n    image: a\n    pid: host\n", "process namespace", 4},
		{"cap_add", "services:\n  web:\n    image: a\n    cap_add: [SYS_ADMIN]\n", "adding capabilities is refused", 4},
		{"container_name", "services:\n  web:\n    image: a\n    container_name: rivetr-db-other\n", "container names are global", 4},
		{"unknown dependency", "services:\n  web:\n    image: a\n    depends_on: [db]\n", `depends on "db", which is not a service`, 4},
		{"cycle", "services:\n  a:\n    image: x\n    depends_on: [b]\n  b:\n    image: x\n    depends_on: [a]\n", "cycle: a → b → a", 4},
		{"external volume", "services:\n  web:\n    image: a\n    volumes: [\"v:/v\"]\nvolumes:\n  v:\n    external: true\n", "external volumes are refused", 7},
		{"named volume", "services:\n  web:\n    image: a\nvolumes:\n  v:\n    name: rivetr-app-x-data\n", "volume names are global", 6},
		{"bind by driver_opts", "services:\n  web:\n    image: a\nvolumes:\n  v:\n    driver_opts: {type: none, o: bind, device: /etc}\n", "driver options are refused", 6},
		{"external network", "services:\n  web:\n    image: a\nnetworks:\n  n:\n    external: true\n", "external networks are refused", 6},
		{"include", "include: [../other/compose.yaml]\nservices:\n  web:\n    image: a\n", "include reads other files", 1},
		{"extends file", "services:\n  web:\n    extends:\n      file: /etc/compose.yaml\n      service: x\n", "extends reads another file", 4},
		{"build outside", "services:\n  web:\n    build: ../../elsewhere\n", "leaves the repository", 3},
		{"build absolute", "services:\n  web:\n    build:\n      context: /srv/other-team\n", "not /srv/other-team", 4},
		{"build url", "services:\n  web:\n    build: https://github.com/x/y.git\n", "not a URL", 3},
		{"secret file", "services:\n  web:\n    image: a\nsecrets:\n  key:\n    file: /etc/shadow\n", "from files are refused", 6},
		{"env_file outside", "services:\n  web:\n    image: a\n    env_file: /etc/environment\n", "must be inside the repository", 4},
		{"env_file up", "services:\n  web:\n    image: a\n    env_file: ../../secrets.env\n", "must be inside the repository", 4},
		{"unknown attribute", "services:\n  web:\n    image: a\n    frobnicate: 1\n", "not supported by Rivetr stacks", 4},
		{"log driver", "services:\n  web:\n    image: a\n    logging: {driver: syslog}\n", "log drivers are refused", 4},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := load(t, tc.compose)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want %q", err, tc.want)
			}
			if tc.line > 0 {
				var ps Problems
				var p *Problem
				switch {
				case errors.As(err, &ps):
					p = ps[0]
				case errors.As(err, &p):
				}
				if p == nil || p.Line != tc.line {
					t.Fatalf("%v: line %v, want %d", err, p, tc.line)
				}
			}
		})
	}
	// Every problem at once.
	_, err := load(t, "services:\n  web:\n    image: a\n    privileged: true\n    ports: [\"80:80\"]\n    pid: host\n")
	if ps, ok := err.(Problems); !ok || len(ps) != 3 {
		t.Fatalf("all problems at once: %v", err)
	}
}

// Whatever the file, Load answers a stack or an error; it never panics
// and never reads a file but through ReadFile.
func FuzzLoad(f *testing.F) {
	f.Add(threeServices)
	f.Add("services:\n  web:\n    image: a\n    volumes: [\"/:/host\"]\n")
	f.Add("include: [x]\n")
	f.Fuzz(func(t *testing.T, compose string) {
		s, err := Load(t.Context(), Input{Name: "fuzz", Compose: []byte(compose), Env: map[string]string{"DB_PASSWORD": "x"},
			ReadFile: func(string) ([]byte, error) { return nil, os.ErrNotExist }})
		if err == nil && s == nil {
			t.Fatal("no stack and no error")
		}
		if err == nil {
			for _, svc := range s.Project.Services {
				for _, v := range svc.Volumes {
					if v.Type == "bind" {
						t.Fatalf("a bind mount got through: %+v", v)
					}
				}
				if len(svc.Ports) > 0 || svc.Privileged || svc.NetworkMode != "" {
					t.Fatalf("a refused attribute got through: %+v", svc)
				}
			}
		}
	})
}
