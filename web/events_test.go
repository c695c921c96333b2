package web

import (
	"bufio"
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/rivetr/rivetr/internal/ids"
	"github.com/rivetr/rivetr/internal/release"
	"github.com/rivetr/rivetr/schema"
)

// The event stream behind the live lists sends a database's status and
// its backups' progress as they change, and only for databases the
// caller sees: asking for another team's backups by name sends nothing.
func TestLiveDatabaseAndBackupEvents(t *testing.T) {
	d := newDash(t)
	d.setupOwner()
	ctx := context.Background()
	team, _ := d.store.GetTeam(ctx, "default")
	other := &schema.Team{ID: ids.New(), Name: "other"}
	if err := d.store.CreateTeam(ctx, other, ""); err != nil {
		t.Fatal(err)
	}
	mk := func(name, teamID string) *schema.Database {
		db := &schema.Database{ID: ids.New(), Name: name, TeamID: teamID, Engine: "postgres", Version: "17", Image: "postgres:17", DockerHost: "h1",
			User: "app", Password: "pw", DBName: "app", Status: release.DBCreating}
		if err := d.store.CreateDatabase(ctx, db); err != nil {
			t.Fatal(err)
		}
		return db
	}
	shop, secret := mk("shop-db", team.ID), mk("secret-db", other.ID)
	now := time.Now().UTC()
	for _, b := range []*schema.Backup{{ID: "b1", DatabaseID: shop.ID}, {ID: "s1", DatabaseID: secret.ID}} {
		b.Status, b.Trigger, b.StartedAt = release.BackupRunning, "manual", now
		if err := d.store.CreateBackup(ctx, b); err != nil {
			t.Fatal(err)
		}
	}

	// A developer of the default team, signed in.
	dev := *d
	dev.client = newJarClient()
	u := &schema.User{ID: ids.New(), Email: "dev@example.com", PasswordHash: bcryptHash(t, "developer password")}
	if err := d.store.CreateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	if err := d.store.PutMembership(ctx, &schema.Membership{TeamID: team.ID, UserID: u.ID, Role: release.RoleDeveloper}); err != nil {
		t.Fatal(err)
	}
	if code, _, _ := dev.post("/login", url.Values{"csrf": {dev.formCSRF("/login")}, "email": {u.Email}, "password": {"developer password"}}, ""); code != http.StatusSeeOther {
		t.Fatalf("sign in: %d", code)
	}
	events := func(query string) <-chan string {
		sctx, cancel := context.WithCancel(ctx)
		t.Cleanup(cancel)
		req, _ := http.NewRequestWithContext(sctx, "GET", d.srv.URL+"/ui/events?"+query, nil)
		res, err := dev.client.Do(req)
		if err != nil || res.StatusCode != http.StatusOK {
			t.Fatalf("stream: %v %v", res, err)
		}
		out := make(chan string, 100)
		go func() {
			defer res.Body.Close()
			sc := bufio.NewScanner(res.Body)
			event := ""
			for sc.Scan() {
				line := sc.Text()
				if v, ok := strings.CutPrefix(line, "event: "); ok {
					event = v
				} else if v, ok := strings.CutPrefix(line, "data: "); ok {
					out <- event + " " + v
				}
			}
			close(out)
		}()
		return out
	}
	await := func(ch <-chan string, want ...string) {
		t.Helper()
		deadline := time.After(10 * time.Second)
		for {
			select {
			case ev := <-ch:
				if strings.Contains(ev, "secret-db") || strings.Contains(ev, `"s1"`) {
					t.Fatalf("another team's database in the stream: %s", ev)
				}
				all := true
				for _, w := range want {
					all = all && strings.Contains(ev, w)
				}
				if all {
					return
				}
			case <-deadline:
				t.Fatalf("no event with %q", want)
			}
		}
	}
	ch := events("databases=1&backups=shop-db")
	await(ch, "database ", `"name":"shop-db"`, `"status":"creating"`)
	await(ch, "backup ", `"id":"b1"`, `"status":"running"`)
	if err := d.store.UpdateDatabaseStatus(ctx, shop.ID, release.DBFailed, "the container exited: no space left on device", ""); err != nil {
		t.Fatal(err)
	}
	await(ch, "database ", `"status":"failed"`, "no space left on device")
	b1, _ := d.store.GetBackup(ctx, "b1")
	b1.Status, b1.Size = release.BackupSucceeded, 4096
	if err := d.store.SaveBackup(ctx, b1); err != nil {
		t.Fatal(err)
	}
	await(ch, "backup ", `"id":"b1"`, `"status":"succeeded"`, `"size_text":"4.0 KiB"`)

	// Another team's database, asked for by name: nothing of it comes.
	spy := events("backups=secret-db")
	if err := d.store.UpdateDatabaseStatus(ctx, secret.ID, release.DBRunning, "", ""); err != nil {
		t.Fatal(err)
	}
	timeout := time.After(2500 * time.Millisecond)
	for {
		select {
		case ev := <-spy:
			if !strings.HasPrefix(ev, "deployment ") {
				t.Fatalf("another team's backups streamed: %s", ev)
			}
		case <-timeout:
			return
		}
	}
}
