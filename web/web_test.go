package web

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/stretchr/testify/mock"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/mocks"

	"github.com/rivetr/rivetr/internal/gitsrc"
	"github.com/rivetr/rivetr/internal/ids"
	"github.com/rivetr/rivetr/internal/ratelimit"
	"github.com/rivetr/rivetr/internal/release"
	"github.com/rivetr/rivetr/internal/service"
	"github.com/rivetr/rivetr/internal/testdb"
	"github.com/rivetr/rivetr/schema"
	"github.com/rivetr/rivetr/workflows"
)

// dash is a dashboard over a real SQLite store; Temporal is the SDK's mock
// and branch resolution a stub with a fault switch.
type dash struct {
	t        *testing.T
	srv      *httptest.Server
	store    *schema.Store
	temporal *mocks.Client
	token    string
	client   *http.Client // with a cookie jar; follows no redirects
	csrf     string
	headErr  error
	limits   *ratelimit.Limits
	ui       string // a stand-in Temporal UI's address
	// tokenPath is the admin token's file.
	tokenPath string
}

// newJarDash is d seen by another browser (its own cookies).
func newJarDash(d *dash) *dash {
	d2 := *d
	d2.client = newJarClient()
	return &d2
}

func newDash(t *testing.T) *dash { t.Helper(); return newDashWith(t, nil, nil) }

