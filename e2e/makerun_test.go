package e2e

import (
	"bufio"
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// `make run` on a fresh data dir, as a new user types it: it says the
// build is coming before it starts, builds, and the server prints its
// banner: the dashboard, the /setup link, the admin token's real path, the
// CLI line and where apps are served. (GOFLAGS_BUILD is emptied so the
// build reuses this test binary's compiled packages instead of compiling
// the Temporal server again with -trimpath; BIN and DATA_DIR go to a
// temporary directory.)
func TestMakeRunPrintsTheBanner(t *testing.T) {
	parallelE2E(t)
	needDocker(t)
	if _, err := exec.LookPath("make"); err != nil {
		t.Skip("no make")
	}
	dir := t.TempDir()
	bin, data := filepath.Join(dir, "bin", "rivetr"), filepath.Join(dir, "data")
	httpAddr, proxy := fmt.Sprintf("127.0.0.1:%d", freePort(t)), fmt.Sprintf("127.0.0.1:%d", freePort(t))
	cmd := exec.Command("make", "--no-print-directory", "-C", "..", "run", "BIN="+bin, "DATA_DIR="+data, "PROXY_ADDR="+proxy, "GOFLAGS_BUILD=",
		fmt.Sprintf("ARGS=--http-addr %s --temporal-listen 127.0.0.1:%d --temporal-ui-addr 127.0.0.1:%d --docker-network rivetr-makerun --log-level warn",
			httpAddr, freePort(t), freePort(t)))
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = cmd.Stdout
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		exec.Command(bin, "proxy", "stop", "--data-dir", data).Run()
		syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM)
		cmd.Wait()
	})
	lines := make(chan string, 1000)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	var said []string
	deadline := time.After(10 * time.Minute)
	for ready := false; !ready; {
		select {
		case l, ok := <-lines:
			if !ok {
				t.Fatalf("make run ended before its banner:\n%s", strings.Join(said, "\n"))
			}
			said = append(said, l)
			ready = strings.HasPrefix(strings.TrimSpace(l), "Apps ")
		case <-deadline:
			t.Fatalf("no banner after 10 minutes:\n%s", strings.Join(said, "\n"))
		}
	}
	all := strings.Join(said, "\n")
	for _, want := range []string{
		"The first build compiles the embedded Temporal server: about 7 minutes on 2 cores", // before building
		"Rivetr is ready.",
		"Dashboard    http://" + httpAddr + "/",
		"First visit  http://" + httpAddr + "/setup creates the owner account",
		"Admin token  " + filepath.Join(data, "admin-token"),
		"CLI          ",
		"Apps         http on " + proxy,
	} {
		if !strings.Contains(all, want) {
			t.Errorf("make run did not say %q:\n%s", want, all)
		}
	}
	if i, j := strings.Index(all, "The first build compiles"), strings.Index(all, "Rivetr is ready."); i < 0 || j < i {
		t.Errorf("the build notice does not come first:\n%s", all)
	}
	if strings.Contains(all, "CSP IS DISABLED") || strings.Contains(all, "level=WARN") {
		t.Errorf("a fresh start warns:\n%s", all)
	}
}
