package web

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/mock"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/mocks"
)

// The app page links a database of the team (its settings become the
// app's secret env) and deletes the app once its name is typed back.
func TestLinkDatabaseAndDeleteApp(t *testing.T) {
	d := newDash(t)
	d.setupOwner()
	ctx := context.Background()
	team, err := d.store.GetTeam(ctx, "default")
	if err != nil {
		t.Fatal(err)
	}
	app := d.app("shop")
	app.TeamID = team.ID
	if err := d.store.SaveApp(ctx, app); err != nil {
		t.Fatal(err)
	}
	_, body, _ := d.get("/apps/shop/environment")
	if !strings.Contains(body, `id="databases"`) || !strings.Contains(body, "No database in this team yet") {
		t.Fatalf("the app page without databases:\n%s", section(body, `id="databases"`))
	}
	d.csrf = csrfRE.FindStringSubmatch(body)[1]
	d.temporal.On("ExecuteWorkflow", mock.Anything, mock.MatchedBy(func(o client.StartWorkflowOptions) bool { return o.ID == "database/shop-db" }),
		mock.Anything, mock.Anything).Return(nil, nil)
	if code, _, _ := d.form("/databases", "name", "shop-db", "engine", "postgres"); code != http.StatusSeeOther {
		t.Fatalf("create the database: %d", code)
	}
	_, body, _ = d.get("/apps/shop/environment")
	if !strings.Contains(body, `<option value="shop-db">shop-db (postgres`) {
		t.Fatalf("the database is not offered:\n%s", section(body, `id="databases"`))
	}
	code, _, hdr := d.form("/apps/shop/databases", "database", "shop-db", "prefix", "DB")
	if code != http.StatusSeeOther || !strings.Contains(hdr.Get("Location"), "Linked+shop-db") || !strings.Contains(hdr.Get("Location"), "DB_URL") {
		t.Fatalf("link: %d %v", code, hdr)
	}
	if _, body, _ = d.get("/apps/shop/environment"); !strings.Contains(body, "DB_PASSWORD") {
		t.Fatal("the linked settings are not in the app's env")
	}

	// The name typed wrong: nothing happens.
	code, _, hdr = d.form("/apps/shop/delete", "confirm", "shpo")
	if code != http.StatusSeeOther || !strings.HasPrefix(hdr.Get("Location"), "/apps/shop/danger?") {
		t.Fatalf("delete with the wrong name: %d %v", code, hdr)
	}
	run := &mocks.WorkflowRun{}
	run.On("Get", mock.Anything, mock.Anything).Return(nil)
	var deleted bool
	d.temporal.On("ExecuteWorkflow", mock.Anything, mock.MatchedBy(func(o client.StartWorkflowOptions) bool { return strings.HasPrefix(o.ID, "delete/shop") }),
		mock.Anything, mock.Anything).Run(func(mock.Arguments) { deleted = true }).Return(run, nil)
	code, _, hdr = d.form("/apps/shop/delete", "confirm", "shop")
	if code != http.StatusSeeOther || !deleted || !strings.HasPrefix(hdr.Get("Location"), "/apps?") || !strings.Contains(hdr.Get("Location"), "Deleted+shop") {
		t.Fatalf("delete: %d %v (workflow started: %v)", code, hdr, deleted)
	}
}
