package web

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/mocks"

	"github.com/rivetr/rivetr/internal/ids"
	"github.com/rivetr/rivetr/internal/release"
	"github.com/rivetr/rivetr/schema"
	"github.com/rivetr/rivetr/workflows"
)

// The databases page creates a database (starting its workflow), lists it
// with its masked URL, and starts its operations.
func TestDatabasesPage(t *testing.T) {
	d := newDash(t)
	d.setupOwner()
	_, body, _ := d.get("/databases")
	if !strings.Contains(body, "No databases yet.") || !strings.Contains(body, `<option>redis</option>`) {
		t.Fatal("the empty databases page")
	}
	d.csrf = csrfRE.FindStringSubmatch(body)[1]
	var ops []workflows.DatabaseOp
	d.temporal.On("ExecuteWorkflow", mock.Anything, mock.MatchedBy(func(o client.StartWorkflowOptions) bool { return o.ID == "database/shop-db" }),
		mock.Anything, mock.Anything).Run(func(args mock.Arguments) { ops = append(ops, args.Get(3).(workflows.DatabaseOp)) }).Return(nil, nil)
	if code, body, _ := d.form("/databases", "name", "Shop DB", "engine", "postgres"); code != http.StatusBadRequest || !strings.Contains(body, "lowercase") {
		t.Fatalf("a bad name: %d", code)
	}
	if code, _, hdr := d.form("/databases", "name", "shop-db", "engine", "postgres"); code != http.StatusSeeOther || !strings.Contains(hdr.Get("Location"), "Creating+database+shop-db") {
		t.Fatalf("create: %d %v", code, hdr)
	}
	_, body, _ = d.get("/databases")
	if !strings.Contains(body, `data-database="shop-db"`) || !strings.Contains(body, "postgres://app:********@rivetr-db-shop-db:5432/app") {
		t.Fatalf("the list:\n%s", section(body, `id="database-list"`))
	}
	stored, err := d.store.GetDatabase(context.Background(), "shop-db")
	if err != nil || stored.Image != "postgres:17" || !strings.HasPrefix(stored.Password, "rvs1:") {
		t.Fatalf("stored %+v %v", stored, err)
	}
	if code, _, _ := d.form("/databases/shop-db/stop"); code != http.StatusSeeOther {
		t.Fatalf("stop: %d", code)
	}
	if len(ops) != 2 || ops[0].Op != "create" || ops[1].Op != "stop" {
		t.Fatalf("operations %+v", ops)
	}
}

// The database page lists backups with download links for admins, and
// starts one.
func TestDatabasePage(t *testing.T) {
	d := newDash(t)
	d.setupOwner()
	ctx := context.Background()
	team, _ := d.store.GetTeam(ctx, "default")
	db := &schema.Database{ID: ids.New(), Name: "shop-db", TeamID: team.ID, Engine: "postgres", Version: "17", Image: "postgres:17", DockerHost: "h1",
		User: "app", Password: "pw", DBName: "app", Status: release.DBRunning}
	if err := d.store.CreateDatabase(ctx, db); err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC()
	d.store.CreateBackup(ctx, &schema.Backup{ID: "b1", DatabaseID: db.ID, Status: release.BackupSucceeded, Trigger: "manual", Key: "shop-db/x.pgdump.gz",
		Size: 2048, SHA256: strings.Repeat("ab", 32), StartedAt: now, FinishedAt: &now})
	d.store.CreateBackup(ctx, &schema.Backup{ID: "b2", DatabaseID: db.ID, Status: release.BackupFailed, Trigger: "schedule", Error: "s3: InvalidAccessKeyId", StartedAt: now})
	_, body, _ := d.get("/databases/shop-db")
	for _, want := range []string{`data-backup="b1"`, `href="/databases/shop-db/backups/b1/download"`, "s3: InvalidAccessKeyId", "2.0 KiB", `id="backup-now"`} {
		if !strings.Contains(body, want) {
			t.Fatalf("the database page lacks %q:\n%s", want, section(body, `id="policy"`))
		}
	}
	if strings.Contains(body, `/backups/b2/download`) {
		t.Fatal("a failed backup offers a download")
	}
	d.csrf = csrfRE.FindStringSubmatch(body)[1]
	d.temporal.On("ExecuteWorkflow", mock.Anything, mock.MatchedBy(func(o client.StartWorkflowOptions) bool { return strings.HasPrefix(o.ID, "backup/shop-db/") }),
		mock.Anything, mock.Anything).Return(nil, nil).Once()
	if code, _, hdr := d.form("/databases/shop-db/backups"); code != http.StatusSeeOther || !strings.Contains(hdr.Get("Location"), "started") {
		t.Fatalf("back up now: %d %v", code, hdr)
	}
}

// Admins change the schedule and retention from the database page; the
// Temporal Schedule follows.
func TestBackupPolicyForm(t *testing.T) {
	d := newDash(t)
	d.setupOwner()
	ctx := context.Background()
	team, _ := d.store.GetTeam(ctx, "default")
	db := &schema.Database{ID: ids.New(), Name: "shop-db", TeamID: team.ID, Engine: "postgres", Version: "17", Image: "postgres:17", DockerHost: "h1",
		User: "app", Password: "pw", DBName: "app", Status: release.DBRunning}
	d.store.CreateDatabase(ctx, db)
	sc := &mocks.ScheduleClient{}
	h := &mocks.ScheduleHandle{}
	sc.On("GetHandle", mock.Anything, "backups/shop-db").Return(h)
	h.On("Delete", mock.Anything).Return(nil)
	h.On("Describe", mock.Anything).Return(&client.ScheduleDescription{}, nil)
	var created client.ScheduleOptions
	sc.On("Create", mock.Anything, mock.Anything).Run(func(a mock.Arguments) { created = a.Get(1).(client.ScheduleOptions) }).Return(h, nil)
	d.temporal.On("ScheduleClient").Return(sc)
	_, body, _ := d.get("/databases/shop-db")
	if !strings.Contains(body, `id="policy-form"`) {
		t.Fatal("an admin is not offered the policy form")
	}
	d.csrf = csrfRE.FindStringSubmatch(body)[1]
	if code, _, hdr := d.form("/databases/shop-db/policy", "cron", "0 3 * * *", "tz", "Europe/Berlin", "keep_last", "5", "keep_days", "30", "local", "1"); code != http.StatusSeeOther || !strings.Contains(hdr.Get("Location"), "saved") {
		t.Fatalf("save: %d %v", code, hdr)
	}
	p, _ := d.store.GetPolicy(ctx, db.ID)
	if p.Cron != "0 3 * * *" || p.TZ != "Europe/Berlin" || p.KeepLast != 5 || p.KeepDays != 30 || !p.Local {
		t.Fatalf("stored %+v", p)
	}
	if created.ID != "backups/shop-db" || created.Spec.TimeZoneName != "Europe/Berlin" {
		t.Fatalf("schedule %+v", created)
	}
	if code, _, hdr := d.form("/databases/shop-db/policy", "cron", "not a cron", "local", "1"); code != http.StatusSeeOther || !strings.Contains(hdr.Get("Location"), "cron") {
		t.Fatalf("a bad cron: %d %v", code, hdr)
	}
	if code, _, hdr := d.form("/databases/shop-db/policy", "cron", ""); code != http.StatusSeeOther || !strings.Contains(hdr.Get("Location"), "somewhere+to+go") {
		t.Fatalf("no destination: %d %v", code, hdr)
	}
}
