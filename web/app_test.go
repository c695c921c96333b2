package web

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/mocks"

	"github.com/rivetr/rivetr/internal/release"
	"github.com/rivetr/rivetr/schema"
)

// Every tab of the app page answers at its own address, marks itself in
// the tab bar and shows its own part; the overview says what serves and
// what failed with the whole reason; the deployments tab pages.
func TestAppTabs(t *testing.T) {
	d := newDash(t)
	d.signIn()
	app := d.app("web")
	for i := range 60 {
		d.deployment(app, fmt.Sprintf("d%03d", i), "succeeded", "done", fmt.Sprintf("rivetr/web:d%03d", i))
	}
	d.store.SetCurrentDeployment(t.Context(), app.ID, "d058")
	d.deployment(app, "d060", "failed", "health", "")
	if err := d.store.UpdateDeployment(t.Context(), "d060", schema.DeploymentUpdate{FailureReason: "health check failed: GET /up answers 404\ncontainer's last lines:\nlistening on :3000"}); err != nil {
		t.Fatal(err)
	}

	tabs := map[string]string{ // tab → a mark of its own content
		"":            `id="serving"`,
		"deployments": `id="older"`,
		"logs":        `id="runtime-logs"`,
		"environment": `id="env"`,
		"domains":     `id="domains"`,
		"settings":    `id="settings"`,
		"webhooks":    `id="webhooks"`,
		"policy":      `id="policy"`,
		"danger":      `id="danger"`,
	}
	for tab, mark := range tabs {
		path := appPath("web", tab)
		code, body, _ := d.get(path)
		if code != http.StatusOK || !strings.Contains(body, mark) {
			t.Errorf("%s: %d, lacks %s", path, code, mark)
			continue
		}
		if !strings.Contains(body, `<a href="`+path+`" data-tab="`+cmpOr(tab, "overview")+`" aria-current="page"`) {
			t.Errorf("%s: its tab is not marked current", path)
		}
		for other, m := range tabs {
			if other != tab && strings.Contains(body, m) && !(tab == "" && other == "deployments") {
				t.Errorf("%s shows the %q tab's %s", path, other, m)
			}
		}
	}
	_, body, _ := d.get("/apps/web")
	if !strings.Contains(body, "GET /up answers 404\ncontainer&#39;s last lines:\nlistening on :3000") || !strings.Contains(body, `id="latest" data-deployment="d060"`) {
		t.Errorf("the overview lacks the latest failure's whole reason:\n%s", section(body, `id="latest"`))
	}
	if n := strings.Count(body, "<tr data-deployment="); n != overviewDeployments {
		t.Errorf("the overview lists %d deployments, want %d", n, overviewDeployments)
	}
	if _, body, _ = d.get("/apps/web/deployments"); strings.Count(body, "<tr data-deployment=") != tabDeployments {
		t.Errorf("the deployments tab lists %d", strings.Count(body, "<tr data-deployment="))
	}
	if _, body, _ = d.get("/apps/web/deployments?all=1"); strings.Count(body, "<tr data-deployment=") != 61 || strings.Contains(body, `id="older"`) {
		t.Errorf("all deployments: %d listed", strings.Count(body, "<tr data-deployment="))
	}
	if code, _, _ := d.get("/apps/web/nope"); code != http.StatusNotFound {
		t.Errorf("an unknown tab: %d", code)
	}
}

