package web

import (
	"context"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/mock"

	"github.com/rivetr/rivetr/schema"
	"github.com/rivetr/rivetr/workflows"
)

// The gallery lists the templates by category; a template's page deploys
// it, refusing a missing required variable by name, and shows the
// generated values once, which the app keeps as sealed env.
func TestTemplateGallery(t *testing.T) {
	d := newDash(t)
	d.signIn()
	_, body, _ := d.get("/templates")
	for _, want := range []string{`data-template="grafana"`, `data-template="uptime-kuma"`, `data-template="wordpress"`, `href="/templates/gitea"`, `fill="#f46800"`} {
		if !strings.Contains(body, want) {
			t.Fatalf("the gallery lacks %s", want)
		}
	}
	if _, body, _ := d.get("/templates?category=cms"); !strings.Contains(body, `data-template="wordpress"`) || strings.Contains(body, `data-template="grafana"`) {
		t.Fatal("the cms category shows other templates, or not wordpress")
	}
	if _, body, _ := d.get("/templates?q=kanban"); !strings.Contains(body, `data-template="planka"`) || strings.Contains(body, `data-template="grafana"`) {
		t.Fatal("a search for kanban")
	}
	if code, _, _ := d.get("/templates/../apps"); code == http.StatusOK {
		t.Fatal("a template path leaving the catalog answered")
	}
	if code, _, _ := d.get("/templates/nope"); code != http.StatusNotFound {
		t.Fatalf("an unknown template: %d", code)
	}
	_, page, _ := d.get("/templates/pgadmin")
	if !strings.Contains(page, `name="var_ADMIN_EMAIL"`) || !strings.Contains(page, `placeholder="generated (password) if empty"`) || !strings.Contains(page, "dpage/pgadmin4:") {
		t.Fatal("the template's page lacks its variables or compose file")
	}
	code, page, _ := d.form("/templates/pgadmin", "name", "pga", "domains", "pga.example.com")
	if code != http.StatusBadRequest || !strings.Contains(page, "template pgadmin needs ADMIN_EMAIL") {
		t.Fatalf("a required variable missing: %d", code)
	}
	if _, err := d.store.GetApp(context.Background(), "pga"); err == nil {
		t.Fatal("the refused deploy made the app")
	}
	d.temporal.On("SignalWithStartWorkflow", mock.Anything, "app/pga", workflows.SignalRequest, mock.Anything, mock.Anything, workflows.AppQueueName, mock.Anything).Return(nil, nil)
	code, page, hdr := d.form("/templates/pgadmin", "name", "pga", "domains", "pga.example.com", "var_ADMIN_EMAIL", "me@example.com")
	if code != http.StatusCreated || hdr.Get("Cache-Control") != "no-store" {
		t.Fatalf("deploy: %d %v", code, hdr)
	}
	m := regexp.MustCompile(`data-generated="ADMIN_PASSWORD">([A-Za-z0-9]{24})<`).FindStringSubmatch(page)
	if m == nil || !strings.Contains(page, "Follow the deployment") {
		t.Fatalf("the result page lacks the generated password or the deployment:\n%s", section(page, "deployed"))
	}
	app, err := d.store.GetApp(context.Background(), "pga")
	if err != nil || app.Template != "pgadmin@1" || app.StackService != "pgadmin" {
		t.Fatalf("the app: %+v %v", app, err)
	}
	env, _ := d.store.ListEnv(context.Background(), app.ID)
	got := map[string]schema.EnvVar{}
	for _, v := range env {
		got[v.Key] = v
	}
	if got["ADMIN_PASSWORD"].Value != m[1] || !got["ADMIN_PASSWORD"].Secret || got["ADMIN_EMAIL"].Value != "me@example.com" {
		t.Fatalf("the app's env: %+v", got)
	}
	if _, env, _ := d.get("/apps/pga/environment"); strings.Contains(env, m[1]) {
		t.Fatal("the environment tab shows the generated password")
	}
}
