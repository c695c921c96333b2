// Command bench measures Rivetr against baselines run in the same session
// (these machines are noisy, so results are ratios):
//
//   - deploy: trigger → new version answering through the proxy, via Rivetr,
//     against the same steps done with the git and docker CLIs (clone, build,
//     run, poll until it answers);
//   - zero_downtime: failed requests while 20 deploys and 5 rollbacks run
//     under steady load with slow requests and WebSockets;
//   - proxy: requests/s and p99 through Rivetr's proxy, straight to the
//     container, and through nginx proxying to the same container;
//   - tls: TLS keep-alive requests/s and new handshakes/s through Rivetr's
//     proxy, nginx, Caddy and Traefik with one certificate and backend, and
//     the memory of 1,000 certificates held (Rivetr's proxy, Caddy);
//   - dashboard: render time of the heaviest pages (200 apps, a 10,000-line
//     log, an app with 200 deployments), over HTTP and in headless
//     Chromium, against the same bytes served as a static file;
//   - scale: listing 10 to 1,000 apps, and 1, 10 and 50 deploys at once;
//   - stack: a five-service stack from trigger to all healthy, via Rivetr
//     and via Debian's docker-compose from the same file and images (first
//     deploy and redeploy), then the server's memory with 50 stacks;
//   - first_app: the README followed from git clone to a first app
//     answering through the proxy, against docker build + run;
//   - footprint: idle RSS and CPU of `rivetr server` with the embedded Temporal
//     server and UI, of `rivetr server --temporal-address` (external Temporal),
//     and of the Temporal CLI's own dev server when bench/.bin/temporal exists
//     (make bench installs it when the module proxy serves it).
//
// Results go to bench/results/results.json and results.md.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/rivetr/rivetr/internal/client"
	"github.com/rivetr/rivetr/internal/service"
	"github.com/rivetr/rivetr/internal/testimage"
)

var (
	rivetrBin = flag.String("rivetr", "bin/rivetr", "rivetr binary to measure")
	runs      = flag.Int("runs", 7, "measured deploys per side")
	outDir    = flag.String("out", "bench/results", "where results go")
	agentBin  = flag.String("agent", "bin/rivetr-agent", "rivetr-agent binary for the external-Temporal footprint (skipped when missing)")
	temporal  = flag.String("temporal-cli", "bench/.bin/temporal", "Temporal CLI binary for the footprint baseline (skipped when missing)")
	which     = flag.String("only", "all", "comma-separated benchmarks to run: deploy, zero_downtime, proxy, tls, footprint, dashboard, scale, stack, first_app")
)

// Result is one benchmark's figures.
type Result struct {
	Name string `json:"name"`
	// Measured is when this benchmark ran: a partial run (-only) keeps the
	// other benchmarks' earlier results.
	Measured string               `json:"measured"`
	Figures  map[string]float64   `json:"figures"`
	Notes    string               `json:"notes,omitempty"`
	Samples  map[string][]float64 `json:"samples,omitempty"`
}

func main() {
	flag.Parse()
	log.SetFlags(0)
	if err := testimage.EnsureBusybox(); err != nil {
		log.Fatal(err)
	}
	bin, err := filepath.Abs(*rivetrBin)
	if err != nil {
		log.Fatal(err)
	}
	only := map[string]bool{}
	for _, n := range strings.Split(*which, ",") {
		only[n] = true
	}
	earlier := map[string]Result{}
	if !only["all"] {
		earlier = readResults()
	}
	var results []Result
	for _, b := range []struct {
		name string
		run  func(string) Result
	}{{"deploy", benchDeploy}, {"zero_downtime", benchZeroDowntime}, {"proxy", benchProxy}, {"tls", benchTLS}, {"footprint", benchFootprint}, {"dashboard", benchDashboard}, {"scale", benchScale}, {"stack", benchStack}, {"first_app", benchFirstApp}} {
		if only["all"] || only[b.name] {
			r := b.run(bin)
			r.Measured = time.Now().UTC().Format("2006-01-02 15:04 MST")
			results = append(results, r)
		} else if r, ok := earlier[b.name]; ok {
			results = append(results, r)
		}
	}
	if err := write(results); err != nil {
		log.Fatal(err)
	}
}

// ---- a rivetr server process ----

type server struct {
	dir, http, proxy, temporal string
	cmd                        *exec.Cmd
	client                     *client.Client
}

func freePort() string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

