package main

import (
	"context"
	"fmt"
	"log"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"time"

	"github.com/rivetr/rivetr/internal/ids"
	"github.com/rivetr/rivetr/internal/release"
	"github.com/rivetr/rivetr/internal/service"
	"github.com/rivetr/rivetr/internal/testimage"
	"github.com/rivetr/rivetr/schema"
)

// benchScale measures how costs grow: listing apps through the API as they
// go from 10 to 1,000 (with 20 deployments each), and deploying 1, 10 and
// 50 apps at once on one host.
func benchScale(bin string) Result {
	figs := map[string]float64{}
	listing(bin, figs)
	concurrentDeploys(bin, figs)
	linePlot("scale_deploys.png", "Apps deployed at once on one host", "apps deployed at once", "seconds",
		[]float64{1, 10, 50}, []string{"until all answer", "per deploy (total / apps)"},
		[][]float64{
			{figs["deploy_1_at_once_total_s"], figs["deploy_10_at_once_total_s"], figs["deploy_50_at_once_total_s"]},
			{figs["deploy_1_at_once_s_per_deploy"], figs["deploy_10_at_once_s_per_deploy"], figs["deploy_50_at_once_s_per_deploy"]},
		})
	linePlot("scale_list.png", "GET /api/apps, 20 deployments per app (median)", "apps", "ms",
		[]float64{10, 100, 1000}, []string{"list apps"},
		[][]float64{{figs["list_10_apps_ms"], figs["list_100_apps_ms"], figs["list_1000_apps_ms"]}})
	for k, v := range figs {
		figs[k] = round(v)
	}
	return Result{Name: "scale", Figures: figs,
		Notes: "list: median of 20 GET /api/apps with 20 deployments per app (rows written straight to the server's SQLite file); concurrent: N busybox apps deployed at once, wall time until all answer through the proxy"}
}

func listing(bin string, figs map[string]float64) {
	log.Printf("scale: listing 10, 100, 1,000 apps with 20 deployments each")
	s := startServer(bin)
	defer s.stop()
	ctx := context.Background()
	// Only apps and deployments are written here: no secrets, so no key.
	store, err := schema.Open(filepath.Join(s.dir, "data", "rivetr.db"), nil)
	if err != nil {
		log.Fatal(err)
	}
	defer store.Close()
	repo := "/srv/none"
	made := 0
	for _, n := range []int{10, 100, 1000} {
		for ; made < n; made++ {
			name := fmt.Sprintf("app-%04d", made)
			domains := []string{name + ".bench"}
			app, err := s.client.CreateApp(ctx, service.AppInput{Name: &name, GitURL: &repo, Domains: &domains})
			if err != nil {
				log.Fatal(err)
			}
			var last string
			for j := 0; j < 20; j++ {
				d := &schema.Deployment{ID: ids.New(), AppID: app.ID, AppName: name, Kind: release.KindDeploy, Status: release.StatusSucceeded,
					Step: release.StepDone, CommitSHA: fmt.Sprintf("%040d", j), CommitMessage: "commit", Trigger: "api", WorkflowID: "deploy/" + name + "/x"}
				if err := store.CreateDeployment(ctx, d); err != nil {
					log.Fatal(err)
				}
				last = d.ID
			}
			if err := store.SetCurrentDeployment(ctx, app.ID, last); err != nil {
				log.Fatal(err)
			}
		}
		var lat []float64
		for i := 0; i < 20; i++ {
			t0 := time.Now()
			if apps, err := s.client.ListApps(ctx, ""); err != nil || len(apps) != n {
				log.Fatalf("list: %d apps, %v", len(apps), err)
			}
			lat = append(lat, float64(time.Since(t0).Microseconds())/1000)
		}
		figs[fmt.Sprintf("list_%d_apps_ms", n)] = median(lat)
		log.Printf("  %d apps: %.1f ms", n, median(lat))
	}
	figs["list_ms_per_app_at_1000"] = figs["list_1000_apps_ms"] / 1000
	t0 := time.Now()
	if _, err := s.client.ListDeployments(ctx, "app-0500", 20); err != nil {
		log.Fatal(err)
	}
	figs["list_20_deployments_ms"] = float64(time.Since(t0).Microseconds()) / 1000
}

func concurrentDeploys(bin string, figs map[string]float64) {
	exec.Command("docker", "network", "create", "rivetr-bench").Run()
	s := startServer(bin)
	defer s.stop()
	ctx := context.Background()
	repo, _ := os.MkdirTemp("", "bench-scale")
	defer os.RemoveAll(repo)
	git(repo, "init", "-q", "-b", "main")
	defer exec.Command("sh", "-c", "docker rm -f $(docker ps -aq --filter label=rivetr.app) >/dev/null 2>&1").Run()
	made := 0
	for _, n := range []int{1, 10, 50} {
		log.Printf("scale: %d deploys at once", n)
		// A fresh version so no build is answered from Docker's cache.
		v := fmt.Sprintf("scale-%d-%d", n, time.Now().UnixNano())
		os.WriteFile(filepath.Join(repo, "Dockerfile"), []byte(testimage.Dockerfile(v, "", "")), 0o644)
		git(repo, "add", "-A")
		git(repo, "commit", "-q", "-m", v)
		var names []string
		for ; made < n; made++ {
			name := fmt.Sprintf("c-%02d", made)
			domains := []string{name + ".bench"}
			if _, err := s.client.CreateApp(ctx, service.AppInput{Name: &name, GitURL: &repo, Domains: &domains}); err != nil {
				log.Fatal(err)
			}
		}
		for i := 0; i < n; i++ {
			names = append(names, fmt.Sprintf("c-%02d", i))
		}
		start := time.Now()
		var wg sync.WaitGroup
		per := make([]float64, n)
		for i, name := range names {
			wg.Add(1)
			go func(i int, name string) {
				defer wg.Done()
				t0 := time.Now()
				if _, err := s.client.Deploy(ctx, name, service.DeployRequest{}); err != nil {
					log.Fatal(err)
				}
				if err := waitBody("http://"+s.proxy+"/", name+".bench", v, 5*time.Minute); err != nil {
					log.Fatal(err)
				}
				per[i] = time.Since(t0).Seconds()
			}(i, name)
		}
		wg.Wait()
		total := time.Since(start).Seconds()
		figs[fmt.Sprintf("deploy_%d_at_once_total_s", n)] = total
		figs[fmt.Sprintf("deploy_%d_at_once_mean_s", n)] = mean(per)
		figs[fmt.Sprintf("deploy_%d_at_once_s_per_deploy", n)] = total / float64(n)
		log.Printf("  %d at once: %.1f s in all, %.2f s per deploy", n, total, total/float64(n))
		// Let retire workflows finish before the next round.
		time.Sleep(12 * time.Second)
	}
}

func mean(xs []float64) float64 {
	t := 0.0
	for _, x := range xs {
		t += x
	}
	return t / float64(len(xs))
}
