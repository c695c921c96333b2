// Package docker is the part of the Docker Engine API Rivetr uses: build an
// image from a directory, run and inspect containers on a bridge network,
// read their logs, and clean up containers and images by label.
package docker

import (
	"bufio"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/docker/docker/api/types/build"
	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/api/types/image"
	"github.com/docker/docker/api/types/network"
	"github.com/docker/docker/client"
	"github.com/docker/docker/pkg/stdcopy"
)

// Labels Rivetr puts on everything it creates.
const (
	LabelManaged    = "rivetr.managed"
	LabelApp        = "rivetr.app"
	LabelDeployment = "rivetr.deployment"
	// LabelTeam is the owning team's ID; LabelNetwork the network the
	// container was started on (its team's).
	LabelTeam    = "rivetr.team"
	LabelNetwork = "rivetr.network"
	// LabelInstance is the ID of the Rivetr installation that made it
	// (schema.Store.InstanceID): installations sharing an engine leave
	// each other's things alone.
	LabelInstance = "rivetr.instance"
)

// Ours reports whether something labelled labels belongs to the
// installation instance: labelled with it, or made before installations
// labelled (no label; callers that can tell more check more).
func Ours(labels map[string]string, instance string) bool {
	got := labels[LabelInstance]
	return got == "" || instance == "" || got == instance
}

// Errors callers tell apart.
var (
	ErrNotFound = errors.New("docker: not found")
	// ErrBuildFailed means the Dockerfile or the build context is at fault,
	// not the engine: retrying will not help.
	ErrBuildFailed = errors.New("build failed")
)

// Client talks to one Docker engine.
type Client struct {
	api *client.Client
	// netMu serializes EnsureNetwork: Docker 20.10's duplicate check is
	// not atomic, and two concurrent creates make two networks of one
	// name, which no container can then join by name.
	netMu sync.Mutex
	// pool is where networks take a /24 once Docker's default address
	// pools are used up (nil: nowhere).
	pool *net.IPNet
}

// ParsePool reads a network pool: an IPv4 CIDR of /24 or larger.
func ParsePool(cidr string) (*net.IPNet, error) {
	_, n, err := net.ParseCIDR(strings.TrimSpace(cidr))
	if err != nil || n.IP.To4() == nil {
		return nil, fmt.Errorf("%q is not an IPv4 CIDR range (e.g. 10.222.0.0/16)", cidr)
	}
	if ones, _ := n.Mask.Size(); ones > 24 {
		return nil, fmt.Errorf("%q is smaller than one /24 network", cidr)
	}
	return n, nil
}

// SetNetworkPool makes networks take a /24 of cidr when Docker's default
// address pools are used up ("" for none).
func (c *Client) SetNetworkPool(cidr string) error {
	if cidr == "" {
		c.pool = nil
		return nil
	}
	n, err := ParsePool(cidr)
	c.pool = n
	return err
}

// New connects to the engine named by DOCKER_HOST (default: the local
// socket), negotiating the API version so older engines work.
func New() (*Client, error) {
	api, err := client.NewClientWithOpts(client.FromEnv, client.WithAPIVersionNegotiation())
	if err != nil {
		return nil, fmt.Errorf("docker client: %w", err)
	}
	return &Client{api: api}, nil
}

// Close releases the client's connections.
func (c *Client) Close() error { return c.api.Close() }

// Ping checks that the engine answers.
func (c *Client) Ping(ctx context.Context) error {
	if _, err := c.api.Ping(ctx); err != nil {
		return fmt.Errorf("Docker is not reachable (is dockerd running? is DOCKER_HOST right?): %w", err)
	}
	return nil
}

func wrap(err error, what string) error {
	if err == nil {
		return nil
	}
	if cerrdefs.IsNotFound(err) {
		return fmt.Errorf("%s: %w", what, ErrNotFound)
	}
	if h := engineHint(err.Error()); h != "" {
		return fmt.Errorf("%s: %s (%w)", what, h, err)
	}
	return fmt.Errorf("%s: %w", what, err)
}