func startServer(bin string, extra ...string) *server {
	dir, _ := os.MkdirTemp("", "rivetr-bench")
	s := &server{dir: dir, http: freePort(), proxy: freePort(), temporal: freePort()}
	args := append([]string{"server", "--data-dir", filepath.Join(dir, "data"), "--http-addr", s.http,
		"--proxy-addr", s.proxy, "--temporal-listen", s.temporal, "--temporal-ui-addr", freePort(),
		"--docker-network", "rivetr-bench", "--log-level", "warn"}, extra...)
	s.cmd = exec.Command(bin, args...)
	// The benchmarks' repositories are on this machine.
	s.cmd.Env = append(os.Environ(), "RIVETR_ALLOW_LOCAL_GIT=1", "RIVETR_EGRESS_ALLOW=127.0.0.0/8,::1")
	logf, _ := os.Create(filepath.Join(dir, "server.log"))
	s.cmd.Stdout, s.cmd.Stderr = logf, logf
	if err := s.cmd.Start(); err != nil {
		log.Fatal(err)
	}
	for i := 0; i < 600; i++ {
		if res, err := http.Get("http://" + s.http + "/health"); err == nil {
			res.Body.Close()
			if res.StatusCode == 200 {
				tok, _ := os.ReadFile(filepath.Join(dir, "data", "admin-token"))
				s.client = client.New("http://"+s.http, strings.TrimSpace(string(tok)))
				return s
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	b, _ := os.ReadFile(filepath.Join(dir, "server.log"))
	log.Fatalf("server did not start:\n%s", b)
	return nil
}

// proxyPID is the pid of the proxy process the server started (0: none).
func (s *server) proxyPID() int {
	b, err := os.ReadFile(filepath.Join(s.dir, "data", "proxy.pid"))
	if err != nil {
		return 0
	}
	pid, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	return pid
}

func (s *server) stop() {
	// The proxy outlives the server by design: stop it too.
	if pid := s.proxyPID(); pid > 1 {
		defer func() {
			syscall.Kill(pid, syscall.SIGTERM)
			for i := 0; i < 100 && syscall.Kill(pid, 0) == nil; i++ {
				time.Sleep(100 * time.Millisecond)
			}
			syscall.Kill(pid, syscall.SIGKILL)
		}()
	}
	s.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() { s.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		s.cmd.Process.Kill()
		<-done
	}
	os.RemoveAll(s.dir)
}

// ---- deploy overhead ----

func git(dir string, args ...string) string {
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=b", "GIT_AUTHOR_EMAIL=b@b", "GIT_COMMITTER_NAME=b", "GIT_COMMITTER_EMAIL=b@b")
	out, err := cmd.CombinedOutput()
	if err != nil {
		log.Fatalf("git %v: %v\n%s", args, err, out)
	}
	return strings.TrimSpace(string(out))
}

func commit(repo, version string) {
	os.WriteFile(filepath.Join(repo, "Dockerfile"), []byte(testimage.Dockerfile(version, "", "")), 0o644)
	git(repo, "add", "-A")
	git(repo, "commit", "-q", "-m", version)
}

// waitBody polls url (with Host header host) until it answers want.
func waitBody(url, host, want string, timeout time.Duration) error {
	c := &http.Client{Timeout: 2 * time.Second}
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		req, _ := http.NewRequest("GET", url, nil)
		if host != "" {
			req.Host = host
		}
		if res, err := c.Do(req); err == nil {
			b, _ := io.ReadAll(res.Body)
			res.Body.Close()
			if strings.TrimSpace(string(b)) == want {
				return nil
			}
		}
		time.Sleep(5 * time.Millisecond)
	}
	return fmt.Errorf("%s never answered %q", url, want)
}

func run(name string, args ...string) string {
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		log.Fatalf("%s %v: %v\n%s", name, args, err, out)
	}
	return strings.TrimSpace(string(out))
}

// directDeploy does by hand what a deploy does: clone, build, run on the
// network, poll until the new version answers.
func directDeploy(repo, version string, i int) time.Duration {
	work, _ := os.MkdirTemp("", "bench-direct")
	defer os.RemoveAll(work)
	name := fmt.Sprintf("bench-direct-%d", i)
	start := time.Now()
	run("git", "clone", "-q", "--depth", "1", "--branch", "main", "file://"+repo, filepath.Join(work, "src"))
	run("docker", "build", "-q", "-t", "bench-direct:"+version, filepath.Join(work, "src"))
	run("docker", "run", "-d", "--name", name, "--network", "rivetr-bench", "bench-direct:"+version)
	ip := run("docker", "inspect", "-f", "{{(index .NetworkSettings.Networks \"rivetr-bench\").IPAddress}}", name)
	if err := waitBody("http://"+ip+":8080/", "", version, time.Minute); err != nil {
		log.Fatal(err)
	}
	took := time.Since(start)
	exec.Command("docker", "rm", "-f", name).Run()
	exec.Command("docker", "rmi", "bench-direct:"+version).Run()
	return took
}

func rivetrDeploy(s *server, app, version string) time.Duration {
	ctx := context.Background()
	start := time.Now()
	d, err := s.client.Deploy(ctx, app, service.DeployRequest{})
	if err != nil {
		log.Fatal(err)
	}
	if err := waitBody("http://"+s.proxy+"/", app+".bench", version, time.Minute); err != nil {
		log.Fatal(err)
	}
	took := time.Since(start)
	// Let the deployment and its retire workflow finish (the old container
	// stopped and removed) before anything else is measured: a busy dockerd
	// would slow the next measurement, whichever side it is.
	for i := 0; i < 1200; i++ {
		cur, err := s.client.GetDeployment(ctx, d.ID)
		out, _ := exec.Command("docker", "ps", "-aq", "--filter", "label=rivetr.app="+app).Output()
		if err == nil && cur.Status == "succeeded" && len(strings.Fields(string(out))) == 1 {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	return took
}

func benchDeploy(bin string) Result {
	log.Printf("deploy: %d runs each of Rivetr and the docker CLI", *runs)
	exec.Command("docker", "network", "create", "rivetr-bench").Run()
	s := startServer(bin)
	defer s.stop()
	repo, _ := os.MkdirTemp("", "bench-repo")
	defer os.RemoveAll(repo)
	git(repo, "init", "-q", "-b", "main")
	commit(repo, "warmup")
	app := "bench-" + strconv.FormatInt(time.Now().UnixNano()%1e6, 36)
	if _, err := s.client.CreateApp(context.Background(), service.AppInput{
		Name: &app, GitURL: &repo, Domains: &[]string{app + ".bench"},
	}); err != nil {
		log.Fatal(err)
	}
	rivetrDeploy(s, app, "warmup")
	directDeploy(repo, "warmup", 0)

	var viaRivetr, direct []float64
	// Each side builds its own version string, so neither reuses the
	// other's cached RUN layer; the order alternates so drift hits both.
	rv := func(i int) {
		v := fmt.Sprintf("rivetr-%d", i)
		commit(repo, v)
		viaRivetr = append(viaRivetr, rivetrDeploy(s, app, v).Seconds())
	}
	dv := func(i int) {
		v := fmt.Sprintf("direct-%d", i)
		commit(repo, v)
		direct = append(direct, directDeploy(repo, v, i).Seconds())
	}
	for i := 1; i <= *runs; i++ {
		if i%2 == 0 {
			dv(i)
			rv(i)
		} else {
			rv(i)
			dv(i)
		}
		log.Printf("  run %d: rivetr %.3fs, docker CLI %.3fs", i, viaRivetr[len(viaRivetr)-1], direct[len(direct)-1])
	}
	s.client.DeleteApp(context.Background(), app)
	mr, md := median(viaRivetr), median(direct)
	return Result{
		Name: "deploy",
		Figures: map[string]float64{
			"rivetr_median_s": round(mr), "docker_cli_median_s": round(md),
			"ratio": round(mr / md), "overhead_ms": round((mr - md) * 1000),
		},
		Samples: map[string][]float64{"rivetr_s": viaRivetr, "docker_cli_s": direct},
		Notes:   "trigger → new version answering through the proxy vs git clone + docker build + docker run + poll until it answers; busybox sample app; medians",
	}
}

// ---- footprint ----

func rssMB(pid int) float64 { return statusMB(pid, "VmRSS:") }

// statusMB reads a kB figure of /proc/<pid>/status.
func statusMB(pid int, key string) float64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, key) {
			kb, _ := strconv.ParseFloat(strings.Fields(line)[1], 64)
			return kb / 1024
		}
	}
	return 0
}

