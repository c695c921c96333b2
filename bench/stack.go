package main

import (
	"context"
	"fmt"
	"log"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/rivetr/rivetr/internal/service"
	"github.com/rivetr/rivetr/internal/testimage"
)

// The stack benchmark: a five-service stack (web, api, worker, a Redis
// and a PostgreSQL with a volume, started in dependency order behind
// healthchecks) deployed by Rivetr from trigger to all healthy, against
// the same file and images brought up by Debian's docker-compose; then
// the server's memory with 50 stacks deployed.

const benchStackImage = "bench-stack/app:1"

// stackFile is the five services' compose file. Healthchecks probe every
// second on both sides (Docker's default is 30 s); every service stops on
// SIGTERM at once (a shell's httpd as PID 1 would ignore it and wait out
// the 10 s stop timeout of docker-compose's recreate).
const stackFile = `services:
  web:
    image: ` + benchStackImage + `
    command: ["sh", "-c", "httpd -f -p 8080 -h /www & trap 'kill $$!; exit 0' TERM; wait"]
    healthcheck: {test: ["CMD", "wget", "-q", "-O", "/dev/null", "http://127.0.0.1:8080/"], interval: 1s, timeout: 2s, retries: 60}
    depends_on:
      api: {condition: service_healthy}
      cache: {condition: service_healthy}
  api:
    image: ` + benchStackImage + `
    command: ["sh", "-c", "httpd -f -p 8081 -h /www & trap 'kill $$!; exit 0' TERM; wait"]
    healthcheck: {test: ["CMD", "wget", "-q", "-O", "/dev/null", "http://127.0.0.1:8081/"], interval: 1s, timeout: 2s, retries: 60}
    depends_on:
      db: {condition: service_healthy}
  worker:
    image: ` + benchStackImage + `
    command: ["sh", "-c", "trap 'exit 0' TERM; while :; do sleep 1; done"]
    depends_on:
      db: {condition: service_healthy}
      cache: {condition: service_healthy}
  cache:
    image: rivetr-test/redis:7
    command: ["redis-server", "--save", ""]
    healthcheck: {test: ["CMD", "redis-cli", "ping"], interval: 1s, timeout: 2s, retries: 60}
  db:
    image: rivetr-test/postgres:15
    environment:
      POSTGRES_PASSWORD: bench
    volumes:
      - data:/var/lib/postgresql/data
    healthcheck: {test: ["CMD", "pg_isready", "-h", "127.0.0.1", "-U", "postgres"], interval: 1s, timeout: 2s, retries: 60}
volumes:
  data:
`

// lightStack is the stack deployed 50 times for the memory figure.
const lightStack = `services:
  web:
    image: ` + benchStackImage + `
    command: ["sh", "-c", "httpd -f -p 8080 -h /www & trap 'kill $$!; exit 0' TERM; wait"]
    depends_on: [worker]
  worker:
    image: ` + benchStackImage + `
    command: ["sh", "-c", "trap 'exit 0' TERM; while :; do sleep 1; done"]
`

func buildStackImage() {
	dir, _ := os.MkdirTemp("", "bench-stack-img")
	defer os.RemoveAll(dir)
	os.WriteFile(filepath.Join(dir, "Dockerfile"), []byte("FROM "+testimage.Busybox+"\nRUN mkdir -p /www && echo ok > /www/index.html\n"), 0o644)
	run("docker", "build", "-q", "-t", benchStackImage, dir)
}

// allHealthy reports whether every container with the label (or in the
// compose project) runs and, when it has a healthcheck, is healthy.
func allHealthy(filter string, want int) bool {
	out, err := exec.Command("docker", "ps", "-q", "--filter", filter).Output()
	if err != nil {
		return false
	}
	ids := strings.Fields(string(out))
	if len(ids) != want {
		return false
	}
	st, err := exec.Command("docker", append([]string{"inspect", "-f", "{{.State.Status}} {{if .State.Health}}{{.State.Health.Status}}{{else}}none{{end}}"}, ids...)...).Output()
	if err != nil {
		return false
	}
	for _, l := range strings.Split(strings.TrimSpace(string(st)), "\n") {
		f := strings.Fields(l)
		if len(f) != 2 || f[0] != "running" || (f[1] != "healthy" && f[1] != "none") {
			return false
		}
	}
	return true
}

