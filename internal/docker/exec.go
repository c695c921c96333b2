package docker

import (
	"archive/tar"
	"context"
	"errors"
	"fmt"
	"io"
	"path"
	"strings"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/docker/docker/api/types"
	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/api/types/mount"
	networktypes "github.com/docker/docker/api/types/network"
	"github.com/docker/docker/api/types/volume"
	"github.com/docker/docker/pkg/stdcopy"
)

// ExecSpec is a command to run in a running container.
type ExecSpec struct {
	Cmd []string
	Env []string
	// Stdin, when set, is copied to the command's standard input (then
	// closed); Stdout receives its standard output as it comes.
	Stdin  io.Reader
	Stdout io.Writer
}

// ExecError is a command that ran and exited non-zero; Stderr is the end
// of what it wrote there.
type ExecError struct {
	Code   int
	Stderr string
}

func (e *ExecError) Error() string {
	return fmt.Sprintf("exited %d: %s", e.Code, strings.TrimSpace(e.Stderr))
}

// Exec runs spec in container id, streaming its standard input and output
// (nothing is held in memory but the last 8 KiB of standard error), and
// returns an *ExecError when it exits non-zero.
func (c *Client) Exec(ctx context.Context, id string, spec ExecSpec) error {
	created, err := c.api.ContainerExecCreate(ctx, id, container.ExecOptions{
		Cmd: spec.Cmd, Env: spec.Env, AttachStdout: true, AttachStderr: true, AttachStdin: spec.Stdin != nil,
	})
	if err != nil {
		return wrap(err, "exec in "+id)
	}
	hijack, err := c.api.ContainerExecAttach(ctx, created.ID, container.ExecAttachOptions{})
	if err != nil {
		return wrap(err, "attach to exec in "+id)
	}
	defer hijack.Close()
	stdinErr := make(chan error, 1)
	if spec.Stdin != nil {
		go func() {
			_, err := io.Copy(hijack.Conn, spec.Stdin)
			if cerr := hijack.CloseWrite(); err == nil {
				err = cerr
			}
			stdinErr <- err
		}()
	} else {
		stdinErr <- nil
	}
	out := spec.Stdout
	if out == nil {
		out = io.Discard
	}
	stderr := &tail{max: 8 << 10}
	done := make(chan error, 1)
	go func() {
		_, err := stdcopy.StdCopy(out, stderr, hijack.Reader)
		done <- err
	}()
	select {
	case <-ctx.Done():
		hijack.Close()
		return ctx.Err()
	case err = <-done:
	}
	if err != nil {
		return fmt.Errorf("exec in %s: %w", id, err)
	}
	if err := <-stdinErr; err != nil {
		return fmt.Errorf("exec in %s: write its input: %w", id, err)
	}
	for i := 0; ; i++ {
		st, err := c.api.ContainerExecInspect(ctx, created.ID)
		if err != nil {
			return wrap(err, "inspect exec in "+id)
		}
		if !st.Running {
			if st.ExitCode != 0 {
				return &ExecError{Code: st.ExitCode, Stderr: stderr.String()}
			}
			return nil
		}
		if i > 200 {
			return fmt.Errorf("exec in %s: still running after its output closed", id)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// tail keeps the last max bytes written to it.
type tail struct {
	max int
	buf []byte
}

func (t *tail) Write(p []byte) (int, error) {
	t.buf = append(t.buf, p...)
	if len(t.buf) > t.max {
		t.buf = t.buf[len(t.buf)-t.max:]
	}
	return len(p), nil
}

func (t *tail) String() string { return string(t.buf) }

// CopyFileFrom streams one file out of a container (running or not) to w.
func (c *Client) CopyFileFrom(ctx context.Context, id, file string, w io.Writer) (int64, error) {
	rc, _, err := c.api.CopyFromContainer(ctx, id, file)
	if err != nil {
		if cerrdefs.IsNotFound(err) {
			return 0, fmt.Errorf("%s in %s: %w", file, id, ErrNotFound)
		}
		return 0, wrap(err, "copy from "+id)
	}
	defer rc.Close()
	tr := tar.NewReader(rc)
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			return 0, fmt.Errorf("%s in %s: %w", file, id, ErrNotFound)
		}
		if err != nil {
			return 0, fmt.Errorf("copy from %s: %w", id, err)
		}
		if hdr.Typeflag == tar.TypeReg && path.Base(hdr.Name) == path.Base(file) {
			return io.Copy(w, tr)
		}
	}
}

// CopyFileTo writes r (size bytes) as file in a container (running or
// not), owned by uid:gid.
func (c *Client) CopyFileTo(ctx context.Context, id, file string, r io.Reader, size int64, uid, gid int) error {
	pr, pw := io.Pipe()
	go func() {
		tw := tar.NewWriter(pw)
		err := tw.WriteHeader(&tar.Header{Name: path.Base(file), Mode: 0o644, Size: size, Uid: uid, Gid: gid, ModTime: time.Now()})
		if err == nil {
			_, err = io.CopyN(tw, r, size)
		}
		if err == nil {
			err = tw.Close()
		}
		pw.CloseWithError(err)
	}()
	err := c.api.CopyToContainer(ctx, id, path.Dir(file), pr, container.CopyToContainerOptions{})
	pr.CloseWithError(err)
	return wrap(err, "copy into "+id)
}

// Stop stops a container, waiting up to grace before killing it.
func (c *Client) Stop(ctx context.Context, id string, grace time.Duration) error {
	secs := int(grace.Seconds())
	err := c.api.ContainerStop(ctx, id, container.StopOptions{Timeout: &secs})
	if cerrdefs.IsNotFound(err) {
		return fmt.Errorf("container %s: %w", id, ErrNotFound)
	}
	return wrap(err, "stop container "+id)
}

// EnsureVolume creates a named volume (a no-op when it exists).
func (c *Client) EnsureVolume(ctx context.Context, name string, labels map[string]string) error {
	if _, err := c.api.VolumeInspect(ctx, name); err == nil {
		return nil
	}
	_, err := c.api.VolumeCreate(ctx, volume.CreateOptions{Name: name, Labels: labels})
	return wrap(err, "create volume "+name)
}

// VolumeLabels returns a volume's labels; ok is false when it does not
// exist.
func (c *Client) VolumeLabels(ctx context.Context, name string) (map[string]string, bool, error) {
	v, err := c.api.VolumeInspect(ctx, name)
	if cerrdefs.IsNotFound(err) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, wrap(err, "inspect volume "+name)
	}
	return v.Labels, true, nil
}

