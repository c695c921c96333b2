// Package e2e runs the rivetr binary against a real dockerd, real git
// repositories on disk and the embedded Temporal server. Set
// RIVETR_REQUIRE_DOCKER=1 to fail (rather than skip) when Docker is missing.
package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/rivetr/rivetr/internal/testimage"
	"go.temporal.io/sdk/client"
)

// BaseImage is the image sample apps build FROM: Debian's static busybox.
const BaseImage = testimage.Busybox

var (
	binary   string // the rivetr binary under test
	agentBin string // rivetr-agent: the same without the Temporal server
	setupErr error
)

func TestMain(m *testing.M) {
	flag.Parse() // so testing.Short can be asked before m.Run
	code := func() int {
		dir, err := os.MkdirTemp("", "rivetr-e2e-bin")
		if err != nil {
			panic(err)
		}
		defer os.RemoveAll(dir)
		if !testing.Short() {
			setupErr = setup(dir)
		}
		defer stopShared()
		return m.Run()
	}()
	os.Exit(code)
}

func setup(dir string) error {
	if err := exec.Command("docker", "info").Run(); err != nil {
		return fmt.Errorf("docker is not usable (start dockerd; scripts/test-deps.sh does): %w", err)
	}
	// Networks left by killed runs would use up Docker's address pools;
	// prune Rivetr's unused ones (networks in use are never pruned).
	exec.Command("docker", "network", "prune", "-f", "--filter", "label=rivetr.managed=true").Run()
	binary = filepath.Join(dir, "rivetr")
	build := exec.Command("go", "build", "-o", binary, "../cmd/rivetr")
	if out, err := build.CombinedOutput(); err != nil {
		return fmt.Errorf("build rivetr: %v\n%s", err, out)
	}
	agentBin = filepath.Join(dir, "rivetr-agent")
	build = exec.Command("go", "build", "-o", agentBin, "../cmd/rivetr-agent")
	if out, err := build.CombinedOutput(); err != nil {
		return fmt.Errorf("build rivetr-agent: %v\n%s", err, out)
	}
	// Static sites are built into images with rivetr-static, found next to
	// the rivetr binary, as `make build` puts it.
	build = exec.Command("go", "build", "-trimpath", "-ldflags=-s -w", "-o", filepath.Join(dir, "rivetr-static"), "../cmd/rivetr-static")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		return fmt.Errorf("build rivetr-static: %v\n%s", err, out)
	}
	return testimage.EnsureBusybox()
}

// needDocker skips (or, under RIVETR_REQUIRE_DOCKER, fails) a test when the
// end-to-end setup is unavailable.
func needDocker(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("end-to-end test skipped in -short mode")
	}
	if setupErr != nil {
		if os.Getenv("RIVETR_REQUIRE_DOCKER") != "" {
			t.Fatal(setupErr)
		}
		t.Skip(setupErr)
	}
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// Server is a rivetr server process under test.
type Server struct {
	t         *testing.T
	DataDir   string
	HTTP      string // http://127.0.0.1:port
	Proxy     string // 127.0.0.1:port
	Temporal  string // 127.0.0.1:port
	UI        string // 127.0.0.1:port, "" when disabled
	HTTPS     string // 127.0.0.1:port of the proxy's HTTPS listener, "" when off
	Network   string
	args      []string
	bin       string // the binary to run; the rivetr binary when empty
	withUI    bool
	withHTTPS bool
	extra     []string
	host      string
	// defaultArgs are the arguments assignPorts built; a test that sets
	// its own args disables the port retry in Start.
	defaultArgs string
	started     bool
	retries     int
	env         []string // extra environment of the process
	readyLog    string   // when set, Start waits for this log text instead of /health
	logPath     string
	cmd         *exec.Cmd
	exited      chan struct{}
}

