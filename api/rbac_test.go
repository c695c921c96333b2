package api

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/mocks"

	"github.com/rivetr/rivetr/internal/ids"
	"github.com/rivetr/rivetr/internal/release"
	"github.com/rivetr/rivetr/internal/service"
	"github.com/rivetr/rivetr/internal/testpki"
	"github.com/rivetr/rivetr/schema"
)

// The identities of the RBAC matrix, from none to most.
const (
	anon      = "anonymous"
	expired   = "expired token"
	outsider  = "owner of another team"
	viewer    = "viewer"
	capped    = "developer, token capped at viewer"
	developer = "developer"
	admin     = "admin"
	owner     = "owner"
	root      = "instance admin user"
	// rootCapped is an instance admin's token capped at viewer: it acts as
	// a viewer in every team and holds no instance-level power.
	rootCapped = "instance admin, token capped at viewer"
	// ownerCapped and adminCapped are an owner's and an admin's tokens
	// capped at developer: they act as developers.
	ownerCapped = "owner, token capped at developer"
	adminCapped = "admin, token capped at developer"
	adminTok    = "admin token"
)

var identities = []string{anon, expired, outsider, viewer, capped, developer, admin, owner, root, rootCapped, ownerCapped, adminCapped, adminTok}

// rbacWorld is a server with a team "acme" holding a member of each role,
// a second team with its own owner, and a token for every identity.
type rbacWorld struct {
	*fixture
	tokens map[string]string
	users  map[string]*schema.User
	acme   *schema.Team
	n      atomic.Int64
	// lastDone is the finished deployment of the newest app.
	lastDone string
	// root and inter issue certificates (certFor).
	caOnce      sync.Once
	root, inter *testpki.CA
}

func (w *rbacWorld) unique(prefix string) string {
	return fmt.Sprintf("%s%d", prefix, w.n.Add(1))
}

// environment makes sure acme has an environment called name.
func (w *rbacWorld) environment(t *testing.T, name string) {
	t.Helper()
	ctx := context.Background()
	if _, err := w.store.GetEnvironment(ctx, w.acme.ID, name); err == nil {
		return
	}
	if err := w.store.CreateEnvironment(ctx, &schema.Environment{ID: ids.New(), TeamID: w.acme.ID, Name: name, ApprovalsNeeded: 1}); err != nil {
		t.Fatal(err)
	}
}

func (w *rbacWorld) call(t *testing.T, token, method, path, body string) (int, []byte) {
	t.Helper()
	save := w.token
	w.token = token
	defer func() { w.token = save }()
	return w.do(t, method, path, body)
}

func mustStatus(t *testing.T, want int, code int, b []byte, what string) {
	t.Helper()
	if code != want {
		t.Fatalf("%s: %d %s (want %d)", what, code, b, want)
	}
}

func newRBACWorld(t *testing.T) *rbacWorld { return newRBACWorldWith(t, nil) }

func newRBACWorldWith(t *testing.T, opt func(*service.Options)) *rbacWorld {
	w := &rbacWorld{fixture: newFixtureWith(t, opt), tokens: map[string]string{}, users: map[string]*schema.User{}}
	w.tokens[adminTok] = w.token
	w.tokens[anon] = ""
	code, b := w.do(t, "POST", "/api/setup/owner", `{"email":"root@example.com","name":"Root","password":"correct horse battery"}`)
	mustStatus(t, 201, code, b, "create owner")
	people := map[string]string{root: "root@example.com"}
	for _, who := range []string{outsider, viewer, developer, admin, owner} {
		email := strings.ReplaceAll(who, " ", "-") + "@example.com"
		people[who] = email
		code, b := w.do(t, "POST", "/api/users", fmt.Sprintf(`{"email":%q,"password":"correct horse battery"}`, email))
		mustStatus(t, 201, code, b, "create "+who)
	}
	for who, email := range people {
		code, b := w.call(t, "", "POST", "/api/auth/login", fmt.Sprintf(`{"email":%q,"password":"correct horse battery"}`, email))
		mustStatus(t, 201, code, b, "login "+who)
		var tok service.NewToken
		mustUnmarshal(t, b, &tok)
		w.tokens[who] = tok.Token
		u, err := w.store.GetUser(context.Background(), email)
		if err != nil {
			t.Fatal(err)
		}
		w.users[who] = u
	}
	code, b = w.call(t, w.tokens[owner], "POST", "/api/teams", `{"name":"acme"}`)
	mustStatus(t, 201, code, b, "create acme")
	code, b = w.call(t, w.tokens[outsider], "POST", "/api/teams", `{"name":"other"}`)
	mustStatus(t, 201, code, b, "create other")
	for who, role := range map[string]string{admin: "admin", developer: "developer", viewer: "viewer"} {
		code, b := w.call(t, w.tokens[owner], "PUT", "/api/teams/acme/members/"+people[who], fmt.Sprintf(`{"role":%q}`, role))
		mustStatus(t, 200, code, b, "add "+who)
	}
	code, b = w.call(t, w.tokens[developer], "POST", "/api/tokens", `{"name":"read-only","role":"viewer"}`)
	mustStatus(t, 201, code, b, "capped token")
	var tok service.NewToken
	mustUnmarshal(t, b, &tok)
	w.tokens[capped] = tok.Token
	for who, of := range map[string]string{ownerCapped: owner, adminCapped: admin} {
		code, b = w.call(t, w.tokens[of], "POST", "/api/tokens", `{"name":"as-developer","role":"developer"}`)
		mustStatus(t, 201, code, b, "token capped at developer")
		mustUnmarshal(t, b, &tok)
		w.tokens[who] = tok.Token
	}
	code, b = w.call(t, w.tokens[root], "POST", "/api/tokens", `{"name":"root-read-only","role":"viewer"}`)
	mustStatus(t, 201, code, b, "capped instance admin token")
	mustUnmarshal(t, b, &tok)
	w.tokens[rootCapped] = tok.Token
	code, b = w.call(t, w.tokens[developer], "POST", "/api/tokens", `{"name":"short","expires_in":"1ms"}`)
	mustStatus(t, 201, code, b, "expiring token")
	mustUnmarshal(t, b, &tok)
	w.tokens[expired] = tok.Token
	time.Sleep(5 * time.Millisecond)
	var err error
	if w.acme, err = w.store.GetTeam(context.Background(), "acme"); err != nil {
		t.Fatal(err)
	}

	// Temporal: deploys and cancels are handed over; deletes run a workflow.
	run := &mocks.WorkflowRun{}
	run.On("Get", mock.Anything, mock.Anything).Return(nil).Maybe()
	w.temporal.On("SignalWithStartWorkflow", mock.Anything, mock.Anything, mock.Anything, mock.Anything, mock.Anything, mock.Anything, mock.Anything).Return(nil, nil).Maybe()
	w.temporal.On("SignalWorkflow", mock.Anything, mock.Anything, mock.Anything, mock.Anything, mock.Anything).Return(nil).Maybe()
	w.temporal.On("ExecuteWorkflow", mock.Anything, mock.Anything, mock.Anything, mock.Anything).Return(run, nil).Maybe()
	w.temporal.On("CheckHealth", mock.Anything, mock.Anything).Return(&client.CheckHealthResponse{}, nil).Maybe()
	sh := &mocks.ScheduleHandle{}
	sh.On("Delete", mock.Anything).Return(nil).Maybe()
	sc := &mocks.ScheduleClient{}
	sc.On("Create", mock.Anything, mock.Anything).Return(sh, nil).Maybe()
	sc.On("GetHandle", mock.Anything, mock.Anything).Return(sh).Maybe()
	w.temporal.On("ScheduleClient").Return(sc).Maybe()
	return w
}

