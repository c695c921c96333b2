package main

import (
	"context"
	"fmt"
	"io"
	"log"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/rivetr/rivetr/internal/service"
	"github.com/rivetr/rivetr/internal/testimage"
)

// backendRepo makes a git repository whose Dockerfile runs the benchmark
// backend (bench/backend, built statically here) and serves version.
func backendRepo(version string) string {
	repo, _ := os.MkdirTemp("", "bench-backend")
	cmd := exec.Command("go", "build", "-o", filepath.Join(repo, "backend"), "./bench/backend")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		log.Fatalf("build the benchmark backend: %v\n%s", err, out)
	}
	git(repo, "init", "-q", "-b", "main")
	commitBackend(repo, version)
	return repo
}

// commitBackend commits a Dockerfile serving version.
func commitBackend(repo, version string) {
	df := fmt.Sprintf("FROM %s\nCOPY backend /backend\nENV VERSION=%s\nCMD [\"/backend\"]\n", testimage.Busybox, version)
	os.WriteFile(filepath.Join(repo, "Dockerfile"), []byte(df), 0o644)
	git(repo, "add", "-A")
	git(repo, "commit", "-q", "-m", version)
}

// deployAndWait deploys app and waits for the outcome.
func deployAndWait(s *server, app string) string {
	ctx := context.Background()
	d, err := s.client.Deploy(ctx, app, service.DeployRequest{})
	if err != nil {
		log.Fatal(err)
	}
	return waitDeployment(s, d.ID)
}