// NewServer prepares a server with its own data dir, ports and Docker
// network; Start runs it.
func NewServer(t *testing.T, withUI bool, extra ...string) *Server {
	t.Helper()
	s := &Server{
		t:       t,
		DataDir: filepath.Join(t.TempDir(), "data"),
		Network: "rivetr-e2e-" + randSuffix(),
		withUI:  withUI,
		extra:   extra,
		host:    "e2e-" + randSuffix(),
	}
	s.logPath = filepath.Join(t.TempDir(), "server.log")
	s.assignPorts()
	t.Cleanup(func() {
		s.Stop()
		s.StopProxy()
		if t.Failed() {
			b := s.logs()
			lines := strings.Split(string(b), "\n")
			if len(lines) > 60 {
				lines = lines[len(lines)-60:]
			}
			t.Logf("server log (tail):\n%s", strings.Join(lines, "\n"))
		}
		removeNetworks(s.Network)
	})
	return s
}

// TemporalToken is the token s's embedded Temporal frontend requires.
func (s *Server) TemporalToken() string {
	s.t.Helper()
	b, err := os.ReadFile(filepath.Join(s.DataDir, "temporal-token"))
	if err != nil {
		s.t.Fatalf("the embedded Temporal's token: %v", err)
	}
	return strings.TrimSpace(string(b))
}

// TemporalOptions are client options for s's embedded Temporal frontend,
// with its token.
func (s *Server) TemporalOptions(namespace string) client.Options {
	return client.Options{HostPort: s.Temporal, Namespace: namespace,
		Credentials: client.NewAPIKeyStaticCredentials(s.TemporalToken()), ConnectionOptions: client.ConnectionOptions{TLSDisabled: true}}
}

// removeNetworks removes a server's networks: base and its teams'
// (base-TEAMID).
func removeNetworks(base string) {
	out, _ := exec.Command("docker", "network", "ls", "--format", "{{.Name}}").Output()
	for _, n := range strings.Fields(string(out)) {
		if n == base || strings.HasPrefix(n, base+"-") {
			exec.Command("docker", "network", "rm", n).Run()
		}
	}
}

// teamNetwork is the network a container is on (Rivetr puts each on its
// team's only).
func teamNetwork(t *testing.T, container string) string {
	t.Helper()
	return dockerOut(t, "inspect", "-f", "{{range $k, $v := .NetworkSettings.Networks}}{{$k}} {{end}}", container)
}

// assignPorts picks free ports and builds the default arguments.
func (s *Server) assignPorts() {
	t := s.t
	s.HTTP = fmt.Sprintf("http://127.0.0.1:%d", freePort(t))
	s.Proxy = fmt.Sprintf("127.0.0.1:%d", freePort(t))
	s.Temporal = fmt.Sprintf("127.0.0.1:%d", freePort(t))
	if s.withUI {
		s.UI = fmt.Sprintf("127.0.0.1:%d", freePort(t))
	}
	var https []string
	if s.withHTTPS {
		// HTTPS with uploaded certificates only: the CA's address answers
		// nothing, so no test reaches out for a certificate.
		s.HTTPS = fmt.Sprintf("127.0.0.1:%d", freePort(t))
		https = []string{"--https-addr", s.HTTPS, "--acme-directory", "https://127.0.0.1:1/directory"}
	}
	s.args = append([]string{"server",
		"--data-dir", s.DataDir,
		"--http-addr", strings.TrimPrefix(s.HTTP, "http://"),
		"--proxy-addr", s.Proxy,
		"--temporal-listen", s.Temporal,
		"--temporal-ui-addr=" + s.UI,
		"--docker-network", s.Network,
		"--host-name", s.host,
		"--shutdown-timeout", "10s",
	}, append(https, s.extra...)...)
	s.defaultArgs = strings.Join(s.args, "\x00")
}

func randSuffix() string { return fmt.Sprintf("%x", time.Now().UnixNano()&0xffffff) }