// newDashWith is newDash with sign-in limits and changed service options.
func newDashWith(t *testing.T, limits *ratelimit.Limits, opt func(*service.Options), webOpts ...func(*Options)) *dash {
	t.Helper()
	store, _, dir := testdb.Open(t)
	d := &dash{t: t, store: store, temporal: mocks.NewClient(t), limits: limits}
	o := service.Options{
		Store: store, Temporal: d.temporal, Namespace: "default", UIBaseURL: "http://ui.test:8233", HostName: "h1", DataDir: dir, AllowLocalGit: true,
		ResolveBranch: func(context.Context, string, string, gitsrc.Auth) (string, error) {
			return strings.Repeat("c", 40), d.headErr
		},
	}
	if opt != nil {
		opt(&o)
	}
	svc := service.New(o)
	path, _, err := svc.EnsureAdminToken(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(path)
	d.token = strings.TrimSpace(string(b))
	gin.SetMode(gin.ReleaseMode)
	r := gin.New()
	wo := Options{Limits: d.limits, TemporalUI: d.ui, AdminToken: path}
	d.tokenPath = path
	for _, f := range webOpts {
		f(&wo)
	}
	if err := Register(r, svc, slog.New(slog.NewTextHandler(io.Discard, nil)), wo); err != nil {
		t.Fatal(err)
	}
	d.srv = httptest.NewServer(r)
	t.Cleanup(d.srv.Close)
	jar, _ := cookiejar.New(nil)
	d.client = &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	return d
}

func (d *dash) get(path string) (int, string, http.Header) {
	d.t.Helper()
	res, err := d.client.Get(d.srv.URL + path)
	if err != nil {
		d.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b), res.Header
}

func (d *dash) post(path string, form url.Values, origin string) (int, string, http.Header) {
	d.t.Helper()
	req, _ := http.NewRequest("POST", d.srv.URL+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if origin == "" {
		origin = d.srv.URL
	}
	req.Header.Set("Origin", origin)
	res, err := d.client.Do(req)
	if err != nil {
		d.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b), res.Header
}

var csrfRE = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// signIn signs in through the form and keeps the page's CSRF token.
func (d *dash) signIn() {
	d.t.Helper()
	_, body, _ := d.get("/login")
	m := csrfRE.FindStringSubmatch(body)
	if m == nil {
		d.t.Fatalf("login form has no CSRF token:\n%s", body)
	}
	code, _, hdr := d.post("/login", url.Values{"csrf": {m[1]}, "token": {d.token}, "next": {"/apps"}}, "")
	if code != http.StatusSeeOther || hdr.Get("Location") != "/apps" {
		d.d(code, hdr)
	}
	_, body, _ = d.get("/apps")
	m = csrfRE.FindStringSubmatch(body)
	if m == nil {
		d.t.Fatal("signed-in page has no CSRF token")
	}
	d.csrf = m[1]
}

func (d *dash) d(code int, hdr http.Header) { d.t.Fatalf("sign in: %d %v", code, hdr) }

// form posts with the session's CSRF token.
func (d *dash) form(path string, kv ...string) (int, string, http.Header) {
	d.t.Helper()
	f := url.Values{"csrf": {d.csrf}}
	for i := 0; i < len(kv); i += 2 {
		f.Add(kv[i], kv[i+1])
	}
	return d.post(path, f, "")
}

// follow fetches the Location of a redirect.
func (d *dash) follow(hdr http.Header) (int, string) {
	d.t.Helper()
	code, body, _ := d.get(hdr.Get("Location"))
	return code, body
}

func (d *dash) app(name string) *schema.App {
	d.t.Helper()
	app := &schema.App{ID: ids.New(), Name: name, GitURL: "/srv/" + name, Branch: "main", Dockerfile: "Dockerfile", Domains: []string{name + ".example.com"},
		Port: 8080, HealthPath: "/", HealthInterval: schema.Duration(time.Second), HealthTimeout: schema.Duration(5 * time.Second),
		HealthDeadline: schema.Duration(time.Minute), DrainTimeout: schema.Duration(30 * time.Second), KeepImages: 5, Host: "h1"}
	if err := d.store.CreateApp(context.Background(), app); err != nil {
		d.t.Fatal(err)
	}
	return app
}

func (d *dash) deployment(app *schema.App, id string, status release.Status, step release.Step, image string) {
	d.t.Helper()
	err := d.store.CreateDeployment(context.Background(), &schema.Deployment{ID: id, AppID: app.ID, AppName: app.Name, Kind: "deploy", Status: status, Step: step,
		CommitSHA: strings.Repeat("a", 40), CommitMessage: "commit " + id, Image: image, WorkflowID: "deploy/" + app.Name + "/" + id, Trigger: "cli"})
	if err != nil {
		d.t.Fatal(err)
	}
}

func TestPagesNeedSignIn(t *testing.T) {
	d := newDash(t)
	for _, p := range []string{"/", "/apps", "/apps/web", "/apps/web/settings", "/deployments/d1", "/deployments/d1/log.txt", "/apps/web/logs.txt", "/apps/web/rollback?to=d1"} {
		code, _, hdr := d.get(p)
		if code != http.StatusSeeOther || !strings.HasPrefix(hdr.Get("Location"), "/login?next=") {
			t.Errorf("GET %s: %d %s", p, code, hdr.Get("Location"))
		}
	}
	if code, _, _ := d.get("/ui/events"); code != http.StatusUnauthorized {
		t.Errorf("event stream without a session: %d", code)
	}
}

func TestSignIn(t *testing.T) {
	d := newDash(t)
	_, body, _ := d.get("/login")
	tok := csrfRE.FindStringSubmatch(body)[1]
	// An empty csrf is filled with the token of the page just fetched; "-"
	// sends none.
	tests := []struct {
		name, token, csrf, origin string
		code                      int
		want                      string
	}{
		{"no form token", d.token, "-", "", http.StatusForbidden, "refused"},
		{"wrong form token", d.token, "x", "", http.StatusForbidden, "refused"},
		{"cross-site", d.token, "", "https://evil.example", http.StatusForbidden, "refused"},
		{"wrong API token", "nope", "", "", http.StatusUnauthorized, "not valid"},
	}
	for _, tc := range tests {
		form := url.Values{"token": {tc.token}}
		switch tc.csrf {
		case "":
			form.Set("csrf", tok)
		case "-":
		default:
			form.Set("csrf", tc.csrf)
		}
		code, body, hdr := d.post("/login", form, tc.origin)
		if code != tc.code || !strings.Contains(body, tc.want) || strings.Contains(hdr.Get("Set-Cookie"), CookieName+"=") {
			t.Errorf("%s: %d %q", tc.name, code, hdr.Get("Set-Cookie"))
		}
		_, body, _ = d.get("/login")
		tok = csrfRE.FindStringSubmatch(body)[1]
	}
	code, _, hdr := d.post("/login", url.Values{"token": {d.token}, "csrf": {tok}, "next": {"//evil.example"}}, "")
	if code != http.StatusSeeOther || hdr.Get("Location") != "/" {
		t.Fatalf("sign in: %d %s", code, hdr.Get("Location"))
	}
	var session *http.Cookie
	for _, c := range (&http.Response{Header: hdr}).Cookies() {
		if c.Name == CookieName {
			session = c
		}
	}
	if session == nil || !session.HttpOnly || session.SameSite != http.SameSiteLaxMode || session.Secure || session.Value == d.token {
		t.Fatalf("session cookie %+v", session)
	}
}

func TestEveryFormNeedsCSRF(t *testing.T) {
	d := newDash(t)
	d.signIn()
	app := d.app("web")
	d.deployment(app, "d1", "building", "build", "")
	for _, p := range []string{"/apps", "/apps/web/settings", "/apps/web/env", "/apps/web/env/A/delete", "/apps/web/deploy", "/apps/web/rollback", "/deployments/d1/cancel", "/logout"} {
		for _, tc := range []struct {
			name   string
			form   url.Values
			origin string
		}{
			{"missing token", url.Values{}, ""},
			{"wrong token", url.Values{"csrf": {"forged"}}, ""},
			{"cross-site", url.Values{"csrf": {d.csrf}}, "https://evil.example"},
		} {
			code, body, _ := d.post(p, tc.form, tc.origin)
			if code != http.StatusForbidden || !strings.Contains(body, "refused") {
				t.Errorf("POST %s (%s): %d", p, tc.name, code)
			}
		}
	}
	// Nothing happened: no app created, the deployment still runs, the
	// session still works.
	if code, _, _ := d.get("/apps"); code != 200 {
		t.Fatalf("session lost: %d", code)
	}
	apps, _ := d.store.ListApps(context.Background())
	if len(apps) != 1 {
		t.Fatalf("a refused form created an app: %d apps", len(apps))
	}
}

func TestCreateAppForm(t *testing.T) {
	d := newDash(t)
	d.signIn()
	_, body, _ := d.get("/apps")
	if !strings.Contains(body, "No apps yet") || !strings.Contains(body, `<details class="card create" open>`) {
		t.Fatal("empty state: no hint or closed form")
	}
	code, body, _ := d.form("/apps", "name", "Bad Name", "git_url", "ftp://x", "domains", "ok.example.com", "port", "eighty", "health_interval", "soon")
	if code != http.StatusBadRequest {
		t.Fatalf("invalid create: %d", code)
	}
	for _, want := range []string{
		`value="Bad Name"`,                  // kept as typed
		`eighty&#34; is not a whole number`, // form syntax
		`soon&#34; is not a duration`,
		`aria-invalid="true"`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("invalid create page lacks %q", want)
		}
	}
	code, body, _ = d.form("/apps", "name", "Bad Name", "git_url", "ftp://x", "domains", "ok.example.com")
	if code != http.StatusBadRequest || !strings.Contains(body, "lower-case letters") || !strings.Contains(body, "must be an https://") {
		t.Fatalf("service validation not shown inline: %d", code)
	}
	code, _, hdr := d.form("/apps", "name", "web", "git_url", "https://git.example.com/web.git", "domains", "web.example.com, www.web.example.com", "git_token", "s3cret-token")
	if code != http.StatusSeeOther || hdr.Get("Location") == "" {
		t.Fatalf("create: %d", code)
	}
	_, body = d.follow(hdr)
	if !strings.Contains(body, "Created web") || strings.Contains(body, "s3cret-token") {
		t.Fatal("after create: no notice, or the token shows")
	}
	if _, body, _ = d.get("/apps/web/settings"); strings.Contains(body, "s3cret-token") || !strings.Contains(body, "set; leave empty to keep") {
		t.Fatal("settings: the token shows, or is not said to be set")
	}
	code, body, _ = d.form("/apps", "name", "web", "git_url", "/srv/x", "domains", "other.example.com")
	if code != http.StatusBadRequest || !strings.Contains(body, "an app named web already exists") {
		t.Fatalf("duplicate: %d", code)
	}
}

func TestAppPage(t *testing.T) {
	d := newDash(t)
	d.signIn()
	app := d.app("web")
	d.store.SetEnv(context.Background(), app.ID, []schema.EnvVar{{Key: "PLAIN", Value: "visible"}, {Key: "TOKEN", Value: "hunter2", Secret: true}})
	d.deployment(app, "d1", "succeeded", "done", "rivetr/web:d1")
	d.deployment(app, "d2", "failed", "health", "rivetr/web:d2")
	d.deployment(app, "d3", "succeeded", "done", "rivetr/web:d3")
	d.deployment(app, "d4", "building", "build", "")
	d.store.SetCurrentDeployment(context.Background(), app.ID, "d3")

	_, body, _ := d.get("/apps/web/environment")
	if strings.Contains(body, "hunter2") || !strings.Contains(body, "visible") {
		t.Fatal("env: secret shown or plain value missing")
	}
	_, body, _ = d.get("/apps/web/deployments")
	rows := map[string]string{}
	for _, id := range []string{"d1", "d2", "d3", "d4"} {
		i := strings.Index(body, `data-deployment="`+id+`"`)
		j := strings.Index(body[i:], "</tr>")
		rows[id] = body[i : i+j]
	}
	tests := []struct {
		id               string
		rollback, cancel bool
	}{
		{"d1", true, false},  // an earlier success
		{"d2", false, false}, // failed
		{"d3", false, false}, // serving
		{"d4", false, true},  // running
	}
	for _, tc := range tests {
		if got := strings.Contains(rows[tc.id], "/rollback"); got != tc.rollback {
			t.Errorf("%s: rollback button %v", tc.id, got)
		}
		if got := strings.Contains(rows[tc.id], "/cancel"); got != tc.cancel {
			t.Errorf("%s: cancel button %v", tc.id, got)
		}
	}
	if !strings.Contains(rows["d3"], "serving") {
		t.Error("serving deployment not marked")
	}
}

func TestSettingsAndEnvForms(t *testing.T) {
	d := newDash(t)
	d.signIn()
	d.app("web")
	code, body, _ := d.form("/apps/web/settings", "git_url", "/srv/web", "domains", "web.example.com", "port", "0")
	if code != http.StatusBadRequest || !strings.Contains(body, "must be between 1 and 65535") {
		t.Fatalf("invalid settings: %d", code)
	}
	code, _, hdr := d.form("/apps/web/settings", "git_url", "/srv/web2", "domains", "web.example.com", "port", "3000", "health_deadline", "90s")
	if code != http.StatusSeeOther {
		t.Fatalf("settings: %d", code)
	}
	if _, body := d.follow(hdr); !strings.Contains(body, "Settings saved") || !strings.Contains(body, `value="/srv/web2"`) || !strings.Contains(body, `value="1m30s"`) {
		t.Fatal("saved settings not shown")
	}
	code, body, _ = d.form("/apps/web/env", "key", "1BAD", "value", "x")
	if code != http.StatusBadRequest || !strings.Contains(body, "is not a valid variable name") {
		t.Fatalf("bad env key: %d", code)
	}
	code, body, _ = d.form("/apps/web/env", "key", "2BAD", "value", "topsecret", "secret", "1")
	if code != http.StatusBadRequest || strings.Contains(body, "topsecret") {
		t.Fatalf("a rejected secret came back into the page: %d", code)
	}
	code, _, hdr = d.form("/apps/web/env", "key", "API_KEY", "value", "topsecret", "secret", "1")
	if code != http.StatusSeeOther {
		t.Fatalf("set env: %d", code)
	}
	if _, body := d.follow(hdr); strings.Contains(body, "topsecret") || !strings.Contains(body, "API_KEY") {
		t.Fatal("secret env shown")
	}
	code, _, hdr = d.form("/apps/web/env/MISSING/delete")
	if _, body := d.follow(hdr); code != http.StatusSeeOther || !strings.Contains(body, "MISSING is not set") {
		t.Fatal("removing an unset var: no message")
	}
}

func TestActions(t *testing.T) {
	d := newDash(t)
	d.signIn()
	app := d.app("web")
	d.temporal.On("SignalWithStartWorkflow", mock.Anything, "app/web", workflows.SignalRequest, mock.Anything, mock.Anything, workflows.AppQueueName, mock.Anything).Return(nil, nil)

	code, _, hdr := d.form("/apps/web/deploy")
	if code != http.StatusSeeOther || !strings.HasPrefix(hdr.Get("Location"), "/deployments/") {
		t.Fatalf("deploy: %d %s", code, hdr.Get("Location"))
	}
	_, body := d.follow(hdr)
	if !strings.Contains(body, `data-live="1"`) || !strings.Contains(body, "Fetch source") {
		t.Fatal("new deployment page")
	}

	// An error shows next to the button that caused it.
	d.headErr = gitsrc.ErrAuth
	_, _, hdr = d.form("/apps/web/deploy")
	_, body = d.follow(hdr)
	i := strings.Index(body, `id="deploy"`)
	if i < 0 || !strings.Contains(body[i:i+1500], "cannot read branch main") {
		t.Fatal("deploy error not next to the Deploy button")
	}
	d.headErr = nil

	// Rollback: the confirmation page (no JavaScript), then the action.
	d.deployment(app, "d1", "succeeded", "done", "rivetr/web:d1")
	d.deployment(app, "d2", "succeeded", "done", "rivetr/web:d2")
	d.store.SetCurrentDeployment(context.Background(), app.ID, "d2")
	_, body, _ = d.get("/apps/web/rollback?to=d1")
	if !strings.Contains(body, "Roll back web?") || !strings.Contains(body, `name="to" value="d1"`) {
		t.Fatal("rollback confirmation page")
	}
	code, _, hdr = d.form("/apps/web/rollback", "to", "d1")
	if code != http.StatusSeeOther || !strings.HasPrefix(hdr.Get("Location"), "/deployments/") {
		t.Fatalf("rollback: %d %s", code, hdr.Get("Location"))
	}
	_, _, hdr = d.form("/apps/web/rollback", "to", "d2")
	if _, body := d.follow(hdr); !strings.Contains(body, "already serving") {
		t.Fatal("rollback error not shown")
	}

	// Cancel a finished deployment: refused, with the reason by the button.
	_, _, hdr = d.form("/deployments/d1/cancel")
	if _, body := d.follow(hdr); !strings.Contains(body, "already succeeded") {
		t.Fatal("cancel error not shown")
	}
	d.deployment(app, "d9", "building", "build", "")
	d.temporal.On("SignalWorkflow", mock.Anything, "app/web", "", workflows.SignalCancel, workflows.CancelRequest{DeploymentID: "d9"}).Return(nil).Once()
	code, _, hdr = d.form("/deployments/d9/cancel", "back", "app")
	if _, body := d.follow(hdr); code != http.StatusSeeOther || !strings.Contains(body, "Cancelling d9") {
		t.Fatal("cancel from the timeline")
	}
}

func TestDeploymentPage(t *testing.T) {
	d := newDash(t)
	d.signIn()
	app := d.app("web")
	ctx := context.Background()
	d.store.CreateDeployment(ctx, &schema.Deployment{ID: "d1", AppID: app.ID, AppName: "web", Kind: "deploy", Status: "failed", Step: "health",
		CommitSHA: strings.Repeat("b", 40), CommitMessage: "fix <b>bold</b>", WorkflowID: "deploy/web/d1", WorkflowRunID: "r1",
		FailureReason: "the new container never became healthy: GET / answered 500"})
	d.store.AppendLogs(ctx, []schema.LogLine{{DeploymentID: "d1", Stream: "build", Text: "Step 1/2 : FROM <busybox>", Time: time.Now()}})
	_, body, _ := d.get("/deployments/d1")
	for _, want := range []string{
		`<li class="done" data-step="build">`, `<li class="failed" data-step="health">`,
		"never became healthy", "FROM &lt;busybox&gt;", "fix &lt;b&gt;bold",
		`href="http://ui.test:8233/namespaces/default/workflows/deploy%2Fweb%2Fd1/r1/history"`,
		`data-live=""`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("deployment page lacks %q", want)
		}
	}
	if strings.Contains(body, "cancel-form") {
		t.Error("a failed deployment offers Cancel")
	}

	// A long log: the page shows its last lines and says what it left
	// out; the whole log is at log.txt.
	var long []schema.LogLine
	for i := 1; i <= pageLogLines+500; i++ {
		long = append(long, schema.LogLine{DeploymentID: "d1", Stream: "build", Text: fmt.Sprintf("line-%d", i), Time: time.Now()})
	}
	d.store.AppendLogs(ctx, long)
	_, body, _ = d.get("/deployments/d1")
	if n := strings.Count(body, `<span class="l `); n != pageLogLines || !strings.Contains(body, "the first 501 lines of the log") ||
		strings.Contains(body, ">line-500<") || !strings.Contains(body, fmt.Sprintf(">line-%d<", pageLogLines+500)) {
		t.Fatalf("a long log: %d lines shown", n)
	}
	code, text, hdr := d.get("/deployments/d1/log.txt")
	if code != http.StatusOK || !strings.HasPrefix(hdr.Get("Content-Type"), "text/plain") || strings.Count(text, "\n") != pageLogLines+501 ||
		!strings.Contains(text, " build  Step 1/2 : FROM <busybox>\n") || !strings.Contains(text, " line-1\n") {
		t.Fatalf("log.txt: %d, %d lines", code, strings.Count(text, "\n"))
	}
	if code, _, _ := d.get("/deployments/nope/log.txt"); code != http.StatusNotFound {
		t.Fatalf("log.txt of no deployment: %d", code)
	}
}