// engineHint says what to do about an engine error the host's operator
// can fix: a full disk, an engine that does not answer, a socket Rivetr
// may not use; "" for others.
func engineHint(msg string) string {
	low := strings.ToLower(msg)
	switch {
	case strings.Contains(low, "no space left on device") || strings.Contains(low, "disk quota exceeded"):
		return "the Docker host's disk is full: free space (docker system prune removes stopped containers and unused images; apps keep fewer rollback images with --keep-images) and try again"
	case strings.Contains(low, "port is already allocated") || strings.Contains(low, "address already in use"):
		return "that port on the host is taken by another program or container: choose another (a database's --public-port) or stop what holds it"
	case strings.Contains(low, "docker.sock") && strings.Contains(low, "permission denied"):
		return "Rivetr may not use the Docker socket: run it as root or as a user in the docker group"
	case strings.Contains(low, "cannot connect to the docker daemon") || strings.Contains(low, "is the docker daemon running") ||
		strings.Contains(low, "docker.sock") && (strings.Contains(low, "no such file") || strings.Contains(low, "connection refused")):
		return "the Docker engine does not answer: is dockerd running (systemctl start docker), and is DOCKER_HOST right?"
	}
	return ""
}

// EnsureNetwork creates the bridge network name when it does not exist.
func (c *Client) EnsureNetwork(ctx context.Context, name string) error {
	c.netMu.Lock()
	defer c.netMu.Unlock()
	if _, err := c.api.NetworkInspect(ctx, name, network.InspectOptions{}); err == nil {
		return nil
	} else if !cerrdefs.IsNotFound(err) {
		return wrap(err, "inspect network "+name)
	}
	_, err := c.api.NetworkCreate(ctx, name, network.CreateOptions{
		Driver: "bridge",
		Labels: map[string]string{LabelManaged: "true"},
	})
	if err != nil && cerrdefs.IsConflict(err) {
		return nil // created concurrently
	}
	if err != nil && strings.Contains(err.Error(), "non-overlapping") {
		if c.pool != nil {
			if perr := c.createInPool(ctx, name); perr == nil {
				return nil
			} else {
				err = fmt.Errorf("%v; and %v", err, perr)
			}
		}
		return fmt.Errorf("create network %s: Docker has no address range left for it (every team and every stack has a network of its own): "+
			"give Rivetr a larger --network-pool, or dockerd more in /etc/docker/daemon.json, e.g. \"default-address-pools\": [{\"base\": \"10.210.0.0/16\", \"size\": 24}], and restart it: %w", name, err)
	}
	return wrap(err, "create network "+name)
}

// createInPool creates network name on the first /24 of the pool no
// network uses (Docker refuses overlaps: the next is tried).
func (c *Client) createInPool(ctx context.Context, name string) error {
	nets, err := c.api.NetworkList(ctx, network.ListOptions{})
	if err != nil {
		return wrap(err, "list networks")
	}
	var used []*net.IPNet
	for _, n := range nets {
		for _, cfg := range n.IPAM.Config {
			if _, sub, err := net.ParseCIDR(cfg.Subnet); err == nil {
				used = append(used, sub)
			}
		}
	}
	ones, _ := c.pool.Mask.Size()
	base := binary.BigEndian.Uint32(c.pool.IP.To4())
	for i := uint32(0); i < 1<<(24-ones); i++ {
		ip := make(net.IP, 4)
		binary.BigEndian.PutUint32(ip, base+i<<8)
		sub := &net.IPNet{IP: ip, Mask: net.CIDRMask(24, 32)}
		if slices.ContainsFunc(used, func(u *net.IPNet) bool { return u.Contains(sub.IP) || sub.Contains(u.IP) }) {
			continue
		}
		_, err := c.api.NetworkCreate(ctx, name, network.CreateOptions{
			Driver: "bridge",
			Labels: map[string]string{LabelManaged: "true"},
			IPAM:   &network.IPAM{Config: []network.IPAMConfig{{Subnet: sub.String()}}},
		})
		switch {
		case err == nil, cerrdefs.IsConflict(err):
			return nil
		case strings.Contains(err.Error(), "overlap"):
			continue // a host route or another engine's network
		default:
			return wrap(err, "create network "+name+" on "+sub.String())
		}
	}
	return fmt.Errorf("the network pool %s is used up", c.pool)
}

// BuildSpec describes an image build.
type BuildSpec struct {
	ContextDir string
	Dockerfile string // path inside ContextDir
	Tag        string
	// BuildArgs are --build-arg values; Target a stage to stop at.
	BuildArgs map[string]string
	Target    string
}

