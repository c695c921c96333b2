package web

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"

	"github.com/rivetr/rivetr/schema"
	"github.com/rivetr/rivetr/workflows"
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
	_, body, _ := d.get("/apps/shop/webhooks")
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

// The app page lists its previews; removing one signals its workflow.
func TestPreviewsSection(t *testing.T) {
	d := newDash(t)
	d.signIn()
	app := d.app("shop")
	app.PreviewsEnabled = true
	ctx := context.Background()
	d.store.SaveApp(ctx, app)
	p := d.app("shop-pr-7")
	p.PreviewOf, p.PreviewPR, p.Domains, p.Branch = app.ID, 7, []string{"pr-7.shop.preview.test"}, "feature"
	d.store.SaveApp(ctx, p)
	_, body, _ := d.get("/apps/shop/webhooks")
	if !strings.Contains(body, `data-preview="7"`) || !strings.Contains(body, "http://pr-7.shop.preview.test") {
		t.Fatalf("the previews section:\n%s", section(body, `id="previews"`))
	}
	if _, body, _ := d.get("/apps"); strings.Contains(body, "shop-pr-7") {
		t.Fatal("the preview is listed among apps")
	}
	d.temporal.On("SignalWithStartWorkflow", mock.Anything, "preview/shop/pr-7", workflows.SignalPR,
		mock.MatchedBy(func(e workflows.PREvent) bool { return e.Action == workflows.PRClose }), mock.Anything, mock.Anything, mock.Anything).Return(nil, nil).Once()
	if code, _, hdr := d.form("/apps/shop/previews/7/delete"); code != http.StatusSeeOther || !strings.Contains(hdr.Get("Location"), "Removing+the+preview") {
		t.Fatalf("remove: %d %v", code, hdr)
	}
	if code, _, hdr := d.form("/apps/shop/previews/8/delete"); code != http.StatusSeeOther || !strings.Contains(hdr.Get("Location"), "error=") {
		t.Fatalf("remove a preview that does not exist: %d %v", code, hdr)
	}
}