func TestOverviewAndErrors(t *testing.T) {
	d := newDash(t)
	d.signIn()
	d.temporal.On("CheckHealth", mock.Anything, mock.Anything).Return(&client.CheckHealthResponse{}, nil)
	_, body, _ := d.get("/")
	if !strings.Contains(body, "Nothing deployed yet") || !strings.Contains(body, "Disk free") || !strings.Contains(body, "open the Temporal UI") {
		t.Fatal("overview empty state or health")
	}
	app := d.app("web")
	d.deployment(app, "d1", "succeeded", "done", "img")
	d.deployment(app, "d2", "failed", "build", "")
	_, body, _ = d.get("/")
	if !strings.Contains(body, `data-deployment="d2"`) || !strings.Contains(body, `<span class="badge failed">failed</span>`) {
		t.Fatal("overview counts or latest deployments")
	}
	code, body, _ := d.get("/apps/missing")
	if code != 404 || strings.Contains(body, "goroutine") {
		t.Fatalf("missing app: %d", code)
	}
	// A broken database gives a plain error page, never its message.
	d.store.Close()
	code, body, _ = d.get("/apps")
	if code != 500 || strings.Contains(body, "sql") || strings.Contains(body, "closed") {
		t.Fatalf("server error page: %d\n%s", code, body)
	}
}

