package gitsrc

import (
	"context"
	"errors"
	"net/http"
	"net/http/cgi"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/rivetr/rivetr/internal/egress"
)

// repo makes a git repository with two commits on main and one on "other";
// it returns its path and the SHAs.
func repo(t *testing.T) (dir string, first, second, other string) {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git not installed")
	}
	dir = t.TempDir()
	run := func(args ...string) string {
		cmd := exec.Command("git", args...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@t", "GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@t")
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
		return strings.TrimSpace(string(out))
	}
	run("init", "-q", "-b", "main")
	os.WriteFile(filepath.Join(dir, "file"), []byte("one"), 0o644)
	run("add", ".")
	run("commit", "-q", "-m", "first commit")
	first = run("rev-parse", "HEAD")
	os.WriteFile(filepath.Join(dir, "file"), []byte("two"), 0o644)
	run("commit", "-q", "-am", "second commit\n\nbody")
	second = run("rev-parse", "HEAD")
	run("checkout", "-q", "-b", "other")
	os.WriteFile(filepath.Join(dir, "file"), []byte("other"), 0o644)
	run("commit", "-q", "-am", "on other")
	other = run("rev-parse", "HEAD")
	run("checkout", "-q", "main")
	return dir, first, second, other
}

func TestResolveAndCheckout(t *testing.T) {
	dir, first, second, other := repo(t)
	ctx := context.Background()

	head, err := ResolveBranch(ctx, dir, "main", Auth{})
	if err != nil || head != second {
		t.Fatalf("resolve main: %s %v", head, err)
	}
	if _, err := ResolveBranch(ctx, dir, "nope", Auth{}); !errors.Is(err, ErrNotFound) {
		t.Fatalf("missing branch: %v", err)
	}

	tests := []struct {
		name, commit, wantSHA, wantFile, wantMsg string
	}{
		{"head", "", second, "two", "second commit\n\nbody"},
		{"exact", first, first, "one", "first commit"},
		{"abbreviated", first[:10], first, "one", "first commit"},
		{"other branch", other, other, "other", "on other"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "src")
			c, err := Checkout(ctx, dir, "main", tc.commit, out, Auth{})
			if err != nil {
				t.Fatal(err)
			}
			b, _ := os.ReadFile(filepath.Join(out, "file"))
			if c.SHA != tc.wantSHA || string(b) != tc.wantFile || c.Message != tc.wantMsg {
				t.Fatalf("got %+v file %q", c, b)
			}
		})
	}
	if _, err := Checkout(ctx, dir, "main", strings.Repeat("a", 40), filepath.Join(t.TempDir(), "x"), Auth{}); !errors.Is(err, ErrNotFound) {
		t.Fatalf("unknown commit: %v", err)
	}
	if _, err := Checkout(ctx, filepath.Join(t.TempDir(), "missing"), "main", "", filepath.Join(t.TempDir(), "y"), Auth{}); err == nil {
		t.Fatal("missing repository must fail")
	}
}

