package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"

	"github.com/rivetr/rivetr/internal/ratelimit"
	"github.com/rivetr/rivetr/internal/release"
	"github.com/rivetr/rivetr/internal/service"
	"github.com/rivetr/rivetr/internal/webhook"
	"github.com/rivetr/rivetr/schema"
	"github.com/rivetr/rivetr/workflows"
)

// deliver posts body to the app's webhook as provider p would, signed with
// secret, under delivery ID id.
func deliver(t *testing.T, url string, p webhook.Provider, event, id, secret string, body []byte) (int, service.WebhookResult) {
	t.Helper()
	return deliverFrom(t, "", url, p, event, id, secret, body)
}

// deliverFrom is deliver from the address from (X-Forwarded-For to a
// server that trusts loopback as a proxy); "" sends none.
func deliverFrom(t *testing.T, from, url string, p webhook.Provider, event, id, secret string, body []byte) (int, service.WebhookResult) {
	t.Helper()
	req, _ := http.NewRequest("POST", url, strings.NewReader(string(body)))
	req.Header = webhook.SignatureHeaders(p, event, body, secret)
	if from != "" {
		req.Header.Set("X-Forwarded-For", from)
	}
	req.Header.Set("Content-Type", "application/json")
	switch p {
	case webhook.GitHub:
		req.Header.Set("X-GitHub-Delivery", id)
	case webhook.GitLab:
		req.Header.Set("X-Gitlab-Event-UUID", id)
	case webhook.Gitea:
		req.Header.Set("X-Gitea-Delivery", id)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var r service.WebhookResult
	json.NewDecoder(res.Body).Decode(&r)
	return res.StatusCode, r
}

func webhookPayload(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("../internal/webhook/testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// Every provider's push to the app's branch deploys exactly the pushed
// commit, once however often it is redelivered; everything else is
// acknowledged with a reason and recorded; a bad signature changes nothing.
func TestWebhookPushes(t *testing.T) {
	f := newFixture(t)
	if code, b := f.do(t, "POST", "/api/apps", `{"name":"web","git_url":"https://git.example.com/web.git","domains":["web.example.com"],"branch":"main"}`); code != 201 {
		t.Fatalf("create: %d %s", code, b)
	}
	var info service.WebhookInfo
	code, b := f.do(t, "GET", "/api/apps/web/webhook", "")
	if json.Unmarshal(b, &info); code != 200 || len(info.Secret) < 32 || info.URLs["gitlab"] != f.srv.URL+"/webhooks/gitlab/web" {
		t.Fatalf("webhook info: %d %s", code, b)
	}
	// Addresses on loopback, no --public-url: a git host cannot reach them.
	if !strings.Contains(info.Warning, "--public-url") {
		t.Fatalf("no warning for loopback webhook addresses: %q", info.Warning)
	}
	var signals []workflows.Request
	f.temporal.On("SignalWithStartWorkflow", mock.Anything, "app/web", workflows.SignalRequest, mock.Anything, mock.Anything, workflows.AppQueueName, mock.Anything).
		Run(func(args mock.Arguments) { signals = append(signals, args.Get(3).(workflows.Request)) }).Return(nil, nil)
	hook := func(p webhook.Provider) string { return f.srv.URL + "/webhooks/" + string(p) + "/web" }

	ghPush := webhookPayload(t, "github_push.json")
	// Wrong secret, unknown app, unknown provider: refused, nothing recorded.
	if code, _ := deliver(t, hook(webhook.GitHub), webhook.GitHub, "push", "d-0", "not the secret", ghPush); code != 401 {
		t.Fatalf("a wrong signature: %d", code)
	}
	if code, _ := deliver(t, f.srv.URL+"/webhooks/github/nope", webhook.GitHub, "push", "d-0", info.Secret, ghPush); code != 401 {
		t.Fatalf("an unknown app: %d", code)
	}
	if code, _ := deliver(t, f.srv.URL+"/webhooks/bitbucket/web", webhook.GitHub, "push", "d-0", info.Secret, ghPush); code != 404 {
		t.Fatalf("an unknown provider: %d", code)
	}
	if ds, _ := f.svc.ListDeliveries(ctxAdmin(t, f), "web", 10); len(ds) != 0 || len(signals) != 0 {
		t.Fatalf("refused deliveries left records %v or signals %v", ds, signals)
	}

	// GitHub: a push to main deploys the pushed commit; a redelivery does not.
	f.head = "0d1a26e67d8f5eaf1f6ba5c57fc3c7d91ac0fd1c" // the branch head, as the git host says
	code, res := deliver(t, hook(webhook.GitHub), webhook.GitHub, "push", "72d3162e-cc78-11e3-81ab-4c9367dc0958", info.Secret, ghPush)
	if code != 202 || res.Result != "deployed" || res.Deployment == "" {
		t.Fatalf("push: %d %+v", code, res)
	}
	d, err := f.store.GetDeployment(ctxAdmin(t, f), res.Deployment)
	// mona has no account here: the deployment records her email, so the
	// approval gate can refuse her approving it.
	if err != nil || d.CommitSHA != "0d1a26e67d8f5eaf1f6ba5c57fc3c7d91ac0fd1c" || d.Trigger != "webhook" || d.RequestedBy != "github push by mona" ||
		d.RequestedByID != "" || d.RequestedByEmail != "mona@github.com" ||
		d.WorkflowID != "deploy/web/github-72d3162e-cc78-11e3-81ab-4c9367dc0958" {
		t.Fatalf("deployment %+v %v", d, err)
	}
	if len(signals) != 1 || signals[0].WorkflowID != d.WorkflowID || signals[0].DeploymentID != d.ID {
		t.Fatalf("queue signals %+v", signals)
	}
	code, again := deliver(t, hook(webhook.GitHub), webhook.GitHub, "push", "72d3162e-cc78-11e3-81ab-4c9367dc0958", info.Secret, ghPush)
	if code != 200 || again.Result != "duplicate" || again.Deployment != d.ID || !strings.Contains(again.Reason, "already handled (deployed") || len(signals) != 1 {
		t.Fatalf("redelivery: %d %+v (signals %d)", code, again, len(signals))
	}

	// GitLab and Gitea pushes to other branches are acknowledged, not deployed.
	code, res = deliver(t, hook(webhook.Gitea), webhook.Gitea, "push", "gitea-1", info.Secret, webhookPayload(t, "gitea_push.json"))
	if code != 200 || res.Result != "ignored" || res.Reason != "push to branch develop ignored: the app deploys branch main" {
		t.Fatalf("gitea push to develop: %d %+v", code, res)
	}
	f.head = "da1560886d4f094c3e6c9ef40349f7d38b5d27d7"
	john := &schema.User{ID: "u-john", Email: "John@Example.com", InstanceAdmin: true}
	if err := f.store.CreateUser(context.Background(), john); err != nil {
		t.Fatal(err)
	}
	code, res = deliver(t, hook(webhook.GitLab), webhook.GitLab, "Push Hook", "gitlab-1", info.Secret, webhookPayload(t, "gitlab_push.json"))
	if code != 202 || res.Result != "deployed" {
		t.Fatalf("gitlab push to main: %d %+v", code, res)
	}
	// The pusher has an account (by email): the deployment is theirs.
	if gd, err := f.store.GetDeployment(context.Background(), res.Deployment); err != nil || gd.RequestedByID != "u-john" || gd.RequestedByEmail != "" {
		t.Fatalf("the gitlab push's requester: %+v %v", gd, err)
	}
	// Attack: the old GitHub push, signed, sent again under a new delivery
	// ID (GitHub does not sign the ID) to roll the app back. It is not the
	// branch head, and whether it builds on what serves cannot be checked
	// here (no repository), so nothing deploys; e2e.TestWebhookDeploys
	// replays one against a real repository.
	before := len(signals)
	if err := f.store.SetCurrentDeployment(context.Background(), d.AppID, d.ID); err != nil {
		t.Fatal(err)
	}
	code, res = deliver(t, hook(webhook.GitHub), webhook.GitHub, "push", "replayed-1", info.Secret, ghPush)
	if code != 200 || res.Result != "ignored" || !strings.Contains(res.Reason, "builds on the serving 0d1a26e67d8f") || len(signals) != before {
		t.Fatalf("a replayed old push: %d %+v (signals %d → %d)", code, res, before, len(signals))
	}
	// The git host down: nothing deploys, and the reason says to redeliver.
	f.headErr = errors.New("connection reset")
	code, res = deliver(t, hook(webhook.GitLab), webhook.GitLab, "Push Hook", "gitlab-2", info.Secret, webhookPayload(t, "gitlab_push.json"))
	if res.Result != "ignored" || !strings.Contains(res.Reason, "redeliver") || len(signals) != before {
		t.Fatalf("head unknown: %d %+v", code, res)
	}
	f.headErr = nil
	// Skip markers and watch paths.
	skip := strings.Replace(string(ghPush), "Update README.md", "Update README.md [skip ci]", 2)
	if code, res = deliver(t, hook(webhook.GitHub), webhook.GitHub, "push", "d-skip", info.Secret, []byte(skip)); res.Result != "ignored" || !strings.Contains(res.Reason, "[skip ci]") {
		t.Fatalf("skip ci: %d %+v", code, res)
	}
	if code, b := f.do(t, "PATCH", "/api/apps/web", `{"watch_paths":["web/**","Dockerfile"]}`); code != 200 {
		t.Fatalf("watch paths: %d %s", code, b)
	}
	if code, b := f.do(t, "PATCH", "/api/apps/web", `{"watch_paths":["../x"]}`); code != 400 || !strings.Contains(string(b), "watch_paths") {
		t.Fatalf("a bad watch path: %d %s", code, b)
	}
	if code, res = deliver(t, hook(webhook.GitHub), webhook.GitHub, "push", "d-paths", info.Secret, ghPush); res.Result != "ignored" || !strings.Contains(res.Reason, "no changed file matches the watch paths (web/**, Dockerfile)") {
		t.Fatalf("watch paths: %d %+v", code, res)
	}
	// Ping, pull requests (no previews here), events Rivetr does not use.
	if code, res = deliver(t, hook(webhook.GitHub), webhook.GitHub, "ping", "d-ping", info.Secret, []byte(`{"zen":"hi"}`)); code != 200 || !strings.Contains(res.Reason, "ping received") {
		t.Fatalf("ping: %d %+v", code, res)
	}
	if code, res = deliver(t, hook(webhook.GitHub), webhook.GitHub, "pull_request", "d-pr", info.Secret, webhookPayload(t, "github_pull_request.json")); code != 200 || !strings.Contains(res.Reason, "previews are not enabled") {
		t.Fatalf("pull request: %d %+v", code, res)
	}
	// A signed body that is not JSON: 400, recorded as an error.
	if code, res = deliver(t, hook(webhook.GitHub), webhook.GitHub, "push", "d-bad", info.Secret, []byte(`{"ref":`)); code != 400 || res.Result != "error" {
		t.Fatalf("bad JSON: %d %+v", code, res)
	}
	ds, err := f.svc.ListDeliveries(ctxAdmin(t, f), "web", 50)
	if err != nil || len(ds) != 10 {
		t.Fatalf("%d deliveries recorded (want 10): %v", len(ds), err)
	}
	if ds[0].DeliveryID != "d-bad" || ds[0].Result != schema.DeliveryError || ds[len(ds)-1].Result != schema.DeliveryDeployed || ds[len(ds)-1].Commit != d.CommitSHA {
		t.Fatalf("delivery log %+v", ds)
	}
	if len(signals) != 2 {
		t.Fatalf("%d deploys started, want 2", len(signals))
	}

	// A rotated secret: the old one is refused.
	code, b = f.do(t, "POST", "/api/apps/web/webhook/rotate", "")
	var rotated service.WebhookInfo
	if json.Unmarshal(b, &rotated); code != 200 || rotated.Secret == info.Secret {
		t.Fatalf("rotate: %d %s", code, b)
	}
	if code, _ := deliver(t, hook(webhook.Gitea), webhook.Gitea, "push", "gitea-2", info.Secret, webhookPayload(t, "gitea_push.json")); code != 401 {
		t.Fatalf("the old secret after rotation: %d", code)
	}
	if code, _ := deliver(t, hook(webhook.Gitea), webhook.Gitea, "push", "gitea-2", rotated.Secret, webhookPayload(t, "gitea_push.json")); code != 200 {
		t.Fatalf("the new secret: %d", code)
	}
	// Stored sealed, never in the app's JSON.
	app, _ := f.store.GetApp(ctxAdmin(t, f), "web")
	if strings.Contains(app.WebhookSecret, rotated.Secret) {
		t.Fatal("the webhook secret is stored in the clear")
	}
	if _, b := f.do(t, "GET", "/api/apps/web", ""); strings.Contains(string(b), rotated.Secret) {
		t.Fatal("the app's JSON shows the webhook secret")
	}
}

func TestWebhookLimits(t *testing.T) {
	f := newFixture(t)
	f.do(t, "POST", "/api/apps", validApp)
	var info service.WebhookInfo
	_, b := f.do(t, "GET", "/api/apps/web/webhook", "")
	mustUnmarshal(t, b, &info)
	srv := limited(t, f, ratelimit.NewLimits(0, 0, 1)) // 1/s, bursts of 4
	url := srv.URL + "/webhooks/github/web"
	big := make([]byte, webhook.MaxBody+1)
	if code, _ := deliver(t, url, webhook.GitHub, "push", "big", info.Secret, big); code != http.StatusRequestEntityTooLarge {
		t.Fatalf("a 5 MiB+1 payload: %d", code)
	}
	codes := map[int]int{}
	for i := 0; i < 8; i++ {
		code, _ := deliver(t, url, webhook.GitHub, "ping", "p", info.Secret, []byte(`{}`))
		codes[code]++
	}
	if codes[http.StatusTooManyRequests] == 0 {
		t.Fatalf("8 deliveries at once were never limited: %v", codes)
	}
	// Attack: anyone floods the app's webhook with unsigned deliveries
	// (from many addresses) to use up its budget; they are refused
	// without spending it, and the git host's next delivery goes through.
	proxied := limited(t, f, ratelimit.NewLimits(0, 0, 1), "127.0.0.1")
	url = proxied.URL + "/webhooks/github/web"
	for i := 0; i < 20; i++ {
		if code, _ := deliverFrom(t, fmt.Sprintf("203.0.113.%d", i+1), url, webhook.GitHub, "ping", "flood", "not the secret", []byte(`{}`)); code != http.StatusUnauthorized {
			t.Fatalf("an unsigned delivery: %d", code)
		}
	}
	if code, _ := deliverFrom(t, "140.82.112.1", url, webhook.GitHub, "ping", "real", info.Secret, []byte(`{}`)); code != http.StatusOK {
		t.Fatalf("a signed delivery after a flood of unsigned ones: %d", code)
	}
}

// ctxAdmin is a context acting as an instance admin.
func ctxAdmin(t *testing.T, _ *fixture) context.Context {
	t.Helper()
	return service.WithActor(context.Background(), &service.Actor{InstanceAdmin: true})
}

// Pull request deliveries go to the request's preview workflow when the
// app has previews and the server a preview domain; forks are fetched from
// the provider's pull ref.
func TestWebhookPullRequests(t *testing.T) {
	f := newFixtureWith(t, func(o *service.Options) { o.PreviewDomain = "preview.test" })
	f.do(t, "POST", "/api/apps", `{"name":"shop","git_url":"https://git.example.com/shop.git","domains":["shop.example.com"],"branch":"main"}`)
	var info service.WebhookInfo
	_, b := f.do(t, "GET", "/api/apps/shop/webhook", "")
	mustUnmarshal(t, b, &info)
	url := f.srv.URL + "/webhooks/github/shop"
	body := webhookPayload(t, "github_pull_request.json")
	if code, r := deliver(t, url, webhook.GitHub, "pull_request", "p1", info.Secret, body); code != 200 || !strings.Contains(r.Reason, "previews are not enabled") {
		t.Fatalf("previews off: %d %+v", code, r)
	}
	if code, b := f.do(t, "PATCH", "/api/apps/shop", `{"previews_enabled":true,"preview_env":{"STAGE":"pr"},"preview_ttl":"24h"}`); code != 200 {
		t.Fatalf("enable: %d %s", code, b)
	}
	if code, b := f.do(t, "PATCH", "/api/apps/shop", `{"preview_env":{"1BAD":"x"}}`); code != 400 {
		t.Fatalf("a bad preview env key: %d %s", code, b)
	}
	var got []workflows.PREvent
	var inputs []workflows.PreviewInput
	f.temporal.On("SignalWithStartWorkflow", mock.Anything, "preview/shop/pr-7", workflows.SignalPR, mock.Anything, mock.Anything, mock.Anything, mock.Anything).
		Run(func(args mock.Arguments) {
			got = append(got, args.Get(3).(workflows.PREvent))
			inputs = append(inputs, args.Get(6).(workflows.PreviewInput))
		}).Return(nil, nil)
	code, r := deliver(t, url, webhook.GitHub, "pull_request", "p2", info.Secret, body)
	if code != 202 || r.Result != "preview" || !strings.Contains(r.Reason, "pr-7.shop.preview.test") {
		t.Fatalf("opened: %d %+v", code, r)
	}
	if len(got) != 1 || got[0].Action != workflows.PROpen || got[0].HeadSHA != "ec26c3e57ca3a959ca5aad62de7213c562f8c821" || got[0].Ref != "checkout" ||
		got[0].Fork || got[0].DeliveryID != "p2" || inputs[0].Repo != "octo-org/shop" || inputs[0].Provider != "github" {
		t.Fatalf("signal %+v %+v", got, inputs)
	}
	fork := strings.Replace(string(body), `"full_name": "octo-org/shop", "fork": false}
    },
    "base"`, `"full_name": "mallory/shop", "fork": true}
    },
    "base"`, 1)
	if fork == string(body) {
		t.Fatal("the fork payload was not made")
	}
	if code, r := deliver(t, url, webhook.GitHub, "pull_request", "p3", info.Secret, []byte(fork)); code != 202 || r.Result != "preview" {
		t.Fatalf("fork: %d %+v", code, r)
	}
	if len(got) != 2 || !got[1].Fork || got[1].Ref != "refs/pull/7/head" {
		t.Fatalf("fork signal %+v", got[1])
	}
	other := strings.Replace(string(body), `"ref": "main"`, `"ref": "release"`, 1)
	if code, r := deliver(t, url, webhook.GitHub, "pull_request", "p4", info.Secret, []byte(other)); code != 200 || !strings.Contains(r.Reason, "targets release") || len(got) != 2 {
		t.Fatalf("against another branch: %d %+v", code, r)
	}
	var ps []service.PreviewView
	if code, b := f.do(t, "GET", "/api/apps/shop/previews", ""); code != 200 || json.Unmarshal(b, &ps) != nil || len(ps) != 0 {
		t.Fatalf("previews: %d %s", code, b)
	}
	if code, _ := f.do(t, "DELETE", "/api/apps/shop/previews/x", ""); code != 400 {
		t.Fatalf("a bad PR number: %d", code)
	}
}

// A delivery the server was cut off while handling (still "received" after
// a minute) is finished by its redelivery; its deploy, once made, is never
// made twice.
func TestWebhookRedeliveryAfterACrash(t *testing.T) {
	f := newFixture(t)
	f.do(t, "POST", "/api/apps", `{"name":"web","git_url":"https://git.example.com/web.git","domains":["web.example.com"],"branch":"main"}`)
	var info service.WebhookInfo
	_, b := f.do(t, "GET", "/api/apps/web/webhook", "")
	mustUnmarshal(t, b, &info)
	signals := 0
	f.temporal.On("SignalWithStartWorkflow", mock.Anything, "app/web", workflows.SignalRequest, mock.Anything, mock.Anything, workflows.AppQueueName, mock.Anything).
		Run(func(mock.Arguments) { signals++ }).Return(nil, nil)
	app, _ := f.store.GetApp(context.Background(), "web")
	url := f.srv.URL + "/webhooks/github/web"
	push := webhookPayload(t, "github_push.json")
	f.head = "0d1a26e67d8f5eaf1f6ba5c57fc3c7d91ac0fd1c" // the push is the branch head
	// Cut off a moment ago: a redelivery is still a duplicate.
	f.store.RecordDelivery(context.Background(), &schema.WebhookDelivery{AppID: app.ID, Provider: "github", DeliveryID: "fresh", Result: schema.DeliveryReceived, ReceivedAt: time.Now().UTC()})
	if code, r := deliver(t, url, webhook.GitHub, "push", "fresh", info.Secret, push); code != 200 || r.Result != "duplicate" || signals != 0 {
		t.Fatalf("a fresh received delivery: %d %+v", code, r)
	}
	// Cut off five minutes ago: the redelivery deploys.
	f.store.RecordDelivery(context.Background(), &schema.WebhookDelivery{AppID: app.ID, Provider: "github", DeliveryID: "stale", Result: schema.DeliveryReceived, ReceivedAt: time.Now().UTC().Add(-5 * time.Minute)})
	code, r := deliver(t, url, webhook.GitHub, "push", "stale", info.Secret, push)
	if code != 202 || r.Result != "deployed" || signals != 1 {
		t.Fatalf("a stale received delivery: %d %+v", code, r)
	}
	// Cut off after its deploy was made: the redelivery finds that deploy.
	made := &schema.Deployment{ID: "made1", AppID: app.ID, AppName: "web", Kind: release.KindDeploy, Status: release.StatusQueued, Trigger: "webhook",
		WorkflowID: "deploy/web/github-stale2"}
	if err := f.store.CreateDeployment(context.Background(), made); err != nil {
		t.Fatal(err)
	}
	f.store.RecordDelivery(context.Background(), &schema.WebhookDelivery{AppID: app.ID, Provider: "github", DeliveryID: "stale2", Result: schema.DeliveryReceived, ReceivedAt: time.Now().UTC().Add(-5 * time.Minute)})
	code, again := deliver(t, url, webhook.GitHub, "push", "stale2", info.Secret, push)
	if code != 202 || again.Deployment != "made1" || signals != 1 {
		t.Fatalf("a redelivery after the deploy was made: %d %+v (signals %d)", code, again, signals)
	}
}
