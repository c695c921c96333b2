package cli

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/rivetr/rivetr/internal/client"
	"github.com/rivetr/rivetr/internal/config"
)

func run(t *testing.T, args ...string) (string, error) {
	t.Helper()
	root := newRoot(func(context.Context, config.Config, config.Role, *slog.Logger) error {
		return errors.New("not in tests")
	})
	var out bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&out)
	root.SetArgs(args)
	err := root.ExecuteContext(context.Background())
	return out.String(), err
}

func TestServerNotReachableSaysWhatToDo(t *testing.T) {
	l, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := l.Addr().String()
	l.Close() // nothing listens here now
	t.Setenv("RIVETR_URL", "http://"+addr)
	t.Setenv("RIVETR_TOKEN", "x")
	_, err := run(t, "apps", "list")
	var nr *client.NotReachableError
	if !errors.As(err, &nr) || !strings.Contains(err.Error(), "is `rivetr server` running? set RIVETR_URL") {
		t.Fatalf("got %v", err)
	}
}

func TestConfigCheck(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.toml")
	os.WriteFile(good, []byte("http_addr = \"127.0.0.1:9999\"\ndatabase_url = \"postgres://u:pw@db/rivetr\"\n"), 0o600)
	out, err := run(t, "config", "check", "--config", good, "--data-dir", dir)
	if err != nil || !strings.Contains(out, "127.0.0.1:9999") || !strings.Contains(out, "postgres://u:****@db/rivetr") || strings.Contains(out, "pw@") {
		t.Fatalf("good config: %v\n%s", err, out)
	}
	bad := filepath.Join(dir, "bad.toml")
	os.WriteFile(bad, []byte("proxy_addr = \"eighty\"\n"), 0o600)
	if _, err := run(t, "config", "check", "--config", bad); err == nil || !strings.Contains(err.Error(), "--proxy-addr") {
		t.Fatalf("bad config: %v", err)
	}
}

func TestOutputFlagIsChecked(t *testing.T) {
	t.Setenv("RIVETR_TOKEN", "x")
	if _, err := run(t, "apps", "list", "-o", "yaml"); err == nil || !strings.Contains(err.Error(), "want table or json") {
		t.Fatalf("got %v", err)
	}
}

// A word the CLI does not know is an error a script sees (exit status
// not 0), with "did you mean", the commands there are and the usage line;
// a group alone prints its help.
func TestUnknownWordsAreErrors(t *testing.T) {
	t.Setenv("RIVETR_TOKEN", "x")
	t.Setenv("RIVETR_URL", "http://127.0.0.1:1")
	tests := []struct {
		args []string
		want []string
	}{
		{[]string{"apps", "stop", "web"}, []string{`unknown command "stop" for "rivetr apps"`, "commands: create, delete, depend, list", "usage: rivetr apps COMMAND"}},
		{[]string{"apps", "lst"}, []string{"did you mean list?"}},
		{[]string{"dmains", "list"}, []string{`unknown command "dmains" for "rivetr"`, "did you mean domains?"}},
		{[]string{"deploy"}, []string{"accepts 1 arg(s), received 0", "usage: rivetr deploy NAME", "(see rivetr deploy --help)"}},
		{[]string{"domains", "add", "web"}, []string{"usage: rivetr domains add APP HOST"}},
		{[]string{"apps", "list", "--bogus"}, []string{"unknown flag: --bogus", "usage: rivetr apps list"}},
		{[]string{"version", "extra"}, []string{`unknown command "extra" for "rivetr version"`}},
	}
	for _, tc := range tests {
		_, err := run(t, tc.args...)
		if err == nil {
			t.Errorf("%v: no error", tc.args)
			continue
		}
		for _, w := range tc.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%v: %q lacks %q", tc.args, err, w)
			}
		}
	}
	if out, err := run(t, "apps"); err != nil || !strings.Contains(out, "Available Commands") {
		t.Fatalf("a group alone: %v\n%s", err, out)
	}
}

