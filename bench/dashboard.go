package main

import (
	"context"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptrace"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/rivetr/rivetr/internal/ids"
	"github.com/rivetr/rivetr/internal/release"
	"github.com/rivetr/rivetr/internal/service"
	"github.com/rivetr/rivetr/internal/testimage"
	"github.com/rivetr/rivetr/schema"
)

// benchDashboard measures the dashboard's heaviest pages: the apps page
// with 200 apps, a deployment page with a 10,000-line log, and an app's
// page with 200 deployments (its overview, its deployments tab, and the
// tab with all 200). Server render
// time is time to first byte over loopback; the baseline is the same bytes
// served as a static file by Go's file server in this process. "Usable" is
// DOMContentLoaded in headless Chromium, against the same static copy.
func benchDashboard(bin string) Result {
	log.Printf("dashboard: 200 apps, a 10,000-line log, an app with 200 deployments")
	s := startServer(bin)
	defer s.stop()
	ctx := context.Background()
	repo, _ := os.MkdirTemp("", "bench-dash-repo")
	defer os.RemoveAll(repo)
	git(repo, "init", "-q", "-b", "main")
	// The nonce keeps Docker from answering the step from its cache, which
	// would leave the log short.
	os.WriteFile(filepath.Join(repo, "Dockerfile"), []byte("FROM "+testimage.Busybox+"\nRUN echo "+strconv.FormatInt(time.Now().UnixNano(), 36)+" && seq 1 10000\n"+
		strings.Join(strings.Split(testimage.Dockerfile("log", "", ""), "\n")[1:], "\n")), 0o644)
	git(repo, "add", "-A")
	git(repo, "commit", "-q", "-m", "ten thousand lines")
	for i := 0; i < 200; i++ {
		name := fmt.Sprintf("app-%03d", i)
		domains := []string{name + ".bench"}
		if _, err := s.client.CreateApp(ctx, service.AppInput{Name: &name, GitURL: &repo, Domains: &domains}); err != nil {
			log.Fatal(err)
		}
	}
	d, err := s.client.Deploy(ctx, "app-000", service.DeployRequest{})
	if err != nil {
		log.Fatal(err)
	}
	for i := 0; ; i++ {
		cur, err := s.client.GetDeployment(ctx, d.ID)
		if err == nil && cur.Status == "succeeded" {
			break
		}
		if err == nil && (cur.Status == "failed" || i > 1200) {
			log.Fatalf("the deployment with the long log did not succeed: %s %s", cur.Status, cur.FailureReason)
		}
		time.Sleep(100 * time.Millisecond)
	}
	nLines := 0
	for after := uint64(0); ; {
		batch, err := s.client.DeploymentLogs(ctx, d.ID, after)
		if err != nil || len(batch) == 0 {
			break
		}
		nLines += len(batch)
		after = batch[len(batch)-1].ID
	}
	defer exec.Command("docker", "rm", "-f", "rivetr-app-000-"+d.ID).Run()

	// app-000's history: the real deployment and 199 more rows written
	// straight to the server's SQLite file (every tenth failed, with a
	// reason of several lines, as health check failures have).
	store, err := schema.Open(filepath.Join(s.dir, "data", "rivetr.db"), nil)
	if err != nil {
		log.Fatal(err)
	}
	app, err := s.client.GetApp(ctx, "app-000")
	if err != nil {
		log.Fatal(err)
	}
	for j := 1; j < 200; j++ {
		dep := &schema.Deployment{ID: ids.New(), AppID: app.ID, AppName: "app-000", Kind: release.KindDeploy, Status: release.StatusSucceeded,
			Step: release.StepDone, CommitSHA: fmt.Sprintf("%040d", j), CommitMessage: fmt.Sprintf("change %d\n\nwith a body", j), Trigger: "webhook", WorkflowID: "deploy/app-000/x"}
		if j%10 == 0 {
			dep.Status, dep.Step = release.StatusFailed, release.StepHealth
			dep.FailureReason = "health check failed: GET /up answers 404: is --health-path right?\ncontainer's last lines:\n" + strings.Repeat("listening on :8080\n", 20)
		}
		if err := store.CreateDeployment(ctx, dep); err != nil {
			log.Fatal(err)
		}
	}
	store.Close()

	web := signedIn(s)
	figs := map[string]float64{"log_lines": float64(nLines)}
	static := staticServer()
	defer static.Close()
	pages := []struct{ name, path string }{{"apps_page", "/apps"}, {"deployment_page", "/deployments/" + d.ID},
		{"app_overview", "/apps/app-000"}, {"app_deployments_tab", "/apps/app-000/deployments"}, {"app_all_200_deployments", "/apps/app-000/deployments?all=1"}}
	for _, p := range pages {
		body := fetch(web, "http://"+s.http+p.path)
		copyPath := "/" + p.name + ".html"
		os.WriteFile(filepath.Join(static.dir, p.name+".html"), body, 0o644)
		ttfb, full := timeRequests(web, "http://"+s.http+p.path, 30)
		sttfb, sfull := timeRequests(http.DefaultClient, static.url+copyPath, 30)
		figs[p.name+"_kb"] = float64(len(body)) / 1024
		figs[p.name+"_render_ttfb_ms"] = ttfb
		figs[p.name+"_full_ms"] = full
		figs[p.name+"_static_ttfb_ms"] = sttfb
		figs[p.name+"_static_full_ms"] = sfull
		figs[p.name+"_full_vs_static"] = full / sfull
	}
	if chrome, err := exec.LookPath("chromium"); err == nil {
		bctx, cancel := browserContext(chrome)
		defer cancel()
		login(bctx, s)
		for _, p := range pages {
			usable, load := timeBrowser(bctx, "http://"+s.http+p.path, 5)
			susable, _ := timeBrowser(bctx, static.url+"/"+p.name+".html", 5)
			figs[p.name+"_browser_usable_ms"] = usable
			figs[p.name+"_browser_load_ms"] = load
			figs[p.name+"_static_browser_usable_ms"] = susable
		}
	}
	for k, v := range figs {
		figs[k] = round(v)
	}
	return Result{Name: "dashboard", Figures: figs,
		Notes: "medians; render = time to first byte over loopback (30 requests); static = the same bytes from Go's file server in the bench process (a floor: no database, no template); browser usable = DOMContentLoaded in headless Chromium (5 loads); targets: render ≤ 50 ms, usable ≤ 300 ms"}
}