// w0volume is the path under a fresh app's fresh volume data.
func w0volume(suffix string) func(t *testing.T, w *rbacWorld, who string) (string, string) {
	return func(t *testing.T, w *rbacWorld, _ string) (string, string) {
		name, _ := w.app(t)
		app, err := w.store.GetApp(context.Background(), name)
		if err != nil {
			t.Fatal(err)
		}
		if err := w.store.CreateVolume(context.Background(), &schema.Volume{AppID: app.ID, Name: "data", Path: "/data"}); err != nil {
			t.Fatal(err)
		}
		return "/api/apps/" + name + "/volumes/data" + suffix, ""
	}
}

// app makes a fresh app in acme with a queued deployment and a finished
// one, and returns its name and the queued deployment's ID.
func (w *rbacWorld) app(t *testing.T) (string, string) {
	ctx := context.Background()
	name := w.unique("app-")
	a := &schema.App{ID: ids.New(), Name: name, TeamID: w.acme.ID, GitURL: "https://git.example.com/x.git", Branch: "main",
		Dockerfile: "Dockerfile", Domains: []string{name + ".example.com"}, Port: 8080, HealthPath: "/", KeepImages: 5, Host: "h1",
		HealthInterval: schema.Duration(time.Second), HealthTimeout: schema.Duration(5 * time.Second),
		HealthDeadline: schema.Duration(time.Minute), DrainTimeout: schema.Duration(30 * time.Second)}
	if err := w.store.CreateApp(ctx, a); err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC()
	done := &schema.Deployment{ID: ids.New(), AppID: a.ID, AppName: name, Kind: release.KindDeploy, Status: release.StatusFailed, Step: release.StepBuild, WorkflowID: "deploy/" + name + "/x", StartedAt: &now, FinishedAt: &now}
	queued := &schema.Deployment{ID: ids.New(), AppID: a.ID, AppName: name, Kind: release.KindDeploy, Status: release.StatusQueued, Step: release.StepQueued, WorkflowID: "deploy/" + name + "/y"}
	for _, d := range []*schema.Deployment{done, queued} {
		if err := w.store.CreateDeployment(ctx, d); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.store.SetEnv(ctx, a.ID, []schema.EnvVar{{Key: "K", Value: "v"}}); err != nil {
		t.Fatal(err)
	}
	w.lastDone = done.ID
	return name, queued.ID
}

// certFor is a certificate for host with its full chain, and its key.
func (w *rbacWorld) certFor(t *testing.T, host string) (cert, key []byte) {
	w.caOnce.Do(func() {
		w.root = testpki.Root(t, "RBAC Root")
		w.inter = w.root.Intermediate(t, "RBAC Intermediate")
	})
	leaf := w.inter.Issue(t, time.Now().Add(-time.Hour), time.Now().Add(30*24*time.Hour), host)
	return testpki.Chain(leaf.CertPEM, w.inter.PEM, w.root.PEM), leaf.KeyPEM
}

// invitation makes an open invitation to acme whose link, like an
// emailed one, may create the account.
func (w *rbacWorld) invitation(t *testing.T) (string, string) {
	tok := ids.Token(32)
	inv := &schema.Invitation{ID: ids.New(), TeamID: w.acme.ID, Email: w.unique("invited") + "@example.com", Role: "developer",
		TokenHash: sha256hex(tok), SignUpHash: sha256hex(tok), Status: schema.InvitePending, CreatedAt: time.Now(), ExpiresAt: time.Now().Add(time.Hour)}
	if err := w.store.CreateInvitation(context.Background(), inv); err != nil {
		t.Fatal(err)
	}
	return inv.ID, tok
}

func (w *rbacWorld) user(t *testing.T) *schema.User {
	u := &schema.User{ID: ids.New(), Email: w.unique("u") + "@example.com", PasswordHash: "x"}
	if err := w.store.CreateUser(context.Background(), u); err != nil {
		t.Fatal(err)
	}
	return u
}

// route is one row of the matrix: how to make a request on fresh objects,
// and the status each identity gets.
type route struct {
	method, path string
	prepare      func(t *testing.T, w *rbacWorld, who string) (path, body string)
	want         map[string]int
}

// inTeam builds the expectations of a route on acme's objects: members
// whose role reaches min get ok, lesser members 403, the other team's
// owner 404 (acme's objects do not exist for them), no token 401.
func inTeam(min release.Role, ok int) map[string]int {
	rank := map[string]int{viewer: 1, capped: 1, rootCapped: 1, developer: 2, ownerCapped: 2, adminCapped: 2, admin: 3, owner: 4, root: 4, adminTok: 4}
	need := map[release.Role]int{release.RoleViewer: 1, release.RoleDeveloper: 2, release.RoleAdmin: 3, release.RoleOwner: 4}[min]
	m := map[string]int{anon: 401, expired: 401, outsider: 404}
	for who, r := range rank {
		if r >= need {
			m[who] = ok
		} else {
			m[who] = 403
		}
	}
	return m
}

// signedIn is a route any valid token may use, with ok.
func signedIn(ok int) map[string]int {
	m := map[string]int{anon: 401, expired: 401}
	for _, who := range identities[2:] {
		m[who] = ok
	}
	return m
}

// instanceAdmins is a route only instance admins may use.
func instanceAdmins(ok int) map[string]int {
	m := signedIn(403)
	m[root], m[adminTok] = ok, ok
	return m
}

func with(m map[string]int, who string, code int) map[string]int {
	m[who] = code
	return m
}

func appPath(suffix string) func(*testing.T, *rbacWorld, string) (string, string) {
	return func(t *testing.T, w *rbacWorld, _ string) (string, string) {
		name, _ := w.app(t)
		return "/api/apps/" + name + suffix, ""
	}
}

func deploymentPath(suffix string, finished bool) func(*testing.T, *rbacWorld, string) (string, string) {
	return func(t *testing.T, w *rbacWorld, _ string) (string, string) {
		_, id := w.app(t)
		if finished {
			id = w.lastDone
		}
		return "/api/deployments/" + id + suffix, ""
	}
}

// appWebhook posts a push for an app, signed with a wrong secret.
func appWebhook(t *testing.T, w *rbacWorld, _ string) (string, string) {
	name, _ := w.app(t)
	return "/webhooks/github/" + name, `{"ref":"refs/heads/main"}`
}

// dbPath makes a database in acme and returns its path plus suffix.
func dbPath(suffix string) func(*testing.T, *rbacWorld, string) (string, string) {
	return func(t *testing.T, w *rbacWorld, _ string) (string, string) {
		d := &schema.Database{ID: ids.New(), Name: w.unique("pg-"), TeamID: w.acme.ID, Engine: "postgres", Version: "17", Image: "postgres:17",
			DockerHost: "h1", User: "app", Password: "pw", DBName: "app", Status: release.DBRunning}
		if err := w.store.CreateDatabase(context.Background(), d); err != nil {
			t.Fatal(err)
		}
		return "/api/databases/" + d.Name + suffix, ""
	}
}

func rbacRoutes() []route {
	fixed := func(path, body string) func(*testing.T, *rbacWorld, string) (string, string) {
		return func(*testing.T, *rbacWorld, string) (string, string) { return path, body }
	}
	return []route{
		{"GET", "/health", fixed("/health", ""), with(with(signedIn(200), anon, 200), expired, 200)},
		// Wrong password: nobody gets a token, whoever asks.
		{"POST", "/api/auth/login", fixed("/api/auth/login", `{"email":"owner@example.com","password":"wrong password!"}`),
			with(with(signedIn(401), anon, 401), expired, 401)},
		{"GET", "/api/status", fixed("/api/status", ""), signedIn(200)},
		// Webhooks ignore tokens: without the app's signature, 401 for all.
		{"POST", "/webhooks/:provider/:app", appWebhook, with(with(signedIn(401), anon, 401), expired, 401)},
		{"GET", "/api/status?team=acme", fixed("/api/status?team=acme", ""), inTeam(release.RoleViewer, 200)},
		{"GET", "/api/me", fixed("/api/me", ""), signedIn(200)},
		// Before anyone below creates a team of their own: the other
		// team's owner reads their own team's log.
		{"GET", "/api/audit", fixed("/api/audit", ""), with(inTeam(release.RoleAdmin, 200), outsider, 200)},
		{"GET", "/api/audit?team=acme", fixed("/api/audit?team=acme", ""), inTeam(release.RoleAdmin, 200)},
		{"POST", "/api/setup/owner", fixed("/api/setup/owner", `{"email":"late@example.com","password":"correct horse battery"}`),
			with(instanceAdmins(403), adminTok, 409)},
		{"POST", "/api/admin/migrate-teams", fixed("/api/admin/migrate-teams", ""), instanceAdmins(200)},
		{"POST", "/api/admin/secrets/rotate", fixed("/api/admin/secrets/rotate", ""), instanceAdmins(200)},
		{"GET", "/api/users", fixed("/api/users", ""), instanceAdmins(200)},
		{"POST", "/api/users", func(t *testing.T, w *rbacWorld, _ string) (string, string) {
			return "/api/users", fmt.Sprintf(`{"email":"%s@example.com","password":"correct horse battery"}`, w.unique("new"))
		}, instanceAdmins(201)},
		{"PUT", "/api/users/:user/password", func(t *testing.T, w *rbacWorld, _ string) (string, string) {
			return "/api/users/" + w.user(t).Email + "/password", `{"password":"another good one"}`
		}, instanceAdmins(204)},
		{"GET", "/api/tokens", fixed("/api/tokens", ""), signedIn(200)},
		{"POST", "/api/tokens", func(t *testing.T, w *rbacWorld, _ string) (string, string) {
			return "/api/tokens", fmt.Sprintf(`{"name":%q}`, w.unique("t"))
		}, with(signedIn(201), adminTok, 403)},
		// A token of the developer: only the developer (with any of their
		// tokens) finds it.
		{"DELETE", "/api/tokens/:id", func(t *testing.T, w *rbacWorld, _ string) (string, string) {
			tok := &schema.APIToken{ID: ids.New(), Name: w.unique("t"), Hash: ids.Token(32), UserID: w.users[developer].ID}
			if err := w.store.CreateToken(context.Background(), tok); err != nil {
				t.Fatal(err)
			}
			return "/api/tokens/" + tok.ID, ""
		}, with(with(signedIn(404), developer, 204), capped, 204)},
		{"GET", "/api/teams", fixed("/api/teams", ""), signedIn(200)},
		{"POST", "/api/teams", func(t *testing.T, w *rbacWorld, _ string) (string, string) {
			return "/api/teams", fmt.Sprintf(`{"name":%q}`, w.unique("team-"))
		}, with(with(with(with(with(signedIn(201), capped, 403), rootCapped, 403), ownerCapped, 403), adminCapped, 403), adminTok, 403)},
		// A fresh team shaped like acme, empty of apps.
		{"DELETE", "/api/teams/:team", func(t *testing.T, w *rbacWorld, _ string) (string, string) {
			tm := &schema.Team{ID: ids.New(), Name: w.unique("gone-")}
			ctx := context.Background()
			if err := w.store.CreateTeam(ctx, tm, w.users[owner].ID); err != nil {
				t.Fatal(err)
			}
			for who, role := range map[string]release.Role{admin: "admin", developer: "developer", viewer: "viewer"} {
				if err := w.store.PutMembership(ctx, &schema.Membership{TeamID: tm.ID, UserID: w.users[who].ID, Role: role}); err != nil {
					t.Fatal(err)
				}
			}
			return "/api/teams/" + tm.Name, ""
		}, inTeam(release.RoleOwner, 204)},
		{"GET", "/api/teams/:team/members", fixed("/api/teams/acme/members", ""), inTeam(release.RoleViewer, 200)},
		{"PUT", "/api/teams/:team/members/:user", func(t *testing.T, w *rbacWorld, _ string) (string, string) {
			return "/api/teams/acme/members/" + w.user(t).Email, `{"role":"developer"}`
		}, inTeam(release.RoleAdmin, 200)},
		{"DELETE", "/api/teams/:team/members/:user", func(t *testing.T, w *rbacWorld, _ string) (string, string) {
			u := w.user(t)
			if err := w.store.PutMembership(context.Background(), &schema.Membership{TeamID: w.acme.ID, UserID: u.ID, Role: "viewer"}); err != nil {
				t.Fatal(err)
			}
			return "/api/teams/acme/members/" + u.Email, ""
		}, inTeam(release.RoleAdmin, 204)},
		{"GET", "/api/teams/:team/invitations", fixed("/api/teams/acme/invitations", ""), inTeam(release.RoleAdmin, 200)},
		{"POST", "/api/teams/:team/invitations", func(t *testing.T, w *rbacWorld, _ string) (string, string) {
			return "/api/teams/acme/invitations", fmt.Sprintf(`{"email":"%s@example.com","role":"developer"}`, w.unique("inv"))
		}, inTeam(release.RoleAdmin, 201)},
		{"DELETE", "/api/teams/:team/invitations/:id", func(t *testing.T, w *rbacWorld, _ string) (string, string) {
			id, _ := w.invitation(t)
			return "/api/teams/acme/invitations/" + id, ""
		}, inTeam(release.RoleAdmin, 204)},
		// Invitation links need no token; a bad one is still refused. A
		// signed-in user who is not the invited email cannot take it.
		{"GET", "/api/invitations/:token", func(t *testing.T, w *rbacWorld, _ string) (string, string) {
			_, tok := w.invitation(t)
			return "/api/invitations/" + tok, ""
		}, with(with(signedIn(200), anon, 200), expired, 401)},
		{"POST", "/api/invitations/:token/accept", func(t *testing.T, w *rbacWorld, _ string) (string, string) {
			_, tok := w.invitation(t)
			return "/api/invitations/" + tok + "/accept", `{"name":"New Person","password":"a long password"}`
		}, with(with(with(signedIn(403), anon, 200), expired, 401), adminTok, 200)},
		{"POST", "/api/invitations/:token/decline", func(t *testing.T, w *rbacWorld, _ string) (string, string) {
			_, tok := w.invitation(t)
			return "/api/invitations/" + tok + "/decline", ""
		}, with(with(signedIn(204), anon, 204), expired, 401)},
		{"GET", "/api/apps", fixed("/api/apps", ""), signedIn(200)},
		// The other team's owner names a team they are not in: 400.
		{"POST", "/api/apps", func(t *testing.T, w *rbacWorld, _ string) (string, string) {
			name := w.unique("new-")
			return "/api/apps", fmt.Sprintf(`{"name":%q,"git_url":"https://git.example.com/x.git","domains":["%s.example.com"],"team":"acme"}`, name, name)
		}, with(inTeam(release.RoleDeveloper, 201), outsider, 400)},
		{"GET", "/api/templates", fixed("/api/templates", ""), signedIn(200)},
		{"GET", "/api/templates/:template", fixed("/api/templates/whoami", ""), signedIn(200)},
		{"POST", "/api/templates/:template/deploy", func(t *testing.T, w *rbacWorld, _ string) (string, string) {
			name := w.unique("tpl-")
			return "/api/templates/whoami/deploy", fmt.Sprintf(`{"name":%q,"domains":["%s.example.com"],"team":"acme","no_deploy":true}`, name, name)
		}, with(inTeam(release.RoleDeveloper, 201), outsider, 400)},
		{"GET", "/api/apps/:name", appPath(""), inTeam(release.RoleViewer, 200)},
		// Not made from a template: editors get the refusal.
		{"POST", "/api/apps/:name/template/upgrade", func(t *testing.T, w *rbacWorld, who string) (string, string) {
			p, _ := appPath("/template/upgrade")(t, w, who)
			return p, `{"no_deploy":true}`
		}, inTeam(release.RoleDeveloper, 400)},
		// The matrix's apps are not stacks: readers get the refusal.
		{"GET", "/api/apps/:name/services", appPath("/services"), inTeam(release.RoleViewer, 400)},
		{"PATCH", "/api/apps/:name", func(t *testing.T, w *rbacWorld, who string) (string, string) {
			p, _ := appPath("")(t, w, who)
			return p, `{"port":9090}`
		}, inTeam(release.RoleDeveloper, 200)},
		// Without a deployment in flight, so the delete does not wait for one.
		{"DELETE", "/api/apps/:name", func(t *testing.T, w *rbacWorld, _ string) (string, string) {
			name, id := w.app(t)
			if err := w.store.UpdateDeployment(context.Background(), id, schema.DeploymentUpdate{Status: release.StatusCancelled, Finished: true}); err != nil {
				t.Fatal(err)
			}
			return "/api/apps/" + name, ""
		}, inTeam(release.RoleAdmin, 204)},
		{"GET", "/api/certificates", fixed("/api/certificates", ""), signedIn(200)},
		// Renewing runs a workflow the matrix's Temporal pretends to finish.
		{"POST", "/api/certificates/:host/renew", func(t *testing.T, w *rbacWorld, _ string) (string, string) {
			name, _ := w.app(t)
			return "/api/certificates/" + name + ".example.com/renew", ""
		}, inTeam(release.RoleDeveloper, 200)},
		{"PUT", "/api/certificates/:host", func(t *testing.T, w *rbacWorld, _ string) (string, string) {
			name, _ := w.app(t)
			cert, key := w.certFor(t, name+".example.com")
			body, _ := json.Marshal(service.CertificateUpload{Cert: string(cert), Key: string(key)})
			return "/api/certificates/" + name + ".example.com", string(body)
		}, inTeam(release.RoleDeveloper, 200)},
		{"DELETE", "/api/certificates/:host", func(t *testing.T, w *rbacWorld, _ string) (string, string) {
			name, _ := w.app(t)
			app, err := w.store.GetApp(context.Background(), name)
			if err != nil {
				t.Fatal(err)
			}
			if err := w.store.PutCustomCert(context.Background(), &schema.CustomCert{Host: name + ".example.com", AppID: app.ID, CertPEM: "x", KeyPEM: "y"}); err != nil {
				t.Fatal(err)
			}
			return "/api/certificates/" + name + ".example.com", ""
		}, inTeam(release.RoleDeveloper, 200)},
		{"GET", "/api/apps/:name/domains", appPath("/domains"), inTeam(release.RoleViewer, 200)},
		{"PATCH", "/api/apps/:name/domains/:host", func(t *testing.T, w *rbacWorld, _ string) (string, string) {
			name, _ := w.app(t)
			app, err := w.store.GetApp(context.Background(), name)
			if err != nil {
				t.Fatal(err)
			}
			app.Domains = append(app.Domains, "www-"+name+".example.com")
			if err := w.store.SaveApp(context.Background(), app); err != nil {
				t.Fatal(err)
			}
			return "/api/apps/" + name + "/domains/www-" + name + ".example.com", `{"redirect_to":"` + name + `.example.com"}`
		}, inTeam(release.RoleDeveloper, 200)},
		{"POST", "/api/apps/:name/domains/:host/verify", func(t *testing.T, w *rbacWorld, _ string) (string, string) {
			name, _ := w.app(t)
			return "/api/apps/" + name + "/domains/" + name + ".example.com/verify", ""
		}, inTeam(release.RoleDeveloper, 200)},
		{"POST", "/api/apps/:name/domains", func(t *testing.T, w *rbacWorld, who string) (string, string) {
			p, _ := appPath("/domains")(t, w, who)
			return p, `{"host":"https://more-` + w.unique("d") + `.example.com/"}`
		}, inTeam(release.RoleDeveloper, 201)},
		{"DELETE", "/api/apps/:name/domains/:host", func(t *testing.T, w *rbacWorld, _ string) (string, string) {
			name, _ := w.app(t)
			app, err := w.store.GetApp(context.Background(), name)
			if err != nil {
				t.Fatal(err)
			}
			app.Domains = append(app.Domains, "extra-"+name+".example.com")
			if err := w.store.SaveApp(context.Background(), app); err != nil {
				t.Fatal(err)
			}
			return "/api/apps/" + name + "/domains/extra-" + name + ".example.com", ""
		}, inTeam(release.RoleDeveloper, 200)},
		{"GET", "/api/apps/:name/volumes", appPath("/volumes"), inTeam(release.RoleViewer, 200)},
		{"POST", "/api/apps/:name/volumes", func(t *testing.T, w *rbacWorld, who string) (string, string) {
			p, _ := appPath("/volumes")(t, w, who)
			return p, `{"name":"data","path":"/data"}`
		}, inTeam(release.RoleDeveloper, 201)},
		{"DELETE", "/api/apps/:name/volumes/:volume", func(t *testing.T, w *rbacWorld, _ string) (string, string) {
			name, _ := w.app(t)
			app, err := w.store.GetApp(context.Background(), name)
			if err != nil {
				t.Fatal(err)
			}
			if err := w.store.CreateVolume(context.Background(), &schema.Volume{AppID: app.ID, Name: "data", Path: "/data"}); err != nil {
				t.Fatal(err)
			}
			return "/api/apps/" + name + "/volumes/data", ""
		}, inTeam(release.RoleDeveloper, 204)},
		{"GET", "/api/apps/:name/volumes/:volume/backups", w0volume("/backups"), inTeam(release.RoleViewer, 200)},
		// No real host: allowed callers get the backup started (202).
		{"POST", "/api/apps/:name/volumes/:volume/backups", w0volume("/backups"), inTeam(release.RoleDeveloper, 202)},
		{"POST", "/api/apps/:name/volumes/:volume/restore", func(t *testing.T, w *rbacWorld, who string) (string, string) {
			p, _ := w0volume("/restore")(t, w, who)
			return p, `{"backup":"nope"}`
		}, inTeam(release.RoleAdmin, 404)},
		{"GET", "/api/apps/:name/volumes/:volume/backup-policy", w0volume("/backup-policy"), inTeam(release.RoleViewer, 200)},
		{"PUT", "/api/apps/:name/volumes/:volume/backup-policy", func(t *testing.T, w *rbacWorld, who string) (string, string) {
			p, _ := w0volume("/backup-policy")(t, w, who)
			return p, `{"keep_last":3}`
		}, inTeam(release.RoleAdmin, 200)},
		{"GET", "/api/apps/:name/dependencies", appPath("/dependencies"), inTeam(release.RoleViewer, 200)},
		{"POST", "/api/apps/:name/dependencies", func(t *testing.T, w *rbacWorld, who string) (string, string) {
			p, _ := appPath("/dependencies")(t, w, who)
			other, _ := w.app(t)
			return p, `{"kind":"app","name":"` + other + `"}`
		}, inTeam(release.RoleDeveloper, 201)},
		{"DELETE", "/api/apps/:name/dependencies/:kind/:target", func(t *testing.T, w *rbacWorld, _ string) (string, string) {
			name, _ := w.app(t)
			other, _ := w.app(t)
			a, _ := w.store.GetApp(context.Background(), name)
			o, _ := w.store.GetApp(context.Background(), other)
			if err := w.store.AddDependency(context.Background(), &schema.Dependency{AppID: a.ID, Kind: release.DepApp, TargetID: o.ID}); err != nil {
				t.Fatal(err)
			}
			return "/api/apps/" + name + "/dependencies/app/" + other, ""
		}, inTeam(release.RoleDeveloper, 204)},
		{"GET", "/api/graph", fixed("/api/graph?team=acme", ""), inTeam(release.RoleViewer, 200)},
		{"GET", "/api/apps/:name/env", appPath("/env"), inTeam(release.RoleViewer, 200)},
		{"PUT", "/api/apps/:name/env", func(t *testing.T, w *rbacWorld, who string) (string, string) {
			p, _ := appPath("/env")(t, w, who)
			return p, `{"vars":[{"key":"NEW","value":"x"}]}`
		}, inTeam(release.RoleDeveloper, 200)},
		{"DELETE", "/api/apps/:name/env/:key", appPath("/env/K"), inTeam(release.RoleDeveloper, 204)},
		{"PUT", "/api/apps/:name/shares/:team", appPath("/shares/other"), inTeam(release.RoleAdmin, 204)},
		{"GET", "/api/apps/:name/schedules", appPath("/schedules"), inTeam(release.RoleViewer, 200)},
		{"GET", "/api/apps/:name/webhook", appPath("/webhook"), inTeam(release.RoleDeveloper, 200)},
		{"POST", "/api/apps/:name/webhook/rotate", appPath("/webhook/rotate"), inTeam(release.RoleDeveloper, 200)},
		{"GET", "/api/apps/:name/webhooks", appPath("/webhooks"), inTeam(release.RoleViewer, 200)},
		{"GET", "/api/apps/:name/previews", appPath("/previews"), inTeam(release.RoleViewer, 200)},
		// Not a ZIP: allowed callers reach the archive check (400).
		{"POST", "/api/apps/:name/deploy/upload", func(t *testing.T, w *rbacWorld, who string) (string, string) {
			p, _ := appPath("/deploy/upload")(t, w, who)
			return p, "not a zip"
		}, inTeam(release.RoleDeveloper, 400)},
		// No preview of #1: allowed callers get 404.
		{"DELETE", "/api/apps/:name/previews/:pr", appPath("/previews/1"), with(inTeam(release.RoleDeveloper, 404), outsider, 404)},
		{"POST", "/api/apps/:name/schedules", func(t *testing.T, w *rbacWorld, who string) (string, string) {
			p, _ := appPath("/schedules")(t, w, who)
			return p, `{"cron":"0 3 * * *","tz":"Europe/Berlin"}`
		}, inTeam(release.RoleDeveloper, 201)},
		{"DELETE", "/api/apps/:name/schedules/:id", func(t *testing.T, w *rbacWorld, _ string) (string, string) {
			name, _ := w.app(t)
			a, _ := w.store.GetApp(context.Background(), name)
			r := &schema.RecurringDeploy{ID: ids.New(), AppID: a.ID, Cron: "0 3 * * *", TZ: "UTC"}
			if err := w.store.CreateRecurring(context.Background(), r); err != nil {
				t.Fatal(err)
			}
			return "/api/apps/" + name + "/schedules/" + r.ID, ""
		}, inTeam(release.RoleDeveloper, 204)},
		{"DELETE", "/api/apps/:name/shares/:team", func(t *testing.T, w *rbacWorld, who string) (string, string) {
			name, _ := w.app(t)
			other, err := w.store.GetTeam(context.Background(), "other")
			if err != nil {
				t.Fatal(err)
			}
			a, _ := w.store.GetApp(context.Background(), name)
			if err := w.store.ShareApp(context.Background(), a.ID, other.ID); err != nil {
				t.Fatal(err)
			}
			return "/api/apps/" + name + "/shares/other", ""
		}, with(inTeam(release.RoleAdmin, 204), outsider, 403)},
		{"POST", "/api/apps/:name/deploy", appPath("/deploy"), inTeam(release.RoleDeveloper, 202)},
		// Allowed callers reach the rule that nothing serves yet: 409.
		{"POST", "/api/apps/:name/rollback", appPath("/rollback"), inTeam(release.RoleDeveloper, 409)},
		{"GET", "/api/apps/:name/deployments", appPath("/deployments"), inTeam(release.RoleViewer, 200)},
		{"GET", "/api/apps/:name/logs", appPath("/logs"), inTeam(release.RoleViewer, 409)},
		{"GET", "/api/deployments", fixed("/api/deployments", ""), signedIn(200)},
		{"GET", "/api/deployments/:id", deploymentPath("", false), inTeam(release.RoleViewer, 200)},
		{"POST", "/api/deployments/:id/cancel", deploymentPath("/cancel", false), inTeam(release.RoleDeveloper, 202)},
		{"GET", "/api/deployments/:id/logs", deploymentPath("/logs", false), inTeam(release.RoleViewer, 200)},
		// Allowed callers reach the rule that the deployment is not
		// waiting for approval: 409.
		{"POST", "/api/deployments/:id/approve", deploymentPath("/approve", false), inTeam(release.RoleAdmin, 409)},
		{"POST", "/api/deployments/:id/reject", deploymentPath("/reject", false), inTeam(release.RoleAdmin, 409)},
		{"GET", "/api/approvals", fixed("/api/approvals", ""), signedIn(200)},
		{"GET", "/api/deployments/:id/diff", deploymentPath("/diff", false), inTeam(release.RoleViewer, 200)},
		{"POST", "/api/deployments/:id/override", func(t *testing.T, w *rbacWorld, who string) (string, string) {
			p, _ := deploymentPath("/override", false)(t, w, who)
			return p, `{"reason":"hotfix"}`
		}, inTeam(release.RoleAdmin, 409)},
		{"GET", "/api/databases", fixed("/api/databases", ""), signedIn(200)},
		{"POST", "/api/databases", func(t *testing.T, w *rbacWorld, _ string) (string, string) {
			return "/api/databases", fmt.Sprintf(`{"name":%q,"engine":"postgres","team":"acme"}`, w.unique("db-"))
		}, with(inTeam(release.RoleDeveloper, 202), outsider, 400)},
		{"GET", "/api/databases/:name", dbPath(""), inTeam(release.RoleViewer, 200)},
		{"GET", "/api/databases/:name?reveal=1", dbPath("?reveal=1"), inTeam(release.RoleAdmin, 200)},
		{"POST", "/api/databases/:name/start", dbPath("/start"), inTeam(release.RoleDeveloper, 202)},
		{"POST", "/api/databases/:name/stop", dbPath("/stop"), inTeam(release.RoleDeveloper, 202)},
		{"DELETE", "/api/databases/:name", dbPath(""), inTeam(release.RoleAdmin, 202)},
		{"POST", "/api/databases/:name/link", func(t *testing.T, w *rbacWorld, who string) (string, string) {
			p, _ := dbPath("/link")(t, w, who)
			name, _ := w.app(t)
			return p, fmt.Sprintf(`{"app":%q}`, name)
		}, inTeam(release.RoleAdmin, 200)}, // a link hands the password to the app: database admin
		{"GET", "/api/databases/:name/backups", dbPath("/backups"), inTeam(release.RoleViewer, 200)},
		// The database is running on no real host: allowed callers get the
		// backup started (202).
		{"POST", "/api/databases/:name/backups", dbPath("/backups"), inTeam(release.RoleDeveloper, 202)},
		{"GET", "/api/databases/:name/backups/:id/download", dbPath("/backups/nope/download"), inTeam(release.RoleAdmin, 404)},
		{"POST", "/api/databases/:name/restore", func(t *testing.T, w *rbacWorld, who string) (string, string) {
			p, _ := dbPath("/restore")(t, w, who)
			return p, `{"backup":"nope"}`
		}, inTeam(release.RoleAdmin, 404)},
		{"GET", "/api/databases/:name/backup-policy", dbPath("/backup-policy"), inTeam(release.RoleViewer, 200)},
		{"PUT", "/api/databases/:name/backup-policy", func(t *testing.T, w *rbacWorld, who string) (string, string) {
			p, _ := dbPath("/backup-policy")(t, w, who)
			return p, `{"keep_last":3}`
		}, inTeam(release.RoleAdmin, 200)},
		{"GET", "/api/freezes", fixed("/api/freezes", ""), signedIn(200)},
		// A freeze of acme's production environment.
		{"POST", "/api/freezes", func(t *testing.T, w *rbacWorld, _ string) (string, string) {
			w.environment(t, "production")
			return "/api/freezes", `{"environment":"production","team":"acme","reason":"launch","cron":"0 18 * * FRI","duration":"62h"}`
		}, inTeam(release.RoleAdmin, 201)},
		{"GET", "/api/teams/:team/environments", fixed("/api/teams/acme/environments", ""), inTeam(release.RoleViewer, 200)},
		{"PUT", "/api/teams/:team/environments/:env", func(t *testing.T, w *rbacWorld, _ string) (string, string) {
			return "/api/teams/acme/environments/" + w.unique("stage-"), `{"require_approval":true,"approvals_needed":2}`
		}, inTeam(release.RoleAdmin, 200)},
		{"DELETE", "/api/teams/:team/environments/:env", func(t *testing.T, w *rbacWorld, _ string) (string, string) {
			name := w.unique("gone-")
			w.environment(t, name)
			return "/api/teams/acme/environments/" + name, ""
		}, inTeam(release.RoleAdmin, 204)},
		{"POST", "/api/freezes", func(t *testing.T, w *rbacWorld, _ string) (string, string) {
			name, _ := w.app(t)
			return "/api/freezes", fmt.Sprintf(`{"app":%q,"reason":"launch","cron":"0 18 * * FRI","duration":"62h","tz":"Europe/Berlin"}`, name)
		}, inTeam(release.RoleAdmin, 201)},
		{"DELETE", "/api/freezes/:id", func(t *testing.T, w *rbacWorld, _ string) (string, string) {
			name, _ := w.app(t)
			a, _ := w.store.GetApp(context.Background(), name)
			start, end := time.Now(), time.Now().Add(time.Hour)
			f := &schema.FreezeWindow{ID: ids.New(), AppID: a.ID, TeamID: a.TeamID, Reason: "x", Start: &start, End: &end, Policy: "wait"}
			if err := w.store.CreateFreeze(context.Background(), f); err != nil {
				t.Fatal(err)
			}
			return "/api/freezes/" + f.ID, ""
		}, inTeam(release.RoleAdmin, 204)},
		// Allowed callers reach the rule that the deployment is not
		// scheduled: 409.
		{"POST", "/api/deployments/:id/reschedule", func(t *testing.T, w *rbacWorld, who string) (string, string) {
			p, _ := deploymentPath("/reschedule", false)(t, w, who)
			return p, `{"in":"1h"}`
		}, inTeam(release.RoleDeveloper, 409)},
		{"GET", "/api/deployments/:id/logs/stream", deploymentPath("/logs/stream", true), inTeam(release.RoleViewer, 200)},
		// Last: it revokes the token it is called with.
		{"DELETE", "/api/auth/token", fixed("/api/auth/token", ""), with(signedIn(204), adminTok, 409)},
	}
}

// TestRBACMatrix calls every API route as every identity and checks the
// status. It fails when a route is added without a row.
func TestRBACMatrix(t *testing.T) {
	w := newRBACWorld(t)
	routes := rbacRoutes()
	covered := map[string]bool{}
	for _, r := range routes {
		covered[r.method+" "+r.path] = true
	}
	var missing []string
	engine, _ := New(nil, nil, Options{})
	for _, ri := range engine.Routes() {
		if !covered[ri.Method+" "+ri.Path] {
			missing = append(missing, ri.Method+" "+ri.Path)
		}
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		t.Fatalf("routes without a row in the RBAC matrix: %s", strings.Join(missing, ", "))
	}
	for _, r := range routes {
		for _, who := range identities {
			want, ok := r.want[who]
			if !ok {
				t.Fatalf("%s %s: no expectation for %s", r.method, r.path, who)
			}
			path, body := r.prepare(t, w, who)
			code, b := w.call(t, w.tokens[who], r.method, path, body)
			if code != want {
				t.Errorf("%s %s as %s: %d, want %d: %s", r.method, r.path, who, code, want, firstLine(b))
			}
			if code == http.StatusForbidden && errorOf(t, b).Code != "forbidden" {
				t.Errorf("%s %s as %s: 403 without the forbidden code: %s", r.method, r.path, who, b)
			}
		}
	}
}

func firstLine(b []byte) string {
	s := string(b)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	if len(s) > 200 {
		s = s[:200]
	}
	return s
}

// TestPermissionTable keeps the permission table of
// docs/teams-and-security.md equal to release.Matrix, which the service
// enforces.
func TestPermissionTable(t *testing.T) {
	b, err := os.ReadFile("../docs/teams-and-security.md")
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	start := strings.Index(s, "<!-- permission-matrix")
	end := strings.Index(s, "<!-- /permission-matrix -->")
	if start < 0 || end < start {
		t.Fatal("docs/teams-and-security.md has no permission-matrix block")
	}
	got := strings.TrimSpace(s[strings.Index(s[start:], "\n")+start : end])
	var want strings.Builder
	want.WriteString("| permission | viewer | developer | admin | owner |\n|---|---|---|---|---|\n")
	for _, e := range release.Matrix {
		want.WriteString("| " + e.What + " |")
		for _, role := range release.Roles {
			if release.RoleAllows(role, e.Perm) {
				want.WriteString(" ✓ |")
			} else {
				want.WriteString(" |")
			}
		}
		want.WriteString("\n")
	}
	if got != strings.TrimSpace(want.String()) {
		t.Fatalf("docs/teams-and-security.md's permission table is out of date; it should read:\n%s", want.String())
	}
}

func sha256hex(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}