func waitHealthy(filter string, want int, timeout time.Duration) {
	deadline := time.Now().Add(timeout)
	for !allHealthy(filter, want) {
		if time.Now().After(deadline) {
			log.Fatalf("the stack (%s) never had %d healthy containers", filter, want)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// composeUp brings the stack up with docker-compose (first: fresh
// project; else --force-recreate), timed until all five are healthy and
// web answers.
func composeUp(file, project string, first bool) time.Duration {
	args := []string{"-p", project, "-f", file, "up", "-d"}
	if !first {
		args = append(args, "--force-recreate")
	}
	start := time.Now()
	run("docker-compose", args...)
	waitHealthy("label=com.docker.compose.project="+project, 5, 3*time.Minute)
	ip := run("docker", "inspect", "-f", "{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}", project+"_web_1")
	if err := waitBody("http://"+ip+":8080/", "", "ok", time.Minute); err != nil {
		log.Fatal(err)
	}
	return time.Since(start)
}

// rivetrStackDeploy deploys app, timed from the trigger until the
// deployment succeeded (the web answering through the proxy) and every
// service is healthy; then waits for the old containers to be retired.
func rivetrStackDeploy(s *server, app string) time.Duration {
	start := time.Now()
	d, err := s.client.Deploy(context.Background(), app, service.DeployRequest{})
	if err != nil {
		log.Fatal(err)
	}
	waitDeployment(s, d.ID)
	if err := waitBody("http://"+s.proxy+"/", app+".bench", "ok", time.Minute); err != nil {
		log.Fatal(err)
	}
	waitHealthy("label=rivetr.deployment="+d.ID, 5, 3*time.Minute)
	took := time.Since(start)
	waitHealthy("label=rivetr.app="+app, 5, 3*time.Minute) // the previous release retired
	return took
}

func benchStack(bin string) Result {
	if _, err := exec.LookPath("docker-compose"); err != nil {
		log.Printf("stack: docker-compose is missing (scripts/bench-deps.sh installs it); skipped")
		return Result{Name: "stack", Figures: map[string]float64{}, Notes: "skipped: docker-compose is not installed"}
	}
	buildStackImage()
	n := max(*runs/2, 3)
	log.Printf("stack: a five-service stack, %d first deploys and %d redeploys each of Rivetr and docker-compose", n, n)
	dir, _ := os.MkdirTemp("", "bench-stack")
	defer os.RemoveAll(dir)
	file := filepath.Join(dir, "compose.yaml")
	os.WriteFile(file, []byte(stackFile), 0o644)
	s := startServer(bin)
	defer s.stop()
	ctx := context.Background()
	var rFirst, rRe, cFirst, cRe []float64
	for i := 0; i < n; i++ {
		app := fmt.Sprintf("bench-stack-%d-%d", time.Now().UnixNano()%1e6, i)
		compose, bt, svc, port, health := stackFile, "compose", "web", 8080, "/"
		if _, err := s.client.CreateApp(ctx, service.AppInput{Name: &app, Domains: &[]string{app + ".bench"}, BuildType: &bt,
			ComposeInline: &compose, StackService: &svc, Port: &port, HealthPath: &health}); err != nil {
			log.Fatal(err)
		}
		rFirst = append(rFirst, rivetrStackDeploy(s, app).Seconds())
		rRe = append(rRe, rivetrStackDeploy(s, app).Seconds())
		if err := s.client.DeleteApp(ctx, app); err != nil {
			log.Fatal(err)
		}
		for j := 0; j < 600; j++ { // removed before the other side runs
			if out, _ := exec.Command("docker", "ps", "-aq", "--filter", "label=rivetr.app="+app).Output(); len(strings.Fields(string(out))) == 0 {
				break
			}
			time.Sleep(100 * time.Millisecond)
		}
		project := fmt.Sprintf("benchstack%d", i)
		cFirst = append(cFirst, composeUp(file, project, true).Seconds())
		cRe = append(cRe, composeUp(file, project, false).Seconds())
		run("docker-compose", "-p", project, "-f", file, "down", "-v", "-t", "2")
		log.Printf("  run %d: first deploy rivetr %.2fs, docker-compose %.2fs; redeploy rivetr %.2fs, docker-compose %.2fs",
			i+1, rFirst[i], cFirst[i], rRe[i], cRe[i])
	}
	figs := map[string]float64{
		"first_rivetr_median_s": round(median(rFirst)), "first_compose_median_s": round(median(cFirst)),
		"first_ratio":              round(median(rFirst) / median(cFirst)),
		"redeploy_rivetr_median_s": round(median(rRe)), "redeploy_compose_median_s": round(median(cRe)),
		"redeploy_ratio": round(median(rRe) / median(cRe)),
	}
	stacksMemory(s, figs)
	return Result{
		Name:    "stack",
		Figures: figs,
		Samples: map[string][]float64{"first_rivetr_s": rFirst, "first_compose_s": cFirst, "redeploy_rivetr_s": rRe, "redeploy_compose_s": cRe},
		Notes: "five services (web → api, cache; api → db; worker → db, cache; healthchecks every 1 s; PostgreSQL with a volume, Redis): trigger → all healthy and web answering " +
			"(Rivetr: through its proxy, after its health check and switch; docker-compose 1.29: `up -d` then polling until every container is healthy and web answers on its address). " +
			"A redeploy is Rivetr's zero-downtime release (stateless services start beside the old ones, the database stops first) vs `up -d --force-recreate`. " +
			"Then the server's and proxy's RSS idle, and with 50 two-service stacks deployed (100 containers), medians",
	}
}

// stacksMemory deploys 50 small stacks, five at a time, and records the
// server's and proxy's memory before and after.
func stacksMemory(s *server, figs map[string]float64) {
	const count = 50
	log.Printf("stack: memory with %d stacks", count)
	pid, proxy := s.cmd.Process.Pid, s.proxyPID()
	rss0, _ := idle(pid)
	proxy0 := rssMB(proxy)
	ctx := context.Background()
	apps := make([]string, count)
	sem := make(chan struct{}, 5)
	var wg sync.WaitGroup
	start := time.Now()
	for i := range apps {
		apps[i] = fmt.Sprintf("bench-mem-%d-%d", time.Now().UnixNano()%1e6, i)
		compose, bt, svc, port, health := lightStack, "compose", "web", 8080, "/"
		if _, err := s.client.CreateApp(ctx, service.AppInput{Name: &apps[i], Domains: &[]string{apps[i] + ".bench"}, BuildType: &bt,
			ComposeInline: &compose, StackService: &svc, Port: &port, HealthPath: &health}); err != nil {
			log.Fatal(err)
		}
		wg.Add(1)
		go func(app string) {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			deployAndWait(s, app)
		}(apps[i])
	}
	wg.Wait()
	took := time.Since(start)
	rss1, cpu := idle(pid)
	proxy1 := rssMB(proxy)
	figs["idle_server_rss_mb"], figs["server_rss_50_stacks_mb"] = round(rss0), round(rss1)
	figs["per_stack_kb"] = round((rss1 - rss0) * 1024 / count)
	figs["idle_proxy_rss_mb"], figs["proxy_rss_50_stacks_mb"] = round(proxy0), round(proxy1)
	figs["cpu_pct_50_stacks_idle"] = round(cpu)
	figs["deploy_50_stacks_s"] = round(took.Seconds())
	log.Printf("  server RSS %.1f MB idle → %.1f MB with %d stacks (%.0f s to deploy them); proxy %.1f → %.1f MB", rss0, rss1, count, took.Seconds(), proxy0, proxy1)
	for _, app := range apps {
		s.client.DeleteApp(ctx, app)
	}
}
