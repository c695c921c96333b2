package e2e

import (
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// chaosRuns is how many times each fault is injected: RIVETR_CHAOS_RUNS
// (make chaos sets 3; make test runs each once).
func chaosRuns() int {
	if n, err := strconv.Atoi(os.Getenv("RIVETR_CHAOS_RUNS")); err == nil && n > 0 {
		return n
	}
	return 1
}

// chaosReport collects what was injected and what came of it; it is written
// to RIVETR_CHAOS_REPORT (Markdown) when set.
type chaosReport struct {
	mu   sync.Mutex
	rows []string
}

func (r *chaosReport) add(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.rows = append(r.rows, fmt.Sprintf(format, args...))
}

func (r *chaosReport) write(t *testing.T, title, header string) {
	path := os.Getenv("RIVETR_CHAOS_REPORT")
	if path == "" {
		return
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	fmt.Fprintf(f, "\n## %s\n\n%s\n", title, header)
	for _, row := range r.rows {
		fmt.Fprintln(f, row)
	}
}

// TestChaosKillAtEachStep kills `rivetr server` with SIGKILL at each step
// boundary of a deploy and restarts it. Every deploy must end succeeded
// (the versions are healthy), serving the new version, with no orphan
// container or image and a complete record.
func TestChaosKillAtEachStep(t *testing.T) {
	env := newAppSetup(t, "chaos", false, "c0")
	s, app, host, repo := env.S, env.App, env.Host, env.Repo
	s.MustCLI("deploy", app, "--wait")
	report := &chaosReport{}
	defer report.write(t, "SIGKILL at each deploy step", "| point | run | outcome | serving | containers | recovery after restart |\n|---|---|---|---|---|---|")

	points := []struct {
		name, step string
		after      time.Duration
		build, pre string
		inFlight   bool // a slow request to the old version holds the drain open
	}{
		{"after clone", "build", 0, "sleep 3", "", false},
		{"during build", "build", 1500 * time.Millisecond, "sleep 5", "", false},
		{"after candidate start", "health", 0, "", "sleep 2", false},
		{"during health check", "health", time.Second, "", "sleep 4", false},
		{"right after the switch", "drain", 0, "", "", true},
		{"during drain", "drain", 1500 * time.Millisecond, "", "", true},
	}
	n := 0
	for _, p := range points {
		for run := 1; run <= chaosRuns(); run++ {
			n++
			v := fmt.Sprintf("c%d", n)
			t.Run(fmt.Sprintf("%s/%d", p.name, run), func(t *testing.T) {
				repo.Commit(v, map[string]string{"Dockerfile": AppDockerfile(v, p.build, p.pre)})
				if p.inFlight {
					go s.Get(host, "/cgi-bin/slow")
					time.Sleep(200 * time.Millisecond)
				}
				var d Deployment
				json.Unmarshal([]byte(s.MustCLI("deploy", app, "-o", "json")), &d)
				s.WaitDeployment(app, d.ID, 90*time.Second, func(x Deployment) bool { return x.Step == p.step })
				time.Sleep(p.after)
				s.Kill()
				restart := time.Now()
				s.Start()
				final := s.WaitDeployment(app, d.ID, 3*time.Minute, func(x Deployment) bool {
					return x.Status == "succeeded" || x.Status == "failed" || x.Status == "cancelled"
				})
				recovery := time.Since(restart).Round(100 * time.Millisecond)
				body := s.MustGet(host, "/")
				var names []string
				eventually(t, 60*time.Second, "only the new container", func() bool {
					names = Containers(t, app)
					return len(names) == 1 && strings.HasSuffix(names[0], d.ID)
				})
				report.add("| %s | %d | %s | %s | %d | %s |", p.name, run, final.Status, body, len(names), recovery)
				if final.Status != "succeeded" || body != v {
					t.Fatalf("after SIGKILL %s: %s (%s), serving %q", p.name, final.Status, final.FailureReason, body)
				}
				if final.Step != "done" || final.FinishedAt == "" {
					t.Fatalf("incomplete record: %+v", final)
				}
				tags := Images(t, app)
				if !slices.Contains(tags, d.ID) || len(tags) > 5 {
					t.Fatalf("images after %s: %v", p.name, tags)
				}
			})
		}
	}
}
