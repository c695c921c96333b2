package e2e

import (
	"context"
	"fmt"
	"github.com/rivetr/rivetr/internal/templates"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// chromium finds Debian's headless-capable Chromium.
func chromium(t *testing.T) string {
	t.Helper()
	for _, p := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if path, err := exec.LookPath(p); err == nil {
			return path
		}
	}
	if os.Getenv("RIVETR_REQUIRE_BROWSER") != "" {
		t.Fatal("no Chromium found (scripts/test-deps.sh installs Debian's chromium)")
	}
	t.Skip("no Chromium found")
	return ""
}

// browser starts a headless Chromium with the flags this closed network
// needs (no background connections, no sandbox as root).
func browser(t *testing.T) context.Context {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromium(t)),
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 900),
	)
	actx, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancel)
	ctx, cancel2 := chromedp.NewContext(actx)
	t.Cleanup(cancel2)
	// Accept confirmation dialogs (rollback, cancel) as a user would.
	err := chromedp.Listen(ctx, func(ev any) {
		if _, ok := ev.(*page.EventJavascriptDialogOpening); ok {
			go chromedp.Call(ctx, page.HandleJavaScriptDialog, page.HandleJavaScriptDialogParams{Accept: true})
		}
	})
	if err != nil {
		t.Fatalf("start Chromium: %v", err)
	}
	return ctx
}

// screenshotDir is where screenshots go: RIVETR_SCREENSHOTS (make
// screenshots sets docs/screenshots) or a temporary directory.
func screenshotDir(t *testing.T) string {
	if d := os.Getenv("RIVETR_SCREENSHOTS"); d != "" {
		os.MkdirAll(d, 0o755)
		return d
	}
	return t.TempDir()
}

func shot(ctx context.Context, t *testing.T, dir, name string) {
	t.Helper()
	buf, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name+".png"), buf, 0o644); err != nil {
		t.Fatal(err)
	}
}

