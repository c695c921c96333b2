package cli

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
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