func TestSafeNext(t *testing.T) {
	for in, want := range map[string]string{"/apps/x": "/apps/x", "//evil.com": "/", "https://evil.com": "/", "": "/", "/\\evil": "/",
		// Browsers drop tabs and newlines: these are //evil.com.
		"/\t/evil.com": "/", "/\n/evil.com": "/", "/\r\n/evil.com": "/", "/ /evil.com": "/", "/apps?next=x": "/apps?next=x"} {
		if got := safeNext(in); got != want {
			t.Errorf("safeNext(%q) = %q", in, got)
		}
	}
}

// Another team's deployment and its log, as text too, do not exist for a
// member of a team that is not its: not found, nothing of the log.
func TestAnotherTeamsLogsAreNotFound(t *testing.T) {
	d := newDash(t)
	d.setupOwner()
	ctx := context.Background()
	mine, err := d.store.GetTeam(ctx, "default")
	if err != nil {
		t.Fatal(err)
	}
	other := &schema.Team{ID: ids.New(), Name: "rivals"}
	if err := d.store.CreateTeam(ctx, other, ""); err != nil {
		t.Fatal(err)
	}
	app := d.app("theirs")
	app.TeamID = other.ID
	if err := d.store.SaveApp(ctx, app); err != nil {
		t.Fatal(err)
	}
	d.deployment(app, "x1", "succeeded", "done", "rivetr/theirs:x1")
	d.store.AppendLogs(ctx, []schema.LogLine{{DeploymentID: "x1", Stream: "build", Text: "their-secret-build-line", Time: time.Now()}})
	// A developer of the default team, signed in.
	u := &schema.User{ID: ids.New(), Email: "dev@example.com", PasswordHash: bcryptHash(t, "developer password")}
	if err := d.store.CreateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	if err := d.store.PutMembership(ctx, &schema.Membership{TeamID: mine.ID, UserID: u.ID, Role: release.RoleDeveloper}); err != nil {
		t.Fatal(err)
	}
	d2 := *d
	d2.client = newJarClient()
	dev := &d2
	login := url.Values{"csrf": {dev.formCSRF("/login")}, "email": {"dev@example.com"}, "password": {"developer password"}}
	if code, _, _ := dev.post("/login", login, ""); code != http.StatusSeeOther {
		t.Fatalf("sign in: %d", code)
	}
	for _, p := range []string{"/deployments/x1", "/deployments/x1/log.txt", "/apps/theirs/logs.txt", "/apps/theirs/logs", "/apps/theirs"} {
		code, body, _ := dev.get(p)
		if code != http.StatusNotFound || strings.Contains(body, "their-secret-build-line") {
			t.Errorf("%s as another team's developer: %d", p, code)
		}
	}
}