// RemoveVolume removes a named volume (a no-op when it is gone).
func (c *Client) RemoveVolume(ctx context.Context, name string) error {
	err := c.api.VolumeRemove(ctx, name, true)
	if err == nil || cerrdefs.IsNotFound(err) {
		return nil
	}
	return wrap(err, "remove volume "+name)
}

// VolumeExists reports whether a named volume exists.
func (c *Client) VolumeExists(ctx context.Context, name string) (bool, error) {
	_, err := c.api.VolumeInspect(ctx, name)
	if err == nil {
		return true, nil
	}
	if cerrdefs.IsNotFound(err) {
		return false, nil
	}
	return false, wrap(err, "inspect volume "+name)
}

// VolumeSizes returns the bytes each named volume holds (as docker system
// df -v counts them; a volume the engine did not measure is left out).
// The engine walks every volume to answer, so callers ask on demand.
func (c *Client) VolumeSizes(ctx context.Context, names []string) (map[string]int64, error) {
	du, err := c.api.DiskUsage(ctx, types.DiskUsageOptions{Types: []types.DiskUsageObject{types.VolumeObject}})
	if err != nil {
		return nil, wrap(err, "volume sizes")
	}
	want := map[string]bool{}
	for _, n := range names {
		want[n] = true
	}
	out := map[string]int64{}
	for _, v := range du.Volumes {
		if v != nil && want[v.Name] && v.UsageData != nil && v.UsageData.Size >= 0 {
			out[v.Name] = v.UsageData.Size
		}
	}
	return out, nil
}