// Start runs the server and waits until /health answers.
func (s *Server) Start() {
	s.t.Helper()
	f, err := os.OpenFile(s.logPath, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		s.t.Fatal(err)
	}
	bin := binary
	if s.bin != "" {
		bin = s.bin
	}
	s.cmd = exec.Command(bin, s.args...)
	// The tests' repositories are on this machine, their git, S3 and
	// provider servers on its loopback.
	// Stacks and templates name images these machines cannot pull (in the
	// environment: an older release, in the upgrade test, ignores it).
	s.cmd.Env = append(append(os.Environ(), "RIVETR_ALLOW_LOCAL_GIT=1", "RIVETR_EGRESS_ALLOW=127.0.0.0/8,::1", "RIVETR_IMAGE_OVERRIDES=busybox:1.36="+BaseImage+","+strings.Join(templateOverrides, ",")), s.env...)
	s.cmd.Stdout, s.cmd.Stderr = f, f
	if err := s.cmd.Start(); err != nil {
		s.t.Fatal(err)
	}
	s.exited = make(chan struct{})
	go func() { s.cmd.Wait(); f.Close(); close(s.exited) }()
	deadline := time.Now().Add(90 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-s.exited:
			b, _ := os.ReadFile(s.logPath)
			// Ports picked by freePort can be taken by someone else before
			// the server binds them; on a first start, pick new ones.
			if !s.started && s.retries < 2 && strings.Contains(string(b), "address already in use") && strings.Join(s.args, "\x00") == s.defaultArgs {
				s.retries++
				s.t.Logf("a port was taken before the server bound it; starting again with new ports")
				s.assignPorts()
				s.Start()
				return
			}
			s.t.Fatalf("server exited at start:\n%s", b)
		default:
		}
		if s.readyLog != "" {
			if strings.Contains(string(s.logs()), s.readyLog) {
				s.started = true
				return
			}
			time.Sleep(100 * time.Millisecond)
			continue
		}
		res, err := http.Get(s.HTTP + "/health")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == 200 {
				s.started = true
				return
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	s.t.Fatal("server did not become healthy in 90s")
}

// Kill sends SIGKILL and waits for the process to go.
func (s *Server) Kill() {
	if s.cmd == nil || s.cmd.Process == nil {
		return
	}
	s.cmd.Process.Signal(syscall.SIGKILL)
	<-s.exited
	s.cmd = nil
}

// Terminate sends SIGTERM and returns how long the process took to exit and
// its exit code (-1 if it had to be killed after 30s).
func (s *Server) Terminate() (time.Duration, int) {
	start := time.Now()
	s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.exited:
		code := s.cmd.ProcessState.ExitCode()
		s.cmd = nil
		return time.Since(start), code
	case <-time.After(30 * time.Second):
		s.Kill()
		return time.Since(start), -1
	}
}

// Stop sends SIGTERM and waits (SIGKILL after 30s).
func (s *Server) Stop() {
	if s.cmd == nil || s.cmd.Process == nil {
		return
	}
	s.recordHistories()
	s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.exited:
	case <-time.After(30 * time.Second):
		s.Kill()
	}
	s.cmd = nil
}

// logs is the server's log followed by its proxy's (the proxy process
// writes <data-dir>/proxy.log).
func (s *Server) logs() []byte {
	b, _ := os.ReadFile(s.logPath)
	p, _ := os.ReadFile(filepath.Join(s.DataDir, "proxy.log"))
	return append(b, p...)
}

