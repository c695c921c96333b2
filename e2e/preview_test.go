package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rivetr/rivetr/internal/testprovider"
	"github.com/rivetr/rivetr/internal/webhook"
)

type previewRow struct {
	PR     int
	App    string
	URL    string
	Latest *Deployment `json:"latest_deployment"`
}

// TestPullRequestPreview: with a stand-in GitHub API recording comments and
// statuses, a pull request opened against the app's branch gets a preview
// answering at pr-N.APP.PREVIEW-DOMAIN; a new commit updates it (the
// comment is edited in place); closing it leaves nothing behind — no
// container, route, image or record. A push to the branch reports commit
// statuses.
func TestPullRequestPreview(t *testing.T) {
	needDocker(t)
	gh := testprovider.Start("github", "gh-token")
	defer gh.Close()
	s := NewServer(t, false, "--preview-domain", "preview.test")
	s.Start()
	a := newAppOn(t, s, "prv", "main-v1")
	tokenFile := filepath.Join(t.TempDir(), "token")
	os.WriteFile(tokenFile, []byte("gh-token\n"), 0o600)
	s.MustCLI("apps", "update", a.App, "--previews", "--preview-env", "GREETING=hello-preview", "--provider-url", gh.URL, "--provider-token-file", tokenFile)
	s.MustCLI("env", "set", a.App, "GREETING=hello-main", "SECRET_KEY=shh", "--secret")
	if r := s.CLI("deploy", a.App, "--wait"); r.Code != 0 {
		t.Fatalf("first deploy: %s%s", r.Stdout, r.Stderr)
	}
	var info struct {
		URLs   map[string]string
		Secret string
	}
	mustUnmarshal(t, []byte(s.MustCLI("apps", "webhook", a.App, "-o", "json")), &info)
	url := info.URLs["github"]
	preview := a.App + "-pr-7"
	host := "pr-7." + a.App + ".preview.test"

	// A branch with its own version; the pull request is opened.
	a.Repo.git("checkout", "-q", "-b", "feature")
	f1 := a.Repo.Commit("feature-v1", map[string]string{"Dockerfile": AppDockerfile("feature-v1", "", "")})
	pull := func(action, sha, delivery string, merged bool) (int, hookResult) {
		body := fmt.Sprintf(`{"action":%q,"number":7,"pull_request":{"number":7,"html_url":"https://github.com/acme/prv/pull/7","title":"Feature","merged":%v,
			"user":{"login":"mona"},"head":{"ref":"feature","sha":%q,"repo":{"full_name":"acme/prv"}},"base":{"ref":"main","sha":%q,"repo":{"full_name":"acme/prv"}}},
			"repository":{"full_name":"acme/prv"}}`, action, merged, sha, a.First)
		return postHook(t, url, webhook.GitHub, "pull_request", delivery, info.Secret, body)
	}
	if code, r := pull("opened", f1, "pr-open-1", false); code != 202 || r.Result != "preview" || !strings.Contains(r.Reason, host) {
		t.Fatalf("opened: %d %+v", code, r)
	}
	previews := func() []previewRow {
		var ps []previewRow
		mustUnmarshal(t, []byte(s.MustCLI("previews", "list", a.App, "-o", "json")), &ps)
		return ps
	}
	waitServes := func(want string) {
		t.Helper()
		eventually(t, 3*time.Minute, "the preview serves "+want, func() bool {
			code, body, err := s.Get(host, "/")
			return err == nil && code == 200 && body == want
		})
	}
	waitServes("feature-v1")
	if ps := previews(); len(ps) != 1 || ps[0].App != preview || ps[0].PR != 7 || !strings.Contains(ps[0].URL, host) {
		t.Fatalf("previews list: %+v", ps)
	}
	if body := s.MustGet(a.Host, "/"); body != "main-v1" {
		t.Fatalf("the app itself serves %q", body)
	}
	eventually(t, 30*time.Second, "the ready comment", func() bool {
		cs := gh.Comments("acme/prv", 7)
		return len(cs) == 1 && strings.Contains(cs[0].Body(), "is ready: http://"+host+"/")
	})
	// The preview gets the app's env with its overrides on top.
	if body := s.MustGet(host, "/greeting"); body != "hello-preview" {
		t.Fatalf("the preview's GREETING is %q", body)
	}
	if body := s.MustGet(a.Host, "/greeting"); body != "hello-main" {
		t.Fatalf("the app's GREETING is %q", body)
	}
	out := s.MustCLI("apps", "list", "-o", "json")
	if strings.Contains(out, preview) {
		t.Fatalf("the preview is listed among apps:\n%s", out)
	}

	// A new commit on the branch: the same preview, the same comment.
	f2 := a.Repo.Commit("feature-v2", map[string]string{"Dockerfile": AppDockerfile("feature-v2", "", "")})
	if code, r := pull("synchronize", f2, "pr-sync-1", false); code != 202 || r.Result != "preview" {
		t.Fatalf("synchronize: %d %+v", code, r)
	}
	if code, r := pull("synchronize", f2, "pr-sync-1", false); code != 200 || r.Result != "duplicate" {
		t.Fatalf("redelivered synchronize: %d %+v", code, r)
	}
	waitServes("feature-v2")
	eventually(t, 30*time.Second, "the comment edited for v2", func() bool {
		cs := gh.Comments("acme/prv", 7)
		return len(cs) == 1 && strings.Contains(cs[0].Body(), f2[:12]) && strings.Contains(cs[0].Body(), "is ready")
	})

	// Merged: everything goes.
	if code, r := pull("closed", f2, "pr-close-1", true); code != 202 || !strings.Contains(r.Reason, "removing its preview") {
		t.Fatalf("closed: %d %+v", code, r)
	}
	eventually(t, 2*time.Minute, "the preview is removed", func() bool { return len(previews()) == 0 })
	if code, _, _ := s.Get(host, "/"); code == 200 {
		t.Fatalf("the removed preview still answers %d", code)
	}
	if out, _ := exec.Command("docker", "ps", "-aq", "--filter", "label=rivetr.app="+preview).Output(); strings.TrimSpace(string(out)) != "" {
		t.Fatalf("containers left: %s", out)
	}
	if out, _ := exec.Command("docker", "images", "-q", "rivetr/"+preview).Output(); strings.TrimSpace(string(out)) != "" {
		t.Fatalf("images left: %s", out)
	}
	if r := s.CLI("apps", "show", preview); r.Code == 0 {
		t.Fatalf("the preview app record is left:\n%s", r.Stdout)
	}
	eventually(t, 30*time.Second, "the removal comment", func() bool {
		cs := gh.Comments("acme/prv", 7)
		return len(cs) == 1 && strings.Contains(cs[0].Body(), "removed: the pull request was merged")
	})

	// A push to main reports pending, then success, on the commit.
	a.Repo.git("checkout", "-q", "main")
	m2 := a.Repo.Commit("main-v2", map[string]string{"Dockerfile": AppDockerfile("main-v2", "", "")})
	push := fmt.Sprintf(`{"ref":"refs/heads/main","before":%q,"after":%q,"head_commit":{"id":%q,"message":"main-v2"},"commits":[],"repository":{"full_name":"acme/prv"},"pusher":{"name":"mona"}}`, a.First, m2, m2)
	code, r := postHook(t, url, webhook.GitHub, "push", "push-1", info.Secret, push)
	if code != 202 {
		t.Fatalf("push: %d %+v", code, r)
	}
	s.WaitDeployment(a.App, r.Deployment, 3*time.Minute, func(d Deployment) bool { return d.Status == "succeeded" })
	eventually(t, 30*time.Second, "pending then success statuses", func() bool {
		st := gh.Statuses(m2)
		return len(st) == 2 && st[0].State == "pending" && st[1].State == "success" && st[1].Name == "rivetr/"+a.App &&
			strings.HasSuffix(st[1].Target, "/deployments/"+r.Deployment)
	})
}