type staticSrv struct {
	dir, url string
	srv      *http.Server
}

func (s *staticSrv) Close() { s.srv.Close(); os.RemoveAll(s.dir) }

func staticServer() *staticSrv {
	dir, _ := os.MkdirTemp("", "bench-static")
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	srv := &http.Server{Handler: http.FileServer(http.Dir(dir))}
	go srv.Serve(ln)
	return &staticSrv{dir: dir, url: "http://" + ln.Addr().String(), srv: srv}
}

var csrfRE = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// signedIn returns a client holding a dashboard session.
func signedIn(s *server) *http.Client {
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar}
	page := fetch(c, "http://"+s.http+"/login")
	m := csrfRE.FindSubmatch(page)
	if m == nil {
		log.Fatal("no sign-in form")
	}
	req, _ := http.NewRequest("POST", "http://"+s.http+"/login", strings.NewReader(url.Values{"csrf": {string(m[1])}, "token": {s.client.Token}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", "http://"+s.http)
	res, err := c.Do(req)
	if err != nil || res.StatusCode != 200 {
		log.Fatalf("sign in: %v %v", res, err)
	}
	res.Body.Close()
	return c
}

func fetch(c *http.Client, u string) []byte {
	res, err := c.Get(u)
	if err != nil {
		log.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode != 200 {
		log.Fatalf("GET %s: %d", u, res.StatusCode)
	}
	return b
}

// timeRequests returns the median time to first byte and to the last byte.
func timeRequests(c *http.Client, u string, n int) (ttfb, full float64) {
	var firsts, fulls []float64
	for i := 0; i < n; i++ {
		var first time.Time
		req, _ := http.NewRequest("GET", u, nil)
		req = req.WithContext(httptrace.WithClientTrace(req.Context(), &httptrace.ClientTrace{GotFirstResponseByte: func() { first = time.Now() }}))
		start := time.Now()
		res, err := c.Do(req)
		if err != nil {
			log.Fatal(err)
		}
		io.Copy(io.Discard, res.Body)
		res.Body.Close()
		firsts = append(firsts, float64(first.Sub(start).Microseconds())/1000)
		fulls = append(fulls, float64(time.Since(start).Microseconds())/1000)
	}
	return median(firsts), median(fulls)
}

func browserContext(chrome string) (context.Context, context.CancelFunc) {
	dir, _ := os.MkdirTemp("", "bench-chrome")
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(chrome), chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true), chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-component-update", true), chromedp.Flag("disable-sync", true), chromedp.UserDataDir(dir))
	actx, c1 := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, c2 := chromedp.NewContext(actx)
	return ctx, func() { c2(); c1(); os.RemoveAll(dir) }
}

func login(ctx context.Context, s *server) {
	err := chromedp.Do(ctx, chromedp.Navigate("http://"+s.http+"/login"), chromedp.Click(chromedp.CSS("details summary")),
		chromedp.WaitVisible(chromedp.ID("token")), chromedp.SendKeys(chromedp.ID("token"), s.client.Token),
		chromedp.Submit(chromedp.ID("token")), chromedp.WaitVisible(chromedp.CSS("header nav")))
	if err != nil {
		log.Fatal(err)
	}
}

// timeBrowser loads u n times and returns the median DOMContentLoaded and
// load times from the Navigation Timing API.
func timeBrowser(ctx context.Context, u string, n int) (usable, load float64) {
	var us, ls []float64
	for i := 0; i < n; i++ {
		if err := chromedp.Do(ctx, chromedp.Navigate(u)); err != nil {
			log.Fatal(err)
		}
		v, err := chromedp.Run(ctx, chromedp.Evaluate[[]float64](`(() => { const n = performance.getEntriesByType("navigation")[0]; return [n.domContentLoadedEventEnd, n.loadEventEnd]; })()`))
		if err != nil {
			log.Fatal(err)
		}
		us, ls = append(us, v[0]), append(ls, v[1])
	}
	return median(us), median(ls)
}