// StopProxy ends the proxy process the server started, which outlives
// the server by design, and waits for it to go.
func (s *Server) StopProxy() {
	b, err := os.ReadFile(filepath.Join(s.DataDir, "proxy.pid"))
	if err != nil {
		return
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || pid <= 1 {
		return
	}
	_ = syscall.Kill(pid, syscall.SIGTERM)
	for i := 0; i < 100; i++ {
		if syscall.Kill(pid, 0) != nil {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	_ = syscall.Kill(pid, syscall.SIGKILL)
}

// Result is a finished CLI run.
type Result struct {
	Stdout, Stderr string
	Code           int
}

// CLI runs the rivetr CLI against s.
func (s *Server) CLI(args ...string) Result {
	s.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary, args...)
	// No saved credentials: the admin token in the data dir signs in.
	cmd.Env = append(os.Environ(), "RIVETR_URL="+s.HTTP, "RIVETR_DATA_DIR="+s.DataDir, "RIVETR_TOKEN=",
		"RIVETR_CREDENTIALS="+filepath.Join(s.DataDir, "no-such-credentials.json"))
	return s.run(cmd)
}

// CLIAs runs the CLI as whoever signed in with the credentials file creds
// (never with the admin token), with stdin as its input.
func (s *Server) CLIAs(creds, stdin string, args ...string) Result {
	s.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary, args...)
	cmd.Env = append(os.Environ(), "RIVETR_URL="+s.HTTP, "RIVETR_DATA_DIR="+filepath.Join(filepath.Dir(creds), "no-data-dir"),
		"RIVETR_TOKEN=", "RIVETR_CREDENTIALS="+creds)
	cmd.Stdin = strings.NewReader(stdin)
	return s.run(cmd)
}

// CLIAsAdmin runs the CLI with the admin token, with stdin as its input.
func (s *Server) CLIAsAdmin(stdin string, args ...string) Result {
	s.t.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Env = append(os.Environ(), "RIVETR_URL="+s.HTTP, "RIVETR_DATA_DIR="+s.DataDir, "RIVETR_TOKEN=",
		"RIVETR_CREDENTIALS="+filepath.Join(s.DataDir, "no-such-credentials.json"))
	cmd.Stdin = strings.NewReader(stdin)
	return s.run(cmd)
}

// CLIWithToken runs the CLI with RIVETR_TOKEN set to token.
func (s *Server) CLIWithToken(token string, args ...string) Result {
	s.t.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Env = append(os.Environ(), "RIVETR_URL="+s.HTTP, "RIVETR_DATA_DIR="+filepath.Join(s.DataDir, "no-data-dir"), "RIVETR_TOKEN="+token,
		"RIVETR_CREDENTIALS="+filepath.Join(s.DataDir, "no-such-credentials.json"))
	return s.run(cmd)
}

func (s *Server) run(cmd *exec.Cmd) Result {
	s.t.Helper()
	args := cmd.Args[1:]
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		s.t.Fatalf("run %v: %v", args, err)
	}
	return Result{Stdout: out.String(), Stderr: errb.String(), Code: code}
}

