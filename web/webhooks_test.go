package web

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/rivetr/rivetr/schema"
)

// The app page shows the webhook addresses and secret to those who may edit
// the app, the delivery log to everyone, and rotates the secret.
func TestWebhookSection(t *testing.T) {
	d := newDash(t)
	d.signIn()
	app := d.app("shop")
	ctx := context.Background()
	if err := d.store.RecordDelivery(ctx, &schema.WebhookDelivery{AppID: app.ID, Provider: "github", DeliveryID: "abc", Event: "push", Ref: "refs/heads/dev",
		Result: schema.DeliveryIgnored, Reason: "push to branch dev ignored: the app deploys branch main", ReceivedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	_, body, _ := d.get("/apps/shop")
	base := d.srv.URL
	for _, want := range []string{`value="` + base + `/webhooks/github/shop"`, `value="` + base + `/webhooks/gitea/shop"`, `id="hook-secret" type="password"`,
		`data-delivery="abc"`, "push to branch dev ignored"} {
		if !strings.Contains(body, want) {
			t.Fatalf("the app page lacks %q:\n%s", want, section(body, `id="webhooks"`))
		}
	}
	stored, _ := d.store.GetApp(ctx, "shop")
	before, err := d.store.WebhookSecret(stored)
	if err != nil || before == "" || !strings.Contains(body, `value="`+before+`"`) {
		t.Fatalf("the secret shown is not the stored one (%v)", err)
	}
	code, _, hdr := d.form("/apps/shop/webhook/rotate")
	if code != http.StatusSeeOther || !strings.Contains(hdr.Get("Location"), "New+webhook+secret") {
		t.Fatalf("rotate: %d %v", code, hdr)
	}
	stored, _ = d.store.GetApp(ctx, "shop")
	if after, _ := d.store.WebhookSecret(stored); after == before || after == "" {
		t.Fatal("the secret did not change")
	}
}
