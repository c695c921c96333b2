package web

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"

	"github.com/rivetr/rivetr/internal/ids"
	"github.com/rivetr/rivetr/internal/service"
	"github.com/rivetr/rivetr/schema"
)

// newDashboard serves the dashboard over a real SQLite store holding one app
// with one deployment; it returns the server and the admin token.
func newDashboard(t *testing.T) (*httptest.Server, string) {
	t.Helper()
	dir := t.TempDir()
	store, err := schema.Open(filepath.Join(dir, "rivetr.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	svc := service.New(service.Options{Store: store, Namespace: "default", UIBaseURL: "http://ui.test:8233"})
	ctx := context.Background()
	path, _, err := svc.EnsureAdminToken(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	tok := readFile(t, path)
	app := &schema.App{ID: ids.New(), Name: "web", GitURL: "/srv/web", Branch: "main", Domains: []string{"web.example.com"}, Port: 8080, HealthPath: "/"}
	store.CreateApp(ctx, app)
	store.CreateDeployment(ctx, &schema.Deployment{ID: "d1", AppID: app.ID, AppName: "web", Kind: "deploy", Status: "failed",
		CommitSHA: "0123456789abcdef", CommitMessage: "fix <script>alert(1)</script>\n\nbody", WorkflowID: "deploy/web/d1", WorkflowRunID: "run-1",
		FailureReason: "the new container never became healthy"})
	store.SetCurrentDeployment(ctx, app.ID, "d1")

	gin.SetMode(gin.ReleaseMode)
	r := gin.New()
	if err := Register(r, svc, slog.New(slog.NewTextHandler(io.Discard, nil))); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(r)
	t.Cleanup(srv.Close)
	return srv, tok
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(b))
}

var noRedirect = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

func post(t *testing.T, srv *httptest.Server, path string, form url.Values, origin string, cookies ...*http.Cookie) *http.Response {
	t.Helper()
	req, _ := http.NewRequest("POST", srv.URL+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if origin != "" {
		req.Header.Set("Origin", origin)
	}
	for _, c := range cookies {
		req.AddCookie(c)
	}
	res, err := noRedirect.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func get(t *testing.T, srv *httptest.Server, path string, cookies ...*http.Cookie) (*http.Response, string) {
	t.Helper()
	req, _ := http.NewRequest("GET", srv.URL+path, nil)
	for _, c := range cookies {
		req.AddCookie(c)
	}
	res, err := noRedirect.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res, string(b)
}

func TestSignInAndPages(t *testing.T) {
	srv, tok := newDashboard(t)

	res, _ := get(t, srv, "/apps/web")
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/login?next=%2Fapps%2Fweb" {
		t.Fatalf("unsigned visit: %d %s", res.StatusCode, res.Header.Get("Location"))
	}

	tests := []struct {
		name, token, origin string
		code                int
		want                string
	}{
		{"wrong token", "nope", srv.URL, http.StatusUnauthorized, "not valid"},
		{"cross-site post", tok, "https://evil.example", http.StatusForbidden, "another site"},
	}
	for _, tc := range tests {
		res := post(t, srv, "/login", url.Values{"token": {tc.token}, "next": {"/"}}, tc.origin)
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != tc.code || !strings.Contains(string(b), tc.want) || len(res.Cookies()) != 0 {
			t.Errorf("%s: %d cookies=%d %q", tc.name, res.StatusCode, len(res.Cookies()), b)
		}
	}

	res = post(t, srv, "/login", url.Values{"token": {tok}, "next": {"/apps/web"}}, srv.URL)
	res.Body.Close()
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/apps/web" {
		t.Fatalf("sign in: %d %s", res.StatusCode, res.Header.Get("Location"))
	}
	cookies := res.Cookies()
	if len(cookies) != 1 || !cookies[0].HttpOnly || cookies[0].SameSite != http.SameSiteLaxMode || cookies[0].Value == tok {
		t.Fatalf("session cookie %+v", cookies)
	}

	res, body := get(t, srv, "/", cookies...)
	if res.StatusCode != 200 || !strings.Contains(body, `href="/apps/web"`) || !strings.Contains(body, "web.example.com") {
		t.Fatalf("apps page %d:\n%s", res.StatusCode, body)
	}
	res, body = get(t, srv, "/apps/web", cookies...)
	if res.StatusCode != 200 {
		t.Fatalf("app page %d", res.StatusCode)
	}
	for _, want := range []string{
		`href="http://ui.test:8233/namespaces/default/workflows/deploy%2Fweb%2Fd1/run-1/history"`,
		"never became healthy",
		"fix &lt;script&gt;", // escaped, and only the first line
	} {
		if !strings.Contains(body, want) {
			t.Errorf("app page lacks %q", want)
		}
	}
	if strings.Contains(body, "<script>alert") {
		t.Error("commit message not escaped")
	}

	res, body = get(t, srv, "/apps/missing", cookies...)
	if res.StatusCode != 404 || strings.Contains(body, "goroutine") {
		t.Fatalf("missing app: %d %s", res.StatusCode, body)
	}

	res = post(t, srv, "/logout", nil, srv.URL, cookies...)
	res.Body.Close()
	if res, _ := get(t, srv, "/", cookies...); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("session still valid after sign-out: %d", res.StatusCode)
	}
}

func TestSafeNext(t *testing.T) {
	for in, want := range map[string]string{"/apps/x": "/apps/x", "//evil.com": "/", "https://evil.com": "/", "": "/", "/\\evil": "/"} {
		if got := safeNext(in); got != want {
			t.Errorf("safeNext(%q) = %q", in, got)
		}
	}
}