// MustCLI runs the CLI and fails the test unless it exits 0.
func (s *Server) MustCLI(args ...string) string {
	s.t.Helper()
	r := s.CLI(args...)
	if r.Code != 0 {
		s.t.Fatalf("rivetr %s: exit %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), r.Code, r.Stdout, r.Stderr)
	}
	return r.Stdout
}

// Deployment is the part of a deployment the tests read.
type Deployment struct {
	ID            string `json:"id"`
	Status        string `json:"status"`
	Step          string `json:"step"`
	Commit        string `json:"commit"`
	Kind          string `json:"kind"`
	Trigger       string `json:"trigger"`
	FailureReason string `json:"failure_reason"`
	WorkflowID    string `json:"workflow_id"`
	WorkflowURL   string `json:"workflow_url"`
	Image         string `json:"image"`
	FinishedAt    string `json:"finished_at"`
}

// Deployments lists an app's deployments through the CLI's JSON output.
func (s *Server) Deployments(app string) []Deployment {
	s.t.Helper()
	var ds []Deployment
	out := s.MustCLI("deployments", app, "-o", "json", "--limit", "100")
	if err := json.Unmarshal([]byte(out), &ds); err != nil {
		s.t.Fatalf("deployments -o json is not a JSON array: %v\n%s", err, out)
	}
	return ds
}

// WaitDeployment polls until deployment id satisfies ok.
func (s *Server) WaitDeployment(app, id string, timeout time.Duration, ok func(Deployment) bool) Deployment {
	s.t.Helper()
	deadline := time.Now().Add(timeout)
	var last Deployment
	for time.Now().Before(deadline) {
		for _, d := range s.Deployments(app) {
			if d.ID == id {
				last = d
				if ok(d) {
					return d
				}
			}
		}
		time.Sleep(200 * time.Millisecond)
	}
	s.t.Fatalf("deployment %s never reached the expected state; last: %+v", id, last)
	return last
}

// Get fetches path from app domain host through the proxy.
func (s *Server) Get(host, path string) (int, string, error) {
	req, _ := http.NewRequest("GET", "http://"+s.Proxy+path, nil)
	req.Host = host
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, strings.TrimSpace(string(b)), nil
}

// MustGet fetches through the proxy and fails unless it answers 200.
func (s *Server) MustGet(host, path string) string {
	s.t.Helper()
	code, body, err := s.Get(host, path)
	if err != nil || code != 200 {
		s.t.Fatalf("GET %s%s through the proxy: %d %q %v", host, path, code, body, err)
	}
	return body
}

// Repo is a git repository on disk holding a sample app.
type Repo struct {
	t   *testing.T
	Dir string
}

// NewRepo makes an empty repository on branch main.
func NewRepo(t *testing.T) *Repo {
	t.Helper()
	r := &Repo{t: t, Dir: filepath.Join(t.TempDir(), "repo")}
	os.MkdirAll(r.Dir, 0o755)
	r.git("init", "-q", "-b", "main")
	return r
}

func (r *Repo) git(args ...string) string {
	r.t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = r.Dir
	cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=e2e", "GIT_AUTHOR_EMAIL=e2e@test", "GIT_COMMITTER_NAME=e2e", "GIT_COMMITTER_EMAIL=e2e@test")
	out, err := cmd.CombinedOutput()
	if err != nil {
		r.t.Fatalf("git %v: %v\n%s", args, err, out)
	}
	return strings.TrimSpace(string(out))
}

// Commit writes files and commits them, returning the SHA.
func (r *Repo) Commit(msg string, files map[string]string) string {
	r.t.Helper()
	for name, body := range files {
		p := filepath.Join(r.Dir, name)
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			r.t.Fatal(err)
		}
	}
	r.git("add", "-A")
	r.git("commit", "-q", "-m", msg)
	return r.git("rev-parse", "HEAD")
}

// AppDockerfile is the sample app's Dockerfile (see testimage.Dockerfile).
func AppDockerfile(version, build, pre string) string {
	return testimage.Dockerfile(version, build, pre)
}

// Containers lists the names of containers of app (all states).
func Containers(t *testing.T, app string) []string {
	t.Helper()
	out, err := exec.Command("docker", "ps", "-a", "--filter", "label=rivetr.app="+app, "--format", "{{.Names}}").Output()
	if err != nil {
		t.Fatal(err)
	}
	return strings.Fields(string(out))
}

// Images lists the tags of app's images.
func Images(t *testing.T, app string) []string {
	t.Helper()
	out, err := exec.Command("docker", "images", "rivetr/"+app, "--format", "{{.Tag}}").Output()
	if err != nil {
		t.Fatal(err)
	}
	return strings.Fields(string(out))
}

