package activities

import (
	"context"
	"io"
	"log/slog"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/rivetr/rivetr/internal/docker"
	"github.com/rivetr/rivetr/internal/egress"
	"github.com/rivetr/rivetr/internal/proxy"
	"github.com/rivetr/rivetr/schema"
)

// HostStore is what the host steps of a release read and write.
type HostStore interface {
	deploymentReader
	ListDeployments(ctx context.Context, f schema.DeploymentFilter) ([]schema.Deployment, error)
	ListEnv(ctx context.Context, appID string) ([]schema.EnvVar, error)
	AppCredentials(app *schema.App) (token, sshKey string, err error)
	UpdateDeployment(ctx context.Context, id string, u schema.DeploymentUpdate) error
	SetCurrentDeployment(ctx context.Context, appID, deploymentID string) error
	AppendLogs(ctx context.Context, lines []schema.LogLine) error
	ListVolumes(ctx context.Context, appID string) ([]schema.Volume, error)
}

var _ HostStore = (*schema.Store)(nil)

// HostRuntime is the part of the Docker engine the release steps use.
type HostRuntime interface {
	EnsureNetwork(ctx context.Context, name string) error
	Build(ctx context.Context, spec docker.BuildSpec, out func(line string)) (string, error)
	Run(ctx context.Context, spec docker.RunSpec) (string, error)
	Inspect(ctx context.Context, id, network string) (docker.State, error)
	Logs(ctx context.Context, id string, tail int, follow bool, w io.Writer) error
	Remove(ctx context.Context, id string, grace time.Duration) error
	Stop(ctx context.Context, id string, grace time.Duration) error
	Start(ctx context.Context, id string) error
	Connect(ctx context.Context, network, id string, aliases []string) error
	Containers(ctx context.Context, labels map[string]string) ([]docker.Container, error)
	Images(ctx context.Context, repo string) ([]docker.Image, error)
	ImageExists(ctx context.Context, ref string) (bool, error)
	InspectImage(ctx context.Context, ref string) (docker.ImageInfo, bool, error)
	RemoveImage(ctx context.Context, ref string) error
	EnsureVolume(ctx context.Context, name string, labels map[string]string) error
	VolumeLabels(ctx context.Context, name string) (map[string]string, bool, error)
	Volumes(ctx context.Context, labels map[string]string) ([]string, error)
	RemoveVolume(ctx context.Context, name string) error
}

var _ HostRuntime = (*docker.Client)(nil)

// Router is the part of the proxy the release steps use.
type Router interface {
	Switch(app string, domains []string, deployment, targetURL string) (string, error)
	Drain(ctx context.Context, deployment string, timeout time.Duration) int
	Remove(app string) (string, error)
	SetDomains(app string, domains []string) (bool, error)
	// Hold, Release and Quiesce serve stop-first releases (see
	// proxy.Router.Hold).
	Hold(ctx context.Context, app string, bound time.Duration) error
	Release(ctx context.Context, app string) error
	Quiesce(ctx context.Context, app string, timeout time.Duration) (int, error)
	// Routes is the table (a stack's routes are keyed release.RouteKey).
	Routes() []proxy.Route
}

// Certs is the part of the proxy's certificate manager activities use.
type Certs interface {
	Renew(ctx context.Context, host string) error
}

// Host runs the steps of a release that touch a Docker host and its
// proxy: fetch the source, build, start the candidate, check its health,
// switch traffic, drain and retire the old version, clean up after a
// failure, remove an app. It is registered on that host's task queue only.
type Host struct {
	Store  HostStore
	Docker HostRuntime
	Router Router
	// Certs renews this host's certificates; nil when it serves no HTTPS.
	Certs   Certs
	WorkDir string // build workspaces, one directory per deployment
	Network string // base of the team networks candidates join (release.TeamNetwork)
	// Instance is this installation's ID (docker.LabelInstance).
	Instance string
	// UploadDir holds uploaded archives until their build.
	UploadDir string
	// StaticServer is the rivetr-static binary static sites are served
	// by; "" looks next to this executable, then on the PATH.
	StaticServer string
	// AllowLocalGit lets checkouts read file:// URLs and paths on this
	// host (off: they could read any repository here).
	AllowLocalGit bool
	// Egress is where git remotes may be reached (see package egress).
	Egress *egress.Policy
	// Images replaces images stacks name (hosts that cannot pull).
	Images map[string]string
	Log    *slog.Logger
}

// sourceOf is the app whose settings a preview borrows: its parent (the
// app itself when it is no preview).
func (h *Host) sourceOf(ctx context.Context, app *schema.App) (*schema.App, error) {
	if app.PreviewOf == "" {
		return app, nil
	}
	parent, err := h.Store.GetApp(ctx, app.PreviewOf)
	if err != nil {
		return nil, gone(err)
	}
	return parent, nil
}

// envOf is the env a container of d starts with: PORT, then the vars of
// d's release (for deployments from before releases were recorded, the
// app's vars now); a preview gets its parent's vars with the parent's
// preview overrides on top.
func (h *Host) envOf(ctx context.Context, d *schema.Deployment, app *schema.App) ([]string, error) {
	spec, err := h.Store.DeploymentSpec(d)
	if err != nil {
		return nil, secretErr(err)
	}
	if spec == nil {
		src, err := h.sourceOf(ctx, app)
		if err != nil {
			return nil, err
		}
		vars, err := h.Store.ListEnv(ctx, src.ID)
		if err != nil {
			return nil, secretErr(err)
		}
		spec = &schema.ReleaseSpec{PreviewEnv: src.PreviewEnv}
		for _, v := range vars {
			spec.Env = append(spec.Env, schema.SpecVar{Key: v.Key, Value: v.Value})
		}
	}
	env := []string{"PORT=" + strconv.Itoa(app.Port)}
	for _, v := range spec.Env {
		if _, over := spec.PreviewEnv[v.Key]; over && app.PreviewOf != "" {
			continue
		}
		env = append(env, v.Key+"="+v.Value)
	}
	if app.PreviewOf != "" {
		keys := make([]string, 0, len(spec.PreviewEnv))
		for k := range spec.PreviewEnv {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			env = append(env, k+"="+spec.PreviewEnv[k])
		}
	}
	return env, nil
}

func (h *Host) workspace(id string) string { return filepath.Join(h.WorkDir, id) }

// lastLogs returns a container's last n lines, formatted for a failure reason.
func (h *Host) lastLogs(ctx context.Context, id string, n int) string {
	var b strings.Builder
	lctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	_ = h.Docker.Logs(lctx, id, n, false, &b)
	out := strings.TrimSpace(b.String())
	if out == "" {
		return "; the container printed nothing"
	}
	return "; last container output:\n" + out
}
