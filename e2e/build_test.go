package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rivetr/rivetr/internal/testimage"
)

func writeTree(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, body := range files {
		p := filepath.Join(dir, name)
		os.MkdirAll(filepath.Dir(p), 0o755)
		mode := os.FileMode(0o644)
		if strings.HasSuffix(name, ".sh") || strings.HasPrefix(name, "bin/") {
			mode = 0o755
		}
		if err := os.WriteFile(p, []byte(body), mode); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// fakeNixpacks stands in for the nixpacks CLI: "nixpacks build DIR --name
// TAG [--env K=V]" builds DIR with docker into TAG, serving DIR's
// message.txt, so the plumbing of external builders runs for real.
const fakeNixpacks = `#!/bin/sh
set -e
[ "$1" = build ] || { echo "unexpected: $*" >&2; exit 2; }
dir=$2; shift 2
[ "$1" = --name ] || { echo "no --name" >&2; exit 2; }
tag=$2
echo "fake nixpacks: building $dir as $tag"
printf 'FROM %s\nCOPY message.txt /www/index.html\nCMD ["httpd", "-f", "-p", "8080", "-h", "/www"]\n' "$BASE" > "$dir/.nixpacks.Dockerfile"
docker build -q -t "$tag" -f "$dir/.nixpacks.Dockerfile" "$dir"
`

// TestBuildTypesAndUploads: ZIP uploads of a static site (detected and
// served by rivetr-static) and of a Dockerfile project built with a build
// context, arguments and a target stage; an external builder run from the
// host's PATH; a missing one and an unsafe upload refused with a clear
// message.
func TestBuildTypesAndUploads(t *testing.T) {
	needDocker(t)
	bin := writeTree(t, map[string]string{"bin/nixpacks": fakeNixpacks})
	s := NewServer(t, false)
	s.env = append(s.env, "PATH="+filepath.Join(bin, "bin")+":"+os.Getenv("PATH"), "BASE="+testimage.Busybox)
	s.Start()
	app := "build-" + randSuffix()
	CleanupApp(t, app)
	s.MustCLI("apps", "create", app, "--git", "https://git.invalid/none.git", "--domain", app+".test")
	if out := s.MustCLI("apps", "show", app); !strings.Contains(out, "auto") {
		t.Fatalf("a new app's build type is not auto:\n%s", out)
	}

	// A static site: detected, built FROM scratch with rivetr-static.
	site := writeTree(t, map[string]string{"README.md": "docs", "public/index.html": "static-v1", "public/about/index.html": "about-us"})
	detect := s.MustCLI("build", "detect", site)
	if !strings.Contains(detect, "build type: static") || !strings.Contains(detect, "site directory: public") {
		t.Fatalf("build detect:\n%s", detect)
	}
	if r := s.CLI("deploy", app, "--zip", site, "--wait"); r.Code != 0 || !strings.Contains(r.Stdout, "build type: static (found public/index.html") {
		t.Fatalf("static upload: %d\n%s%s", r.Code, r.Stdout, r.Stderr)
	}
	if body := s.MustGet(app+".test", "/"); body != "static-v1" {
		t.Fatalf("the static site serves %q", body)
	}
	if body := s.MustGet(app+".test", "/about/"); body != "about-us" {
		t.Fatalf("/about/ serves %q", body)
	}

	// A Dockerfile in a subdirectory, with a build argument and a target stage.
	df := fmt.Sprintf("FROM %s AS base\nARG TEXT=default\nRUN mkdir -p /www && echo \"$TEXT\" > /www/index.html\nCMD [\"httpd\", \"-f\", \"-p\", \"8080\", \"-h\", \"/www\"]\n"+
		"FROM base AS final\nRUN echo final > /www/index.html\n", testimage.Busybox)
	proj := writeTree(t, map[string]string{"svc/Dockerfile": df, "README.md": "x"})
	s.MustCLI("apps", "update", app, "--build-type", "dockerfile", "--build-context", "svc", "--build-arg", "TEXT=hello-arg", "--build-target", "base")
	if r := s.CLI("deploy", app, "--zip", proj, "--wait"); r.Code != 0 {
		t.Fatalf("dockerfile upload: %d\n%s%s", r.Code, r.Stdout, r.Stderr)
	}
	if body := s.MustGet(app+".test", "/"); body != "hello-arg" {
		t.Fatalf("the build argument and target gave %q", body)
	}

	// An external builder from the host's PATH.
	s.MustCLI("apps", "update", app, "--build-type", "nixpacks", "--build-context", "")
	if r := s.CLI("deploy", app, "--zip", writeTree(t, map[string]string{"message.txt": "built-by-nixpacks", "package.json": "{}"}), "--wait"); r.Code != 0 ||
		!strings.Contains(r.Stdout, "fake nixpacks: building") {
		t.Fatalf("nixpacks: %d\n%s%s", r.Code, r.Stdout, r.Stderr)
	}
	if body := s.MustGet(app+".test", "/"); body != "built-by-nixpacks" {
		t.Fatalf("the nixpacks build serves %q", body)
	}

	// Railpack is not installed: the deploy fails saying so; nothing changes.
	s.MustCLI("apps", "update", app, "--build-type", "railpack")
	r := s.CLI("deploy", app, "--zip", site, "--wait")
	if r.Code == 0 || !strings.Contains(r.Stderr, "needs the railpack CLI on the PATH of the worker") {
		t.Fatalf("railpack missing: %d\n%s%s", r.Code, r.Stdout, r.Stderr)
	}
	if body := s.MustGet(app+".test", "/"); body != "built-by-nixpacks" {
		t.Fatalf("after the failed build the app serves %q", body)
	}

	// Unsafe uploads are refused before anything is recorded.
	before := len(s.Deployments(app))
	evil := writeTree(t, map[string]string{"index.html": "x"})
	os.Symlink("/etc/passwd", filepath.Join(evil, "passwd"))
	if r := s.CLI("deploy", app, "--zip", evil); r.Code == 0 || !strings.Contains(r.Stderr, "symlinks are not allowed") {
		t.Fatalf("a symlink: %d %s", r.Code, r.Stderr)
	}
	notZip := filepath.Join(t.TempDir(), "x.zip")
	os.WriteFile(notZip, []byte("not a zip"), 0o644)
	if r := s.CLI("deploy", app, "--zip", notZip); r.Code == 0 || !strings.Contains(r.Stderr, "not a ZIP archive") {
		t.Fatalf("not a zip: %d %s", r.Code, r.Stderr)
	}
	if after := len(s.Deployments(app)); after != before {
		t.Fatalf("refused uploads made deployments (%d → %d)", before, after)
	}
	if entries, _ := os.ReadDir(filepath.Join(s.DataDir, "uploads")); len(entries) != 0 {
		t.Fatalf("uploads left on disk: %v", entries)
	}

	symlinkAttacks(t, s)
}

// symlinkAttacks: a repository that commits a symlink out of its checkout
// (x -> ../../…/.. is the host's /) cannot publish the host's files
// through any build type: the static directory, the build context and the
// Dockerfile are resolved inside the repository, and external builders,
// which may follow links, refuse a tree with one that leads out. Each
// refusal names the symlink, and nothing is served.
func symlinkAttacks(t *testing.T, s *Server) {
	t.Helper()
	app := "evil-" + randSuffix()
	CleanupApp(t, app)
	host := app + ".test"
	repo := NewRepo(t)
	repo.Commit("looks harmless", map[string]string{"Dockerfile": AppDockerfile("evil", "", ""), "message.txt": "m", "package.json": "{}"})
	if err := os.Symlink("../../../../../../../../../../../../..", filepath.Join(repo.Dir, "x")); err != nil {
		t.Fatal(err)
	}
	repo.git("add", "-A")
	repo.git("commit", "-q", "-m", "a link to /")
	s.MustCLI("apps", "create", app, "--git", repo.Dir, "--domain", host, "--build-type", "static", "--static-dir", "x/etc")
	refused := func(what, want string) {
		t.Helper()
		r := s.CLI("deploy", app, "--wait")
		if r.Code == 0 || !strings.Contains(r.Stdout+r.Stderr, want) {
			t.Fatalf("%s: %d, want %q in\n%s%s", what, r.Code, want, r.Stdout, r.Stderr)
		}
		if code, body, _ := s.Get(host, "/hostname"); code == 200 || strings.Contains(body, "root:") {
			t.Fatalf("%s: the host's files are served (%d %q)", what, code, body)
		}
	}
	refused("static_dir through the link", "the static directory x/etc leaves the repository through the symlink x")
	// The data dir's parent, reached through the link, as the build
	// context: its admin-token would be copied into the image.
	parent := strings.TrimPrefix(filepath.Dir(s.DataDir), "/")
	s.MustCLI("apps", "update", app, "--build-type", "dockerfile", "--static-dir", "", "--build-context", "x/"+parent, "--dockerfile", "data/admin-token")
	refused("build_context through the link", "the build context x/"+parent+" leaves the repository through the symlink x")
	s.MustCLI("apps", "update", app, "--build-context", "", "--dockerfile", "x/"+parent+"/data/admin-token")
	refused("dockerfile through the link", "leaves the repository through the symlink x")
	s.MustCLI("apps", "update", app, "--build-type", "nixpacks", "--dockerfile", "Dockerfile")
	refused("an external builder over a tree with the link", "the source has a symlink out of the repository")
	for _, d := range s.Deployments(app) {
		if d.Status != "failed" {
			t.Fatalf("deployment %s is %s", d.ID, d.Status)
		}
	}
}
