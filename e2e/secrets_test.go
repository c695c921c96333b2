package e2e

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"google.golang.org/protobuf/encoding/protojson"
)

// TestSecretsNeverLeak deploys an app with a secret env var and then looks
// for the secret's value everywhere Rivetr writes or answers: API
// responses, the server log, the dashboard's HTML, the full history of
// every workflow of the app in Temporal, and the database files on disk.
// The container must get it (the app serves it back), so the search is
// known to be able to find it.
func TestSecretsNeverLeak(t *testing.T) {
	a := newSharedApp(t, "leak", "leak-v1")
	s := a.S
	secret := "s3cr3t-" + randSuffix() + "-do-not-leak"
	s.MustCLI("env", "set", a.App, "GREETING="+secret, "--secret")
	s.MustCLI("env", "set", a.App, "PLAIN=visible")
	if r := s.CLI("deploy", a.App, "--wait"); r.Code != 0 {
		t.Fatalf("deploy: %d\n%s%s", r.Code, r.Stdout, r.Stderr)
	}
	// The positive control: the container was given the value.
	if got := strings.TrimSpace(s.MustGet(a.Host, "/greeting")); got != secret {
		t.Fatalf("the app got GREETING=%q, want the secret", got)
	}
	deps := s.Deployments(a.App)

	hits := map[string]int{}
	look := func(where string, b []byte) {
		if bytes.Contains(b, []byte(secret)) {
			hits[where]++
		}
	}

	// The API, through the CLI and directly.
	for _, args := range [][]string{
		{"apps", "show", a.App, "-o", "json"}, {"apps", "list", "-o", "json"}, {"env", "list", a.App, "-o", "json"},
		{"deployments", a.App, "-o", "json"}, {"deployments", "show", deps[0].ID, "-o", "json"},
		{"logs", a.App, "--deployment", deps[0].ID}, {"status", "-o", "json"},
	} {
		r := s.CLI(args...)
		look("rivetr "+strings.Join(args, " "), []byte(r.Stdout+r.Stderr))
	}
	token, _ := os.ReadFile(filepath.Join(s.DataDir, "admin-token"))
	for _, path := range []string{"/api/apps", "/api/apps/" + a.App, "/api/apps/" + a.App + "/env", "/api/deployments",
		"/api/deployments/" + deps[0].ID, "/api/deployments/" + deps[0].ID + "/logs", "/api/apps/" + a.App + "/logs?tail=100"} {
		req, _ := http.NewRequest("GET", s.HTTP+path, nil)
		req.Header.Set("Authorization", "Bearer "+strings.TrimSpace(string(token)))
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		look("GET "+path, b)
	}

	// The dashboard, signed in with the admin token.
	browser := s.Browser()
	page := func(path string) []byte {
		res, err := browser.Get(s.HTTP + path)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return b
	}
	paths := []string{"/", "/apps", "/deployments/" + deps[0].ID}
	for _, tab := range []string{"", "/deployments", "/logs", "/environment", "/domains", "/settings", "/webhooks", "/policy", "/danger"} {
		paths = append(paths, "/apps/"+a.App+tab)
	}
	for _, path := range paths {
		b := page(path)
		if !bytes.Contains(b, []byte(a.App)) {
			t.Fatalf("dashboard %s did not render the app (signed in?):\n%.300s", path, b)
		}
		if path == "/apps/"+a.App+"/environment" && !bytes.Contains(b, []byte("visible")) {
			t.Fatal("the environment tab does not show the plain env var, so it cannot show that the secret is hidden")
		}
		look("dashboard "+path, b)
	}
	// The log texts too (they need not name the app).
	for _, path := range []string{"/deployments/" + deps[0].ID + "/log.txt", "/apps/" + a.App + "/logs.txt"} {
		look("dashboard "+path, page(path))
	}

	// Every workflow of the app, whole histories.
	c, err := client.Dial(s.TemporalOptions(""))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	list, err := c.ListWorkflow(context.Background(), &workflowservice.ListWorkflowExecutionsRequest{Query: fmt.Sprintf(`RivetrApp = %q`, a.App)})
	if err != nil {
		t.Fatal(err)
	}
	if len(list.Executions) < 3 {
		t.Fatalf("only %d workflows of the app in Temporal", len(list.Executions))
	}
	events := 0
	for _, ex := range list.Executions {
		it := c.GetWorkflowHistory(context.Background(), ex.Execution.WorkflowId, ex.Execution.RunId, false, 0)
		for it.HasNext() {
			ev, err := it.Next()
			if err != nil {
				t.Fatal(err)
			}
			b, _ := protojson.Marshal(ev)
			look("workflow "+ex.Execution.WorkflowId, b)
			events++
		}
	}

	// The server's log, and the databases at rest (WAL files included).
	look("server and proxy logs", s.logs())
	files, _ := filepath.Glob(filepath.Join(s.DataDir, "*.db*"))
	if len(files) < 2 {
		t.Fatalf("database files: %v", files)
	}
	for _, f := range files {
		b, _ := os.ReadFile(f)
		look(filepath.Base(f), b)
	}

	if len(hits) > 0 {
		t.Fatalf("the secret leaked: %v", hits)
	}
	t.Logf("no trace of the secret in %d API answers, 4 dashboard pages, %d events of %d workflows, the server log and %d database files",
		14, events, len(list.Executions), len(files))
}