func waitDeployment(s *server, id string) string {
	ctx := context.Background()
	for i := 0; i < 1200; i++ {
		cur, err := s.client.GetDeployment(ctx, id)
		if err == nil {
			switch cur.Status {
			case "succeeded":
				return id
			case "failed", "cancelled":
				log.Fatalf("deployment %s %s: %s", id, cur.Status, cur.FailureReason)
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	log.Fatalf("deployment %s did not finish", id)
	return ""
}

// containerIP returns the address of app's running container on its
// team's network (its only one).
func containerIP(app string) string {
	id := strings.Fields(run("docker", "ps", "-q", "--filter", "label=rivetr.app="+app))
	if len(id) != 1 {
		log.Fatalf("want one container of %s, have %v", app, id)
	}
	return run("docker", "inspect", "-f", `{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}`, id[0])
}

// nginxProxy runs Debian's nginx as a reverse proxy to upstream, tuned as
// one would for this: keep-alive to the upstream, no access log.
func nginxProxy(upstream string) (addr string, stop func()) {
	return startNginx(upstream, "", "")
}

// startNginx runs nginx proxying to upstream on a free port, terminating
// TLS with certFile and keyFile when given (HTTP/2 offered).
func startNginx(upstream, certFile, keyFile string) (addr string, stop func()) {
	dir, _ := os.MkdirTemp("", "bench-nginx")
	addr = freePort()
	listen := addr
	tls := ""
	if certFile != "" {
		listen += " ssl http2"
		tls = fmt.Sprintf("ssl_certificate %s;\n    ssl_certificate_key %s;\n", certFile, keyFile)
	}
	conf := fmt.Sprintf(`worker_processes auto;
pid %[1]s/nginx.pid;
error_log %[1]s/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path %[1]s/body; proxy_temp_path %[1]s/proxy;
  fastcgi_temp_path %[1]s/fastcgi; uwsgi_temp_path %[1]s/uwsgi; scgi_temp_path %[1]s/scgi;
  upstream app { server %[2]s; keepalive 128; }
  server {
    listen %[3]s;
    %[4]s
    location / {
      proxy_pass http://app;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host $host;
      proxy_set_header X-Forwarded-For $remote_addr;
      proxy_set_header X-Forwarded-Proto $scheme;
    }
  }
}
`, dir, upstream, listen, tls)
	os.WriteFile(filepath.Join(dir, "nginx.conf"), []byte(conf), 0o644)
	nginx := "nginx"
	if _, err := exec.LookPath(nginx); err != nil {
		nginx = "/usr/sbin/nginx"
	}
	cmd := exec.Command(nginx, "-c", filepath.Join(dir, "nginx.conf"), "-p", dir, "-g", "daemon off;")
	if err := cmd.Start(); err != nil {
		log.Fatalf("start nginx (scripts/bench-deps.sh installs it): %v", err)
	}
	if !waitTCP(addr) {
		b, _ := os.ReadFile(filepath.Join(dir, "error.log"))
		log.Fatalf("nginx does not listen on %s:\n%s", addr, b)
	}
	return addr, func() {
		stopProcess(cmd)
		os.RemoveAll(dir)
	}
}

var (
	wrkRPS = regexp.MustCompile(`Requests/sec:\s+([\d.]+)`)
	wrkP99 = regexp.MustCompile(`\s99%\s+([\d.]+)(us|ms|s)`)
	wrkErr = regexp.MustCompile(`Non-2xx or 3xx responses: (\d+)|Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)`)
)

// wrk loads url (with Host header host) and returns requests/s and p99 in ms.
func wrk(url, host string, d time.Duration) (rps, p99 float64, errors string) {
	args := []string{"-t2", "-c64", "-d" + strconv.Itoa(int(d.Seconds())) + "s", "--latency"}
	if host != "" {
		args = append(args, "-H", "Host: "+host)
	}
	out, err := exec.Command("wrk", append(args, url)...).CombinedOutput()
	if err != nil {
		log.Fatalf("wrk (scripts/bench-deps.sh installs it): %v\n%s", err, out)
	}
	return parseWrk(string(out))
}

// parseWrk reads requests/s, p99 in ms and the errors of wrk's report.
func parseWrk(s string) (rps, p99 float64, errors string) {
	if m := wrkRPS.FindStringSubmatch(s); m != nil {
		rps, _ = strconv.ParseFloat(m[1], 64)
	}
	if m := wrkP99.FindStringSubmatch(s); m != nil {
		p99, _ = strconv.ParseFloat(m[1], 64)
		switch m[2] {
		case "us":
			p99 /= 1000
		case "s":
			p99 *= 1000
		}
	}
	return rps, p99, strings.Join(wrkErr.FindAllString(s, -1), "; ")
}

// benchProxy compares requests/s and p99 through Rivetr's proxy with direct
// access to the container and with nginx proxying to the same container.
func benchProxy(bin string) Result {
	log.Printf("proxy: wrk against the container directly, through Rivetr, through nginx")
	exec.Command("docker", "network", "create", "rivetr-bench").Run()
	s := startServer(bin)
	defer s.stop()
	repo := backendRepo("proxy-v1")
	defer os.RemoveAll(repo)
	app := "proxy-" + strconv.FormatInt(time.Now().UnixNano()%1e6, 36)
	host := app + ".bench"
	if _, err := s.client.CreateApp(context.Background(), service.AppInput{Name: &app, GitURL: &repo, Domains: &[]string{host}}); err != nil {
		log.Fatal(err)
	}
	defer s.client.DeleteApp(context.Background(), app)
	deployAndWait(s, app)
	ip := containerIP(app)
	nginx, stopNginx := nginxProxy(ip + ":8080")
	defer stopNginx()

	figs := map[string]float64{}
	var problems []string
	for _, p := range []struct{ name, path string }{{"small", "/"}, {"1mib", "/big"}} {
		targets := []struct{ name, url, host string }{
			{"direct", "http://" + ip + ":8080" + p.path, ""},
			{"rivetr", "http://" + s.proxy + p.path, host},
			{"nginx", "http://" + nginx + p.path, host},
		}
		for _, tg := range targets {
			wrk(tg.url, tg.host, 2*time.Second) // warm up connections and caches
			rps, p99, errs := wrk(tg.url, tg.host, 8*time.Second)
			log.Printf("  %s %s: %.0f req/s, p99 %.2f ms %s", p.name, tg.name, rps, p99, errs)
			figs[p.name+"_"+tg.name+"_rps"] = round(rps)
			figs[p.name+"_"+tg.name+"_p99_ms"] = round(p99)
			if errs != "" {
				problems = append(problems, p.name+" "+tg.name+": "+errs)
			}
		}
		// Latency at a steady 1,000 req/s, well below saturation: what a
		// proxy adds to each request when it is not the bottleneck.
		if p.name == "small" {
			for _, tg := range targets {
				p50, p99, failed := steadyLatency(tg.url, tg.host, 1000, 8*time.Second)
				log.Printf("  %s %s at 1000 req/s: p50 %.2f ms, p99 %.2f ms, %d failed", p.name, tg.name, p50, p99, failed)
				figs["steady_"+tg.name+"_p50_ms"] = round(p50)
				figs["steady_"+tg.name+"_p99_ms"] = round(p99)
				if failed > 0 {
					problems = append(problems, fmt.Sprintf("steady %s: %d failed", tg.name, failed))
				}
			}
			figs["steady_rivetr_p99_overhead_ms"] = round(figs["steady_rivetr_p99_ms"] - figs["steady_direct_p99_ms"])
			figs["steady_nginx_p99_overhead_ms"] = round(figs["steady_nginx_p99_ms"] - figs["steady_direct_p99_ms"])
		}
		figs[p.name+"_rivetr_vs_nginx_rps"] = round(figs[p.name+"_rivetr_rps"] / figs[p.name+"_nginx_rps"])
		figs[p.name+"_rivetr_vs_direct_rps"] = round(figs[p.name+"_rivetr_rps"] / figs[p.name+"_direct_rps"])
		figs[p.name+"_rivetr_p99_overhead_ms"] = round(figs[p.name+"_rivetr_p99_ms"] - figs[p.name+"_direct_p99_ms"])
		figs[p.name+"_nginx_p99_overhead_ms"] = round(figs[p.name+"_nginx_p99_ms"] - figs[p.name+"_direct_p99_ms"])
	}
	barPlot("proxy_throughput.png", "Requests/s, wrk -t2 -c64, keep-alive (higher is better)", "req/s",
		[]string{"small responses", "1 MiB responses"}, []string{"direct to the container", "through Rivetr", "through nginx"},
		[][]float64{
			{figs["small_direct_rps"], figs["small_rivetr_rps"], figs["small_nginx_rps"]},
			{figs["1mib_direct_rps"], figs["1mib_rivetr_rps"], figs["1mib_nginx_rps"]},
		})
	barPlot("proxy_latency.png", "p99 latency at a steady 1,000 req/s, small responses (lower is better)", "ms",
		[]string{"p50", "p99"}, []string{"direct to the container", "through Rivetr", "through nginx"},
		[][]float64{
			{figs["steady_direct_p50_ms"], figs["steady_rivetr_p50_ms"], figs["steady_nginx_p50_ms"]},
			{figs["steady_direct_p99_ms"], figs["steady_rivetr_p99_ms"], figs["steady_nginx_p99_ms"]},
		})
	notes := "throughput: wrk -t2 -c64, 8 s per target after a 2 s warm-up, keep-alive on; steady: an open-loop Go client at 1,000 req/s for 8 s; the Go backend in a container on the bench network; nginx with an upstream keep-alive pool; all on one 2-core machine, so the load generator shares the CPU"
	if len(problems) > 0 {
		notes += "; errors: " + strings.Join(problems, "; ")
	}
	return Result{Name: "proxy", Figures: figs, Notes: notes}
}

// steadyLatency sends rate requests/s to url for d (open loop: a request is
// sent on schedule whether or not earlier ones finished) over keep-alive
// connections and returns the p50 and p99 latency in ms and the failures.
func steadyLatency(url, host string, rate int, d time.Duration) (p50, p99 float64, failed int) {
	tr := &http.Transport{MaxIdleConnsPerHost: 256, DisableCompression: true}
	client := &http.Client{Transport: tr, Timeout: 10 * time.Second}
	defer tr.CloseIdleConnections()
	n := int(d.Seconds()) * rate
	lat := make([]float64, n)
	fails := make([]bool, n)
	var wg sync.WaitGroup
	interval := time.Second / time.Duration(rate)
	start := time.Now()
	for i := 0; i < n; i++ {
		time.Sleep(time.Until(start.Add(time.Duration(i) * interval)))
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			req, _ := http.NewRequest("GET", url, nil)
			if host != "" {
				req.Host = host
			}
			t0 := time.Now()
			res, err := client.Do(req)
			if err == nil {
				io.Copy(io.Discard, res.Body)
				res.Body.Close()
			}
			lat[i] = float64(time.Since(t0).Microseconds()) / 1000
			fails[i] = err != nil || res.StatusCode != 200
		}(i)
	}
	wg.Wait()
	for _, f := range fails {
		if f {
			failed++
		}
	}
	sort.Float64s(lat)
	return lat[len(lat)/2], lat[len(lat)*99/100], failed
}
