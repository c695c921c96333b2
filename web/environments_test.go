package web

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/rivetr/rivetr/schema"
)

// An owner creates a production environment requiring two approvals on
// the team page, puts an app in it from the app page (which then shows the
// environment's policy), freezes the environment on the freezes page, and
// sees the freeze in the calendar and on the app list.
func TestEnvironmentsFromTheDashboard(t *testing.T) {
	d := newDash(t)
	d.setupOwner()
	ctx := context.Background()
	team, err := d.store.GetTeam(ctx, "default")
	if err != nil {
		t.Fatal(err)
	}
	app := d.app("shop")
	app.TeamID, app.ApprovalsNeeded, app.ApprovalTTL = team.ID, 1, schema.Duration(24*time.Hour)
	if err := d.store.SaveApp(ctx, app); err != nil {
		t.Fatal(err)
	}
	_, body, _ := d.get("/teams/default")
	if !strings.Contains(body, `id="new-environment"`) || !strings.Contains(body, "No environments yet.") {
		t.Fatal("the team page offers no environments")
	}
	d.csrf = csrfRE.FindStringSubmatch(body)[1]
	if code, body, _ := d.form("/teams/default/environments", "name", "Prod!", "require_approval", "1"); code != http.StatusBadRequest || !strings.Contains(body, "lowercase letters") {
		t.Fatalf("a bad name: %d", code)
	}
	code, _, hdr := d.form("/teams/default/environments", "name", "production", "require_approval", "1", "approvals_needed", "1", "approval_ttl", "24h")
	if code != http.StatusSeeOther || !strings.Contains(hdr.Get("Location"), "Created+environment+production") {
		t.Fatalf("create: %d %v", code, hdr)
	}
	// Two approvals, self-approval stays off (unchecked).
	code, _, hdr = d.form("/teams/default/environments/production", "require_approval", "1", "approvals_needed", "2", "approval_ttl", "12h")
	if code != http.StatusSeeOther || !strings.Contains(hdr.Get("Location"), "saved") {
		t.Fatalf("update: %d %v", code, hdr)
	}
	if code, _, hdr = d.form("/teams/default/environments/production", "require_approval", "1", "approval_ttl", "soon"); !strings.Contains(hdr.Get("Location"), "duration") {
		t.Fatalf("a bad expiry: %d %v", code, hdr)
	}
	env, err := d.store.GetEnvironment(ctx, team.ID, "production")
	if err != nil || !env.RequireApproval || env.ApprovalsNeeded != 2 || env.ApprovalTTL.D() != 12*time.Hour || env.AllowSelfApproval {
		t.Fatalf("stored %+v %v", env, err)
	}

	// The app page: not in an environment, no approval; put it in one.
	_, body, _ = d.get("/apps/shop/policy")
	if !strings.Contains(body, "Deploys need no approval.") || !strings.Contains(body, `<option>production</option>`) {
		t.Fatal("the app page's policy section")
	}
	code, _, hdr = d.form("/apps/shop/policy", "environment", "staging")
	if code != http.StatusSeeOther || !strings.Contains(hdr.Get("Location"), "no+environment+staging") {
		t.Fatalf("an unknown environment: %d %v", code, hdr)
	}
	code, _, hdr = d.form("/apps/shop/policy", "environment", "production", "approvals_needed", "1", "approval_ttl", "24h")
	if code != http.StatusSeeOther {
		t.Fatalf("policy: %d %v", code, hdr)
	}
	_, body, _ = d.get("/apps/shop/policy")
	if !strings.Contains(body, "<strong>2 approvals</strong> (expiring after 12 h; not by the requester), by the policy of environment <strong>production</strong>") {
		t.Fatalf("the effective policy is not shown:\n%s", section(body, `id="policy"`))
	}
	if code, _, _ := d.form("/teams/default/environments/production/delete"); code != http.StatusSeeOther {
		t.Fatal("delete with an app in it")
	} else if _, err := d.store.GetEnvironment(ctx, team.ID, "production"); err != nil {
		t.Fatal("an environment with an app in it was deleted")
	}

	// Freeze the environment from now for three days.
	_, body, _ = d.get("/freezes")
	if !strings.Contains(body, `<option>default/production</option>`) {
		t.Fatal("the freeze form does not offer the environment")
	}
	now := time.Now().UTC()
	code, _, hdr = d.form("/freezes", "environment", "default/production", "reason", "launch week",
		"from_local", now.Add(-time.Minute).Format("2006-01-02T15:04"), "until_local", now.Add(72*time.Hour).Format("2006-01-02T15:04"), "tz_offset", "0", "policy", "wait")
	if code != http.StatusSeeOther {
		t.Fatalf("freeze: %d %v", code, hdr)
	}
	_, body, _ = d.get("/freezes")
	if !strings.Contains(body, "environment default/production") || strings.Count(section(body, `id="calendar"`), "launch week") != 4 {
		t.Fatalf("the window and its four calendar days:\n%s", section(body, `id="calendar"`))
	}
	_, body, _ = d.get("/apps")
	if !strings.Contains(body, `<span class="tag">production</span>`) || !strings.Contains(body, `title="launch week">frozen until`) {
		t.Fatal("the app list does not show the environment and the freeze")
	}
}

// section returns body from the first match of marker on (for messages).
func section(body, marker string) string {
	if i := strings.Index(body, marker); i >= 0 {
		body = body[i:]
	}
	if len(body) > 3000 {
		body = body[:3000]
	}
	return body
}