// Build builds spec and returns the image ID. Each line of builder output
// goes to out. Cancelling ctx cancels the build. A build that fails because
// of the Dockerfile or context returns an error wrapping ErrBuildFailed.
func (c *Client) Build(ctx context.Context, spec BuildSpec, out func(line string)) (string, error) {
	tarball, err := contextTar(spec.ContextDir, spec.Dockerfile)
	if err != nil {
		return "", err
	}
	defer tarball.Close()
	var args map[string]*string
	if len(spec.BuildArgs) > 0 {
		args = map[string]*string{}
		for k, v := range spec.BuildArgs {
			args[k] = &v
		}
	}
	res, err := c.api.ImageBuild(ctx, tarball, build.ImageBuildOptions{
		Tags:        []string{spec.Tag},
		Dockerfile:  spec.Dockerfile,
		BuildArgs:   args,
		Target:      spec.Target,
		Remove:      true,
		ForceRemove: true,
		Version:     build.BuilderV1,
	})
	if err != nil {
		if ctx.Err() != nil {
			return "", ctx.Err()
		}
		if cerrdefs.IsInvalidArgument(err) {
			return "", fmt.Errorf("%w: %v", ErrBuildFailed, err)
		}
		return "", wrap(err, "start build")
	}
	defer res.Body.Close()

	var imageID string
	dec := json.NewDecoder(bufio.NewReaderSize(res.Body, 64*1024))
	var partial strings.Builder
	from := "" // the image of the last FROM step seen
	for {
		var msg struct {
			Stream      string                   `json:"stream"`
			Status      string                   `json:"status"`
			Error       string                   `json:"error"`
			ErrorDetail struct{ Message string } `json:"errorDetail"`
			Aux         json.RawMessage          `json:"aux"`
		}
		if err := dec.Decode(&msg); err == io.EOF {
			break
		} else if err != nil {
			if ctx.Err() != nil {
				return "", ctx.Err()
			}
			return "", fmt.Errorf("read build output: %w", err)
		}
		if msg.Error != "" {
			if partial.Len() > 0 {
				out(partial.String())
			}
			return "", fmt.Errorf("%w: %s", ErrBuildFailed, explainBuildError(strings.TrimSpace(msg.Error), from))
		}
		if len(msg.Aux) > 0 {
			var aux struct{ ID string }
			if json.Unmarshal(msg.Aux, &aux) == nil && aux.ID != "" {
				imageID = aux.ID
			}
		}
		text := msg.Stream
		if text == "" && msg.Status != "" {
			text = msg.Status + "\n"
		}
		// Builder output arrives in arbitrary chunks; emit whole lines.
		for text != "" {
			i := strings.IndexByte(text, '\n')
			if i < 0 {
				partial.WriteString(text)
				break
			}
			partial.WriteString(text[:i])
			line := strings.TrimRight(partial.String(), "\r")
			if m := fromStep.FindStringSubmatch(line); m != nil {
				from = m[1]
			}
			out(line)
			partial.Reset()
			text = text[i+1:]
		}
	}
	if partial.Len() > 0 {
		out(partial.String())
	}
	if imageID == "" {
		ii, err := c.api.ImageInspect(ctx, spec.Tag)
		if err != nil {
			return "", wrap(err, "inspect built image")
		}
		imageID = ii.ID
	}
	return imageID, nil
}

// State is what Rivetr needs to know about a container.
type State struct {
	ID       string
	Name     string
	Running  bool
	ExitCode int
	// OOMKilled says the kernel killed it for going over its memory limit.
	OOMKilled bool
	Status    string
	IP        string // address on the network passed to Inspect
	Labels    map[string]string
	// Health is the healthcheck's status (starting, healthy, unhealthy;
	// "" without one).
	Health string
}

// Exit says how a stopped container ended, for a failure reason: its
// status and exit code, and what to do when the cause is known (out of
// memory, a command that is not there or cannot run).
func (s State) Exit() string {
	out := fmt.Sprintf("status %s, exit code %d", s.Status, s.ExitCode)
	switch {
	case s.OOMKilled:
		out += ": killed for using more memory than its limit; raise it (rivetr apps update APP --memory-mb N) or make the app use less"
	case s.ExitCode == 137:
		out += ": killed (SIGKILL), usually for lack of memory; check its memory limit (--memory-mb) and the host's free memory"
	case s.ExitCode == 127:
		out += ": its command was not found in the image; check CMD/ENTRYPOINT in the Dockerfile"
	case s.ExitCode == 126:
		out += ": its command cannot be run (not executable, or built for another CPU); check CMD/ENTRYPOINT and the file's mode"
	}
	return out
}