// CleanupApp removes app's containers and images however the test ended.
func CleanupApp(t *testing.T, app string) {
	t.Cleanup(func() {
		if names := Containers(t, app); len(names) > 0 {
			exec.Command("docker", append([]string{"rm", "-f"}, names...)...).Run()
		}
		// Its previews' containers too (apps APP-pr-N), which a server
		// stopped at the end of a test leaves running.
		if out, err := exec.Command("docker", "ps", "-aq", "--filter", "name=^rivetr-"+app+"-pr-").Output(); err == nil {
			if ids := strings.Fields(string(out)); len(ids) > 0 {
				exec.Command("docker", append([]string{"rm", "-f"}, ids...)...).Run()
			}
		}
		for _, tag := range Images(t, app) {
			exec.Command("docker", "rmi", "-f", "rivetr/"+app+":"+tag).Run()
		}
		// Its volumes (labelled with its name; named by its ID).
		if out, err := exec.Command("docker", "volume", "ls", "-q", "--filter", "label=rivetr.app="+app).Output(); err == nil {
			if names := strings.Fields(string(out)); len(names) > 0 {
				exec.Command("docker", append([]string{"volume", "rm", "-f"}, names...)...).Run()
			}
		}
	})
}

// eventually retries cond until it holds or timeout passes.
func eventually(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		if cond() {
			return
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Fatalf("timed out after %s waiting for %s", timeout, what)
}

// Load sends requests through the proxy until stopped and counts answers.
type Load struct {
	mu     sync.Mutex
	OK     int
	Failed int
	Errors []string
	Bodies map[string]int
	// Slowest is the longest a request took (a held one's wait).
	Slowest time.Duration
	stop    chan struct{}
	wg      sync.WaitGroup
	allowed map[string]bool
}

// StartLoad runs workers goroutines against host through proxy; a request
// fails unless it answers 200 with one of the allowed bodies.
func StartLoad(proxy, host string, workers int, allowed ...string) *Load {
	l := &Load{stop: make(chan struct{}), Bodies: map[string]int{}, allowed: map[string]bool{}}
	for _, a := range allowed {
		l.allowed[a] = true
	}
	for i := 0; i < workers; i++ {
		l.wg.Add(1)
		go func(i int) {
			defer l.wg.Done()
			// Half the workers keep connections alive, half open new ones.
			tr := &http.Transport{DisableKeepAlives: i%2 == 1, MaxIdleConnsPerHost: 2}
			c := &http.Client{Transport: tr, Timeout: 10 * time.Second}
			for {
				select {
				case <-l.stop:
					return
				default:
				}
				req, _ := http.NewRequest("GET", "http://"+proxy+"/", nil)
				req.Host = host
				began := time.Now()
				res, err := c.Do(req)
				var body string
				code := 0
				if err == nil {
					b, _ := io.ReadAll(res.Body)
					res.Body.Close()
					body, code = strings.TrimSpace(string(b)), res.StatusCode
				}
				took := time.Since(began)
				l.mu.Lock()
				l.Slowest = max(l.Slowest, took)
				if err == nil && code == 200 && l.allowed[body] {
					l.OK++
					l.Bodies[body]++
				} else {
					l.Failed++
					if len(l.Errors) < 10 {
						l.Errors = append(l.Errors, fmt.Sprintf("code=%d body=%q err=%v", code, body, err))
					}
				}
				l.mu.Unlock()
				time.Sleep(2 * time.Millisecond)
			}
		}(i)
	}
	return l
}

// Stop ends the load.
func (l *Load) Stop() {
	close(l.stop)
	l.wg.Wait()
}

// appSetup is a running server with one app created from a fresh repository
// whose first commit serves version.
type appSetup struct {
	S     *Server
	App   string
	Host  string
	Repo  *Repo
	First string // the first commit's SHA
}

// newAppSetup starts a server (with the Temporal UI when withUI) and creates
// an app named prefix-<random> on it; createFlags go to `rivetr apps create`.
func newAppSetup(t *testing.T, prefix string, withUI bool, version string, createFlags ...string) appSetup {
	t.Helper()
	needDocker(t)
	s := NewServer(t, withUI)
	s.Start()
	return newAppOn(t, s, prefix, version, createFlags...)
}

// newAppOn creates an app on a running server s, as newAppSetup does.
func newAppOn(t *testing.T, s *Server, prefix, version string, createFlags ...string) appSetup {
	t.Helper()
	app := prefix + "-" + randSuffix()
	CleanupApp(t, app)
	repo := NewRepo(t)
	first := repo.Commit(version, map[string]string{"Dockerfile": AppDockerfile(version, "", "")})
	s.MustCLI(append([]string{"apps", "create", app, "--git", repo.Dir, "--domain", app + ".test"}, createFlags...)...)
	return appSetup{S: s, App: app, Host: app + ".test", Repo: repo, First: first}
}

// atBerlin reports whether t is hour:minute on the clocks of Berlin, in
// winter (UTC+1) or summer (UTC+2) alike.
func atBerlin(t time.Time, hour, minute int) bool {
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		return false
	}
	b := t.In(berlin)
	return b.Hour() == hour && b.Minute() == minute
}

