package e2e

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestApprovalGate: an app in a production environment that requires
// approval. A developer's deploy waits in awaiting_approval (through a
// server restart), the developer cannot approve their own deploy, and the
// owner approves it with the button on the deployment page in headless
// Chromium; the new version then serves. A deploy started from the
// dashboard is rejected and never builds; a rollback through the API and a
// scheduled deploy meet the same gate.
func TestApprovalGate(t *testing.T) {
	needDocker(t)
	ctx := browser(t)
	s := NewServer(t, false)
	s.Start()
	if r := s.CLIAsAdmin("owner password 1\n", "users", "create-owner", "--email", "owner@example.com", "--password-stdin"); r.Code != 0 {
		t.Fatal(r.Stderr)
	}
	a := newAppOn(t, s, "gate", "gate-v1")
	if r := s.CLI("deploy", a.App, "--wait"); r.Code != 0 {
		t.Fatalf("first deploy: %s%s", r.Stdout, r.Stderr)
	}
	dir := t.TempDir()
	owner, dev := dir+"/owner.json", dir+"/dev.json"
	must := func(creds, stdin string, args ...string) string {
		t.Helper()
		r := s.CLIAs(creds, stdin, args...)
		if r.Code != 0 {
			t.Fatalf("rivetr %s: %d\n%s%s", strings.Join(args, " "), r.Code, r.Stdout, r.Stderr)
		}
		return r.Stdout
	}
	must(owner, "owner password 1\n", "login", "--email", "owner@example.com", "--password-stdin")
	must(owner, "developer pw 1\n", "users", "create", "--email", "dev@example.com", "--password-stdin")
	must(owner, "", "teams", "add", "default", "dev@example.com", "--role", "developer")
	must(dev, "developer pw 1\n", "login", "--email", "dev@example.com", "--password-stdin")
	// Environments and their policies take an admin.
	if r := s.CLIAs(dev, "", "environments", "create", "production", "--require-approval"); r.Code == 0 || !strings.Contains(r.Stderr, "policy needs admin") {
		t.Fatalf("a developer creating an environment: %d %s", r.Code, r.Stderr)
	}
	must(owner, "", "environments", "create", "production", "--require-approval")
	if r := s.CLIAs(dev, "", "apps", "update", a.App, "--environment", "production"); r.Code == 0 || !strings.Contains(r.Stderr, "policy needs admin") {
		t.Fatalf("a developer moving the app between environments: %d %s", r.Code, r.Stderr)
	}
	// Previews run the app's secrets from any pull request: turning them
	// on is a policy change too.
	if r := s.CLIAs(dev, "", "apps", "update", a.App, "--previews"); r.Code == 0 || !strings.Contains(r.Stderr, "policy needs admin") {
		t.Fatalf("a developer turning previews on: %d %s", r.Code, r.Stderr)
	}
	if r := s.CLIAs(owner, "", "apps", "update", a.App, "--environment", "prod"); r.Code == 0 || !strings.Contains(r.Stderr, "no environment prod") {
		t.Fatalf("an unknown environment: %d %s", r.Code, r.Stderr)
	}
	must(owner, "", "apps", "update", a.App, "--environment", "production")
	if out := must(dev, "", "apps", "show", a.App); !strings.Contains(out, "environment production's policy") {
		t.Fatalf("apps show does not say where the gate comes from:\n%s", out)
	}
	if out := must(dev, "", "environments", "list"); !strings.Contains(out, "production") || !strings.Contains(out, a.App) {
		t.Fatalf("environments list:\n%s", out)
	}

	// The developer deploys v2 with a new env var: it waits for approval.
	a.Repo.Commit("gate-v2", map[string]string{"Dockerfile": AppDockerfile("gate-v2", "", "")})
	must(dev, "", "env", "set", a.App, "FEATURE_X=on")
	must(dev, "", "env", "set", a.App, "API_KEY=hunter2-secret", "--secret")
	must(dev, "", "env", "set", a.App, "GREETING=as-approved")
	must(dev, "", "deploy", a.App)
	var d Deployment
	eventually(t, 30*time.Second, "the deploy waits for approval", func() bool {
		d = s.Deployments(a.App)[0]
		return d.Status == "awaiting_approval"
	})
	// What it changes, before anyone approves.
	diff := must(owner, "", "deployments", "diff", d.ID)
	for _, want := range []string{"gate-v2", "added FEATURE_X", "added API_KEY (secret)", "image: rivetr/"} {
		if !strings.Contains(diff, want) {
			t.Fatalf("the diff lacks %q:\n%s", want, diff)
		}
	}
	if strings.Contains(diff, "hunter2") {
		t.Fatalf("the diff shows a secret value:\n%s", diff)
	}
	out := must(dev, "", "deployments", "pending")
	if !strings.Contains(out, d.ID) || !strings.Contains(out, "dev@example.com") {
		t.Fatalf("pending:\n%s", out)
	}
	if r := s.CLIAs(dev, "", "approve", d.ID); r.Code == 0 || !strings.Contains(r.Stderr, "approve") {
		t.Fatalf("a developer approving: %d %s", r.Code, r.Stderr)
	}
	// Attack: the developer changes the env after the approver was shown
	// the diff; the deployment runs what was asked for (and shown), the
	// change waits for the next deploy.
	must(dev, "", "env", "set", a.App, "GREETING=sneaked-in-after-the-diff")

	// A restart: the deploy still waits, and can still be approved.
	s.Kill()
	s.Start()
	if got := s.Deployments(a.App)[0]; got.ID != d.ID || got.Status != "awaiting_approval" {
		t.Fatalf("after a restart: %+v", got)
	}
	if body := s.MustGet(a.Host, "/"); body != "gate-v1" {
		t.Fatalf("while waiting, the app serves %q", body)
	}

	// The owner approves with the dashboard's button.
	run := func(actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		tctx, cancel := context.WithTimeout(ctx, 90*time.Second)
		defer cancel()
		if err := chromedp.Do(tctx, actions...); err != nil {
			t.Fatal(err)
		}
	}
	run(chromedp.Navigate(s.HTTP+"/login"), chromedp.WaitVisible(chromedp.ID("email")),
		chromedp.SendKeys(chromedp.ID("email"), "owner@example.com"), chromedp.SendKeys(chromedp.ID("password"), "owner password 1"),
		chromedp.Submit(chromedp.ID("password")), chromedp.WaitVisible(chromedp.ID("pending-approvals")),
		chromedp.Click(chromedp.CSS(`#pending-approvals a[href="/deployments/`+d.ID+`"]`)), chromedp.WaitVisible(chromedp.ID("approve")))
	shot(ctx, t, screenshotDir(t), "approval")
	if txt, err := chromedp.Run(ctx, chromedp.Text(chromedp.ID("diff"))); err != nil || !strings.Contains(txt, "gate-v2") || !strings.Contains(txt, "FEATURE_X") {
		t.Fatalf("the approval page's diff: %q %v", txt, err)
	}
	run(chromedp.SendKeys(chromedp.ID("approve-comment"), "ship it"), chromedp.Click(chromedp.ID("approve")), chromedp.WaitVisible(chromedp.ID("log")))
	waitText(ctx, t, "#status", "succeeded", 3*time.Minute)
	if body := s.MustGet(a.Host, "/"); body != "gate-v2" {
		t.Fatalf("after approval the app serves %q", body)
	}
	if body := s.MustGet(a.Host, "/greeting"); body != "as-approved" {
		t.Fatalf("the approved deployment runs with GREETING=%q, not what was approved", body)
	}
	var shown struct {
		Approvals []struct{ Approver, Decision, Comment string }
	}
	mustUnmarshal(t, []byte(s.MustCLI("deployments", "show", d.ID, "-o", "json")), &shown)
	if len(shown.Approvals) != 1 || shown.Approvals[0].Approver != "owner@example.com" || shown.Approvals[0].Comment != "ship it" {
		t.Fatalf("recorded decisions: %+v", shown.Approvals)
	}

	// A deploy from the dashboard's button meets the gate too; rejected,
	// it ends rejected and never builds.
	a.Repo.Commit("gate-v3", map[string]string{"Dockerfile": AppDockerfile("gate-v3", "", "")})
	run(chromedp.Navigate(s.HTTP+"/apps/"+a.App), chromedp.WaitVisible(chromedp.ID("deploy")), chromedp.Click(chromedp.ID("deploy")),
		chromedp.WaitVisible(chromedp.ID("status")))
	eventually(t, 30*time.Second, "the dashboard's deploy waits", func() bool {
		d = s.Deployments(a.App)[0]
		return d.Status == "awaiting_approval"
	})
	if d.Trigger != "dashboard" {
		t.Fatalf("the waiting deploy came from %q, not the dashboard", d.Trigger)
	}
	out = must(owner, "", "reject", d.ID, "--comment", "not today")
	if !strings.Contains(out, "rejected") {
		t.Fatalf("reject: %s", out)
	}
	eventually(t, 30*time.Second, "the deploy ends rejected", func() bool {
		d = s.Deployments(a.App)[0]
		return d.Status == "rejected"
	})
	if d.FailureReason != "rejected by owner@example.com: not today" {
		t.Fatalf("reason %q", d.FailureReason)
	}
	if body := s.MustGet(a.Host, "/"); body != "gate-v2" {
		t.Fatalf("after a rejection the app serves %q", body)
	}
	logs := s.MustCLI("logs", a.App, "--deployment", d.ID)
	if strings.Contains(logs, "Step 1/") {
		t.Fatalf("a rejected deploy built:\n%s", logs)
	}

	// A rollback through the API and a scheduled deploy wait at the same
	// gate; cancelled there, nothing changes.
	var cr struct{ Token string }
	if b, err := os.ReadFile(dev); err != nil || json.Unmarshal(b, &cr) != nil || cr.Token == "" {
		t.Fatalf("the developer's credentials: %v", err)
	}
	ds := s.Deployments(a.App)
	first := ds[len(ds)-1]
	req, _ := http.NewRequest("POST", s.HTTP+"/api/apps/"+a.App+"/rollback", strings.NewReader(`{"to":"`+first.ID+`"}`))
	req.Header.Set("Authorization", "Bearer "+cr.Token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusAccepted && res.StatusCode != http.StatusCreated {
		t.Fatalf("rollback through the API: %d %s", res.StatusCode, b)
	}
	var rb Deployment
	mustUnmarshal(t, b, &rb)
	rb = s.WaitDeployment(a.App, rb.ID, 30*time.Second, func(d Deployment) bool { return d.Status == "awaiting_approval" })
	if rb.Kind != "rollback" || rb.Trigger != "api" {
		t.Fatalf("the waiting deployment %+v", rb)
	}
	must(dev, "", "deployments", "cancel", rb.ID)
	must(dev, "", "deploy", a.App, "--in", "4s")
	sd := s.Deployments(a.App)[0]
	if sd.Status != "scheduled" {
		t.Fatalf("the deploy in 4s is %s", sd.Status)
	}
	eventually(t, 60*time.Second, "the scheduled deploy reaches the gate", func() bool {
		sd = s.Deployments(a.App)[0]
		return sd.Status == "awaiting_approval"
	})
	must(dev, "", "deployments", "cancel", sd.ID)
	for _, id := range []string{rb.ID, sd.ID} {
		s.WaitDeployment(a.App, id, 30*time.Second, func(d Deployment) bool { return d.Status == "cancelled" })
	}
	if body := s.MustGet(a.Host, "/"); body != "gate-v2" {
		t.Fatalf("after the cancelled rollback and deploy the app serves %q", body)
	}
}