// Inspect returns the state of container id; IP is its address on network.
func (c *Client) Inspect(ctx context.Context, id, networkName string) (State, error) {
	ci, err := c.api.ContainerInspect(ctx, id)
	if err != nil {
		return State{}, wrap(err, "inspect container "+id)
	}
	st := State{ID: ci.ID, Name: strings.TrimPrefix(ci.Name, "/"), Labels: ci.Config.Labels}
	if ci.State != nil {
		st.Running = ci.State.Running && !ci.State.Restarting
		st.ExitCode = ci.State.ExitCode
		st.OOMKilled = ci.State.OOMKilled
		st.Status = ci.State.Status
		if ci.State.Health != nil {
			st.Health = ci.State.Health.Status
		}
	}
	if ci.NetworkSettings != nil {
		if ep, ok := ci.NetworkSettings.Networks[networkName]; ok && ep != nil {
			st.IP = ep.IPAddress
		}
	}
	return st, nil
}

// Logs writes the container's output (stdout and stderr interleaved as
// lines) to w: the last tail lines (all when tail <= 0), then new output
// while follow is set and ctx lasts.
func (c *Client) Logs(ctx context.Context, id string, tail int, follow bool, w io.Writer) error {
	t := "all"
	if tail > 0 {
		t = fmt.Sprint(tail)
	}
	rc, err := c.api.ContainerLogs(ctx, id, container.LogsOptions{ShowStdout: true, ShowStderr: true, Follow: follow, Tail: t})
	if err != nil {
		return wrap(err, "container logs "+id)
	}
	defer rc.Close()
	_, err = stdcopy.StdCopy(w, w, rc)
	if err != nil && ctx.Err() != nil {
		return nil
	}
	return err
}

// Remove stops container id (SIGTERM, then SIGKILL after grace) and removes
// it. A container that does not exist is already removed.
func (c *Client) Remove(ctx context.Context, id string, grace time.Duration) error {
	secs := int(grace.Seconds())
	if err := c.api.ContainerStop(ctx, id, container.StopOptions{Timeout: &secs}); err != nil && !cerrdefs.IsNotFound(err) {
		return wrap(err, "stop container "+id)
	}
	err := c.api.ContainerRemove(ctx, id, container.RemoveOptions{Force: true, RemoveVolumes: true})
	// A conflict means another removal of it is in progress.
	if err != nil && !cerrdefs.IsNotFound(err) && !cerrdefs.IsConflict(err) {
		return wrap(err, "remove container "+id)
	}
	return nil
}

// Container is a listed container.
type Container struct {
	ID    string
	Name  string
	State string
	// Status is Docker's summary ("Up 3 minutes (healthy)"); Image the
	// image it runs, as named.
	Status string
	Image  string
	Labels map[string]string
	// Networks maps the networks the container is on to its address there.
	Networks map[string]string
}

// Containers lists containers (running or not) carrying all labels.
func (c *Client) Containers(ctx context.Context, labels map[string]string) ([]Container, error) {
	f := filters.NewArgs()
	for k, v := range labels {
		f.Add("label", k+"="+v)
	}
	list, err := c.api.ContainerList(ctx, container.ListOptions{All: true, Filters: f})
	if err != nil {
		return nil, wrap(err, "list containers")
	}
	out := make([]Container, 0, len(list))
	for _, s := range list {
		name := ""
		if len(s.Names) > 0 {
			name = strings.TrimPrefix(s.Names[0], "/")
		}
		nets := map[string]string{}
		if s.NetworkSettings != nil {
			for n, ep := range s.NetworkSettings.Networks {
				if ep != nil {
					nets[n] = ep.IPAddress
				}
			}
		}
		out = append(out, Container{ID: s.ID, Name: name, State: string(s.State), Status: s.Status, Image: s.Image, Labels: s.Labels, Networks: nets})
	}
	return out, nil
}