// parallelE2E lets a test that shares nothing with the others (its own
// server, network, apps and databases) and spends most of its time waiting
// (heartbeat timeouts, schedules, builds) run beside another one. `make
// chaos` runs them one at a time: its dockerd restart would hit the others.
func parallelE2E(t *testing.T) {
	t.Helper()
	if os.Getenv("RIVETR_CHAOS_FULL") == "" {
		t.Parallel()
	}
}

// shared is the server the tests that only add apps of their own share
// (nothing they do is instance-wide: no restart, no freeze, no users): it
// starts with the first of them and stops when the package's tests end.
var shared struct {
	mu  sync.Mutex
	s   *Server
	dir string
}

// sharedServer returns the shared server, started on first use, bound to
// t (its failures are t's; on a failure t shows the tail of its log).
func sharedServer(t *testing.T) *Server {
	t.Helper()
	needDocker(t)
	shared.mu.Lock()
	defer shared.mu.Unlock()
	if shared.s == nil {
		dir, err := os.MkdirTemp("", "rivetr-e2e-shared")
		if err != nil {
			t.Fatal(err)
		}
		s := &Server{t: t, DataDir: filepath.Join(dir, "data"), Network: "rivetr-e2e-" + randSuffix(), host: "e2e-" + randSuffix(),
			logPath: filepath.Join(dir, "server.log"), withHTTPS: true}
		s.assignPorts()
		s.Start()
		shared.s, shared.dir = s, dir
	}
	c := *shared.s
	c.t = t
	t.Cleanup(func() {
		if t.Failed() {
			b := c.logs()
			lines := strings.Split(string(b), "\n")
			if len(lines) > 60 {
				lines = lines[len(lines)-60:]
			}
			t.Logf("shared server log (tail):\n%s", strings.Join(lines, "\n"))
		}
	})
	return &c
}

// stopShared records the shared server's histories (as "shared"), stops it
// and removes what it left.
func stopShared() {
	shared.mu.Lock()
	defer shared.mu.Unlock()
	s := shared.s
	if s == nil {
		return
	}
	s.recordHistoriesAs("shared", func(f string, a ...any) { fmt.Fprintf(os.Stderr, f+"\n", a...) })
	s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.exited:
	case <-time.After(30 * time.Second):
		s.cmd.Process.Kill()
	}
	s.StopProxy()
	removeNetworks(s.Network)
	os.RemoveAll(shared.dir)
}

// newSharedApp creates an app on the shared server, as newAppSetup does on
// a server of the test's own.
func newSharedApp(t *testing.T, prefix, version string, createFlags ...string) appSetup {
	t.Helper()
	return newAppOn(t, sharedServer(t), prefix, version, createFlags...)
}

// Browser is an HTTP client with a dashboard session, signed in with the
// admin token through the sign-in form, that follows redirects.
func (s *Server) Browser() *http.Client {
	s.t.Helper()
	token := strings.TrimSpace(readFile(s.t, filepath.Join(s.DataDir, "admin-token")))
	c := signedInClient(s.t, s, url.Values{"token": {token}})
	c.CheckRedirect = nil
	return c
}
