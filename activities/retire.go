package activities

import (
	"context"
	"errors"
	"os"
	"strings"
	"time"

	"github.com/rivetr/rivetr/internal/detect"
	"github.com/rivetr/rivetr/internal/docker"
	"github.com/rivetr/rivetr/internal/release"
	"github.com/rivetr/rivetr/schema"
)

// RemoveOld stops and removes the containers of the app's deployments older
// than Keep, orphans of crashed deploys included. Newer deployments' containers
// (a deploy that started meanwhile) are left alone: deployment IDs sort by
// creation time. Containers get docker's usual grace (SIGTERM, then SIGKILL
// after 10s) to finish background work.
func (h *Host) RemoveOld(ctx context.Context, in RemoveOldInput) error {
	stop := heartbeat(ctx, 3*time.Second)
	defer stop()
	app, err := h.Store.GetApp(ctx, in.App)
	if errors.Is(err, schema.ErrNotFound) {
		return nil // deleted meanwhile: its removal takes everything
	} else if err != nil {
		return err
	}
	containers, err := h.ownContainers(ctx, app)
	if err != nil {
		return err
	}
	for _, c := range containers {
		if c.Labels[docker.LabelDeployment] >= in.Keep {
			continue
		}
		if err := h.Docker.Remove(ctx, c.ID, 10*time.Second); err != nil {
			return err
		}
		_ = h.Store.AppendLogs(ctx, []schema.LogLine{{DeploymentID: in.Keep, Time: time.Now().UTC(), Stream: "system", Text: "stopped and removed old container " + c.Name}})
	}
	// The old containers gone, no one mounts a volume the app no longer
	// has: its data goes (rivetr volumes remove said so).
	keep := map[string]bool{}
	vs, err := h.Store.ListVolumes(ctx, app.ID)
	if err != nil {
		return err
	}
	for _, v := range vs {
		keep[release.AppVolume(app.ID, v.Name)] = true
	}
	removed, err := h.removeVolumes(ctx, app, keep, true)
	for _, name := range removed {
		_ = h.Store.AppendLogs(ctx, []schema.LogLine{{DeploymentID: in.Keep, Time: time.Now().UTC(), Stream: "system", Text: "removed volume " + name + " and its data: the app no longer has it"}})
	}
	return err
}

// removeVolumes removes app's volumes on this host (by its ID, made by
// this installation) but those in keep; a volume still in use stays
// (logged) for the next round.
func (h *Host) removeVolumes(ctx context.Context, app *schema.App, keep map[string]bool, keepStack bool) ([]string, error) {
	names, err := h.Docker.Volumes(ctx, map[string]string{docker.LabelAppID: app.ID})
	if err != nil {
		return nil, err
	}
	var removed []string
	for _, name := range names {
		// A stack's volumes stay while the app does (one dropped from the
		// compose file keeps its data until the app is deleted).
		if keep[name] || keepStack && strings.HasPrefix(name, release.StackVolume(app.ID, "")) {
			continue
		}
		if labels, ok, err := h.Docker.VolumeLabels(ctx, name); err != nil || !ok || !docker.Ours(labels, h.Instance) {
			continue
		}
		if err := h.Docker.RemoveVolume(ctx, name); err != nil {
			h.Log.Warn("remove volume", "app", app.Name, "volume", name, "err", err)
			continue
		}
		removed = append(removed, name)
	}
	return removed, nil
}

// Cleanup removes a failed or cancelled deployment's container and
// workspace. It is safe to run for a deployment that left nothing.
func (h *Host) Cleanup(ctx context.Context, in CleanupInput) error {
	containers, err := h.Docker.Containers(ctx, map[string]string{docker.LabelDeployment: in.DeploymentID})
	if err != nil {
		return err
	}
	for _, c := range containers {
		if err := h.Docker.Remove(ctx, c.ID, time.Second); err != nil { // it never served: no need to wait
			return err
		}
	}
	if err := os.RemoveAll(h.workspace(in.DeploymentID)); err != nil {
		return err
	}
	if len(containers) > 0 {
		msg := "removed the new container; it never received traffic"
		if d, err := h.Store.GetDeployment(ctx, in.DeploymentID); err == nil {
			if app, err := h.Store.GetApp(ctx, d.AppID); err == nil {
				if app.CurrentDeploymentID != "" && app.CurrentDeploymentID != in.DeploymentID {
					msg += "; deployment " + app.CurrentDeploymentID + " keeps serving"
				} else {
					msg += "; nothing served before it, so the app has no running version yet"
				}
			}
		}
		_ = h.Store.AppendLogs(ctx, []schema.LogLine{{DeploymentID: in.DeploymentID, Time: time.Now().UTC(), Stream: "system", Text: msg}})
	}
	return nil
}

