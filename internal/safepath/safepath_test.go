package safepath

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// tree makes a repository-like tree with the symlinks an attacker commits.
func tree(t testing.TB) string {
	t.Helper()
	return makeTree(t, t.TempDir())
}

func makeTree(t testing.TB, dir string) string {
	root := filepath.Join(dir, "src")
	for _, d := range []string{"app/public", "app/deep/er", "docs"} {
		if err := os.MkdirAll(filepath.Join(root, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	links := map[string]string{
		"x":              "../../../../../../../../../..", // the host's /
		"abs":            "/etc",
		"app/up":         "../..",        // the checkout's parent
		"app/site":       "public",       // inside: fine
		"app/deep/er/ok": "../../public", // inside, through two levels
		"app/deep/sneak": "er/../../../../outside",
		"loop":           "loop",
		"docs/back":      "../app", // inside
		"docs/chain":     "back/up",
	}
	for name, target := range links {
		if err := os.Symlink(target, filepath.Join(root, name)); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

func TestResolve(t *testing.T) {
	root := tree(t)
	for _, tc := range []struct {
		rel  string
		want string // relative to root; "" for an escape
		link string // the symlink the refusal names
	}{
		{"app/public", "app/public", ""},
		{".", "", ""}, // the root itself: want is root
		{"app/site", "app/public", ""},
		{"app/deep/er/ok", "app/public", ""},
		{"docs/back/public", "app/public", ""},
		{"app/missing/file", "app/missing/file", ""},
		{"app/missing/../public", "app/public", ""},
		{"x/etc", "", "x"},
		{"x", "", "x"},
		{"abs", "", "abs"},
		{"app/up/tmp", "", "app/up"},
		{"app/deep/sneak", "", "app/deep/sneak"},
		{"docs/chain/etc", "", "app/up"},
		{"../outside", "", ""},
		{"app/../../outside", "", ""},
		{"/etc", "", ""},
		{"app/missing/../../../x", "", ""},
	} {
		got, err := Resolve(root, tc.rel)
		if tc.rel == "." {
			if err != nil || got != root {
				t.Errorf(".: %q %v", got, err)
			}
			continue
		}
		if tc.want != "" {
			if err != nil || got != filepath.Join(root, tc.want) {
				t.Errorf("%s: %q %v, want %s", tc.rel, got, err, tc.want)
			}
			continue
		}
		var e *EscapeError
		if !errors.As(err, &e) || !errors.Is(err, ErrEscapes) {
			t.Errorf("%s: %q %v, want an escape", tc.rel, got, err)
			continue
		}
		if e.Link != tc.link {
			t.Errorf("%s: the refusal names %q, want %q (%v)", tc.rel, e.Link, tc.link, err)
		}
		if tc.link != "" && !strings.Contains(err.Error(), "through the symlink "+tc.link) {
			t.Errorf("%s: %v", tc.rel, err)
		}
	}
	if _, err := Resolve(root, "loop/x"); err == nil || !strings.Contains(err.Error(), "too many symlinks") {
		t.Errorf("a loop: %v", err)
	}
}

func TestCheckTree(t *testing.T) {
	root := tree(t)
	if err := CheckTree(filepath.Join(root, "app", "public")); err != nil {
		t.Errorf("a tree without links out: %v", err)
	}
	if err := CheckTree(root); !errors.Is(err, ErrEscapes) {
		t.Errorf("a tree with links out: %v", err)
	}
}

// FuzzResolve: whatever the path, a resolved one is inside the root.
func FuzzResolve(f *testing.F) {
	for _, s := range []string{"x/etc", "app/up/..", "docs/chain", "a/../../b", "./app//public/", "..", "app/deep/er/ok/../../.."} {
		f.Add(s)
	}
	root := tree(f)
	f.Fuzz(func(t *testing.T, rel string) {
		got, err := Resolve(root, rel)
		if err != nil {
			return
		}
		if got != root && !strings.HasPrefix(got, root+string(filepath.Separator)) {
			t.Fatalf("%q resolved to %q, outside %q", rel, got, root)
		}
		if real, err := filepath.EvalSymlinks(got); err == nil {
			if real != root && !strings.HasPrefix(real, root+string(filepath.Separator)) {
				t.Fatalf("%q resolved to %q, which is really %q", rel, got, real)
			}
		}
	})
}
