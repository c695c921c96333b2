package api

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
)

// Templates: the catalog is listed and shown; a deploy makes an app of
// build type compose with the template's file pasted in and its
// variables as env (generated ones sealed secrets, returned once); a
// required variable missing, an unknown one, a bad name or a template
// that does not exist is refused, naming it, and makes nothing.
func TestTemplates(t *testing.T) {
	w := newRBACWorld(t)
	ctx := context.Background()
	dev := w.tokens[developer]
	code, b := w.call(t, dev, "GET", "/api/templates?category=monitoring", "")
	if code != 200 || !strings.Contains(string(b), `"name":"uptime-kuma"`) || strings.Contains(string(b), `"name":"wordpress"`) {
		t.Fatalf("monitoring templates: %d %.300s", code, b)
	}
	if code, b := w.call(t, dev, "GET", "/api/templates/..%2fapps", ""); code != 404 {
		t.Fatalf("a template name leaving the catalog: %d %s", code, b)
	}
	deploy := func(tpl, body string) (int, string) {
		code, b := w.call(t, dev, "POST", "/api/templates/"+tpl+"/deploy", body)
		return code, string(b)
	}
	name := w.unique("pga-")
	body := func(set string) string {
		return fmt.Sprintf(`{"name":%q,"domains":["%s.example.com"],"team":"acme","no_deploy":true%s}`, name, name, set)
	}
	if code, b := deploy("pgadmin", body("")); code != 400 || !strings.Contains(b, "template pgadmin needs ADMIN_EMAIL: give --set ADMIN_EMAIL=") {
		t.Fatalf("a required variable missing: %d %s", code, b)
	}
	if code, b := deploy("pgadmin", body(`,"set":{"ADMIN_EMAIL":"a@b.c","EVIL":"1"}`)); code != 400 || !strings.Contains(b, "has no variable EVIL") {
		t.Fatalf("an unknown variable: %d %s", code, b)
	}
	if code, b := deploy("no-such", body("")); code != 404 || !strings.Contains(b, `no template \"no-such\"`) {
		t.Fatalf("an unknown template: %d %s", code, b)
	}
	if _, err := w.store.GetApp(ctx, name); err == nil {
		t.Fatal("a refused template deploy made the app")
	}
	code, got := deploy("pgadmin", body(`,"set":{"ADMIN_EMAIL":"a@b.c"}`))
	if code != 201 {
		t.Fatalf("deploy: %d %s", code, got)
	}
	var out struct {
		App struct {
			BuildType, ComposeInline, StackService, Template, GitURL string
			Port                                                     int
			HealthPath                                               string `json:"health_path"`
		}
		Generated map[string]string
	}
	json.Unmarshal([]byte(got), &out)
	a := out.App
	if pw := out.Generated["ADMIN_PASSWORD"]; len(pw) != 24 || len(out.Generated) != 1 {
		t.Fatalf("generated values: %v", out.Generated)
	}
	app, err := w.store.GetApp(ctx, name)
	if err != nil {
		t.Fatal(err)
	}
	if app.BuildType != "compose" || app.GitURL != "" || app.StackService != "pgadmin" || app.Port != 80 || app.HealthPath != "/misc/ping" ||
		app.Template != "pgadmin@1" || !strings.Contains(app.ComposeInline, "dpage/pgadmin4:") || a.Template != "pgadmin@1" {
		t.Fatalf("the app: %+v", app)
	}
	env, _ := w.store.ListEnvMasked(ctx, app.ID)
	shown := map[string]string{}
	for _, v := range env {
		shown[v.Key] = fmt.Sprint(v.Secret)
	}
	if shown["ADMIN_EMAIL"] != "false" || shown["ADMIN_PASSWORD"] != "true" {
		t.Fatalf("its env (ADMIN_PASSWORD sealed): %v", shown)
	}
	code, b = w.call(t, dev, "GET", "/api/apps/"+name+"/env", "")
	if code != 200 || strings.Contains(string(b), out.Generated["ADMIN_PASSWORD"]) {
		t.Fatalf("the generated password is shown again: %d %s", code, b)
	}
	// An upgrade to the catalog's version: the file replaced, existing
	// variables kept, a variable the app lacks generated (and returned).
	upgrade := func(body string) (int, string) {
		code, b := w.call(t, dev, "POST", "/api/apps/"+name+"/template/upgrade", body)
		return code, string(b)
	}
	if code, b := upgrade(`{"no_deploy":true}`); code != 409 || !strings.Contains(b, "the catalog's current version") {
		t.Fatalf("an upgrade to the same version: %d %s", code, b)
	}
	app.Template, app.ComposeInline = "pgadmin@0", strings.Replace(app.ComposeInline, "dpage/pgadmin4:8.12", "dpage/pgadmin4:8.0", 1)
	if err := w.store.SaveApp(ctx, app); err != nil {
		t.Fatal(err)
	}
	if n, err := w.store.UnsetEnv(ctx, app.ID, []string{"ADMIN_PASSWORD"}); err != nil || n != 1 {
		t.Fatal(n, err)
	}
	if code, b := upgrade(`{"no_deploy":true,"set":{"NOPE":"1"}}`); code != 400 || !strings.Contains(b, "has no variable NOPE") {
		t.Fatalf("an upgrade with an unknown variable: %d %s", code, b)
	}
	code, b = w.call(t, dev, "POST", "/api/apps/"+name+"/template/upgrade", `{"no_deploy":true}`)
	var up struct{ Generated map[string]string }
	json.Unmarshal(b, &up)
	if code != 200 || len(up.Generated) != 1 || len(up.Generated["ADMIN_PASSWORD"]) != 24 {
		t.Fatalf("upgrade: %d %s", code, b)
	}
	app, _ = w.store.GetApp(ctx, name)
	if app.Template != "pgadmin@1" || !strings.Contains(app.ComposeInline, "dpage/pgadmin4:8.12") {
		t.Fatalf("after the upgrade: %s %q", app.Template, app.ComposeInline)
	}
	env, _ = w.store.ListEnvMasked(ctx, app.ID)
	if len(env) != 2 {
		t.Fatalf("env after the upgrade: %+v", env)
	}
	// Another team's owner cannot upgrade it, nor make an app in acme.
	if code, _ := w.call(t, w.tokens[outsider], "POST", "/api/apps/"+name+"/template/upgrade", `{"no_deploy":true}`); code != 404 {
		t.Fatalf("an outsider upgrades: %d", code)
	}
	if code, b := w.call(t, w.tokens[outsider], "POST", "/api/templates/whoami/deploy", `{"name":"theirs-x","domains":["theirs-x.example.com"],"team":"acme","no_deploy":true}`); code != 400 && code != 403 && code != 404 {
		t.Fatalf("an outsider deploys into acme: %d %s", code, b)
	}
}