// PruneImages removes the app's images except those of the newest Keep
// deployments that succeeded (which rollbacks may need) and the one serving.
func (h *Host) PruneImages(ctx context.Context, in PruneInput) error {
	app, err := h.Store.GetApp(ctx, in.AppID)
	if err != nil {
		return gone(err)
	}
	deps, err := h.Store.ListDeployments(ctx, schema.DeploymentFilter{AppID: in.AppID, Statuses: []release.Status{release.StatusSucceeded, release.StatusRolledBack}})
	if err != nil {
		return err
	}
	releases := make([]release.Release, len(deps))
	for i, d := range deps {
		releases[i] = release.Release{ID: d.ID, Image: d.Image}
	}
	if app.BuildType == detect.Compose {
		return h.pruneStackImages(ctx, app, releases, in)
	}
	images, err := h.ownImages(ctx, app)
	if err != nil {
		return err
	}
	imgs := make([]release.Image, len(images))
	for i, img := range images {
		imgs[i] = release.Image{ID: img.ID, Tags: img.Tags}
	}
	plan := release.ImagePrune{Keep: in.Keep, Serving: app.CurrentDeploymentID, Current: in.Current}
	for _, ref := range plan.Plan(releases, imgs) {
		if err := h.Docker.RemoveImage(ctx, ref); err != nil {
			h.Log.Warn("prune image", "app", in.App, "image", ref, "err", err)
		}
	}
	return nil
}

// pruneStackImages removes a stack's service images but those of the
// deployments whose images the newest Keep releases run (a rollback runs
// an older deployment's), the serving one's and newer ones'. A stack's
// images are tagged by the deployment that built them, in repositories
// named by the app's ID.
func (h *Host) pruneStackImages(ctx context.Context, app *schema.App, releases []release.Release, in PruneInput) error {
	images, err := h.Docker.Images(ctx, strings.TrimSuffix(release.ServiceImage(app.ID, "*", ""), ":"))
	if err != nil {
		return err
	}
	built := map[string][]string{} // deployment → its images' tags
	for _, img := range images {
		for _, t := range img.Tags {
			if _, dep, ok := strings.Cut(t, ":"); ok {
				built[dep] = append(built[dep], t)
			}
		}
	}
	// The planner on deployments instead of images: each release "runs"
	// the deployment its routed image was built by.
	runs := make([]release.Release, len(releases))
	for i, r := range releases {
		by := r.ID
		if _, tag, ok := strings.Cut(r.Image, ":"); ok && strings.HasPrefix(r.Image, "rivetr-stack/") {
			by = tag
		}
		runs[i] = release.Release{ID: r.ID, Image: "built:" + by}
	}
	var builds []release.Image
	for dep := range built {
		builds = append(builds, release.Image{ID: dep, Tags: []string{"built:" + dep}})
	}
	plan := release.ImagePrune{Keep: in.Keep, Serving: app.CurrentDeploymentID, Current: in.Current}
	for _, ref := range plan.Plan(runs, builds) {
		_, dep, _ := strings.Cut(ref, ":")
		for _, tag := range built[dep] {
			if err := h.Docker.RemoveImage(ctx, tag); err != nil {
				h.Log.Warn("prune image", "app", app.Name, "image", tag, "err", err)
			}
		}
	}
	return nil
}

