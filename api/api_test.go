package api

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/mocks"

	"github.com/rivetr/rivetr/internal/gitsrc"
	"github.com/rivetr/rivetr/internal/release"
	"github.com/rivetr/rivetr/internal/service"
	"github.com/rivetr/rivetr/internal/testdb"
	"github.com/rivetr/rivetr/schema"
	"github.com/rivetr/rivetr/workflows"
)

// The API is tested over a real SQLite store; the Temporal client is the
// SDK's mock (the end-to-end tests cover the real server), and branch
// resolution is a function with a fault switch.
type fixture struct {
	srv      *httptest.Server
	svc      *service.Service
	token    string
	store    *schema.Store
	temporal *mocks.Client
	head     string
	headErr  error
	dir      string // the data dir
}

func newFixture(t testing.TB) *fixture { t.Helper(); return newFixtureWith(t, nil) }

// newFixtureWith lets a test change the service's options.
func newFixtureWith(t testing.TB, opt func(*service.Options)) *fixture {
	t.Helper()
	store, keys, dir := testdb.Open(t)
	f := &fixture{store: store, temporal: mocks.NewClient(t), head: strings.Repeat("ab", 20), dir: dir}
	o := service.Options{
		Store: store, Keys: keys, Temporal: f.temporal, Namespace: "default", UIBaseURL: "http://ui:8233", HostName: "h1", ProxyPort: "80",
		UploadDir: filepath.Join(dir, "uploads"),
		// The fixtures' repositories are paths; TestLocalGitOff turns it off.
		AllowLocalGit: true,
		ResolveBranch: func(context.Context, string, string, gitsrc.Auth) (string, error) { return f.head, f.headErr },
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
	f.token = strings.TrimSpace(string(b))
	f.svc = svc
	engine, err := New(svc, slog.New(slog.NewTextHandler(io.Discard, nil)), Options{})
	if err != nil {
		t.Fatal(err)
	}
	f.srv = httptest.NewServer(engine)
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fixture) do(t testing.TB, method, path, body string) (int, []byte) {
	t.Helper()
	req, _ := http.NewRequest(method, f.srv.URL+path, strings.NewReader(body))
	if f.token != "" {
		req.Header.Set("Authorization", "Bearer "+f.token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, b
}

func errorOf(t *testing.T, b []byte) ErrorDetail {
	t.Helper()
	var eb ErrorBody
	if err := json.Unmarshal(b, &eb); err != nil || eb.Error.Code == "" {
		t.Fatalf("not an error body: %s", b)
	}
	return eb.Error
}

const validApp = `{"name":"web","git_url":"https://git.example.com/web.git","domains":["web.example.com"]}`

func TestAuth(t *testing.T) {
	f := newFixture(t)
	for _, h := range []string{"", "Bearer wrong", "Basic abc"} {
		req, _ := http.NewRequest("GET", f.srv.URL+"/api/apps", nil)
		if h != "" {
			req.Header.Set("Authorization", h)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != 401 || errorOf(t, b).Code != "unauthorized" {
			t.Errorf("Authorization %q: %d %s", h, res.StatusCode, b)
		}
	}
	if code, _ := f.do(t, "GET", "/api/apps", ""); code != 200 {
		t.Fatalf("with the admin token: %d", code)
	}
}

func TestHealthNeedsNoToken(t *testing.T) {
	f := newFixture(t)
	f.temporal.On("CheckHealth", mock.Anything, mock.Anything).Return(&client.CheckHealthResponse{}, nil)
	res, err := http.Get(f.srv.URL + "/health")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var st service.Status
	if err := json.NewDecoder(res.Body).Decode(&st); err != nil {
		t.Fatal(err)
	}
	// No Docker client is configured here, so health is reported, not OK.
	if st.Database != "ok" || st.Temporal != "ok" || st.Docker == "ok" {
		t.Fatalf("health %+v", st)
	}
}

// Anyone may ask /health what is down, never why: the reason names
// internal addresses.
func TestHealthSaysNothingInternal(t *testing.T) {
	f := newFixture(t)
	f.temporal.On("CheckHealth", mock.Anything, mock.Anything).Return(nil, errors.New("dial tcp 10.9.8.7:7233: connection refused"))
	res, err := http.Get(f.srv.URL + "/health")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode != http.StatusServiceUnavailable || strings.Contains(string(b), "10.9.8.7") || !strings.Contains(string(b), "unavailable") {
		t.Fatalf("health: %d %s", res.StatusCode, b)
	}
	if code, b := f.do(t, "GET", "/api/status", ""); code != 200 || !strings.Contains(string(b), "10.9.8.7") {
		t.Fatalf("the admin's status should say why: %d %s", code, b)
	}
}

func TestAppValidation(t *testing.T) {
	f := newFixture(t)
	tests := []struct {
		name, body, code string
		status           int
		fields           []string
	}{
		{"bad json", `{"name":`, "bad_json", 400, nil},
		{"unknown field", `{"name":"web","gti_url":"x"}`, "bad_json", 400, nil},
		{"everything wrong", `{"name":"Web App","git_url":"ftp://x","domains":["not a host"],"port":70000,"health_path":"up","keep_images":0}`,
			"invalid", 400, []string{"name", "git_url", "domains", "port", "health_path", "keep_images"}},
		{"no domain", `{"name":"web","git_url":"https://git.example.com/web.git"}`, "invalid", 400, []string{"domains"}},
		{"bad duration", `{"name":"web","git_url":"/srv/web","domains":["a.test"],"health_interval":"soon"}`, "bad_json", 400, nil},
	}
	for _, tc := range tests {
		status, b := f.do(t, "POST", "/api/apps", tc.body)
		e := errorOf(t, b)
		if status != tc.status || e.Code != tc.code {
			t.Errorf("%s: %d %s", tc.name, status, b)
		}
		for _, field := range tc.fields {
			if e.Fields[field] == "" {
				t.Errorf("%s: no message for %s in %v", tc.name, field, e.Fields)
			}
		}
	}

	if status, b := f.do(t, "POST", "/api/apps", validApp); status != 201 {
		t.Fatalf("valid app: %d %s", status, b)
	}
	if status, b := f.do(t, "POST", "/api/apps", validApp); status != 400 || !strings.Contains(errorOf(t, b).Fields["name"], "already exists") {
		t.Fatalf("duplicate: %d %s", status, b)
	}
	other := `{"name":"other","git_url":"/srv/other","domains":["WEB.example.com"]}`
	if status, b := f.do(t, "POST", "/api/apps", other); status != 400 || !strings.Contains(errorOf(t, b).Fields["domains"], "already served by app web") {
		t.Fatalf("domain taken: %d %s", status, b)
	}
	if status, b := f.do(t, "GET", "/api/apps/nope", ""); status != 404 || errorOf(t, b).Code != "not_found" {
		t.Fatalf("missing app: %d %s", status, b)
	}
	if status, b := f.do(t, "PATCH", "/api/apps/web", `{"name":"renamed"}`); status != 400 || errorOf(t, b).Fields["name"] == "" {
		t.Fatalf("rename: %d %s", status, b)
	}
	status, b := f.do(t, "PATCH", "/api/apps/web", `{"port":3000,"health_interval":"2s","git_token":"tok"}`)
	var app service.AppView
	mustUnmarshal(t, b, &app)
	if status != 200 || app.Port != 3000 || app.HealthInterval.D() != 2*time.Second || !app.HasGitToken || strings.Contains(string(b), `"tok"`) {
		t.Fatalf("update: %d %s", status, b)
	}
}

func TestEnvSecretsAreWriteOnly(t *testing.T) {
	f := newFixture(t)
	f.do(t, "POST", "/api/apps", validApp)
	status, b := f.do(t, "PUT", "/api/apps/web/env", `{"vars":[{"key":"A","value":"1"},{"key":"TOKEN","value":"hunter2","secret":true}]}`)
	if status != 200 || strings.Contains(string(b), "hunter2") {
		t.Fatalf("set: %d %s", status, b)
	}
	_, b = f.do(t, "GET", "/api/apps/web/env", "")
	if strings.Contains(string(b), "hunter2") || !strings.Contains(string(b), `"value":"1"`) {
		t.Fatalf("list: %s", b)
	}
	if status, b := f.do(t, "PUT", "/api/apps/web/env", `{"vars":[{"key":"1BAD","value":"x"}]}`); status != 400 || errorOf(t, b).Fields["key"] == "" {
		t.Fatalf("bad key: %d %s", status, b)
	}
	if status, _ := f.do(t, "DELETE", "/api/apps/web/env/A", ""); status != 204 {
		t.Fatalf("unset: %d", status)
	}
	if status, b := f.do(t, "DELETE", "/api/apps/web/env/A", ""); status != 404 {
		t.Fatalf("unset twice: %d %s", status, b)
	}
}

func TestDeployHandsTheDeploymentToTheAppQueue(t *testing.T) {
	f := newFixture(t)
	f.do(t, "POST", "/api/apps", validApp)
	var got workflows.Request
	f.temporal.On("SignalWithStartWorkflow", mock.Anything, "app/web", workflows.SignalRequest, mock.Anything,
		mock.MatchedBy(func(o client.StartWorkflowOptions) bool {
			return o.ID == "app/web" && o.TaskQueue == workflows.TaskQueue
		}),
		workflows.AppQueueName, mock.Anything).
		Run(func(args mock.Arguments) { got = args.Get(3).(workflows.Request) }).
		Return(nil, nil).Once()

	status, b := f.do(t, "POST", "/api/apps/web/deploy", `{}`)
	var d service.DeploymentView
	mustUnmarshal(t, b, &d)
	if status != 202 || d.Status != "queued" || d.CommitSHA != f.head || d.WorkflowID != "deploy/web/"+d.ID {
		t.Fatalf("deploy: %d %s", status, b)
	}
	if got.DeploymentID != d.ID || got.Kind != "deploy" || got.HostQueue != "rivetr.host.h1" {
		t.Fatalf("queue got %+v", got)
	}
	if !strings.HasPrefix(d.WorkflowURL, "http://ui:8233/namespaces/default/workflows?query=") {
		t.Fatalf("workflow link before the run exists: %q", d.WorkflowURL)
	}

	// Errors: a bad commit, an unreadable branch, Temporal down.
	if status, b := f.do(t, "POST", "/api/apps/web/deploy", `{"commit":"main"}`); status != 400 || errorOf(t, b).Fields["commit"] == "" {
		t.Fatalf("bad commit: %d %s", status, b)
	}
	f.headErr = gitsrc.ErrAuth
	if status, b := f.do(t, "POST", "/api/apps/web/deploy", `{}`); status != 422 || errorOf(t, b).Code != "source_error" {
		t.Fatalf("unreadable branch: %d %s", status, b)
	}
	f.headErr = nil
	f.temporal.On("SignalWithStartWorkflow", mock.Anything, "app/web", mock.Anything, mock.Anything, mock.Anything, mock.Anything, mock.Anything).
		Return(nil, errors.New("connection refused")).Once()
	if status, b := f.do(t, "POST", "/api/apps/web/deploy", `{}`); status != 503 || errorOf(t, b).Code != "unavailable" {
		t.Fatalf("temporal down: %d %s", status, b)
	}
	// The deployment that could not be handed over is failed, not left queued.
	ds, _ := f.store.ListDeployments(context.Background(), schema.DeploymentFilter{Statuses: []release.Status{release.StatusFailed}})
	if len(ds) != 1 || !strings.Contains(ds[0].FailureReason, "connection refused") {
		t.Fatalf("failed deployments %+v", ds)
	}
}

func TestCancelAndRollbackRules(t *testing.T) {
	f := newFixture(t)
	f.do(t, "POST", "/api/apps", validApp)
	ctx := context.Background()
	app, _ := f.store.GetApp(ctx, "web")

	if status, b := f.do(t, "POST", "/api/apps/web/rollback", `{}`); status != 409 || !strings.Contains(errorOf(t, b).Message, "nothing to roll back") {
		t.Fatalf("rollback with nothing serving: %d %s", status, b)
	}
	for _, d := range []schema.Deployment{
		{ID: "d1", Status: release.StatusSucceeded, Image: "rivetr/web:d1"},
		{ID: "d2", Status: release.StatusFailed},
		{ID: "d3", Status: release.StatusSucceeded, Image: "rivetr/web:d3"},
		{ID: "d4", Status: release.StatusBuilding},
	} {
		d.AppID, d.AppName, d.Kind, d.WorkflowID = app.ID, "web", "deploy", "deploy/web/"+d.ID
		f.store.CreateDeployment(ctx, &d)
	}
	f.store.SetCurrentDeployment(ctx, app.ID, "d3")

	if status, b := f.do(t, "POST", "/api/deployments/d1/cancel", ""); status != 409 || errorOf(t, b).Code != "invalid_state" {
		t.Fatalf("cancel finished: %d %s", status, b)
	}
	// The queue is gone and so is the workflow: the record is closed.
	nf := serviceerror.NewNotFound("gone")
	f.temporal.On("SignalWorkflow", mock.Anything, "app/web", "", workflows.SignalCancel, workflows.CancelRequest{DeploymentID: "d4"}).Return(nf).Once()
	f.temporal.On("CancelWorkflow", mock.Anything, "deploy/web/d4", "").Return(nf).Once()
	if status, b := f.do(t, "POST", "/api/deployments/d4/cancel", ""); status != 202 || !strings.Contains(string(b), `"status":"cancelled"`) {
		t.Fatalf("cancel stale: %d %s", status, b)
	}

	for _, tc := range []struct{ body, want string }{
		{`{"to":"d2"}`, "only deployments that succeeded"},
		{`{"to":"d3"}`, "already serving"},
	} {
		if status, b := f.do(t, "POST", "/api/apps/web/rollback", tc.body); status < 400 || !strings.Contains(string(b), tc.want) {
			t.Errorf("rollback %s: %d %s", tc.body, status, b)
		}
	}
	// The newest deployment (d4) never served: d3, serving, is the good
	// version, so a default rollback asks to be confirmed first.
	status, b := f.do(t, "POST", "/api/apps/web/rollback", `{}`)
	if e := errorOf(t, b); status != 409 || e.Fields["confirm"] != "required" || !strings.Contains(e.Message, "d4, cancelled and never served: d3") {
		t.Fatalf("default rollback after a deployment that never served: %d %s", status, b)
	}
	var req workflows.Request
	f.temporal.On("SignalWithStartWorkflow", mock.Anything, "app/web", workflows.SignalRequest, mock.Anything, mock.Anything, workflows.AppQueueName, mock.Anything).
		Run(func(args mock.Arguments) { req = args.Get(3).(workflows.Request) }).Return(nil, nil).Once()
	status, b = f.do(t, "POST", "/api/apps/web/rollback", `{"confirm":true}`)
	if status != 202 || !strings.Contains(string(b), `"rollback_of":"d1"`) || req.Kind != "rollback" {
		t.Fatalf("default rollback goes to the previous success: %d %s %+v", status, b, req)
	}
}

func TestLogStream(t *testing.T) {
	f := newFixture(t)
	f.do(t, "POST", "/api/apps", validApp)
	ctx := context.Background()
	app, _ := f.store.GetApp(ctx, "web")
	f.store.CreateDeployment(ctx, &schema.Deployment{ID: "d1", AppID: app.ID, AppName: "web", Kind: "deploy", Status: release.StatusBuilding})
	f.store.AppendLogs(ctx, []schema.LogLine{{DeploymentID: "d1", Text: "first", Time: time.Now()}})

	req, _ := http.NewRequest("GET", f.srv.URL+"/api/deployments/d1/logs/stream", nil)
	req.Header.Set("Authorization", "Bearer "+f.token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.Header.Get("Content-Type") != "text/event-stream" {
		t.Fatalf("content type %q", res.Header.Get("Content-Type"))
	}
	// While the stream is open: a new line, then the end.
	go func() {
		time.Sleep(400 * time.Millisecond)
		f.store.AppendLogs(ctx, []schema.LogLine{{DeploymentID: "d1", Text: "second", Time: time.Now()}})
		time.Sleep(400 * time.Millisecond)
		f.store.UpdateDeployment(ctx, "d1", schema.DeploymentUpdate{Status: release.StatusSucceeded, Finished: true})
	}()
	var events []string
	sc := bufio.NewScanner(res.Body)
	event := ""
	for sc.Scan() {
		line := sc.Text()
		if e, ok := strings.CutPrefix(line, "event: "); ok {
			event = e
		}
		if d, ok := strings.CutPrefix(line, "data: "); ok {
			if event == "log" {
				var l schema.LogLine
				mustUnmarshal(t, []byte(d), &l)
				events = append(events, "log:"+l.Text)
			} else {
				events = append(events, event)
			}
			if event == "end" {
				break
			}
		}
	}
	want := "log:first,status,log:second,status,end"
	if strings.Join(events, ",") != want {
		t.Fatalf("events %v, want %s", events, want)
	}
}

func TestListAppsShowsCurrentAndLatest(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	for _, name := range []string{"one", "two", "three"} {
		f.do(t, "POST", "/api/apps", `{"name":"`+name+`","git_url":"/srv/x","domains":["`+name+`.test"]}`)
	}
	one, _ := f.store.GetApp(ctx, "one")
	two, _ := f.store.GetApp(ctx, "two")
	for _, d := range []schema.Deployment{
		{ID: "d1", AppID: one.ID, Status: release.StatusSucceeded},
		{ID: "d2", AppID: one.ID, Status: release.StatusFailed},
		{ID: "d3", AppID: two.ID, Status: release.StatusSucceeded},
	} {
		d.AppName, d.Kind = "x", "deploy"
		f.store.CreateDeployment(ctx, &d)
	}
	f.store.SetCurrentDeployment(ctx, one.ID, "d1")
	f.store.SetCurrentDeployment(ctx, two.ID, "d3")
	_, b := f.do(t, "GET", "/api/apps", "")
	var apps []service.AppView
	mustUnmarshal(t, b, &apps)
	got := map[string]string{}
	for _, a := range apps {
		cur, lat := "-", "-"
		if a.Current != nil {
			cur = a.Current.ID
		}
		if a.Latest != nil {
			lat = a.Latest.ID
		}
		got[a.Name] = cur + "/" + lat
	}
	want := map[string]string{"one": "d1/d2", "two": "d3/d3", "three": "-/-"}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s: current/latest %s, want %s", k, got[k], v)
		}
	}
}