// A compose file pasted in: no repository beside it, build type compose,
// bounded in size.
func TestPastedCompose(t *testing.T) {
	w := newRBACWorld(t)
	dev := w.tokens[developer]
	create := func(extra string) (int, string) {
		name := w.unique("paste-")
		code, b := w.call(t, dev, "POST", "/api/apps", fmt.Sprintf(`{"name":%q,"domains":["%s.example.com"],"team":"acme","stack_service":"web"%s}`, name, name, extra))
		return code, string(b)
	}
	compose := `"compose_inline":"services:\n  web:\n    image: nginx:1.27\n"`
	if code, b := create(`,"build_type":"compose",` + compose); code != 201 || !strings.Contains(b, `"compose_inline":"services:`) {
		t.Fatalf("a pasted compose file: %d %s", code, b)
	}
	if code, b := create(`,"build_type":"compose","git_url":"https://git.example.com/x.git",` + compose); code != 400 || !strings.Contains(b, "has no repository") {
		t.Fatalf("a pasted compose file and a repository: %d %s", code, b)
	}
	if code, b := create(`,"build_type":"dockerfile",` + compose); code != 400 || !strings.Contains(b, "needs build type compose") {
		t.Fatalf("a pasted compose file of build type dockerfile: %d %s", code, b)
	}
	big := strings.Repeat("#", 300<<10)
	if code, b := create(`,"build_type":"compose","compose_inline":"services: {}\n` + big + `"`); code != 400 || !strings.Contains(b, "at most 262144") {
		t.Fatalf("a huge compose file: %d %.300s", code, b)
	}
	if code, b := create(`,"build_type":"compose"`); code != 400 || !strings.Contains(b, "git_url") {
		t.Fatalf("neither a repository nor a compose file: %d %s", code, b)
	}
	// Routes of other domains to other services.
	name := w.unique("routes-")
	route := func(routes string) (int, string) {
		code, b := w.call(t, dev, "POST", "/api/apps", fmt.Sprintf(`{"name":%q,"domains":["%s.example.com"],"team":"acme","stack_service":"web","build_type":"compose",%s,"stack_routes":%s}`, name, name, compose, routes))
		return code, string(b)
	}
	for routes, want := range map[string]string{
		`[{"host":"a.example.com","service":"web","port":80}]`:                                                        "is the app's routed service already",
		`[{"host":"a.example.com","service":"admin","port":0}]`:                                                       "the port must be between 1 and 65535",
		`[{"host":"a.example.com","service":"admin","port":80},{"host":"a.example.com","service":"x","port":80}]`:     "a.example.com is routed twice",
		`[{"host":"a.example.com","service":"admin","port":80},{"host":"b.example.com","service":"admin","port":81}]`: "must share one port and health path",
		`[{"host":"a.example.com","service":"bad name","port":80}]`:                                                   "is not a service name",
		`[{"host":"a.example.com","service":"admin","port":80,"health_path":"up"}]`:                                   "the health path must start with /",
	} {
		if code, b := route(routes); code != 400 || !strings.Contains(b, want) {
			t.Errorf("routes %s: %d %s, want %q", routes, code, b, want)
		}
	}
	code, b := route(`[{"host":"Admin.Example.com","service":"admin","port":9000,"health_path":"/up"}]`)
	if code != 201 || !strings.Contains(b, `"domains":["`+name+`.example.com","admin.example.com"]`) || !strings.Contains(b, `"stack_routes":[{"host":"admin.example.com","service":"admin","port":9000,"health_path":"/up"}]`) {
		t.Fatalf("a route (its host added to the domains): %d %s", code, b)
	}
	// Removing the routed domain alone is refused; with its route it goes.
	if code, b := w.call(t, dev, "PATCH", "/api/apps/"+name, `{"domains":["`+name+`.example.com"]}`); code != 400 || !strings.Contains(string(b), "remove its route in the same change") {
		t.Fatalf("removing a routed domain: %d %s", code, b)
	}
	if code, b := w.call(t, dev, "PATCH", "/api/apps/"+name, `{"domains":["`+name+`.example.com"],"stack_routes":[]}`); code != 200 {
		t.Fatalf("removing a routed domain with its route: %d %s", code, b)
	}
	// A route cannot take another app's domain (another team's included).
	taken := w.unique("taken-")
	if code, b := w.call(t, w.tokens[outsider], "POST", "/api/apps", fmt.Sprintf(`{"name":%q,"git_url":"https://git.example.com/x.git","domains":["%s.example.com"]}`, taken, taken)); code != 201 {
		t.Fatalf("another team's app: %d %s", code, b)
	}
	if code, b := w.call(t, dev, "PATCH", "/api/apps/"+name, `{"stack_routes":[{"host":"`+taken+`.example.com","service":"admin","port":80}]}`); code != 400 && code != 409 || !strings.Contains(string(b), taken+".example.com") {
		t.Fatalf("a route to another team's domain: %d %s", code, b)
	}
	// A non-stack app has no routes.
	other := w.unique("plain-")
	if code, b := w.call(t, dev, "POST", "/api/apps", fmt.Sprintf(`{"name":%q,"git_url":"https://git.example.com/x.git","domains":["%s.example.com"],"team":"acme","stack_routes":[{"host":"x.example.com","service":"a","port":80}]}`, other, other)); code != 400 || !strings.Contains(string(b), "routes to services are for stacks") {
		t.Fatalf("routes on an app: %d %s", code, b)
	}
}