// Image is a listed image.
type Image struct {
	ID     string
	Tags   []string
	Labels map[string]string
}

// Images lists the images whose repository is repo (e.g. rivetr/web).
// Images are found by name rather than label: labels passed to a build
// cost the classic builder one extra step each.
func (c *Client) Images(ctx context.Context, repo string) ([]Image, error) {
	list, err := c.api.ImageList(ctx, image.ListOptions{Filters: filters.NewArgs(filters.Arg("reference", repo+":*"))})
	if err != nil {
		return nil, wrap(err, "list images")
	}
	out := make([]Image, 0, len(list))
	for _, s := range list {
		out = append(out, Image{ID: s.ID, Tags: s.RepoTags, Labels: s.Labels})
	}
	return out, nil
}

// ImageInfo is what a build's base-image check needs of a local image.
type ImageInfo struct {
	ID      string
	Tags    []string // repository:tag names, familiar form (busybox:latest)
	Digests []string // repository@digest names
	OnBuild []string // ONBUILD triggers, run by builds FROM this image
}

// InspectImage resolves ref on the engine as a build would (a name, or an
// ID or its prefix); ok is false when no local image answers to it.
func (c *Client) InspectImage(ctx context.Context, ref string) (ImageInfo, bool, error) {
	ii, err := c.api.ImageInspect(ctx, ref)
	if cerrdefs.IsNotFound(err) {
		return ImageInfo{}, false, nil
	}
	if err != nil {
		return ImageInfo{}, false, wrap(err, "inspect image "+ref)
	}
	info := ImageInfo{ID: ii.ID, Tags: ii.RepoTags, Digests: ii.RepoDigests}
	if ii.Config != nil {
		info.OnBuild = ii.Config.OnBuild
	}
	return info, true, nil
}

// ImageExists reports whether ref names an image on the engine.
func (c *Client) ImageExists(ctx context.Context, ref string) (bool, error) {
	_, err := c.api.ImageInspect(ctx, ref)
	if cerrdefs.IsNotFound(err) {
		return false, nil
	}
	return err == nil, wrap(err, "inspect image "+ref)
}

// RemoveImage removes an image by tag or ID; a missing image is fine.
func (c *Client) RemoveImage(ctx context.Context, ref string) error {
	_, err := c.api.ImageRemove(ctx, ref, image.RemoveOptions{Force: false, PruneChildren: true})
	if err != nil && !cerrdefs.IsNotFound(err) {
		return wrap(err, "remove image "+ref)
	}
	return nil
}

// fromStep is the classic builder's line for a FROM step.
var fromStep = regexp.MustCompile(`^Step \d+/\d+ : FROM (\S+)`)

// explainBuildError says what a builder's error means for the user when
// it is about the base image (from, the last FROM step's): a registry that
// cannot be reached, or an image it does not have; other errors pass as
// they are.
func explainBuildError(msg, from string) string {
	image := from
	if image == "" {
		image = "of the Dockerfile"
	}
	low := strings.ToLower(msg)
	switch {
	case strings.Contains(low, "unauthorized") || strings.Contains(low, "authentication required") || strings.Contains(low, "no basic auth credentials") ||
		strings.Contains(low, "denied: requested access"):
		return fmt.Sprintf("could not pull base image %s: the registry refused the Docker host's credentials (run docker login for that registry on the Docker host, or use a public image): %s", image, msg)
	case strings.Contains(low, "no space left on device") || strings.Contains(low, "disk quota exceeded"):
		return engineHint(low) + ": " + msg
	case strings.Contains(low, "pull access denied") || strings.Contains(low, "manifest unknown") || strings.Contains(low, "not found: manifest") ||
		strings.Contains(low, "repository does not exist"):
		return fmt.Sprintf("could not pull base image %s: the registry has no such image, or it is private (check the name and tag in FROM; a private image needs a registry login on the Docker host): %s", image, msg)
	case strings.Contains(low, "no such host") || strings.Contains(low, "i/o timeout") || strings.Contains(low, "connection refused") ||
		strings.Contains(low, "tls handshake timeout") || strings.Contains(low, "network is unreachable") || strings.Contains(low, "dial tcp"):
		return fmt.Sprintf("could not pull base image %s: its registry cannot be reached from the Docker host (check its DNS and network, or build FROM an image it already has): %s", image, msg)
	}
	return msg
}