func cpuTicks(pid int) float64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	f := strings.Fields(string(b)[strings.LastIndex(string(b), ")")+2:])
	u, _ := strconv.ParseFloat(f[11], 64)
	s, _ := strconv.ParseFloat(f[12], 64)
	return u + s
}

// idle samples a process after it settles: max RSS and CPU share over 10 s.
func idle(pid int) (rss, cpuPct float64) {
	time.Sleep(10 * time.Second)
	t0, c0 := time.Now(), cpuTicks(pid)
	for i := 0; i < 10; i++ {
		if r := rssMB(pid); r > rss {
			rss = r
		}
		time.Sleep(time.Second)
	}
	ticks := cpuTicks(pid) - c0
	return rss, 100 * ticks / 100 / time.Since(t0).Seconds()
}

func benchFootprint(bin string) Result {
	log.Printf("footprint: idle RSS and CPU")
	figs := map[string]float64{}
	s := startServer(bin)
	figs["embedded_rss_mb"], figs["embedded_cpu_pct"] = idle(s.cmd.Process.Pid)
	// Most of the rest is the binary's file-backed pages, shared and evictable.
	figs["embedded_rss_anon_mb"] = statusMB(s.cmd.Process.Pid, "RssAnon:")
	// The proxy is its own process: count it too.
	if pid := s.proxyPID(); pid > 0 {
		figs["proxy_rss_mb"], figs["proxy_cpu_pct"] = idle(pid)
		figs["embedded_plus_proxy_rss_mb"] = figs["embedded_rss_mb"] + figs["proxy_rss_mb"]
	}
	// A second server using the first one's Temporal as an external cluster.
	ext := startServer(bin, "--temporal-address", s.temporal, "--temporal-ui-addr=", "--host-name", "bench-external")
	figs["external_rss_mb"], figs["external_cpu_pct"] = idle(ext.cmd.Process.Pid)
	figs["external_rss_anon_mb"] = statusMB(ext.cmd.Process.Pid, "RssAnon:")
	ext.stop()
	// The same, from rivetr-agent: the binary without the Temporal server.
	if _, err := os.Stat(*agentBin); err == nil {
		ag := startServer(*agentBin, "--temporal-address", s.temporal, "--temporal-ui-addr=", "--host-name", "bench-agent")
		figs["agent_external_rss_mb"], figs["agent_external_cpu_pct"] = idle(ag.cmd.Process.Pid)
		figs["agent_external_rss_anon_mb"] = statusMB(ag.cmd.Process.Pid, "RssAnon:")
		ag.stop()
		if st, err := os.Stat(*agentBin); err == nil {
			figs["agent_binary_mb"] = float64(st.Size()) / (1 << 20)
		}
	}
	s.stop()
	if st, err := os.Stat(bin); err == nil {
		figs["binary_mb"] = float64(st.Size()) / (1 << 20)
	}
	notes := "max RSS over 10 s after 10 s of idling; CPU = share of one core"
	if _, err := os.Stat(*temporal); err == nil {
		dir, _ := os.MkdirTemp("", "temporal-dev")
		defer os.RemoveAll(dir)
		_, port, _ := net.SplitHostPort(freePort())
		_, uiPort, _ := net.SplitHostPort(freePort())
		cmd := exec.Command(*temporal, "server", "start-dev", "--db-filename", filepath.Join(dir, "t.db"),
			"--port", port, "--ui-port", uiPort, "--log-level", "warn")
		if err := cmd.Start(); err == nil {
			figs["temporal_cli_dev_rss_mb"], figs["temporal_cli_dev_cpu_pct"] = idle(cmd.Process.Pid)
			figs["embedded_vs_temporal_cli_rss"] = figs["embedded_rss_mb"] / figs["temporal_cli_dev_rss_mb"]
			cmd.Process.Signal(syscall.SIGTERM)
			cmd.Wait()
		}
	} else {
		notes += "; Temporal CLI baseline skipped (no " + *temporal + ")"
	}
	for k, v := range figs {
		figs[k] = round(v)
	}
	return Result{Name: "footprint", Figures: figs, Notes: notes}
}

