package activities

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rivetr/rivetr/internal/detect"
	"github.com/rivetr/rivetr/internal/docker"
	"github.com/rivetr/rivetr/schema"
)

// localImages answers InspectImage from a fixed set, resolving names and
// ID prefixes as the engine does.
type localImages struct {
	HostRuntime
	images []docker.ImageInfo
}

func (l localImages) InspectImage(_ context.Context, ref string) (docker.ImageInfo, bool, error) {
	for _, im := range l.images {
		for _, tag := range im.Tags {
			if tag == ref || tag == ref+":latest" {
				return im, true, nil
			}
		}
	}
	for _, im := range l.images {
		if len(ref) >= 4 && strings.HasPrefix(im.ID, "sha256:"+ref) {
			return im, true, nil
		}
	}
	return docker.ImageInfo{}, false, nil
}

// The attacks the e2e test cannot run without the external builders'
// CLIs, and the rules' edges: another app's image as a buildpacks
// builder, in a builder's config file or a build arg, behind an ONBUILD
// trigger of an allowed base, or by ID; public and own images pass.
func TestBaseImagesOfOtherAppsAreRefused(t *testing.T) {
	h := &Host{Docker: localImages{images: []docker.ImageInfo{
		{ID: "sha256:aaaa1111", Tags: []string{"rivetr/victim:d1"}},
		{ID: "sha256:bbbb2222", Tags: []string{"rivetr/mine:d0"}},
		{ID: "sha256:cccc3333", Tags: []string{"node:20"}},
		{ID: "sha256:dddd4444", Tags: []string{"sneaky/base:1"}, OnBuild: []string{"COPY --from=rivetr/victim:d1 / /loot"}},
		{ID: "sha256:eeee5555"}, // an untagged layer of some build
	}}}
	app := &schema.App{Name: "mine", TeamID: "t2"}
	ctx := context.Background()
	dockerfile := func(body string) error {
		p := filepath.Join(t.TempDir(), "Dockerfile")
		os.WriteFile(p, []byte(body), 0o644)
		return h.checkBaseImages(ctx, app, p)
	}
	for body, want := range map[string]string{
		"FROM node:20\n":                           "",
		"FROM rivetr/mine:d0\n":                    "",
		"FROM debian:12\n":                         "", // not local: pulled
		"FROM rivetr/victim:d1\n":                  "another app",
		"FROM sneaky/base:1\n":                     "another app",
		"FROM eeee5555\n":                          "by its ID",
		"FROM aaaa1111\n":                          "by its ID",
		"FROM node:20\nCOPY --from=aaaa1111 / /\n": "by its ID",
	} {
		err := dockerfile(body)
		if want == "" && err != nil || want != "" && (err == nil || !strings.Contains(err.Error(), want)) {
			t.Errorf("%q: %v, want %q", body, err, want)
		}
	}

	dir := t.TempDir()
	pack := &schema.App{Name: "mine", Builder: "rivetr/victim:d1"}
	if err := h.checkExternalImages(ctx, detect.Buildpacks, dir, pack); err == nil || !strings.Contains(err.Error(), "another app") {
		t.Errorf("another app's image as the builder: %v", err)
	}
	os.WriteFile(filepath.Join(dir, "nixpacks.toml"), []byte("[start]\nrunImage = 'rivetr/victim:d1'\n"), 0o644)
	if err := h.checkExternalImages(ctx, "nixpacks", dir, app); err == nil || !strings.Contains(err.Error(), "nixpacks.toml names rivetr/victim") {
		t.Errorf("another app's image in nixpacks.toml: %v", err)
	}
	os.WriteFile(filepath.Join(dir, "nixpacks.toml"), []byte("[start]\nrunImage = 'rivetr/mine:d0'\n"), 0o644)
	if err := h.checkExternalImages(ctx, "nixpacks", dir, app); err != nil {
		t.Errorf("its own image in nixpacks.toml: %v", err)
	}
	args := &schema.App{Name: "mine", BuildArgs: map[string]string{"RUN_IMAGE": "rivetr/victim:d1"}}
	if err := h.checkExternalImages(ctx, "railpack", t.TempDir(), args); err == nil || !strings.Contains(err.Error(), "build arg RUN_IMAGE") {
		t.Errorf("another app's image in a build arg: %v", err)
	}
}
