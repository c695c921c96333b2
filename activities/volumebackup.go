package activities

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/rivetr/rivetr/internal/docker"
	"github.com/rivetr/rivetr/internal/release"
	"github.com/rivetr/rivetr/schema"
)

// Backups of apps' volumes. The volume is read and written by a helper
// container of the tools image (rivetr-static alone, FROM scratch: no
// shell, no network), so nothing depends on what the app's image holds.
// A backup reads the files while the app runs; a restore stops the app's
// container (the proxy holding its requests), replaces the volume's files
// and starts it again.

// toolsImage builds, once per rivetr-static binary, the helper image
// volumes are packed and unpacked with, and returns its tag.
func (bk *Backups) toolsImage(ctx context.Context) (string, error) {
	bin, err := findStaticServer(bk.StaticServer)
	if err != nil {
		return "", nonRetryable(ErrTypeBackup, "volume backups use rivetr-static, which is not next to rivetr nor on the PATH of this host's worker (make build puts it in bin/)")
	}
	f, err := os.Open(bin)
	if err != nil {
		return "", err
	}
	h := sha256.New()
	_, err = io.Copy(h, f)
	f.Close()
	if err != nil {
		return "", err
	}
	tag := "rivetr-tools:" + hex.EncodeToString(h.Sum(nil))[:16]
	if ok, err := bk.Docker.ImageExists(ctx, tag); err != nil || ok {
		return tag, err
	}
	dir, err := os.MkdirTemp(bk.Dir, "tools-")
	if err != nil {
		if err := os.MkdirAll(bk.Dir, 0o700); err != nil {
			return "", err
		}
		if dir, err = os.MkdirTemp(bk.Dir, "tools-"); err != nil {
			return "", err
		}
	}
	defer os.RemoveAll(dir)
	if err := copyFile(bin, filepath.Join(dir, "rivetr-static"), 0o755); err != nil {
		return "", err
	}
	df := "FROM scratch\nCOPY rivetr-static /rivetr-static\nLABEL rivetr.managed=true\nENTRYPOINT [\"/rivetr-static\"]\n"
	if err := os.WriteFile(filepath.Join(dir, "Dockerfile"), []byte(df), 0o644); err != nil {
		return "", err
	}
	if _, err := bk.Docker.Build(ctx, docker.BuildSpec{ContextDir: dir, Dockerfile: "Dockerfile", Tag: tag}, func(string) {}); err != nil {
		return "", fmt.Errorf("build the volume tools image: %w", err)
	}
	return tag, nil
}

// appVolume loads a backup's volume, its app and its Docker name, refusing
// a Docker volume this installation did not make for the app.
func (bk *Backups) appVolume(ctx context.Context, volumeID string) (*schema.Volume, *schema.App, string, error) {
	v, err := bk.Store.GetVolume(ctx, volumeID)
	if err != nil {
		return nil, nil, "", gone(err)
	}
	app, err := bk.Store.GetApp(ctx, v.AppID)
	if err != nil {
		return nil, nil, "", gone(err)
	}
	name := release.AppVolume(app.ID, v.Name)
	labels, ok, err := bk.Docker.VolumeLabels(ctx, name)
	switch {
	case err != nil:
		return nil, nil, "", err
	case !ok:
		return nil, nil, "", nonRetryable(ErrTypeBackup, "volume %s of %s has no data on this host yet: it is created at the app's next deployment", v.Name, app.Name)
	case labels[docker.LabelAppID] != app.ID || !docker.Ours(labels, bk.Instance):
		return nil, nil, "", nonRetryable(ErrTypeBackup, "the Docker volume %s was not made for %s by this installation; it is not backed up or restored", name, app.Name)
	}
	return v, app, name, nil
}

func (bk *Backups) helperLabels(app *schema.App) map[string]string {
	return map[string]string{docker.LabelManaged: "true", docker.LabelApp: app.Name, docker.LabelTeam: app.TeamID, docker.LabelInstance: bk.Instance}
}

