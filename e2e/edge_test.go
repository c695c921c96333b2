package e2e

import (
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// The proxy is its own process: SIGKILL, SIGTERM and an upgrade of the
// server (a new binary) drop no request to apps, and the restarted server
// drives the same proxy (a deploy after each restart switches traffic).
func TestEdgeSurvivesServerRestarts(t *testing.T) {
	parallelE2E(t)
	a := newAppSetup(t, "edge", false, "e1")
	s := a.S
	s.MustCLI("deploy", a.App, "--wait")
	if body := s.MustGet(a.Host, "/"); body != "e1" {
		t.Fatalf("first deploy serves %q", body)
	}
	proxyPID := func() string {
		b, err := os.ReadFile(filepath.Join(s.DataDir, "proxy.pid"))
		if err != nil {
			t.Fatalf("the proxy's pid file: %v", err)
		}
		return strings.TrimSpace(string(b))
	}
	pid := proxyPID()

	// A copy of the binary stands for the next release.
	next := filepath.Join(t.TempDir(), "rivetr-next")
	copyFile(t, binary, next)

	load := StartLoad(s.Proxy, a.Host, 4, "e1", "e2", "e3", "e4", "e5")
	restarts := []struct {
		name string
		stop func()
		bin  string
	}{
		{"SIGKILL", s.Kill, ""},
		{"SIGTERM", func() { s.Terminate() }, ""},
		{"a new binary", s.Stop, next},
	}
	for i, r := range restarts {
		r.stop()
		// Down for a while: apps answer all along.
		time.Sleep(2 * time.Second)
		s.bin = r.bin
		s.Start()
		if got := proxyPID(); got != pid {
			t.Fatalf("after %s the proxy is pid %s, was %s: it was restarted", r.name, got, pid)
		}
		v := []string{"e2", "e3", "e4"}[i]
		a.Repo.Commit(v, map[string]string{"Dockerfile": AppDockerfile(v, "", "")})
		if res := s.CLI("deploy", a.App, "--wait"); res.Code != 0 {
			t.Fatalf("deploy after %s: %s%s", r.name, res.Stdout, res.Stderr)
		}
		if body := s.MustGet(a.Host, "/"); body != v {
			t.Fatalf("after %s and a deploy the proxy serves %q, want %q", r.name, body, v)
		}
	}

	// Another configuration on the same addresses (as a new binary would
	// be): the server replaces the proxy, the old one handing its sockets
	// to the new one, so no connection is refused or dropped.
	s.Stop()
	s.args = append(s.args, "--public-ip", "192.0.2.10")
	s.Start()
	if got := proxyPID(); got == pid {
		t.Fatal("another configuration kept the old proxy")
	}
	pid = proxyPID()
	if !strings.Contains(readFile(t, filepath.Join(s.DataDir, "proxy.log")), "took over the listening sockets of the running proxy") {
		t.Fatal("the new proxy did not take the old one's sockets over")
	}
	a.Repo.Commit("e5", map[string]string{"Dockerfile": AppDockerfile("e5", "", "")})
	if res := s.CLI("deploy", a.App, "--wait"); res.Code != 0 {
		t.Fatalf("deploy through the new proxy: %s%s", res.Stdout, res.Stderr)
	}
	if body := s.MustGet(a.Host, "/"); body != "e5" {
		t.Fatalf("the new proxy serves %q", body)
	}
	load.Stop()
	t.Logf("load: %d ok, %d failed, bodies %v", load.OK, load.Failed, load.Bodies)
	if load.Failed > 0 || load.OK == 0 {
		t.Fatalf("%d of %d requests failed across the restarts: %v", load.Failed, load.OK+load.Failed, load.Errors)
	}

	// The proxy says what it is, and stops when told (the app with it).
	st := s.MustCLI("proxy", "status", "--data-dir", s.DataDir)
	if !strings.Contains(st, "pid\t"+pid) || !strings.Contains(st, "routes\t1") {
		t.Fatalf("proxy status:\n%s", st)
	}
	s.Stop()
	if out := s.MustCLI("proxy", "stop", "--data-dir", s.DataDir); !strings.Contains(out, "stopped") {
		t.Fatalf("proxy stop: %s", out)
	}
	if _, _, err := s.Get(a.Host, "/"); err == nil {
		t.Fatal("the app still answers after the proxy stopped")
	}
	// The next start brings it back with its route table.
	s.Start()
	if body := s.MustGet(a.Host, "/"); body != "e5" {
		t.Fatalf("after the proxy restarted it serves %q", body)
	}
	if proxyPID() == pid {
		t.Fatal("the stopped proxy's pid file was left behind")
	}
}

// A proxy running with another configuration is restarted by the server
// with its own; with --proxy-mode external the server starts none and
// drives the one its supervisor runs (the systemd shape).
func TestProxyModes(t *testing.T) {
	parallelE2E(t)
	needDocker(t)
	s := NewServer(t, false)
	s.Start()
	// A fresh start tells its user where everything is, and nothing scary.
	logs := string(s.logs())
	for _, want := range []string{"Rivetr is ready.", "Dashboard    " + s.HTTP + "/", "First visit  " + s.HTTP + "/setup creates the owner account",
		"Admin token  " + filepath.Join(s.DataDir, "admin-token"), "export RIVETR_DATA_DIR=" + s.DataDir, "Apps         http on " + s.Proxy} {
		if !strings.Contains(logs, want) {
			t.Errorf("the start banner lacks %q:\n%s", want, logs)
		}
	}
	if strings.Contains(logs, "CSP IS DISABLED") || strings.Contains(logs, "level=WARN") {
		t.Errorf("a normal start warns:\n%s", logs)
	}
	first := s.MustCLI("proxy", "status", "--data-dir", s.DataDir)
	s.Stop()
	old := s.Proxy
	s.Proxy = fmt.Sprintf("127.0.0.1:%d", freePort(t))
	for i := range s.args {
		if s.args[i] == old {
			s.args[i] = s.Proxy
		}
	}
	s.Start()
	second := s.MustCLI("proxy", "status", "--data-dir", s.DataDir)
	if first == second || !strings.Contains(second, s.Proxy) {
		t.Fatalf("the proxy kept its configuration:\n%s\nthen\n%s", first, second)
	}
	if res, err := http.Get("http://" + old + "/"); err == nil {
		res.Body.Close()
		t.Fatal("the old proxy's address still answers")
	}
	s.Stop()
	s.StopProxy()

	// external: someone else runs `rivetr proxy` with the same settings.
	logf, err := os.Create(filepath.Join(t.TempDir(), "external-proxy.log"))
	if err != nil {
		t.Fatal(err)
	}
	px := exec.Command(binary, append([]string{"proxy"}, s.args[1:]...)...)
	px.Stdout, px.Stderr = logf, logf
	if err := px.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { px.Process.Kill(); px.Wait() })
	s.args = append(s.args, "--proxy-mode", "external")
	s.Start()
	if !strings.Contains(string(s.logs()), "using the running proxy") {
		t.Fatal("with --proxy-mode external the server did not use the running proxy")
	}
	a := newAppOn(t, s, "extproxy", "x1")
	s.MustCLI("deploy", a.App, "--wait")
	if body := s.MustGet(a.Host, "/"); body != "x1" {
		t.Fatalf("the external proxy serves %q", body)
	}
	st := s.MustCLI("proxy", "status", "--data-dir", s.DataDir)
	if !strings.Contains(st, fmt.Sprintf("pid\t%d", px.Process.Pid)) {
		t.Fatalf("the server started its own proxy instead of using the external one:\n%s", st)
	}
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, b, 0o755); err != nil {
		t.Fatal(err)
	}
}
