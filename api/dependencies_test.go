package api

import (
	"context"
	"strings"
	"testing"

	"github.com/rivetr/rivetr/internal/ids"
	"github.com/rivetr/rivetr/internal/release"
	"github.com/rivetr/rivetr/schema"
)

// Dependencies: on a database or app of the app's own team only (another
// team's is not found), never closing a cycle; what others need cannot be
// deleted; linking a database makes the app need it; the team's graph
// has them all.
func TestDependencies(t *testing.T) {
	w := newRBACWorld(t)
	ctx := context.Background()
	web, _ := w.app(t)
	api, _ := w.app(t)
	db := &schema.Database{ID: ids.New(), Name: w.unique("pg-"), TeamID: w.acme.ID, Engine: "postgres", Version: "17", Image: "postgres:17",
		DockerHost: "h1", User: "app", Password: "pw", DBName: "app", Status: release.DBStopped}
	foreign := &schema.Database{ID: ids.New(), Name: w.unique("theirs-"), TeamID: "another-team", Engine: "postgres", Version: "17", Image: "postgres:17",
		DockerHost: "h1", User: "app", Password: "pw", DBName: "app", Status: release.DBRunning}
	for _, d := range []*schema.Database{db, foreign} {
		if err := w.store.CreateDatabase(ctx, d); err != nil {
			t.Fatal(err)
		}
	}
	dev := w.tokens[developer]
	add := func(app, body string) (int, string) {
		code, b := w.call(t, dev, "POST", "/api/apps/"+app+"/dependencies", body)
		return code, string(b)
	}
	if code, b := add(web, `{"kind":"database","name":"`+db.Name+`"}`); code != 201 || !strings.Contains(b, `"status":"stopped"`) {
		t.Fatalf("web needs the database: %d %s", code, b)
	}
	if code, b := add(web, `{"kind":"app","name":"`+api+`"}`); code != 201 || !strings.Contains(b, `"status":"not serving"`) {
		t.Fatalf("web needs api: %d %s", code, b)
	}
	if code, b := add(api, `{"kind":"app","name":"`+web+`"}`); code != 400 || !strings.Contains(b, "would close a cycle: "+web+" → "+api+" → "+web) {
		t.Fatalf("a cycle: %d %s", code, b)
	}
	if code, b := add(api, `{"kind":"app","name":"`+api+`"}`); code != 400 || !strings.Contains(b, "cycle") {
		t.Fatalf("an app needing itself: %d %s", code, b)
	}
	if code, b := add(web, `{"kind":"database","name":"`+foreign.Name+`"}`); code != 404 {
		t.Fatalf("another team's database: %d %s", code, b)
	}
	if code, b := add(web, `{"kind":"queue","name":"x"}`); code != 400 || !strings.Contains(b, "must be database or app") {
		t.Fatalf("an unknown kind: %d %s", code, b)
	}
	if code, _ := add(web, `{"kind":"app","name":"`+api+`"}`); code != 400 {
		t.Fatalf("the same dependency twice: %d", code)
	}
	// Another team's owner cannot see or change web's dependencies.
	if code, _ := w.call(t, w.tokens[outsider], "GET", "/api/apps/"+web+"/dependencies", ""); code != 404 {
		t.Fatalf("another team lists web's dependencies: %d", code)
	}

	// What web needs cannot be deleted.
	if code, b := w.call(t, w.tokens[admin], "DELETE", "/api/databases/"+db.Name, ""); code != 409 || !strings.Contains(string(b), "needed by "+web) || !strings.Contains(string(b), "--remove database:"+db.Name) {
		t.Fatalf("deleting a needed database: %d %s", code, b)
	}
	if code, b := w.call(t, w.tokens[admin], "DELETE", "/api/apps/"+api, ""); code != 409 || !strings.Contains(string(b), "needed by "+web) {
		t.Fatalf("deleting a needed app: %d %s", code, b)
	}

	// The graph.
	code, b := w.call(t, w.tokens[viewer], "GET", "/api/graph?team=acme", "")
	for _, want := range []string{`{"from":"app:` + web + `","to":"database:` + db.Name + `"}`, `{"from":"app:` + web + `","to":"app:` + api + `"}`, `"id":"database:` + db.Name + `"`} {
		if code != 200 || !strings.Contains(string(b), want) {
			t.Fatalf("graph lacks %s: %d %s", want, code, b)
		}
	}
	if strings.Contains(string(b), foreign.Name) {
		t.Fatal("the graph shows another team's database")
	}

	// Removed, the app can go.
	if code, _ := w.call(t, dev, "DELETE", "/api/apps/"+web+"/dependencies/app/"+api, ""); code != 204 {
		t.Fatalf("remove: %d", code)
	}
	if code, _ := w.call(t, dev, "DELETE", "/api/apps/"+web+"/dependencies/app/"+api, ""); code != 404 {
		t.Fatalf("remove twice: %d", code)
	}
	code, b = w.call(t, dev, "GET", "/api/apps/"+web+"/dependencies", "")
	if code != 200 || strings.Contains(string(b), api) || !strings.Contains(string(b), db.Name) {
		t.Fatalf("list after removing: %d %s", code, b)
	}
}
