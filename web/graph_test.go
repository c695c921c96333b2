package web

import (
	"context"
	"strings"
	"testing"

	"github.com/rivetr/rivetr/internal/ids"
	"github.com/rivetr/rivetr/internal/release"
	"github.com/rivetr/rivetr/schema"
)

// The graph page draws the team's apps and databases, what needs what as
// arrows, each box linking to its page and coloured by its state; an app
// needing nothing stands alone.
func TestGraphPage(t *testing.T) {
	d := newDash(t)
	d.setupOwner()
	ctx := context.Background()
	team, err := d.store.GetTeam(ctx, "default")
	if err != nil {
		t.Fatal(err)
	}
	web, api, lone := d.app("web"), d.app("api"), d.app("lone")
	for _, a := range []*schema.App{web, api, lone} {
		a.TeamID = team.ID
		if err := d.store.SaveApp(ctx, a); err != nil {
			t.Fatal(err)
		}
	}
	db := &schema.Database{ID: ids.New(), Name: "shop-db", TeamID: team.ID, Engine: "postgres", Version: "17", Image: "postgres:17", DockerHost: "h1",
		User: "app", Password: "pw", DBName: "app", Status: release.DBRunning}
	if err := d.store.CreateDatabase(ctx, db); err != nil {
		t.Fatal(err)
	}
	for _, dep := range []schema.Dependency{{AppID: web.ID, Kind: release.DepApp, TargetID: api.ID}, {AppID: web.ID, Kind: release.DepDatabase, TargetID: db.ID}, {AppID: api.ID, Kind: release.DepDatabase, TargetID: db.ID}} {
		if err := d.store.AddDependency(ctx, &dep); err != nil {
			t.Fatal(err)
		}
	}
	code, body, _ := d.get("/graph")
	if code != 200 {
		t.Fatalf("graph: %d", code)
	}
	svg := section(body, `id="graph"`)
	for _, want := range []string{`data-node="app:web"`, `data-node="app:api"`, `data-node="app:lone"`, `data-node="database:shop-db"`, `href="/databases/shop-db"`, `class="node ok"`} {
		if !strings.Contains(svg, want) {
			t.Fatalf("the graph lacks %s:\n%s", want, svg)
		}
	}
	if n := strings.Count(svg, `class="edge"`); n != 3 {
		t.Fatalf("%d edges, want 3", n)
	}
	// Columns: web (needs api) left of api (needs the database) left of it.
	x := func(node string) string {
		i := strings.Index(svg, `data-node="`+node+`"`)
		rest := svg[i:]
		j := strings.Index(rest, `x="`)
		return rest[j+3 : j+3+strings.Index(rest[j+3:], `"`)]
	}
	if x("app:web") != "16" || x("app:api") != "256" || x("database:shop-db") != "496" {
		t.Fatalf("columns: web %s, api %s, shop-db %s", x("app:web"), x("app:api"), x("database:shop-db"))
	}
}
