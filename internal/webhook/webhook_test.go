package webhook

import (
	"encoding/hex"
	"errors"
	"net/http"
	"os"
	"slices"
	"strings"
	"testing"
)

func read(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// Each provider's scheme accepts its own signature and refuses a wrong,
// missing or truncated one, and a body that differs by one byte.
func TestVerify(t *testing.T) {
	const secret = "s3cret-of-the-app"
	body := read(t, "github_push.json")
	flipped := slices.Clone(body)
	flipped[len(flipped)/2] ^= 1
	for _, p := range Providers {
		good := SignatureHeaders(p, "push", body, secret)
		if err := Verify(p, good, body, secret); err != nil {
			t.Errorf("%s: a good signature refused: %v", p, err)
		}
		cases := map[string]sigCase{
			"wrong secret":  {SignatureHeaders(p, "push", body, "another secret"), body},
			"missing":       {http.Header{}, body},
			"one byte off":  {good, flipped},
			"empty body":    {good, nil},
			"other headers": {SignatureHeaders(otherProvider(p), "push", body, secret), body},
		}
		switch p {
		case GitHub:
			sig := good.Get("X-Hub-Signature-256")
			cases["truncated"] = sigCase{http.Header{"X-Hub-Signature-256": {sig[:len(sig)-2]}}, body}
			cases["no prefix"] = sigCase{http.Header{"X-Hub-Signature-256": {strings.TrimPrefix(sig, "sha256=")}}, body}
			cases["sha1 header"] = sigCase{http.Header{"X-Hub-Signature": {"sha1=" + hex.EncodeToString(Sign(body, secret))[:40]}}, body}
		case Gitea:
			sig := good.Get("X-Gitea-Signature")
			cases["truncated"] = sigCase{http.Header{"X-Gitea-Signature": {sig[:len(sig)-1]}}, body}
		case GitLab:
			cases["truncated"] = sigCase{http.Header{"X-Gitlab-Token": {secret[:len(secret)-1]}}, body}
			cases["longer"] = sigCase{http.Header{"X-Gitlab-Token": {secret + "x"}}, body}
		}
		for name, c := range cases {
			// GitLab's token does not cover the body: a changed body passes.
			if p == GitLab && (name == "one byte off" || name == "empty body") {
				if err := Verify(p, c.h, c.body, secret); err != nil {
					t.Errorf("%s %s: %v", p, name, err)
				}
				continue
			}
			if err := Verify(p, c.h, c.body, secret); !errors.Is(err, ErrSignature) {
				t.Errorf("%s %s: %v, want a signature error", p, name, err)
			}
		}
		if err := Verify(p, good, body, ""); !errors.Is(err, ErrSignature) {
			t.Errorf("%s: an app without a secret accepted a delivery", p)
		}
	}
}

type sigCase struct {
	h    http.Header
	body []byte
}

func otherProvider(p Provider) Provider {
	if p == GitHub {
		return Gitea
	}
	return GitHub
}

func TestParsePushes(t *testing.T) {
	for _, tc := range []struct {
		p        Provider
		event    string
		file     string
		branch   string
		after    string
		message  string
		pusher   string
		repo     string
		files    []string
		deleted  bool
		wantKind string
	}{
		{GitHub, "push", "github_push.json", "main", "0d1a26e67d8f5eaf1f6ba5c57fc3c7d91ac0fd1c", "Update README.md\n\nand the API", "mona", "octo-org/shop",
			[]string{"api/handlers.go", "README.md"}, false, KindPush},
		{GitLab, "Push Hook", "gitlab_push.json", "main", "da1560886d4f094c3e6c9ef40349f7d38b5d27d7", "fixed readme", "jsmith", "mike/diaspora",
			[]string{"CHANGELOG", "app/controller/application.rb", "docs/old.md", "README.md"}, false, KindPush},
		{Gitea, "push", "gitea_push.json", "develop", "bffeb74224043ba2feb48d137756c8a9331c449a", "Webhooks Yay!\n", "gitea", "gitea/webhooks",
			[]string{"web/new.html", "web/index.html"}, false, KindPush},
	} {
		e, err := Parse(tc.p, SignatureHeaders(tc.p, tc.event, nil, "x"), read(t, tc.file))
		if err != nil {
			t.Fatalf("%s: %v", tc.p, err)
		}
		if e.Kind != tc.wantKind || e.Branch != tc.branch || e.After != tc.after || e.HeadMessage != tc.message || e.Pusher != tc.pusher ||
			e.Repo != tc.repo || e.Deleted != tc.deleted || !slices.Equal(e.Files, tc.files) {
			t.Errorf("%s: %+v", tc.p, e)
		}
	}
}

func TestParsePullRequests(t *testing.T) {
	gh, err := Parse(GitHub, SignatureHeaders(GitHub, "pull_request", nil, "x"), read(t, "github_pull_request.json"))
	if err != nil {
		t.Fatal(err)
	}
	if pr := gh.PR; gh.Kind != KindPullRequest || pr.Number != 7 || pr.Action != PROpen || pr.HeadSHA != "ec26c3e57ca3a959ca5aad62de7213c562f8c821" ||
		pr.HeadBranch != "checkout" || pr.BaseBranch != "main" || pr.Fork || pr.URL != "https://github.com/octo-org/shop/pull/7" || pr.Author != "mona" {
		t.Errorf("github: %+v", pr)
	}
	gl, err := Parse(GitLab, SignatureHeaders(GitLab, "Merge Request Hook", nil, "x"), read(t, "gitlab_merge_request.json"))
	if err != nil {
		t.Fatal(err)
	}
	if pr := gl.PR; pr.Number != 1 || pr.Action != PROpen || pr.HeadSHA != "da1560886d4f094c3e6c9ef40349f7d38b5d27d7" || pr.HeadBranch != "ms-viewport" ||
		pr.BaseBranch != "master" || pr.Fork || pr.Author != "root" {
		t.Errorf("gitlab: %+v", pr)
	}
	gt, err := Parse(Gitea, SignatureHeaders(Gitea, "pull_request", nil, "x"), read(t, "gitea_pull_request.json"))
	if err != nil {
		t.Fatal(err)
	}
	if pr := gt.PR; pr.Number != 3 || pr.Action != PRUpdate || !pr.Fork || pr.HeadBranch != "dark-mode" || pr.Author != "alice" {
		t.Errorf("gitea: %+v", pr)
	}
	// Actions map to open / update / close / other alike.
	for _, tc := range []struct {
		p            Provider
		event, body  string
		action       string
		merged, fork bool
	}{
		{GitHub, "pull_request", `{"action":"synchronize","number":2,"pull_request":{"head":{"sha":"` + strings.Repeat("a", 40) + `","repo":{"full_name":"x/y"}},"base":{"repo":{"full_name":"x/y"}}}}`, PRUpdate, false, false},
		{GitHub, "pull_request", `{"action":"closed","number":2,"pull_request":{"merged":true,"head":{"repo":null},"base":{"repo":{"full_name":"x/y"}}}}`, PRClose, true, true},
		{GitHub, "pull_request", `{"action":"labeled","number":2,"pull_request":{}}`, PROther, false, true},
		{GitLab, "Merge Request Hook", `{"object_attributes":{"iid":4,"action":"update","oldrev":"` + strings.Repeat("b", 40) + `"}}`, PRUpdate, false, false},
		{GitLab, "Merge Request Hook", `{"object_attributes":{"iid":4,"action":"update"}}`, PROther, false, false},
		{GitLab, "Merge Request Hook", `{"object_attributes":{"iid":4,"action":"merge","state":"merged"}}`, PRClose, true, false},
		{GitLab, "Merge Request Hook", `{"object_attributes":{"iid":4,"action":"reopen","source_project_id":2,"target_project_id":1}}`, PROpen, false, true},
		// A head repository that cannot be told apart counts as a fork.
		{Gitea, "pull_request", `{"action":"closed","number":5,"pull_request":{"merged":false}}`, PRClose, false, true},
		{Gitea, "pull_request", `{"action":"reopened","number":5,"pull_request":{"head":{"repo_id":3},"base":{"repo_id":3}}}`, PROpen, false, false},
	} {
		e, err := Parse(tc.p, SignatureHeaders(tc.p, tc.event, nil, "x"), []byte(tc.body))
		if err != nil {
			t.Errorf("%s %s: %v", tc.p, tc.body, err)
			continue
		}
		if e.PR.Action != tc.action || e.PR.Merged != tc.merged || e.PR.Fork != tc.fork {
			t.Errorf("%s %s: %+v", tc.p, tc.body, e.PR)
		}
	}
}

func TestParseOddities(t *testing.T) {
	ping, err := Parse(GitHub, SignatureHeaders(GitHub, "ping", nil, "x"), []byte(`{"zen":"Keep it logically awesome.","hook_id":1}`))
	if err != nil || ping.Kind != KindPing {
		t.Errorf("ping: %+v %v", ping, err)
	}
	for _, tc := range []struct {
		p     Provider
		event string
	}{{GitHub, "issues"}, {GitLab, "Issue Hook"}, {Gitea, "create"}} {
		if e, err := Parse(tc.p, SignatureHeaders(tc.p, tc.event, nil, "x"), []byte(`not json`)); err != nil || e.Kind != KindOther {
			t.Errorf("%s %s: %+v %v", tc.p, tc.event, e, err)
		}
	}
	bad := []struct {
		p     Provider
		event string
		body  string
	}{
		{GitHub, "push", `{"ref":`},
		{GitHub, "push", `{"ref":"refs/heads/main","after":"not-a-sha"}`},
		{GitHub, "push", `{"after":"` + strings.Repeat("a", 40) + `"}`},
		{GitLab, "Push Hook", `[]`},
		{Gitea, "pull_request", `{"action":"opened","number":0}`},
		{GitHub, "pull_request", `{"action":"opened","number":1,"pull_request":{"head":{"sha":"; rm -rf /"}}}`},
	}
	for _, tc := range bad {
		if _, err := Parse(tc.p, SignatureHeaders(tc.p, tc.event, nil, "x"), []byte(tc.body)); err == nil {
			t.Errorf("%s %s accepted", tc.p, tc.body)
		}
	}
	// A deleted branch and a tag.
	del, err := Parse(GitLab, SignatureHeaders(GitLab, "Push Hook", nil, "x"), []byte(`{"ref":"refs/heads/old","before":"`+strings.Repeat("1", 40)+`","after":"`+strings.Repeat("0", 40)+`"}`))
	if err != nil || !del.Deleted || del.Branch != "old" {
		t.Errorf("deleted: %+v %v", del, err)
	}
	tag, err := Parse(GitLab, SignatureHeaders(GitLab, "Tag Push Hook", nil, "x"), []byte(`{"ref":"refs/tags/v1.2","after":"`+strings.Repeat("1", 40)+`"}`))
	if err != nil || tag.Tag != "v1.2" || tag.Branch != "" {
		t.Errorf("tag: %+v %v", tag, err)
	}
}

func TestFilter(t *testing.T) {
	sha := strings.Repeat("ab", 20)
	push := func(ref, msg string, files ...string) *Event {
		e := &Event{Kind: KindPush, Ref: ref, After: sha, HeadMessage: msg, Files: files}
		e.refParts()
		return e
	}
	f := Filter{Branch: "main"}
	for _, tc := range []struct {
		f      Filter
		e      *Event
		deploy bool
		reason string
	}{
		{f, push("refs/heads/main", "fix"), true, "deploying abababababab, pushed to main"},
		{f, push("refs/heads/feature", "fix"), false, "push to branch feature ignored: the app deploys branch main"},
		{f, push("refs/tags/v1", "fix"), false, "tag v1 pushed; tags do not deploy"},
		{f, push("refs/notes/x", "fix"), false, "is not a branch"},
		{f, push("refs/heads/main", "docs only [skip ci]"), false, "the head commit's message says [skip ci]"},
		{f, push("refs/heads/main", "[Skip Deploy] wip"), false, "says [Skip Deploy]"},
		{f, &Event{Kind: KindPush, Ref: "refs/heads/main", Branch: "main", Deleted: true}, false, "branch main was deleted"},
		{Filter{Branch: "main", WatchPaths: []string{"api/**"}}, push("refs/heads/main", "x", "README.md", "web/a.js"), false, "no changed file matches the watch paths (api/**); changed: README.md, web/a.js"},
		{Filter{Branch: "main", WatchPaths: []string{"api/**", "Dockerfile"}}, push("refs/heads/main", "x", "README.md", "Dockerfile"), true, "deploying"},
		// Files not listed (nil): the watch paths cannot be checked, so it deploys.
		{Filter{Branch: "main", WatchPaths: []string{"api/**"}}, push("refs/heads/main", "x"), true, "deploying"},
	} {
		ok, why := tc.f.Push(tc.e)
		if ok != tc.deploy || !strings.Contains(why, tc.reason) {
			t.Errorf("%s %q %v: %v %q", tc.e.Ref, tc.e.HeadMessage, tc.e.Files, ok, why)
		}
	}
}

func TestMatchGlob(t *testing.T) {
	for _, tc := range []struct {
		pattern, name string
		want          bool
	}{
		{"api/**", "api/x.go", true},
		{"api/**", "api/deep/er/x.go", true},
		{"api/**", "api", true},
		{"api/**", "apix/x.go", false},
		{"api/", "api/x.go", true},
		{"/api/*.go", "api/x.go", true},
		{"api/*.go", "api/deep/x.go", false},
		{"**/*.go", "x.go", true},
		{"**/*.go", "a/b/c.go", true},
		{"**/*.go", "a/b/c.js", false},
		{"Dockerfile", "Dockerfile", true},
		{"Dockerfile", "sub/Dockerfile", false},
		{"services/*/src/**", "services/pay/src/main.go", true},
		{"services/*/src/**", "services/pay/test/main.go", false},
		{"**", "anything/at/all", true},
		{"a/**/b", "a/b", true},
		{"a/**/b", "a/x/y/b", true},
		{"a/**/**/b", "a/x/b", true},
		{"[", "[", false},
	} {
		if got := MatchGlob(tc.pattern, tc.name); got != tc.want {
			t.Errorf("MatchGlob(%q, %q) = %v", tc.pattern, tc.name, got)
		}
	}
	for _, bad := range []string{"", "a//b", "../x", "a/./b", "[", strings.Repeat("a", 300), strings.Repeat("**/a/", 5)} {
		if ValidGlob(bad) == nil {
			t.Errorf("ValidGlob(%q) accepted", bad)
		}
	}
	for _, good := range []string{"api/**", "/Dockerfile", "web/", "**/*.{go}"} {
		if err := ValidGlob(good); err != nil {
			t.Errorf("ValidGlob(%q): %v", good, err)
		}
	}
}
