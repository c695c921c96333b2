// Package detect decides how to build a source tree: its Dockerfile, a
// static site, or a language project an external builder (Nixpacks,
// Railpack, Cloud Native Buildpacks) knows.
package detect

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// Build types.
const (
	Auto       = "auto"
	Dockerfile = "dockerfile"
	Static     = "static"
	Nixpacks   = "nixpacks"
	Railpack   = "railpack"
	Buildpacks = "buildpacks"
	// Compose deploys the repository's compose file as a stack (see
	// package stack and docs/stacks.md); Detect never picks it.
	Compose = "compose"
)

// Types lists the build types an app can have.
var Types = []string{Auto, Dockerfile, Static, Nixpacks, Railpack, Buildpacks, Compose}

// Valid reports whether t names a build type ("" is the old default,
// dockerfile).
func Valid(t string) bool {
	for _, x := range Types {
		if t == x {
			return true
		}
	}
	return t == ""
}

// DefaultBuilder is the Cloud Native Buildpacks builder used when an app
// names none.
const DefaultBuilder = "paketobuildpacks/builder-jammy-base"

// Tool is the CLI an external build type runs, "" for the built-in ones.
func Tool(t string) string {
	switch t {
	case Nixpacks:
		return "nixpacks"
	case Railpack:
		return "railpack"
	case Buildpacks:
		return "pack"
	}
	return ""
}

// ToolURL is where to get a build type's CLI.
func ToolURL(t string) string {
	switch t {
	case Nixpacks:
		return "https://nixpacks.com"
	case Railpack:
		return "https://railpack.com"
	case Buildpacks:
		return "https://buildpacks.io/docs/for-platform-operators/how-to/integrate-ci/pack/"
	}
	return ""
}

// Result is what Detect found.
type Result struct {
	Type string `json:"type"`
	// StaticDir is the site's directory (static builds), relative to the
	// source root; "." for the root.
	StaticDir string `json:"static_dir,omitempty"`
	// Reason says what gave it away.
	Reason string `json:"reason"`
	// Missing names the CLI the type needs that is not on the PATH.
	Missing string `json:"missing,omitempty"`
}

// manifests mark a language project, for the external builders.
var manifests = []string{"package.json", "requirements.txt", "pyproject.toml", "Pipfile", "go.mod", "Cargo.toml", "Gemfile",
	"composer.json", "pom.xml", "build.gradle", "build.gradle.kts", "mix.exs", "deno.json", "Package.swift"}

// siteDirs are where a static site's index.html is looked for, in order.
var siteDirs = []string{".", "public", "dist", "build", "site", "www", "out", "_site"}

// ErrUnknown means nothing in the tree says how to build it.
var ErrUnknown = errors.New("cannot tell how to build it")

// Detect looks at dir: a Dockerfile (at dockerfile, relative to dir) wins;
// then a language manifest (built by the first of nixpacks, railpack and
// pack on the PATH, nixpacks when none is); then an index.html at the root
// or in a usual output directory (served as a static site).
func Detect(dir, dockerfile string) (Result, error) {
	if dockerfile == "" {
		dockerfile = "Dockerfile"
	}
	if isFile(filepath.Join(dir, dockerfile)) {
		return Result{Type: Dockerfile, Reason: "found " + dockerfile}, nil
	}
	for _, m := range manifests {
		if isFile(filepath.Join(dir, m)) {
			r := Result{Type: Nixpacks, Reason: "found " + m + " and no Dockerfile"}
			for _, t := range []string{Nixpacks, Railpack, Buildpacks} {
				if _, err := exec.LookPath(Tool(t)); err == nil {
					r.Type = t
					return r, nil
				}
			}
			r.Missing = Tool(Nixpacks)
			return r, nil
		}
	}
	for _, d := range siteDirs {
		if isFile(filepath.Join(dir, d, "index.html")) {
			return Result{Type: Static, StaticDir: d, Reason: "found " + filepath.ToSlash(filepath.Join(d, "index.html")) + " and no Dockerfile"}, nil
		}
	}
	return Result{}, fmt.Errorf("%w: no Dockerfile at %s in the repository, no project manifest (%s, …) and no index.html; add a Dockerfile, or set the app's build type",
		ErrUnknown, dockerfile, strings.Join(manifests[:5], ", "))
}

func isFile(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.Mode().IsRegular()
}
