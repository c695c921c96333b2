package docker

import (
	"context"
	"fmt"
	"strconv"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/mount"
	"github.com/docker/docker/api/types/network"
	"github.com/docker/go-connections/nat"
)

// RunSpec describes a container to run.
type RunSpec struct {
	Name     string
	Image    string
	Env      []string
	Labels   map[string]string
	Network  string
	MemoryMB int64
	CPUs     float64
	// Cmd replaces the image's command when set.
	Cmd []string
	// Volume is a named volume mounted at VolumePath.
	Volume, VolumePath string
	// Mounts are more named volumes, each at its path (an app's volumes).
	Mounts []VolumeMount
	// Aliases are extra names the container answers to on Network.
	Aliases []string
	// PublishPort publishes ContainerPort on this host port (0: none).
	PublishPort, ContainerPort int
	// Confined runs the container without gaining privileges through
	// setuid binaries and with at most MaxPids processes, so one tenant's
	// app cannot fork-bomb the host every team shares.
	Confined bool
	// The rest serve stacks' services: Entrypoint replaces the image's;
	// Restart is a Docker restart policy ("" for unless-stopped); User
	// and WorkDir as in the image when empty; Health is the container's
	// healthcheck (nil: the image's).
	Entrypoint    []string
	Restart       string
	User, WorkDir string
	Health        *Health
	// Tmpfs are paths mounted as tmpfs.
	Tmpfs []string
}

// Health is a container healthcheck.
type Health struct {
	Test                           []string
	Interval, Timeout, StartPeriod time.Duration
	Retries                        int
}

// VolumeMount is a named volume at a path in the container.
type VolumeMount struct{ Volume, Path string }

// LabelAppID marks what belongs to one app by its ID (its volumes), which
// a later app of the same name does not share.
const LabelAppID = "rivetr.app.id"

// MaxPids is the process limit of a confined container.
const MaxPids = 4096

// Run creates and starts a container, or returns the one already named
// spec.Name (starting it if needed), so a retried Run is harmless.
func (c *Client) Run(ctx context.Context, spec RunSpec) (string, error) {
	id := ""
	if existing, err := c.api.ContainerInspect(ctx, spec.Name); err == nil {
		id = existing.ID
		if existing.State != nil && existing.State.Running {
			return id, nil
		}
	} else if !cerrdefs.IsNotFound(err) {
		return "", wrap(err, "inspect container "+spec.Name)
	}
	if id == "" {
		restart := container.RestartPolicyUnlessStopped
		if spec.Restart != "" {
			restart = container.RestartPolicyMode(spec.Restart)
		}
		hc := &container.HostConfig{
			RestartPolicy: container.RestartPolicy{Name: restart},
			LogConfig: container.LogConfig{Type: "json-file", Config: map[string]string{
				"max-size": "10m", "max-file": "3",
			}},
		}
		if spec.MemoryMB > 0 {
			hc.Memory = spec.MemoryMB << 20
		}
		if spec.CPUs > 0 {
			hc.NanoCPUs = int64(spec.CPUs * 1e9)
		}
		if spec.Confined {
			pids := int64(MaxPids)
			hc.PidsLimit = &pids
			hc.SecurityOpt = []string{"no-new-privileges:true"}
		}
		hc.NetworkMode = container.NetworkMode(spec.Network)
		if spec.Volume != "" {
			hc.Mounts = []mount.Mount{{Type: mount.TypeVolume, Source: spec.Volume, Target: spec.VolumePath}}
		}
		for _, m := range spec.Mounts {
			hc.Mounts = append(hc.Mounts, mount.Mount{Type: mount.TypeVolume, Source: m.Volume, Target: m.Path})
		}
		for _, p := range spec.Tmpfs {
			hc.Mounts = append(hc.Mounts, mount.Mount{Type: mount.TypeTmpfs, Target: p})
		}
		cfg := &container.Config{Image: spec.Image, Env: spec.Env, Labels: spec.Labels, Cmd: spec.Cmd, Entrypoint: spec.Entrypoint, User: spec.User, WorkingDir: spec.WorkDir}
		if h := spec.Health; h != nil {
			cfg.Healthcheck = &container.HealthConfig{Test: h.Test, Interval: h.Interval, Timeout: h.Timeout, StartPeriod: h.StartPeriod, Retries: h.Retries}
		}
		if spec.PublishPort > 0 {
			p := nat.Port(strconv.Itoa(spec.ContainerPort) + "/tcp")
			cfg.ExposedPorts = nat.PortSet{p: struct{}{}}
			hc.PortBindings = nat.PortMap{p: []nat.PortBinding{{HostPort: strconv.Itoa(spec.PublishPort)}}}
		}
		var nc *network.NetworkingConfig
		if len(spec.Aliases) > 0 && spec.Network != "" {
			nc = &network.NetworkingConfig{EndpointsConfig: map[string]*network.EndpointSettings{spec.Network: {Aliases: spec.Aliases}}}
		}
		created, err := c.api.ContainerCreate(ctx, cfg, hc, nc, nil, spec.Name)
		if err != nil {
			if cerrdefs.IsNotFound(err) {
				return "", fmt.Errorf("image %s: %w", spec.Image, ErrNotFound)
			}
			return "", wrap(err, "create container "+spec.Name)
		}
		id = created.ID
	}
	if err := c.api.ContainerStart(ctx, id, container.StartOptions{}); err != nil {
		return id, wrap(err, "start container "+spec.Name)
	}
	return id, nil
}

// Start starts an existing container (a no-op when it runs).
func (c *Client) Start(ctx context.Context, id string) error {
	return wrap(c.api.ContainerStart(ctx, id, container.StartOptions{}), "start container "+id)
}
