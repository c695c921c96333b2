package e2e

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/rivetr/rivetr/internal/webhook"
)

// hookResult is a webhook's answer.
type hookResult struct {
	Result, Reason, Deployment string
}

// postHook delivers body to url as provider p, signed with secret.
func postHook(t *testing.T, url string, p webhook.Provider, event, delivery, secret, body string) (int, hookResult) {
	t.Helper()
	req, _ := http.NewRequest("POST", url, strings.NewReader(body))
	req.Header = webhook.SignatureHeaders(p, event, []byte(body), secret)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(map[webhook.Provider]string{webhook.GitHub: "X-GitHub-Delivery", webhook.GitLab: "X-Gitlab-Event-UUID", webhook.Gitea: "X-Gitea-Delivery"}[p], delivery)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	var r hookResult
	mustUnmarshal(t, b, &r)
	return res.StatusCode, r
}

// TestWebhookDeploys: a signed GitHub push deploys exactly the pushed
// commit on a real dockerd; its redelivery does nothing; a wrong signature
// is refused; a Gitea push to another branch is acknowledged with the
// reason; and with an approval gate a GitLab push waits for approval like
// any other deploy.
func TestWebhookDeploys(t *testing.T) {
	a := newSharedApp(t, "hook", "hook-v1")
	s := a.S
	if r := s.CLI("deploy", a.App, "--wait"); r.Code != 0 {
		t.Fatalf("first deploy: %s%s", r.Stdout, r.Stderr)
	}
	var info struct {
		URLs   map[string]string
		Secret string
	}
	if err := json.Unmarshal([]byte(s.MustCLI("apps", "webhook", a.App, "-o", "json")), &info); err != nil || info.Secret == "" {
		t.Fatalf("apps webhook: %v %+v", err, info)
	}

	// v2 is pushed, then v3 on top: the push names v2, so v2 deploys.
	v2 := a.Repo.Commit("hook-v2", map[string]string{"Dockerfile": AppDockerfile("hook-v2", "", "")})
	a.Repo.Commit("hook-v3", map[string]string{"Dockerfile": AppDockerfile("hook-v3", "", "")})
	push := fmt.Sprintf(`{"ref":"refs/heads/main","before":%q,"after":%q,"head_commit":{"id":%q,"message":"hook-v2","modified":["Dockerfile"]},
		"commits":[{"id":%q,"message":"hook-v2","added":[],"removed":[],"modified":["Dockerfile"]}],"repository":{"full_name":"acme/hook"},"pusher":{"name":"mona"}}`,
		a.First, v2, v2, v2)
	if code, r := postHook(t, info.URLs["github"], webhook.GitHub, "push", "gh-delivery-1", "wrong secret", push); code != 401 {
		t.Fatalf("a wrong signature: %d %+v", code, r)
	}
	code, r := postHook(t, info.URLs["github"], webhook.GitHub, "push", "gh-delivery-1", info.Secret, push)
	if code != 202 || r.Result != "deployed" {
		t.Fatalf("push: %d %+v", code, r)
	}
	d := s.WaitDeployment(a.App, r.Deployment, 3*time.Minute, func(d Deployment) bool { return d.Status == "succeeded" || d.Status == "failed" })
	if d.Status != "succeeded" || d.Commit != v2 || d.Trigger != "webhook" || !strings.Contains(d.WorkflowID, "github-gh-delivery-1") {
		t.Fatalf("the webhook deploy: %+v", d)
	}
	if body := s.MustGet(a.Host, "/"); body != "hook-v2" {
		t.Fatalf("after the push the app serves %q", body)
	}
	n := len(s.Deployments(a.App))
	if code, r := postHook(t, info.URLs["github"], webhook.GitHub, "push", "gh-delivery-1", info.Secret, push); code != 200 || r.Result != "duplicate" || r.Deployment != d.ID {
		t.Fatalf("redelivery: %d %+v", code, r)
	}
	time.Sleep(time.Second)
	if got := len(s.Deployments(a.App)); got != n {
		t.Fatalf("the redelivery made a deployment (%d → %d)", n, got)
	}

	// Another branch: acknowledged, with the reason in the delivery log.
	other := fmt.Sprintf(`{"ref":"refs/heads/develop","before":%q,"after":%q,"commits":[],"repository":{"full_name":"acme/hook"},"pusher":{"login":"alice"}}`, a.First, v2)
	if code, r := postHook(t, info.URLs["gitea"], webhook.Gitea, "push", "gitea-1", info.Secret, other); code != 200 || r.Result != "ignored" {
		t.Fatalf("gitea push to develop: %d %+v", code, r)
	}
	log := s.MustCLI("webhooks", a.App)
	for _, want := range []string{"push to branch develop ignored: the app deploys branch main", "deployed", d.ID, "refs/heads/main"} {
		if !strings.Contains(log, want) {
			t.Fatalf("rivetr webhooks lacks %q:\n%s", want, log)
		}
	}

	// The approval gate holds a webhook deploy like any other.
	s.MustCLI("apps", "update", a.App, "--require-approval")
	v4 := a.Repo.Commit("hook-v4", map[string]string{"Dockerfile": AppDockerfile("hook-v4", "", "")})
	gl := fmt.Sprintf(`{"object_kind":"push","ref":"refs/heads/main","before":%q,"after":%q,"user_username":"jsmith","user_email":"jsmith@example.com","project":{"path_with_namespace":"acme/hook"},
		"commits":[{"id":%q,"message":"hook-v4","added":[],"modified":["Dockerfile"],"removed":[]}]}`, v2, v4, v4)
	code, r = postHook(t, info.URLs["gitlab"], webhook.GitLab, "Push Hook", "gl-1", info.Secret, gl)
	if code != 202 {
		t.Fatalf("gitlab push: %d %+v", code, r)
	}
	s.WaitDeployment(a.App, r.Deployment, time.Minute, func(d Deployment) bool { return d.Status == "awaiting_approval" })
	if body := s.MustGet(a.Host, "/"); body != "hook-v2" {
		t.Fatalf("while the push waits for approval the app serves %q", body)
	}
	s.MustCLI("approve", r.Deployment)
	s.WaitDeployment(a.App, r.Deployment, 3*time.Minute, func(d Deployment) bool { return d.Status == "succeeded" })
	if body := s.MustGet(a.Host, "/"); body != "hook-v4" {
		t.Fatalf("after approval the app serves %q", body)
	}

	// Attack: the v2 push, signed, sent again under a new delivery ID to
	// roll the app back (the delivery ID is not signed). v2 is neither
	// the head nor built on the serving v4: ignored, and v4 keeps serving.
	s.MustCLI("apps", "update", a.App, "--require-approval=false")
	n = len(s.Deployments(a.App))
	code, r = postHook(t, info.URLs["github"], webhook.GitHub, "push", "gh-replayed", info.Secret, push)
	if code != 200 || r.Result != "ignored" || !strings.Contains(r.Reason, "does not build on the serving") {
		t.Fatalf("a replayed push: %d %+v", code, r)
	}
	if got := len(s.Deployments(a.App)); got != n || s.MustGet(a.Host, "/") != "hook-v4" {
		t.Fatalf("the replay deployed (%d → %d deployments)", n, got)
	}
}
