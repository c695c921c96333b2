package detect

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func tree(t *testing.T, files ...string) string {
	t.Helper()
	dir := t.TempDir()
	for _, f := range files {
		p := filepath.Join(dir, f)
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestDetect(t *testing.T) {
	t.Setenv("PATH", t.TempDir()) // no external builder installed
	for _, tc := range []struct {
		name       string
		files      []string
		dockerfile string
		want       Result
	}{
		{"dockerfile wins", []string{"Dockerfile", "package.json", "index.html"}, "", Result{Type: Dockerfile, Reason: "found Dockerfile"}},
		{"dockerfile elsewhere", []string{"deploy/app.Dockerfile"}, "deploy/app.Dockerfile", Result{Type: Dockerfile, Reason: "found deploy/app.Dockerfile"}},
		{"node", []string{"package.json", "public/index.html"}, "", Result{Type: Nixpacks, Reason: "found package.json and no Dockerfile", Missing: "nixpacks"}},
		{"go", []string{"go.mod", "main.go"}, "", Result{Type: Nixpacks, Reason: "found go.mod and no Dockerfile", Missing: "nixpacks"}},
		{"site at the root", []string{"index.html", "style.css"}, "", Result{Type: Static, StaticDir: ".", Reason: "found index.html and no Dockerfile"}},
		{"built site", []string{"README.md", "dist/index.html"}, "", Result{Type: Static, StaticDir: "dist", Reason: "found dist/index.html and no Dockerfile"}},
	} {
		got, err := Detect(tree(t, tc.files...), tc.dockerfile)
		if err != nil || got != tc.want {
			t.Errorf("%s: %+v %v, want %+v", tc.name, got, err, tc.want)
		}
	}
	if _, err := Detect(tree(t, "README.md", "docs/index.md"), ""); !errors.Is(err, ErrUnknown) {
		t.Fatalf("nothing to go on: %v", err)
	}
	// A directory named like a file does not count.
	if _, err := Detect(tree(t, "Dockerfile/x"), ""); !errors.Is(err, ErrUnknown) {
		t.Fatalf("a Dockerfile directory: %v", err)
	}
}

// With pack installed (and not nixpacks or railpack), manifests build with
// pack.
func TestDetectPicksAnInstalledBuilder(t *testing.T) {
	bin := t.TempDir()
	os.WriteFile(filepath.Join(bin, "pack"), []byte("#!/bin/sh\n"), 0o755)
	t.Setenv("PATH", bin)
	got, err := Detect(tree(t, "requirements.txt"), "")
	if err != nil || got.Type != Buildpacks || got.Missing != "" {
		t.Fatalf("%+v %v", got, err)
	}
}