// Volumes lists the names of volumes with the given labels.
func (c *Client) Volumes(ctx context.Context, labels map[string]string) ([]string, error) {
	f := filters.NewArgs()
	for k, v := range labels {
		f.Add("label", k+"="+v)
	}
	res, err := c.api.VolumeList(ctx, volume.ListOptions{Filters: f})
	if err != nil {
		return nil, wrap(err, "list volumes")
	}
	var out []string
	for _, v := range res.Volumes {
		out = append(out, v.Name)
	}
	return out, nil
}

// Disconnect takes a container off a network (a no-op when it is not on
// it), so nothing there reaches it.
func (c *Client) Disconnect(ctx context.Context, network, id string) error {
	err := c.api.NetworkDisconnect(ctx, network, id, true)
	if err != nil && (cerrdefs.IsNotFound(err) || strings.Contains(err.Error(), "is not connected")) {
		return nil
	}
	return wrap(err, "disconnect "+id+" from "+network)
}

// Connect puts a container back on a network under aliases (a no-op when
// it is already there).
func (c *Client) Connect(ctx context.Context, network, id string, aliases []string) error {
	err := c.api.NetworkConnect(ctx, network, id, &networktypes.EndpointSettings{Aliases: aliases})
	if err != nil && strings.Contains(err.Error(), "already exists") {
		return nil
	}
	return wrap(err, "connect "+id+" to "+network)
}

// OnceSpec is a throwaway container: an image's command with one volume
// mounted, its standard input and output streamed.
type OnceSpec struct {
	Image    string
	Cmd      []string
	Volume   string
	Path     string
	ReadOnly bool
	Stdin    io.Reader
	Stdout   io.Writer
	Labels   map[string]string
}

// RunOnce runs spec to completion and removes its container; a non-zero
// exit is an *ExecError with the end of its standard error.
func (c *Client) RunOnce(ctx context.Context, spec OnceSpec) error {
	if len(spec.Cmd) == 0 {
		return errors.New("a helper container needs a command")
	}
	// The command replaces the image's entrypoint, not only its arguments.
	cfg := &container.Config{Image: spec.Image, Entrypoint: spec.Cmd[:1], Cmd: spec.Cmd[1:], Labels: spec.Labels,
		AttachStdout: true, AttachStderr: true, AttachStdin: spec.Stdin != nil, OpenStdin: spec.Stdin != nil, StdinOnce: spec.Stdin != nil}
	hc := &container.HostConfig{NetworkMode: "none", Mounts: []mount.Mount{{Type: mount.TypeVolume, Source: spec.Volume, Target: spec.Path, ReadOnly: spec.ReadOnly}}}
	created, err := c.api.ContainerCreate(ctx, cfg, hc, nil, nil, "")
	if err != nil {
		if cerrdefs.IsNotFound(err) {
			return fmt.Errorf("image %s: %w", spec.Image, ErrNotFound)
		}
		return wrap(err, "create a helper container")
	}
	defer c.api.ContainerRemove(context.WithoutCancel(ctx), created.ID, container.RemoveOptions{Force: true})
	hijack, err := c.api.ContainerAttach(ctx, created.ID, container.AttachOptions{Stream: true, Stdin: spec.Stdin != nil, Stdout: true, Stderr: true})
	if err != nil {
		return wrap(err, "attach to the helper container")
	}
	defer hijack.Close()
	waitC, errC := c.api.ContainerWait(ctx, created.ID, container.WaitConditionNextExit)
	if err := c.api.ContainerStart(ctx, created.ID, container.StartOptions{}); err != nil {
		return wrap(err, "start the helper container")
	}
	if spec.Stdin != nil {
		go func() {
			io.Copy(hijack.Conn, spec.Stdin)
			hijack.CloseWrite()
		}()
	}
	out := spec.Stdout
	if out == nil {
		out = io.Discard
	}
	stderr := &tail{max: 8 << 10}
	if _, err := stdcopy.StdCopy(out, stderr, hijack.Reader); err != nil {
		return fmt.Errorf("helper container output: %w", err)
	}
	select {
	case res := <-waitC:
		if res.StatusCode != 0 {
			return &ExecError{Code: int(res.StatusCode), Stderr: stderr.String()}
		}
		return nil
	case err := <-errC:
		return wrap(err, "wait for the helper container")
	case <-ctx.Done():
		return ctx.Err()
	}
}