// RemoveApp removes an app's route, containers, images and workspaces from
// this host.
func (h *Host) RemoveApp(ctx context.Context, in RemoveAppInput) error {
	prev, err := h.Router.Remove(in.App)
	if err != nil {
		return err
	}
	if prev != "" {
		h.Router.Drain(ctx, prev, 5*time.Second)
	}
	for _, rt := range h.Router.Routes() { // its stack routes' too
		if name, svc := release.SplitRouteKey(rt.App); name == in.App && svc != "" {
			if prev, err := h.Router.Remove(rt.App); err != nil {
				return err
			} else if prev != "" {
				h.Router.Drain(ctx, prev, 5*time.Second)
			}
		}
	}
	// The record goes after this step; without it nothing here can be
	// told to be ours.
	app, err := h.Store.GetApp(ctx, in.AppID)
	if errors.Is(err, schema.ErrNotFound) {
		app = &schema.App{ID: in.AppID, Name: in.App}
	} else if err != nil {
		return err
	}
	containers, err := h.ownContainers(ctx, app)
	if err != nil {
		return err
	}
	for _, c := range containers {
		if err := h.Docker.Remove(ctx, c.ID, 10*time.Second); err != nil {
			return err
		}
		_ = os.RemoveAll(h.workspace(c.Labels[docker.LabelDeployment]))
	}
	images, err := h.ownImages(ctx, app)
	if err != nil {
		return err
	}
	// A stack's service images are named by the app's ID.
	stackImages, err := h.Docker.Images(ctx, strings.TrimSuffix(release.ServiceImage(app.ID, "*", ""), ":"))
	if err != nil {
		return err
	}
	for _, img := range append(images, stackImages...) {
		for _, t := range img.Tags {
			if err := h.Docker.RemoveImage(ctx, t); err != nil {
				return err
			}
		}
	}
	// Its volumes and their data go with it (the danger zone says so).
	_, err = h.removeVolumes(ctx, app, nil, false)
	return err
}

// ownDeployments are the IDs of app's deployments in this installation's
// store.
func (h *Host) ownDeployments(ctx context.Context, app *schema.App) (map[string]bool, error) {
	deps, err := h.Store.ListDeployments(ctx, schema.DeploymentFilter{AppID: app.ID})
	if err != nil {
		return nil, err
	}
	ids := make(map[string]bool, len(deps))
	for _, d := range deps {
		ids[d.ID] = true
	}
	return ids, nil
}

// ownContainers lists app's containers on this engine that are this
// installation's: another installation sharing the engine may have an
// app of the same name, whose containers are not ours to stop. Ours are
// labelled with our instance ID (or with none, from before the label) and
// run one of our deployments.
func (h *Host) ownContainers(ctx context.Context, app *schema.App) ([]docker.Container, error) {
	cs, err := h.Docker.Containers(ctx, map[string]string{docker.LabelApp: app.Name, docker.LabelManaged: "true"})
	if err != nil {
		return nil, err
	}
	mine, err := h.ownDeployments(ctx, app)
	if err != nil {
		return nil, err
	}
	out := cs[:0]
	for _, c := range cs {
		if docker.Ours(c.Labels, h.Instance) && mine[c.Labels[docker.LabelDeployment]] {
			out = append(out, c)
		}
	}
	return out, nil
}

// ownImages lists app's images that are this installation's: tagged
// rivetr/<app>:<one of our deployments>. (Images carry no labels: each
// costs the classic builder a step.) An untagged image of the repository
// cannot be told apart and is left alone.
func (h *Host) ownImages(ctx context.Context, app *schema.App) ([]docker.Image, error) {
	images, err := h.Docker.Images(ctx, release.ImageRepo(app.Name))
	if err != nil {
		return nil, err
	}
	mine, err := h.ownDeployments(ctx, app)
	if err != nil {
		return nil, err
	}
	out := images[:0]
	for _, img := range images {
		var tags []string
		for _, t := range img.Tags {
			if _, dep, ok := strings.Cut(t, ":"); ok && mine[dep] {
				tags = append(tags, t)
			}
		}
		if len(tags) > 0 {
			img.Tags = tags
			out = append(out, img)
		}
	}
	return out, nil
}