// TestTokenAuthOverHTTP serves the repository with git's own smart-HTTP CGI
// behind basic auth, like a private GitHub/GitLab/Gitea repository.
func TestTokenAuthOverHTTP(t *testing.T) {
	dir, _, second, _ := repo(t)
	backend, err := exec.Command("git", "--exec-path").Output()
	if err != nil {
		t.Skip("git --exec-path failed")
	}
	cgiPath := filepath.Join(strings.TrimSpace(string(backend)), "git-http-backend")
	if _, err := os.Stat(cgiPath); err != nil {
		t.Skip("git-http-backend not installed")
	}
	root := filepath.Dir(dir)
	h := &cgi.Handler{Path: cgiPath, Env: []string{"GIT_PROJECT_ROOT=" + root, "GIT_HTTP_EXPORT_ALL=1"}}
	var requests atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		user, pass, ok := r.BasicAuth()
		if !ok || pass != "s3cret" || user != "x-access-token" {
			w.Header().Set("WWW-Authenticate", `Basic realm="git"`)
			http.Error(w, "auth", http.StatusUnauthorized)
			return
		}
		h.ServeHTTP(w, r)
	}))
	defer srv.Close()
	url := srv.URL + "/" + filepath.Base(dir)
	ctx := context.Background()

	// Attack: a remote on this server's loopback is refused by the
	// default egress policy before any request is made.
	if _, err := ResolveBranch(ctx, url, "main", Auth{}); !errors.Is(err, egress.ErrRefused) {
		t.Fatalf("loopback under the default policy: %v", err)
	}
	if _, err := Checkout(ctx, url, "main", "", filepath.Join(t.TempDir(), "refused"), Auth{}); !errors.Is(err, egress.ErrRefused) {
		t.Fatalf("checkout from loopback under the default policy: %v", err)
	}
	if n := requests.Load(); n != 0 {
		t.Fatalf("the refused server got %d requests", n)
	}
	lo := egress.MustParse("127.0.0.0/8")
	if _, err := ResolveBranch(ctx, url, "main", Auth{Egress: lo}); !errors.Is(err, ErrAuth) {
		t.Fatalf("no token: %v", err)
	}
	if _, err := ResolveBranch(ctx, url, "main", Auth{Token: "wrong", Egress: lo}); !errors.Is(err, ErrAuth) {
		t.Fatalf("wrong token: %v", err)
	}
	head, err := ResolveBranch(ctx, url, "main", Auth{Token: "s3cret", Egress: lo})
	if err != nil || head != second {
		t.Fatalf("with token: %s %v", head, err)
	}
	c, err := Checkout(ctx, url, "main", head, filepath.Join(t.TempDir(), "src"), Auth{Token: "x-access-token:s3cret", Egress: lo})
	if err != nil || c.SHA != second {
		t.Fatalf("checkout with token: %+v %v", c, err)
	}
}

// git:// dials by itself: the name is resolved and checked first.
func TestGitProtocolEgress(t *testing.T) {
	for _, url := range []string{"git://127.0.0.1:1/x.git", "git://localhost/x.git", "git://[::1]/x.git", "git://169.254.169.254/x"} {
		if _, err := ResolveBranch(context.Background(), url, "main", Auth{}); !errors.Is(err, egress.ErrRefused) {
			t.Errorf("%s: %v", url, err)
		}
	}
}

func TestValidURL(t *testing.T) {
	for url, want := range map[string]bool{
		"https://github.com/a/b.git": true,
		"git@github.com:a/b.git":     true,
		"ssh://git@host/a.git":       true,
		"/srv/git/app":               true,
		"file:///srv/git/app":        true,
		"ftp://x":                    false,
		"":                           false,
		"https://":                   false,
		"just words":                 false,
	} {
		if got := ValidURL(url); got != want {
			t.Errorf("ValidURL(%q) = %v", url, got)
		}
	}
}

// A git token is never sent over plain http to another machine.
func TestTokenNeverOverPlainHTTP(t *testing.T) {
	for _, tc := range []struct {
		url   string
		plain bool
	}{
		{"http://git.example.com/a.git", true},
		{"HTTP://10.0.0.5/a.git", true},
		{"http://127.0.0.1:8080/a.git", false},
		{"http://localhost/a.git", false},
		{"http://[::1]/a.git", false},
		{"https://git.example.com/a.git", false},
		{"git@github.com:a/b.git", false},
	} {
		if got := PlainHTTP(tc.url); got != tc.plain {
			t.Errorf("PlainHTTP(%q) = %v", tc.url, got)
		}
	}
	_, err := Auth{Token: "t"}.method("http://git.example.com/a.git")
	if !errors.Is(err, ErrAuth) || !strings.Contains(err.Error(), "never sent over plain http") {
		t.Fatalf("a token over http: %v", err)
	}
	if m, err := (Auth{Token: "t"}).method("https://git.example.com/a.git"); err != nil || m == nil {
		t.Fatalf("over https: %v %v", m, err)
	}
}

// A git host that cannot be talked to is said as such, with what to check.
func TestUnreachableHostsSayWhatToCheck(t *testing.T) {
	lo := egress.MustParse("127.0.0.0/8")
	tlsSrv := httptest.NewTLSServer(http.NotFoundHandler()) // a self-signed certificate
	defer tlsSrv.Close()
	closed := httptest.NewServer(http.NotFoundHandler())
	closed.Close() // nothing listens at its address any more
	for _, tc := range []struct{ url, want string }{
		{closed.URL + "/x.git", "nothing answers at the git host's address and port"},
		{tlsSrv.URL + "/x.git", "the git host's TLS certificate is not trusted"},
	} {
		_, err := ResolveBranch(context.Background(), tc.url, "main", Auth{Egress: lo})
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v", tc.url, err)
		}
	}
}