func cmpOr(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// The settings tab lists, adds and removes volumes, with the reason when
// one is refused.
func TestVolumesOnTheSettingsTab(t *testing.T) {
	d := newDash(t)
	d.signIn()
	d.app("web")
	if code, _, hdr := d.form("/apps/web/volumes", "volume", "data", "path", "/proc"); code != http.StatusSeeOther || !strings.Contains(hdr.Get("Location"), "would+hide") {
		t.Fatalf("a volume over /proc: %d %v", code, hdr)
	}
	if code, _, hdr := d.form("/apps/web/volumes", "volume", "data", "path", "/data"); code != http.StatusSeeOther || !strings.Contains(hdr.Get("Location"), "mounted+from+the+next+deployment") {
		t.Fatalf("add: %d %v", code, hdr)
	}
	_, body, _ := d.get("/apps/web/settings")
	if !strings.Contains(body, `<tr data-volume="data">`) || !strings.Contains(body, "<code>/data</code>") {
		t.Fatalf("the settings tab lacks the volume:\n%s", section(body, `id="volumes"`))
	}
	if code, _, hdr := d.form("/apps/web/volumes/data/delete"); code != http.StatusSeeOther || !strings.Contains(hdr.Get("Location"), "deletes+its+data") {
		t.Fatalf("remove: %d %v", code, hdr)
	}
	if _, body, _ = d.get("/apps/web/settings"); strings.Contains(body, `data-volume="data"`) || !strings.Contains(body, "No volumes") {
		t.Fatal("the removed volume is still listed")
	}

	// The release strategy: start-first until changed, its downtime said.
	if !strings.Contains(body, `<strong data-strategy>start-first</strong>`) || !strings.Contains(body, `value="start-first" checked`) {
		t.Fatalf("the settings tab does not show the strategy:\n%s", section(body, `id="volumes"`))
	}
	if code, body, _ := d.form("/apps/web/settings", "git_url", "/srv/web", "domains", "web.example.com", "strategy", "recreate"); code != http.StatusBadRequest || !strings.Contains(body, "must be start-first or stop-first") {
		t.Fatalf("an unknown strategy: %d", code)
	}
	if code, _, _ := d.form("/apps/web/settings", "git_url", "/srv/web", "domains", "web.example.com", "strategy", "stop-first"); code != http.StatusSeeOther {
		t.Fatalf("stop-first: %d", code)
	}
	_, body, _ = d.get("/apps/web/settings")
	if !strings.Contains(body, `<strong data-strategy>stop-first</strong>`) || !strings.Contains(body, "requests wait (held by the proxy") || !strings.Contains(body, `value="stop-first" checked`) {
		t.Fatalf("stop-first not shown with its downtime:\n%s", section(body, `id="volumes"`))
	}
}

// A volume's newest backups are on the settings tab with "Back up now"
// and, for a succeeded one, Restore; both start their workflows, and a
// backup of another volume is not restored through this one.
func TestVolumeBackupsOnTheSettingsTab(t *testing.T) {
	d := newDash(t)
	d.signIn()
	app := d.app("web")
	ctx := t.Context()
	vol := &schema.Volume{AppID: app.ID, Name: "data", Path: "/data"}
	if err := d.store.CreateVolume(ctx, vol); err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC()
	for _, b := range []schema.Backup{
		{ID: "b1", DatabaseID: vol.ID, Status: release.BackupSucceeded, Trigger: "manual", Kind: release.BackupAppVolume, Size: 2048, SHA256: strings.Repeat("a", 64), StartedAt: now.Add(-time.Hour)},
		{ID: "b2", DatabaseID: vol.ID, Status: release.BackupFailed, Trigger: "schedule", Kind: release.BackupAppVolume, Error: "the S3 bucket refused the credentials", StartedAt: now},
		{ID: "elsewhere", DatabaseID: "another-volume", Status: release.BackupSucceeded, Kind: release.BackupAppVolume, StartedAt: now},
	} {
		if err := d.store.CreateBackup(ctx, &b); err != nil {
			t.Fatal(err)
		}
	}
	_, body, _ := d.get("/apps/web/settings")
	vs := section(body, `id="volumes"`)
	for _, want := range []string{`data-backup-volume="data"`, `data-volume-backup="b1"`, `data-volume-backup="b2"`, "the S3 bucket refused the credentials", "/apps/web/volumes/data/backups/b1/restore"} {
		if !strings.Contains(vs, want) {
			t.Fatalf("the volumes section lacks %s:\n%s", want, vs)
		}
	}
	if strings.Contains(vs, "/backups/b2/restore") || strings.Contains(vs, "elsewhere") {
		t.Fatal("a failed backup offers a restore, or another volume's backup is listed")
	}
	run := &mocks.WorkflowRun{}
	run.On("Get", mock.Anything, mock.Anything).Return(nil)
	var started []string
	d.temporal.On("ExecuteWorkflow", mock.Anything, mock.Anything, mock.Anything, mock.Anything).Run(func(a mock.Arguments) {
		started = append(started, a.Get(1).(client.StartWorkflowOptions).ID)
	}).Return(run, nil)
	if code, _, hdr := d.form("/apps/web/volumes/data/backups"); code != http.StatusSeeOther || !strings.Contains(hdr.Get("Location"), "started") {
		t.Fatalf("back up now: %d %v", code, hdr)
	}
	if code, _, hdr := d.form("/apps/web/volumes/data/backups/b1/restore"); code != http.StatusSeeOther || !strings.Contains(hdr.Get("Location"), "restored") {
		t.Fatalf("restore: %d %v", code, hdr)
	}
	if code, _, hdr := d.form("/apps/web/volumes/data/backups/elsewhere/restore"); code != http.StatusSeeOther || !strings.Contains(hdr.Get("Location"), "not+found") {
		t.Fatalf("restoring another volume's backup: %d %v", code, hdr)
	}
	if len(started) != 2 || !strings.HasPrefix(started[0], "backup/web/data/") || started[1] != "restore/web/data/b1" {
		t.Fatalf("workflows started: %v", started)
	}
}