// waitText polls the text of sel until it equals want.
func waitText(ctx context.Context, t *testing.T, sel, want string, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	var got string
	for time.Now().Before(deadline) {
		text, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
		if got = strings.TrimSpace(text); err == nil && got == want {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("%s shows %q, want %q", sel, got, want)
}

// TestDashboardInBrowser signs in, creates an app, deploys it and watches
// the log and status change live, deploys again, and rolls back from the
// timeline — in a real headless Chromium against a real dockerd.
func TestDashboardInBrowser(t *testing.T) {
	needDocker(t)
	ctx := browser(t)
	s := NewServer(t, true)
	s.Start()
	app := "dash-" + randSuffix()
	host := app + ".test"
	CleanupApp(t, app)
	repo := NewRepo(t)
	// The first build prints, pauses and prints again, so the test can
	// scroll the live log up while lines still arrive.
	repo.Commit("first version", map[string]string{"Dockerfile": AppDockerfile("v1", `printf '\033[31mred-line\033[0m\n'; seq 1 300; sleep 3; seq 301 600`, "")})
	token := strings.TrimSpace(readFile(t, filepath.Join(s.DataDir, "admin-token")))
	shots := screenshotDir(t)
	run := func(actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		tctx, cancel := context.WithTimeout(ctx, 60*time.Second)
		defer cancel()
		if err := chromedp.Do(tctx, actions...); err != nil {
			t.Fatal(err)
		}
	}
	// navigate loads url and runs then; Chromium aborts a navigation when
	// a network interface comes or goes (ERR_NETWORK_CHANGED: a container's
	// veth, as deploys start and retire them), so it tries again then.
	navigate := func(url string, then ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		for attempt := 1; ; attempt++ {
			// A page loads in well under a second here; 20 s is far above
			// that and far below the minute a browser waited when pages
			// left their event streams open (all its connections taken).
			tctx, cancel := context.WithTimeout(ctx, 20*time.Second)
			err := chromedp.Do(tctx, append([]chromedp.Action[chromedp.Void]{chromedp.Navigate(url)}, then...)...)
			cancel()
			if err == nil {
				return
			}
			if !strings.Contains(err.Error(), "ERR_NETWORK_CHANGED") || attempt == 5 {
				t.Fatal(err)
			}
			time.Sleep(500 * time.Millisecond)
		}
	}
	text := func(sel string) string {
		t.Helper()
		v, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	eval := func(expr string) any {
		t.Helper()
		v, err := chromedp.Run(ctx, chromedp.Evaluate[any](expr))
		if err != nil {
			t.Fatal(err)
		}
		return v
	}

	// Sign in.
	navigate(s.HTTP+"/apps", chromedp.WaitVisible(chromedp.ID("email")))
	shot(ctx, t, shots, "login")
	// No user exists yet: the admin token signs in (the setup page would
	// create the owner).
	run(chromedp.Click(chromedp.CSS("details summary")), chromedp.WaitVisible(chromedp.ID("token")),
		chromedp.SendKeys(chromedp.ID("token"), token), chromedp.Submit(chromedp.ID("token")),
		chromedp.WaitVisible(chromedp.ID("new-name")))

	// Create an app; a mistake first, shown inline.
	run(chromedp.SendKeys(chromedp.ID("new-name"), "Bad Name"), chromedp.SendKeys(chromedp.ID("new-git"), repo.Dir),
		chromedp.SendKeys(chromedp.ID("new-domains"), host), chromedp.Submit(chromedp.ID("new-name")),
		chromedp.WaitVisible(chromedp.ID("new-name-err")))
	if errText := text("#new-name-err"); !strings.Contains(errText, "lower-case letters") {
		t.Fatalf("inline error %q", errText)
	}
	run(chromedp.SetValue(chromedp.ID("new-name"), app), chromedp.Submit(chromedp.ID("new-name")),
		chromedp.WaitVisible(chromedp.ID("deploy")))

	// Deploy, and watch it go live without reloading the page.
	run(chromedp.Click(chromedp.ID("deploy")), chromedp.WaitVisible(chromedp.ID("log")))
	eval(`window.__noReload = true`)
	// While lines arrive the log follows the bottom; once the reader
	// scrolls up it stays where they are.
	waitFor(ctx, t, `document.getElementById("log").textContent.includes("\n300\n")`, 60*time.Second)
	if atBottom := eval(`(() => { const l = document.getElementById("log"); return l.scrollHeight - l.scrollTop - l.clientHeight < 30; })()`); atBottom != true {
		t.Fatal("the live log does not follow new lines")
	}
	eval(`(() => { const l = document.getElementById("log"); l.scrollTop = 0; l.dispatchEvent(new Event("scroll")); })()`)
	waitFor(ctx, t, `document.getElementById("log").textContent.includes("\n600\n")`, 60*time.Second)
	if top := eval(`document.getElementById("log").scrollTop`); top != float64(0) {
		t.Fatalf("the log scrolled to %v after the reader scrolled up", top)
	}
	waitText(ctx, t, "#status", "succeeded", 90*time.Second)
	if still := eval(`window.__noReload === true`); still != true {
		t.Fatal("the page reloaded while the deployment ran")
	}
	if logText := text("#log"); !strings.Contains(logText, "Successfully built") || !strings.Contains(logText, "deployment succeeded") {
		t.Fatalf("the log did not stream in:\n%s", logText)
	}
	// Colours a build prints are rendered, not shown as escape codes.
	if red := eval(`(() => { const e = document.querySelector("#log .ansi-fg-red"); return e ? e.textContent : ""; })()`); red != "red-line" {
		t.Fatalf("the build's red line renders as %q", red)
	}
	if raw := eval(`document.getElementById("log").textContent.includes("\x1b")`); raw != false {
		t.Fatal("raw ANSI escapes in the build log")
	}
	if doneSteps := eval(`document.querySelectorAll("#steps li.done").length`); doneSteps != float64(6) {
		t.Fatalf("%d steps done, want 6", doneSteps)
	}
	shot(ctx, t, shots, "deployment")
	if body := s.MustGet(host, "/"); body != "v1" {
		t.Fatalf("serving %q", body)
	}

	// A second version, then roll back to the first from the timeline
	// (replaced containers drain for a second, not the default 30).
	s.MustCLI("apps", "update", app, "--drain-timeout", "1s")
	repo.Commit("second version", map[string]string{"Dockerfile": AppDockerfile("v2", "", "")})
	navigate(s.HTTP+"/apps/"+app, chromedp.WaitVisible(chromedp.ID("deploy")))
	run(chromedp.Click(chromedp.ID("deploy")), chromedp.WaitVisible(chromedp.ID("log")))
	waitText(ctx, t, "#status", "succeeded", 90*time.Second)
	if body := s.MustGet(host, "/"); body != "v2" {
		t.Fatalf("serving %q", body)
	}
	navigate(s.HTTP+"/apps/"+app, chromedp.WaitVisible(chromedp.CSS(".timeline")))
	shot(ctx, t, shots, "app")
	run(chromedp.Click(chromedp.CSS(`form[action$="/rollback"] button.js`)), chromedp.WaitVisible(chromedp.ID("log")))
	waitText(ctx, t, "#status", "succeeded", 90*time.Second)
	if heading := text("h1"); !strings.HasPrefix(heading, "Rollback") {
		t.Fatalf("after the rollback button: %q", heading)
	}
	if body := s.MustGet(host, "/"); body != "v1" {
		t.Fatalf("after rollback, serving %q", body)
	}

	// Runtime logs stream live on the app page; search narrows them as
	// you type; pause holds new lines back until resumed.
	// Chromium aborts a navigation when a container's veth comes or goes
	// (ERR_NETWORK_CHANGED): let the rolled-back container retire first.
	eventually(t, 60*time.Second, "the replaced container retired", func() bool { return len(Containers(t, app)) == 1 })
	navigate(s.HTTP+"/apps/"+app+"/logs", chromedp.WaitVisible(chromedp.ID("log-filter")))
	s.MustGet(host, "/")
	waitFor(ctx, t, `document.getElementById("runtime-log").textContent.includes("response:200")`, 30*time.Second)
	run(chromedp.SendKeys(chromedp.ID("log-filter"), "response:200"))
	waitFor(ctx, t, `(() => { const t = document.getElementById("runtime-log").textContent.trim(); return t !== "" && t.split("\n").every((l) => l.includes("response:200")); })()`, 10*time.Second)
	run(chromedp.Click(chromedp.ID("log-pause")))
	before := eval(`document.getElementById("runtime-log").textContent.length`)
	s.MustGet(host, "/greeting")
	waitFor(ctx, t, `document.getElementById("log-state").textContent.includes("paused, 1 new") || document.getElementById("log-state").textContent.includes("paused, 2 new")`, 10*time.Second)
	if after := eval(`document.getElementById("runtime-log").textContent.length`); after != before {
		t.Fatalf("the paused log grew from %v to %v", before, after)
	}
	run(chromedp.Click(chromedp.ID("log-pause")))
	waitFor(ctx, t, `document.getElementById("runtime-log").textContent.length > `+fmt.Sprint(before), 10*time.Second)
	shot(ctx, t, shots, "app-logs")

	// Every tab of the app page, each at its own address, marked in the
	// tab bar, reached by its number key too.
	tabs := map[string]string{"": "#serving", "deployments": ".timeline", "logs": "#runtime-log", "environment": "#env", "domains": "#domain-list",
		"settings": "#settings", "webhooks": "#webhook-urls", "policy": "#policy", "danger": "#delete-confirm"}
	for tab, mark := range tabs {
		navigate(s.HTTP+"/apps/"+app+strings.TrimSuffix("/"+tab, "/"), chromedp.WaitVisible(chromedp.CSS(mark)))
		if cur := text(`#app-tabs a[aria-current="page"]`); cur == "" {
			t.Errorf("tab %q: none marked current", tab)
		}
		if overflow := eval(`document.documentElement.scrollWidth > window.innerWidth + 1`); overflow == true {
			t.Errorf("the app page's %q tab scrolls sideways on a desktop screen", tab)
		}
	}
	// The graph page draws the app (its team's graph) and links it.
	navigate(s.HTTP+"/graph", chromedp.WaitVisible(chromedp.CSS(`#graph [data-node="app:`+app+`"]`)))
	if href := eval(`document.querySelector('#graph [data-node="app:` + app + `"]').getAttribute("href")`); href != "/apps/"+app {
		t.Errorf("the graph's box for %s links to %v", app, href)
	}
	shot(ctx, t, shots, "graph")
	// The template gallery shows its cards; a template's page its form.
	navigate(s.HTTP+"/templates", chromedp.WaitVisible(chromedp.CSS(`#template-list [data-template="grafana"]`)))
	if n := eval(`document.querySelectorAll('#template-list .card.template').length`); n != float64(len(templates.All())) {
		t.Errorf("the gallery shows %v templates", n)
	}
	shot(ctx, t, shots, "templates")
	navigate(s.HTTP+"/templates/grafana", chromedp.WaitVisible(chromedp.ID("t-deploy")))
	// Pages left close their event streams: after two rounds of the tabs
	// the page's own stream still gets a slot (16 a user) and opens.
	for round := 0; round < 2; round++ {
		for tab := range tabs {
			navigate(s.HTTP + "/apps/" + app + strings.TrimSuffix("/"+tab, "/"))
		}
	}
	navigate(s.HTTP+"/apps/"+app, chromedp.WaitVisible(chromedp.ID("serving")))
	waitFor(ctx, t, `document.body.dataset.stream === "open"`, 10*time.Second)
	run(chromedp.KeyEvent("3"), chromedp.WaitVisible(chromedp.ID("runtime-log")))
	if cur := text(`#app-tabs a[aria-current="page"]`); cur != "Logs" {
		t.Fatalf("key 3 went to %q", cur)
	}
	// "?" lists the shortcuts; "g a" goes to the apps; j focuses the first.
	run(chromedp.KeyEvent("?"), chromedp.WaitVisible(chromedp.ID("keys")))
	run(chromedp.KeyEvent("\x1b"), chromedp.WaitNotVisible(chromedp.ID("keys")))
	run(chromedp.KeyEvent("g"), chromedp.KeyEvent("a"), chromedp.WaitVisible(chromedp.ID("app-list")))
	run(chromedp.KeyEvent("j"))
	if focused := eval(`document.activeElement.closest("[data-app-card]")?.dataset.appCard`); focused != app {
		t.Fatalf("j focused %v", focused)
	}

	// The apps list follows deployments live: a deploy started elsewhere
	// shows on the app's card without a reload.
	shot(ctx, t, shots, "apps")
	eval(`window.__noReload = true`)
	beforeDep := eval(`document.querySelector('[data-app-card="` + app + `"]').dataset.deployment`)
	out := s.MustCLI("deploy", app, "--wait")
	waitFor(ctx, t, `(() => { const c = document.querySelector('[data-app-card="`+app+`"]'); return c.dataset.deployment !== `+fmt.Sprintf("%q", beforeDep)+` && c.querySelector("[data-status]").textContent === "succeeded"; })()`, 30*time.Second)
	if still := eval(`window.__noReload === true`); still != true {
		t.Fatalf("the apps page reloaded (deploy said %s)", out)
	}
	eventually(t, 60*time.Second, "the replaced container retired", func() bool { return len(Containers(t, app)) == 1 })

	// The environment tab sets a variable and lists it.
	navigate(s.HTTP+"/apps/"+app+"/environment", chromedp.WaitVisible(chromedp.ID("env-key")))
	run(chromedp.SendKeys(chromedp.ID("env-key"), "GREETING"), chromedp.SendKeys(chromedp.ID("env-value"), "hello-from-the-tab"),
		chromedp.Submit(chromedp.ID("env-key")), chromedp.WaitVisible(chromedp.CSS(".notice.ok")))
	if env := text("#env"); !strings.Contains(env, "GREETING") || !strings.Contains(env, "hello-from-the-tab") {
		t.Fatalf("the environment tab after setting GREETING:\n%s", env)
	}

	// A database: its status on the databases page follows its creation
	// live; linked from the environment tab, its settings join the env.
	db := "dashdb-" + randSuffix()
	t.Cleanup(func() { s.CLI("databases", "delete", db, "--yes", "--purge", "--wait") })
	s.MustCLI("databases", "create", db, "--engine", "redis", "--image", "rivetr-test/redis:7")
	navigate(s.HTTP+"/databases", chromedp.WaitVisible(chromedp.CSS(`[data-database="`+db+`"]`)))
	eval(`window.__noReload = true`)
	waitFor(ctx, t, `document.querySelector('[data-database="`+db+`"] [data-status]').textContent === "running"`, 90*time.Second)
	if still := eval(`window.__noReload === true`); still != true {
		t.Fatal("the databases page reloaded")
	}
	navigate(s.HTTP+"/apps/"+app+"/environment", chromedp.WaitVisible(chromedp.ID("link-database")))
	if offered := text("#link-database"); !strings.Contains(offered, db) {
		t.Fatalf("the environment tab does not offer %s to link: %q", db, offered)
	}
	// The database's container joining its network can abort the form's
	// navigation (ERR_NETWORK_CHANGED): then look whether the link took
	// and try once more if not.
	for attempt := 1; ; attempt++ {
		run(chromedp.SetValue(chromedp.ID("link-database"), db), chromedp.SetValue(chromedp.ID("link-prefix"), "CACHE"), chromedp.Click(chromedp.ID("link-submit")))
		waitFor(ctx, t, `document.querySelector(".notice.ok, #databases .error") !== null || location.href.startsWith("chrome-error:")`, 30*time.Second)
		if eval(`location.href.startsWith("chrome-error:")`) != true {
			if msg := text("#databases .error, .notice.ok"); !strings.HasPrefix(msg, "Linked "+db) {
				t.Fatalf("linking %s: %q", db, msg)
			}
			break
		}
		navigate(s.HTTP+"/apps/"+app+"/environment", chromedp.WaitVisible(chromedp.ID("link-database")))
		if strings.Contains(text("#env"), "CACHE_URL") || attempt == 3 {
			break
		}
	}
	if env := text("#env"); !strings.Contains(env, "CACHE_URL") || !strings.Contains(env, "CACHE_PASSWORD") || strings.Contains(env, "redis://") {
		t.Fatalf("the environment tab after linking %s (secret values must not show):\n%s", db, env)
	}

	// A version that dies at start: the overview shows the whole reason,
	// with the container's last lines, while the last good one serves.
	repo.Commit("broken version", map[string]string{"Dockerfile": "FROM " + BaseImage + "\nCMD [\"sh\", \"-c\", \"echo missing-config-file; exit 3\"]\n"})
	if r := s.CLI("deploy", app, "--wait"); r.Code == 0 {
		t.Fatalf("the broken version deployed: %s", r.Stdout)
	}
	eventually(t, 60*time.Second, "the broken candidate removed", func() bool { return len(Containers(t, app)) == 1 })
	navigate(s.HTTP+"/apps/"+app, chromedp.WaitVisible(chromedp.CSS("#latest .reason")))
	if reason := text("#latest .reason"); !strings.Contains(reason, "exit code 3") || !strings.Contains(reason, "missing-config-file") {
		t.Fatalf("the overview's failure reason: %q", reason)
	}
	if serving := text("#serving"); !strings.Contains(serving, "second version") {
		t.Fatalf("the overview's production card: %q", serving)
	}
	if body := s.MustGet(host, "/"); body != "v2" {
		t.Fatalf("after the broken deploy, serving %q", body)
	}
	shot(ctx, t, shots, "app-failed")
	navigate(s.HTTP+"/", chromedp.WaitVisible(chromedp.CSS(".tiles")))
	shot(ctx, t, shots, "overview")
	if _, err := chromedp.Call(ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
		Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: "dark"}}}); err != nil {
		t.Fatal(err)
	}
	navigate(s.HTTP+"/apps/"+app, chromedp.WaitVisible(chromedp.CSS(".timeline")))
	shot(ctx, t, shots, "app-dark")
	run(chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(2)))
	for tab, mark := range tabs {
		navigate(s.HTTP+"/apps/"+app+strings.TrimSuffix("/"+tab, "/"), chromedp.WaitVisible(chromedp.CSS(mark)))
		if overflow := eval(`document.documentElement.scrollWidth > window.innerWidth + 1`); overflow == true {
			t.Errorf("the app page's %q tab scrolls sideways on a phone-sized screen", tab)
		}
	}
	for _, page := range []string{"/", "/apps", "/databases", "/teams", "/freezes", "/graph", "/templates", "/templates/nextcloud"} {
		navigate(s.HTTP + page)
		if overflow := eval(`document.documentElement.scrollWidth > window.innerWidth + 1`); overflow == true {
			t.Errorf("%s scrolls sideways on a phone-sized screen", page)
		}
	}
	navigate(s.HTTP+"/apps/"+app, chromedp.WaitVisible(chromedp.CSS(".timeline")))
	shot(ctx, t, shots, "app-phone")
	navigate(s.HTTP+"/apps", chromedp.WaitVisible(chromedp.ID("app-list")))
	shot(ctx, t, shots, "apps-phone")
	if _, err := chromedp.Call(ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
		Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: "light"}}}); err != nil {
		t.Fatal(err)
	}
	navigate(s.HTTP+"/apps/"+app+"/domains", chromedp.WaitVisible(chromedp.ID("domain-list")))
	shot(ctx, t, shots, "app-domains-phone")

	// The danger zone deletes the app once its name is typed back (the
	// confirmation dialog accepted): its container goes, its address stops.
	run(chromedp.EmulateViewport(1280, 900))
	navigate(s.HTTP+"/apps/"+app+"/danger", chromedp.WaitVisible(chromedp.ID("delete-confirm")))
	run(chromedp.Click(chromedp.ID("delete-app")), chromedp.WaitVisible(chromedp.CSS("#danger .error")))
	if msg := text("#danger .error"); !strings.Contains(msg, "Type the app's name") {
		t.Fatalf("delete without the name: %q", msg)
	}
	run(chromedp.SendKeys(chromedp.ID("delete-confirm"), app), chromedp.Click(chromedp.ID("delete-app")), chromedp.WaitVisible(chromedp.CSS(".notice.ok")))
	if msg := text(".notice.ok"); msg != "Deleted "+app+"." {
		t.Fatalf("after delete: %q", msg)
	}
	eventually(t, 60*time.Second, "the deleted app's containers are gone", func() bool { return len(Containers(t, app)) == 0 })
	if code, _, err := s.Get(host, "/"); err == nil && code == 200 {
		t.Fatal("the deleted app still answers")
	}
}

// waitFor polls a JavaScript condition until it is true.
func waitFor(ctx context.Context, t *testing.T, cond string, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		if v, err := chromedp.Run(ctx, chromedp.Evaluate[bool](cond)); err == nil && v {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("timed out waiting for %s", cond)
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