func TestVersion(t *testing.T) {
	out, err := run(t, "version")
	if err != nil || !strings.HasPrefix(out, "rivetr dev, commit ") || !strings.Contains(out, "built with go") {
		t.Fatalf("version: %v %q", err, out)
	}
}

// Run in a checkout where `make run` keeps its data dir (./.rivetr), the
// CLI finds the admin token there; with none anywhere, the refusal names
// every path it tried.
func TestFindsTheCheckoutsAdminToken(t *testing.T) {
	var got atomic.Value
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got.Store(r.Header.Get("Authorization"))
		if r.Header.Get("Authorization") != "Bearer from-checkout" {
			w.WriteHeader(http.StatusUnauthorized)
			io.WriteString(w, `{"error":{"code":"unauthorized","message":"missing Authorization: Bearer <token> header"}}`)
			return
		}
		io.WriteString(w, "[]")
	}))
	defer srv.Close()
	dir := t.TempDir()
	t.Chdir(dir)
	t.Setenv("RIVETR_URL", srv.URL)
	t.Setenv("RIVETR_TOKEN", "")
	t.Setenv("RIVETR_DATA_DIR", "")
	t.Setenv("HOME", dir)
	t.Setenv("XDG_CONFIG_HOME", filepath.Join(dir, "config"))
	t.Setenv("XDG_DATA_HOME", filepath.Join(dir, "data"))
	os.MkdirAll(filepath.Join(dir, ".rivetr"), 0o700)

	_, err := run(t, "apps", "list")
	if err == nil || !strings.Contains(err.Error(), "no token was sent") || !strings.Contains(err.Error(), filepath.Join(dir, ".rivetr", "admin-token")) ||
		!strings.Contains(err.Error(), "--data-dir") {
		t.Fatalf("without a token anywhere: %v", err)
	}
	os.WriteFile(filepath.Join(dir, ".rivetr", "admin-token"), []byte("from-checkout\n"), 0o600)
	if _, err := run(t, "apps", "list"); err != nil || got.Load() != "Bearer from-checkout" {
		t.Fatalf("with ./.rivetr/admin-token: %v (sent %v)", err, got.Load())
	}
}

// Completion offers the server's app names, deployment IDs and database
// names where a command takes them, and the values of enum flags.
func TestCompletion(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/api/apps":
			io.WriteString(w, `[{"name":"web"},{"name":"shop"}]`)
		case "/api/deployments":
			io.WriteString(w, `[{"id":"d42","app":"web","status":"succeeded","commit":"abcdef1234567"}]`)
		case "/api/databases":
			io.WriteString(w, `[{"name":"maindb"}]`)
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	t.Setenv("RIVETR_URL", srv.URL)
	t.Setenv("RIVETR_TOKEN", "x")
	for _, tc := range []struct {
		args []string
		want []string
		not  string
	}{
		{[]string{"deploy", ""}, []string{"web", "shop"}, "d42"},
		{[]string{"domains", "add", ""}, []string{"web", "shop"}, ""},
		{[]string{"deployments", "show", ""}, []string{"d42\tweb succeeded"}, "shop"},
		{[]string{"approve", ""}, []string{"d42"}, ""},
		{[]string{"databases", "show", ""}, []string{"maindb"}, "web"},
		{[]string{"apps", "update", "web", "--build-type", ""}, []string{"dockerfile", "nixpacks"}, ""},
		{[]string{"databases", "create", "x", "--engine", ""}, []string{"postgres", "redis"}, ""},
		{[]string{"deploy", "web", ""}, nil, "shop"}, // one app only
	} {
		out, err := run(t, append([]string{"__complete"}, tc.args...)...)
		if err != nil {
			t.Fatalf("%v: %v", tc.args, err)
		}
		for _, w := range tc.want {
			if !strings.Contains(out, w) {
				t.Errorf("completing %v: %q lacks %q", tc.args, out, w)
			}
		}
		if tc.not != "" && strings.Contains(out, tc.not) {
			t.Errorf("completing %v offers %q: %q", tc.args, tc.not, out)
		}
	}
}
