package api

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/rivetr/rivetr/internal/egress"
	"github.com/rivetr/rivetr/internal/gitsrc"
	"github.com/rivetr/rivetr/internal/ids"
	"github.com/rivetr/rivetr/internal/release"
	"github.com/rivetr/rivetr/internal/service"
	"github.com/rivetr/rivetr/schema"
)

// The attack: a developer who cannot read the app's write-only git token
// points the app at a git server they run and deploys, so the token is
// sent there. The change of host is refused unless the token is given
// again; the attacker's server never sees it.
func TestStoredTokensDoNotFollowANewHost(t *testing.T) {
	var mu sync.Mutex
	var seen []string
	attacker := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen = append(seen, r.Header.Get("Authorization"))
		mu.Unlock()
		http.Error(w, "no", http.StatusNotFound)
	}))
	defer attacker.Close()
	f := newFixtureWith(t, func(o *service.Options) {
		o.ResolveBranch = gitsrc.ResolveBranch
		o.Egress = egress.MustParse("127.0.0.0/8") // the attacker's server is on loopback here
	})
	code, b := f.do(t, "POST", "/api/apps", `{"name":"shop","git_url":"https://git.example.com/acme/shop.git","domains":["shop.test"],
		"git_token":"secret-token-123","provider_url":"https://api.example.com","provider_token":"provider-secret-456"}`)
	mustStatus(t, 201, code, b, "create")
	for _, tc := range []struct{ field, body string }{
		{"git_url", `{"git_url":"` + attacker.URL + `/acme/shop.git"}`},
		{"git_url", `{"git_url":"git@evil.example.net:acme/shop.git"}`},
		{"provider_url", `{"provider_url":"` + attacker.URL + `"}`},
	} {
		code, b := f.do(t, "PATCH", "/api/apps/shop", tc.body)
		if code != http.StatusBadRequest || errorOf(t, b).Fields[tc.field] == "" || !strings.Contains(string(b), "give it again") {
			t.Fatalf("moving %s: %d %s", tc.field, code, b)
		}
	}
	// Deploying now still asks the original host only.
	f.do(t, "POST", "/api/apps/shop/deploy", `{}`)
	// Giving the token again (or clearing it) with the new address is fine.
	code, b = f.do(t, "PATCH", "/api/apps/shop", `{"git_url":"`+attacker.URL+`/acme/shop.git","git_token":""}`)
	mustStatus(t, 200, code, b, "move, clearing the token")
	f.do(t, "POST", "/api/apps/shop/deploy", `{}`)
	mu.Lock()
	defer mu.Unlock()
	for _, h := range seen {
		if h != "" {
			t.Fatalf("the attacker's server received credentials: %q", h)
		}
	}
}

// Attack: a repository "on the server" (a path or file:// URL) reads
// whatever the server can, other teams' checkouts and the data dir
// included. It is refused unless the instance was started with
// --allow-local-git, on create, on update and on deploy of an app stored
// before.
func TestLocalGitOff(t *testing.T) {
	f := newFixtureWith(t, func(o *service.Options) { o.AllowLocalGit = false })
	for _, url := range []string{"/var/lib/rivetr/builds/other-team/src", "file:///var/lib/rivetr", "file://localhost/etc"} {
		code, b := f.do(t, "POST", "/api/apps", `{"name":"shop","git_url":"`+url+`","domains":["shop.test"]}`)
		if code != http.StatusBadRequest || !strings.Contains(errorOf(t, b).Fields["git_url"], "--allow-local-git") {
			t.Fatalf("create from %s: %d %s", url, code, b)
		}
	}
	code, b := f.do(t, "POST", "/api/apps", `{"name":"shop","git_url":"https://git.example.com/shop.git","domains":["shop.test"]}`)
	mustStatus(t, 201, code, b, "create")
	code, b = f.do(t, "PATCH", "/api/apps/shop", `{"git_url":"/etc"}`)
	if code != http.StatusBadRequest || errorOf(t, b).Fields["git_url"] == "" {
		t.Fatalf("update to a path: %d %s", code, b)
	}
	// An app stored with a path (before the flag existed) does not deploy.
	app, err := f.store.GetApp(context.Background(), "shop")
	if err != nil {
		t.Fatal(err)
	}
	app.GitURL = "/etc"
	if err := f.store.SaveApp(context.Background(), app); err != nil {
		t.Fatal(err)
	}
	code, b = f.do(t, "POST", "/api/apps/shop/deploy", `{}`)
	if code != http.StatusBadRequest || errorOf(t, b).Fields["git_url"] == "" {
		t.Fatalf("deploy from a path: %d %s", code, b)
	}
}

// Attack: addresses a team member types that point inside the server's
// network (its loopback, the cloud metadata service, the LAN) are refused
// by the egress policy; an instance admin can allow a range.
func TestEgressPolicyOnInputs(t *testing.T) {
	f := newFixture(t)
	for _, tc := range []struct{ field, body string }{
		{"git_url", `{"name":"a1","git_url":"https://169.254.169.254/latest.git","domains":["a1.test"]}`},
		{"git_url", `{"name":"a2","git_url":"git@127.0.0.1:team-b/shop.git","domains":["a2.test"]}`},
		{"git_url", `{"name":"a3","git_url":"ssh://git@[::1]/x.git","domains":["a3.test"]}`},
		{"git_url", `{"name":"a4","git_url":"https://localhost:8080/x.git","domains":["a4.test"]}`},
		{"provider_url", `{"name":"a5","git_url":"https://git.example.com/x.git","domains":["a5.test"],"provider_url":"http://10.0.0.1:2375"}`},
	} {
		code, b := f.do(t, "POST", "/api/apps", tc.body)
		if code != http.StatusBadRequest || !strings.Contains(errorOf(t, b).Fields[tc.field], "--egress-allow") {
			t.Fatalf("%s: %d %s", tc.body, code, b)
		}
	}
	if err := f.store.CreateDatabase(context.Background(), &schema.Database{ID: ids.New(), Name: "pg", Engine: "postgres", Version: "17", Image: "postgres:17",
		DockerHost: "h1", User: "app", Password: "pw", DBName: "app", Status: release.DBRunning}); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ field, body string }{
		{"s3_endpoint", `{"s3_endpoint":"http://127.0.0.1:9000","s3_bucket":"b","s3_access_key":"k","s3_secret_key":"s"}`},
		{"notify_url", `{"notify_url":"http://169.254.169.254/latest/meta-data"}`},
	} {
		code, b := f.do(t, "PUT", "/api/databases/pg/backup-policy", tc.body)
		if code != http.StatusBadRequest || !strings.Contains(errorOf(t, b).Fields[tc.field], "--egress-allow") {
			t.Fatalf("%s: %d %s", tc.body, code, b)
		}
	}
	lan := newFixtureWith(t, func(o *service.Options) { o.Egress = egress.MustParse("10.0.0.0/8") })
	code, b := lan.do(t, "POST", "/api/apps", `{"name":"gitea","git_url":"https://10.1.2.3/team/x.git","domains":["gitea.test"]}`)
	mustStatus(t, 201, code, b, "an allowed LAN range")
}
