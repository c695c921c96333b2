package activities

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"github.com/distribution/reference"

	"github.com/rivetr/rivetr/internal/detect"
	"github.com/rivetr/rivetr/internal/docker"
	"github.com/rivetr/rivetr/internal/release"
	"github.com/rivetr/rivetr/schema"
)

// checkBaseImages refuses a Dockerfile that builds from an image of
// another app: one Docker engine holds every team's images, and a build
// that starts FROM (or copies --from) rivetr/<their-app>:<id>, or names a
// local image by its ID, would get that app's files. Allowed: images by
// repository name that are not Rivetr's (pulled from a registry if
// missing), and this app's own images. The ONBUILD triggers of a local
// base image meet the same rule, since they run in this build.
func (h *Host) checkBaseImages(ctx context.Context, app *schema.App, path string) error {
	df, err := os.ReadFile(path)
	if err != nil {
		return buildErr("read the Dockerfile: %v", err)
	}
	refs, err := docker.ImageRefs(string(df), app.BuildArgs)
	if err != nil {
		return buildErr("the Dockerfile's image %v", err)
	}
	return h.checkRefs(ctx, app, refs, true)
}

func (h *Host) checkRefs(ctx context.Context, app *schema.App, refs []string, triggers bool) error {
	own := release.ImageRepo(app.Name) + ":"
	for _, ref := range refs {
		named, err := reference.ParseNormalizedNamed(ref)
		if err != nil {
			return buildErr("the Dockerfile builds from %q, which is not an image name (%v); name base images by repository and tag, never by ID", ref, err)
		}
		info, ok, err := h.Docker.InspectImage(ctx, ref)
		if err != nil {
			return err
		}
		if !ok {
			continue // not on this engine: the build pulls it from its registry
		}
		name := reference.FamiliarString(reference.TagNameOnly(named))
		if _, digested := named.(reference.Digested); digested {
			if !slices.Contains(info.Digests, reference.FamiliarString(named)) {
				return buildErr("the Dockerfile's image %s is not on this Docker host under that name; name base images by repository and tag", ref)
			}
		} else if !slices.Contains(info.Tags, name) {
			// The engine resolved it as an image ID (or prefix).
			return buildErr("the Dockerfile builds from %q, which names a local image by its ID; name base images by repository and tag", ref)
		}
		for _, tag := range info.Tags {
			if strings.HasPrefix(tag, "rivetr/") && !strings.HasPrefix(tag, own) {
				return buildErr("the Dockerfile builds from %s, an image of another app; a build may start from public images and this app's own (%s*) only", ref, own)
			}
		}
		if triggers && len(info.OnBuild) > 0 {
			more, err := docker.ImageRefs(strings.Join(info.OnBuild, "\n"), nil)
			if err != nil {
				return buildErr("the ONBUILD instructions of %s: the image %v", ref, err)
			}
			if err := h.checkRefs(ctx, app, more, false); err != nil {
				return err
			}
		}
	}
	return nil
}

// rivetrImage matches a Rivetr image name in free text.
var rivetrImage = regexp.MustCompile(`rivetr/[a-z0-9][a-z0-9._-]*`)

// externalConfigs are the files in which the external builders let a
// repository name images (Nixpacks' runImage, Railpack's base images).
var externalConfigs = []string{"nixpacks.toml", "nixpacks.json", "railpack.json", "project.toml"}

// checkExternalImages is checkBaseImages for the external builders: the
// buildpacks builder image meets the same rule, and another app's image
// named in the builders' config files or in the build args is refused
// (they decide their base images from those).
func (h *Host) checkExternalImages(ctx context.Context, typ, dir string, app *schema.App) error {
	if typ == detect.Buildpacks && app.Builder != "" {
		if err := h.checkRefs(ctx, app, []string{app.Builder}, true); err != nil {
			return err
		}
	}
	own := release.ImageRepo(app.Name)
	foreign := func(text, where string) error {
		for _, m := range rivetrImage.FindAllString(text, -1) {
			if m != own {
				return buildErr("%s names %s, an image of another app; a build may start from public images and this app's own only", where, m)
			}
		}
		return nil
	}
	for k, v := range app.BuildArgs {
		if err := foreign(v, "the build arg "+k); err != nil {
			return err
		}
	}
	for _, name := range externalConfigs {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			continue
		}
		if err := foreign(string(b), name); err != nil {
			return err
		}
	}
	return nil
}