// A stack is made from the dashboard as from the CLI: build type compose
// needs the service its domains route to, and shows it back.
func TestCreateAStackFromTheDashboard(t *testing.T) {
	d := newDash(t)
	d.signIn()
	code, body, _ := d.form("/apps", "name", "shop", "git_url", "https://git.example.com/shop.git", "domains", "shop.example.com", "build_type", "compose")
	if code != http.StatusBadRequest || !strings.Contains(body, "--service NAME") {
		t.Fatalf("a stack without its service: %d", code)
	}
	if code, _, hdr := d.form("/apps", "name", "shop", "git_url", "https://git.example.com/shop.git", "domains", "shop.example.com", "build_type", "compose",
		"stack_service", "web", "compose_file", "deploy/compose.yaml"); code != http.StatusSeeOther {
		t.Fatalf("a stack: %d %v", code, hdr)
	}
	app, err := d.store.GetApp(context.Background(), "shop")
	if err != nil || app.BuildType != "compose" || app.StackService != "web" || app.ComposeFile != "deploy/compose.yaml" {
		t.Fatalf("stored: %+v %v", app, err)
	}
	if _, body, _ := d.get("/apps/shop/settings"); !strings.Contains(body, `value="deploy/compose.yaml"`) || !strings.Contains(body, `name="stack_service" value="web"`) {
		t.Fatal("the settings tab does not show the stack's settings")
	}
	// A compose file pasted in, with profiles: no repository.
	compose := "services:\n  web:\n    image: nginx:1.27\n  extra:\n    image: nginx:1.27\n    profiles: [extra]\n"
	if code, body, _ := d.form("/apps", "name", "pasted", "domains", "pasted.example.com", "build_type", "compose", "stack_service", "web",
		"compose_inline", compose, "git_url", "https://git.example.com/x.git"); code != http.StatusBadRequest || !strings.Contains(body, "has no repository") {
		t.Fatalf("a pasted compose file and a repository: %d", code)
	}
	if code, _, hdr := d.form("/apps", "name", "pasted", "domains", "pasted.example.com", "build_type", "compose", "stack_service", "web",
		"compose_inline", compose, "stack_profiles", "extra, debug"); code != http.StatusSeeOther {
		t.Fatalf("a pasted compose file: %d %v", code, hdr)
	}
	app, err = d.store.GetApp(context.Background(), "pasted")
	if err != nil || app.GitURL != "" || app.ComposeInline != compose || strings.Join(app.StackProfiles, ",") != "extra,debug" {
		t.Fatalf("stored: %+v %v", app, err)
	}
	if _, body, _ := d.get("/apps/pasted/settings"); !strings.Contains(body, "profiles: [extra]") || !strings.Contains(body, `name="stack_profiles" value="extra, debug"`) {
		t.Fatal("the settings tab does not show the pasted file and its profiles")
	}
	if _, body, _ := d.get("/apps/pasted"); !strings.Contains(section(body, `id="services"`), "cannot be listed") || !strings.Contains(body, "pasted") {
		t.Fatal("the overview of a stack lacks its services section")
	}
}