// appVolumeSource packs a backup's volume, read-only, as it is now.
func (bk *Backups) appVolumeSource(ctx context.Context, b *schema.Backup) (func(io.Writer) error, error) {
	_, app, name, err := bk.appVolume(ctx, b.DatabaseID)
	if err != nil {
		return nil, err
	}
	image, err := bk.toolsImage(ctx)
	if err != nil {
		return nil, err
	}
	return func(w io.Writer) error {
		return bk.Docker.RunOnce(ctx, docker.OnceSpec{Image: image, Cmd: []string{"/rivetr-static", "volume-pack", "/volume"},
			Volume: name, Path: "/volume", ReadOnly: true, Stdout: w, Labels: bk.helperLabels(app)})
	}, nil
}

// restoreAppVolume replaces a volume's files with a backup's (r, the
// unpacked tar stream): the app's serving container is stopped meanwhile,
// with the proxy holding its requests, and started again (and routed to)
// whatever happens.
func (bk *Backups) restoreAppVolume(ctx context.Context, b *schema.Backup, r io.Reader) error {
	v, app, name, err := bk.appVolume(ctx, b.DatabaseID)
	if err != nil {
		return err
	}
	image, err := bk.toolsImage(ctx)
	if err != nil {
		return err
	}
	var serving *schema.Deployment
	if app.CurrentDeploymentID != "" {
		if d, err := bk.Store.GetDeployment(ctx, app.CurrentDeploymentID); err == nil && d.ContainerID != "" {
			serving = d
		}
	}
	if serving != nil {
		if bk.Router != nil {
			if err := bk.Router.Hold(ctx, app.Name, release.MaxHold); err != nil {
				return fmt.Errorf("holding %s's requests: %w", app.Name, err)
			}
			defer bk.Router.Release(context.WithoutCancel(ctx), app.Name)
			_, _ = bk.Router.Quiesce(ctx, app.Name, app.DrainTimeout.D())
		}
		if err := bk.Docker.Stop(ctx, serving.ContainerID, stopGrace); err != nil && !errors.Is(err, docker.ErrNotFound) {
			return err
		}
		defer bk.startAgain(context.WithoutCancel(ctx), app, serving)
	}
	err = bk.Docker.RunOnce(ctx, docker.OnceSpec{Image: image, Cmd: []string{"/rivetr-static", "volume-unpack", "/volume"},
		Volume: name, Path: "/volume", Stdin: r, Labels: bk.helperLabels(app)})
	var ee *docker.ExecError
	if errors.As(err, &ee) {
		return nonRetryable(ErrTypeBackup, "unpacking backup %s into volume %s failed: %v", b.ID, v.Name, err)
	}
	return err
}

// startAgain starts the serving container after a restore and points the
// app's route at its address (which may have changed), which ends the
// hold.
func (bk *Backups) startAgain(ctx context.Context, app *schema.App, d *schema.Deployment) {
	if err := bk.Docker.Start(ctx, d.ContainerID); err != nil {
		return
	}
	network := release.TeamNetwork(bk.Network, app.TeamID)
	for i := 0; i < 100; i++ {
		st, err := bk.Docker.Inspect(ctx, d.ContainerID, network)
		if err != nil || !st.Running {
			return
		}
		if st.IP != "" {
			url := "http://" + net.JoinHostPort(st.IP, strconv.Itoa(app.Port))
			answers(ctx, url+app.HealthPath, min(app.HealthDeadline.D(), time.Minute))
			if bk.Router != nil {
				if _, err := bk.Router.Switch(app.Name, app.Domains, d.ID, url); err == nil {
					bk.Router.Drain(ctx, d.ID, 0)
				}
			}
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// answers waits up to within for url to answer 2xx or 3xx, so the held
// requests go to an app that serves, not one still starting.
func answers(ctx context.Context, url string, within time.Duration) bool {
	client := &http.Client{Timeout: 2 * time.Second, Transport: &http.Transport{DisableKeepAlives: true},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	deadline := time.Now().Add(within)
	for wait := 10 * time.Millisecond; time.Now().Before(deadline); wait = min(2*wait, time.Second) {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if res, err := client.Do(req); err == nil {
			res.Body.Close()
			if res.StatusCode >= 200 && res.StatusCode < 400 {
				return true
			}
		}
		time.Sleep(wait)
	}
	return false
}