// ---- output ----

func median(xs []float64) float64 {
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	if len(s) == 0 {
		return 0
	}
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func round(x float64) float64 { return float64(int64(x*1000+0.5)) / 1000 }

// readResults returns the results of the last run, by name.
func readResults() map[string]Result {
	out := map[string]Result{}
	b, err := os.ReadFile(filepath.Join(*outDir, "results.json"))
	if err != nil {
		return out
	}
	var f struct {
		Date    string   `json:"date"`
		Results []Result `json:"results"`
	}
	if json.Unmarshal(b, &f) != nil {
		return out
	}
	for _, r := range f.Results {
		if r.Measured == "" {
			r.Measured = f.Date
		}
		out[r.Name] = r
	}
	return out
}

func write(results []Result) error {
	if err := os.MkdirAll(*outDir, 0o755); err != nil {
		return err
	}
	b, _ := json.MarshalIndent(map[string]any{"date": time.Now().UTC().Format(time.RFC3339), "results": results}, "", "  ")
	if err := os.WriteFile(filepath.Join(*outDir, "results.json"), b, 0o644); err != nil {
		return err
	}
	var md strings.Builder
	fmt.Fprintf(&md, "# Rivetr benchmarks\n\nWritten %s on this machine; each benchmark's baselines ran in the same session as it.\n\n", time.Now().UTC().Format("2006-01-02 15:04 MST"))
	for _, r := range results {
		fmt.Fprintf(&md, "## %s\n\nMeasured %s. %s\n\n| figure | value |\n|---|---|\n", r.Name, r.Measured, r.Notes)
		keys := make([]string, 0, len(r.Figures))
		for k := range r.Figures {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			fmt.Fprintf(&md, "| %s | %g |\n", k, r.Figures[k])
		}
		md.WriteString("\n")
	}
	fmt.Print(md.String())
	return os.WriteFile(filepath.Join(*outDir, "results.md"), []byte(md.String()), 0o644)
}
