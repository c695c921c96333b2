package main

import (
	"bufio"
	"context"
	"io"
	"log"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/rivetr/rivetr/internal/ids"
	"github.com/rivetr/rivetr/internal/testimage"
)

// benchFirstApp follows the README on this machine: git clone, make run
// (in the background; the banner awaited), then the walk-through's first
// commands (rivetr apps create, deploy --wait, curl through the proxy),
// timing each. Two differences from a reader's first hour, both said in
// the notes: the app's repository is a local one (nothing outside is
// reachable here), and Go's build cache is this machine's, so the build is
// a warm one; the cold first build is the ~7 minutes the README states.
// The baseline is docker build + docker run of the same repository.
func benchFirstApp(string) Result {
	log.Printf("first app: clone, make run, apps create, deploy --wait, curl")
	root, err := os.Getwd()
	if err != nil {
		log.Fatal(err)
	}
	tmp, _ := os.MkdirTemp("", "bench-first")
	defer os.RemoveAll(tmp)
	figs := map[string]float64{}
	start := time.Now()
	lap := func(name string, t0 time.Time) time.Time {
		figs[name+"_s"] = round(time.Since(t0).Seconds())
		log.Printf("  %s: %.1f s", name, time.Since(t0).Seconds())
		return time.Now()
	}
	t := time.Now()
	checkout := filepath.Join(tmp, "rivetr")
	git(tmp, "clone", "-q", root, checkout)
	t = lap("clone", t)

	httpAddr, proxyAddr := freePort(), freePort()
	run := exec.Command("make", "run", "PROXY_ADDR="+proxyAddr,
		"ARGS=--http-addr "+httpAddr+" --temporal-listen "+freePort()+" --temporal-ui-addr "+freePort()+" --docker-network rivetr-bench-first --log-level warn")
	run.Dir = checkout
	run.Env = append(os.Environ(), "RIVETR_ALLOW_LOCAL_GIT=1", "RIVETR_EGRESS_ALLOW=127.0.0.0/8,::1")
	run.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	out, _ := run.StdoutPipe()
	run.Stderr = run.Stdout
	if err := run.Start(); err != nil {
		log.Fatal(err)
	}
	defer func() {
		exec.Command(filepath.Join(checkout, "bin", "rivetr"), "proxy", "stop", "--data-dir", filepath.Join(checkout, ".rivetr")).Run()
		syscall.Kill(-run.Process.Pid, syscall.SIGTERM)
		run.Wait()
		exec.Command("sh", "-c", "docker ps -aq --filter name=rivetr-web- --filter network=rivetr-bench-first | xargs -r docker rm -f").Run()
	}()
	banner := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(out)
		seen := false
		for sc.Scan() {
			if !seen && strings.Contains(sc.Text(), "/setup") {
				seen = true
				close(banner)
			}
		}
	}()
	built := false
	for deadline := time.Now().Add(20 * time.Minute); !built; {
		select {
		case <-banner:
			built = true
		case <-time.After(100 * time.Millisecond):
			if time.Now().After(deadline) {
				log.Fatal("make run printed no banner in 20 minutes")
			}
		}
	}
	t = lap("make_run_to_banner", t)

	repo := filepath.Join(tmp, "web")
	os.MkdirAll(repo, 0o755)
	git(repo, "init", "-q", "-b", "main")
	os.WriteFile(filepath.Join(repo, "Dockerfile"), []byte(testimage.Dockerfile("hello", "", "")), 0o644)
	git(repo, "add", "-A")
	git(repo, "commit", "-q", "-m", "first")
	cli := func(args ...string) {
		cmd := exec.Command(filepath.Join(checkout, "bin", "rivetr"), args...)
		cmd.Dir = checkout // the CLI finds ./.rivetr, as the README says
		cmd.Env = append(os.Environ(), "RIVETR_URL=http://"+httpAddr)
		if b, err := cmd.CombinedOutput(); err != nil {
			log.Fatalf("rivetr %v: %v\n%s", args, err, b)
		}
	}
	cli("apps", "create", "web", "--git", repo, "--domain", "web.example.com", "--port", "8080", "--health-path", "/up")
	cli("deploy", "web", "--wait")
	req, _ := http.NewRequestWithContext(context.Background(), "GET", "http://"+proxyAddr+"/", nil)
	req.Host = "web.example.com"
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		log.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if strings.TrimSpace(string(body)) != "hello" {
		log.Fatalf("the first app answered %d %q", res.StatusCode, body)
	}
	lap("create_deploy_answer", t)
	figs["clone_to_first_app_s"] = round(time.Since(start).Seconds())

	// Baseline: the same repository by hand with the Docker CLI.
	t = time.Now()
	tag := "rivetr-bench/first:" + ids.New()
	if b, err := exec.Command("docker", "build", "-q", "-t", tag, repo).CombinedOutput(); err != nil {
		log.Fatalf("docker build: %v\n%s", err, b)
	}
	id, err := exec.Command("docker", "run", "-d", "-p", "127.0.0.1::8080", tag).Output()
	if err != nil {
		log.Fatal(err)
	}
	cid := strings.TrimSpace(string(id))
	defer exec.Command("docker", "rm", "-f", cid).Run()
	defer exec.Command("docker", "rmi", tag).Run()
	port, _ := exec.Command("docker", "port", cid, "8080").Output()
	addr := strings.TrimSpace(strings.Split(string(port), "\n")[0])
	for i := 0; ; i++ {
		if res, err := http.Get("http://" + addr + "/up"); err == nil {
			res.Body.Close()
			if res.StatusCode == 200 {
				break
			}
		}
		if i > 300 {
			log.Fatal("docker run: no answer")
		}
		time.Sleep(20 * time.Millisecond)
	}
	lap("docker_build_run_baseline", t)
	figs["create_deploy_vs_docker"] = round(figs["create_deploy_answer_s"] / figs["docker_build_run_baseline_s"])
	return Result{Name: "first_app", Figures: figs,
		Notes: "the README followed on this machine: git clone, make run (warm Go build cache: the cold first build adds the ~7 min the README states), then apps create, deploy --wait and curl through the proxy, against a local repository (nothing outside is reachable here); baseline: docker build + docker run of the same repository until it answers"}
}
