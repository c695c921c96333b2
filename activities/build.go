package activities

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/rivetr/rivetr/internal/detect"
	"github.com/rivetr/rivetr/internal/docker"
	"github.com/rivetr/rivetr/internal/release"
	"github.com/rivetr/rivetr/internal/safepath"
	"github.com/rivetr/rivetr/schema"
)

// errBuild marks a build that failed because of the source or the build
// settings: retrying cannot help.
var errBuild = errors.New("build failed")

func buildErr(format string, args ...any) error {
	return fmt.Errorf("%w: %s", errBuild, fmt.Sprintf(format, args...))
}

// within resolves rel inside root (see safepath.Resolve): a path that
// leaves the tree, lexically or through a symlink the repository commits,
// is refused, naming the symlink.
func within(root, rel, what string) (string, error) {
	p, err := safepath.Resolve(root, filepath.ToSlash(rel))
	if errors.Is(err, safepath.ErrEscapes) {
		return "", buildErr("the %s %v; paths in a build stay inside the repository", what, err)
	}
	if err != nil {
		return "", buildErr("the %s %q: %v", what, rel, err)
	}
	return p, nil
}

// Build builds the deployment's image from its workspace (fetching the
// source again when the workspace is missing, as after a move to another
// worker). Builder output streams into the deployment log.
func (h *Host) Build(ctx context.Context, in BuildInput) (*BuildResult, error) {
	d, app, err := deploymentAndApp(ctx, h.Store, in.DeploymentID)
	if err != nil {
		return nil, err
	}
	tag := release.ImageTag(app.Name, d.ID)
	if ok, err := h.Docker.ImageExists(ctx, tag); err != nil {
		return nil, err
	} else if ok {
		// Built by an attempt that died before reporting back.
		_ = os.RemoveAll(h.workspace(d.ID))
		return &BuildResult{Image: tag}, nil
	}
	ws := h.workspace(d.ID)
	if _, err := os.Stat(filepath.Join(ws, "commit")); err != nil {
		if d.Source == schema.SourceUpload {
			if _, err := h.unpack(d); err != nil {
				return nil, err
			}
		} else if _, err := h.checkout(ctx, app, d.ID, in.Commit); err != nil {
			return nil, err
		}
	}
	stop := heartbeat(ctx, 3*time.Second)
	defer stop()
	log := newLogWriter(h.Store, d.ID, "build")
	id, err := h.build(ctx, app, d, tag, log)
	log.Close()
	if err != nil {
		if errors.Is(err, docker.ErrBuildFailed) || errors.Is(err, docker.ErrNoDockerfile) || errors.Is(err, errBuild) {
			_ = os.RemoveAll(ws)
			h.dropUpload(d)
			// The workflow says "build failed: "; the detail follows.
			msg := strings.TrimPrefix(strings.TrimPrefix(err.Error(), docker.ErrBuildFailed.Error()+": "), errBuild.Error()+": ")
			return nil, nonRetryable(ErrTypeBuild, "%s", msg)
		}
		return nil, err
	}
	_ = os.RemoveAll(ws)
	h.dropUpload(d)
	return &BuildResult{Image: tag, ImageID: id}, nil
}

// build turns the checked-out source into the image tag, the way the
// app's build type says.
func (h *Host) build(ctx context.Context, app *schema.App, d *schema.Deployment, tag string, log *logWriter) (string, error) {
	src := filepath.Join(h.workspace(d.ID), "src")
	dir, err := within(src, app.BuildContext, "build context")
	if err != nil {
		return "", err
	}
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		return "", buildErr("the build context %q is not a directory in the source", app.BuildContext)
	}
	dockerfile := app.Dockerfile
	if dockerfile == "" {
		dockerfile = "Dockerfile"
	}
	dfPath, err := within(dir, dockerfile, "Dockerfile")
	if err != nil {
		return "", err
	}
	typ, staticDir := app.BuildType, app.StaticDir
	if typ == "" {
		// Apps from before build types built their Dockerfile; uploads
		// are always looked at.
		typ = detect.Dockerfile
		if d.Source == schema.SourceUpload {
			typ = detect.Auto
		}
	}
	switch typ {
	case detect.Auto:
		r, err := detect.Detect(dir, dockerfile)
		if err != nil {
			return "", buildErr("%v", err)
		}
		log.Line(fmt.Sprintf("build type: %s (%s)", r.Type, r.Reason))
		typ = r.Type
		if staticDir == "" {
			staticDir = r.StaticDir
		}
	}
	switch typ {
	case detect.Dockerfile:
		if err := h.checkBaseImages(ctx, app, dfPath); err != nil {
			return "", err
		}
		return h.Docker.Build(ctx, docker.BuildSpec{ContextDir: dir, Dockerfile: dockerfile, Tag: tag, BuildArgs: app.BuildArgs, Target: app.BuildTarget}, log.Line)
	case detect.Static:
		return h.buildStatic(ctx, dir, staticDir, tag, d.ID, log)
	}
	return h.buildExternal(ctx, typ, dir, app, tag, log)
}

// staticServer finds rivetr-static: h.StaticServer when set, next to this
// executable, else on the PATH.
func (h *Host) staticServer() (string, error) { return findStaticServer(h.StaticServer) }

// findStaticServer finds rivetr-static: configured when set, next to this
// executable, else on the PATH.
func findStaticServer(configured string) (string, error) {
	if configured != "" {
		return configured, nil
	}
	if exe, err := os.Executable(); err == nil {
		p := filepath.Join(filepath.Dir(exe), "rivetr-static")
		if st, err := os.Stat(p); err == nil && st.Mode().IsRegular() {
			return p, nil
		}
	}
	return exec.LookPath("rivetr-static")
}

// buildStatic builds an image of the site in dir/staticDir served by
// rivetr-static: FROM scratch, the server and the files, nothing else.
func (h *Host) buildStatic(ctx context.Context, dir, staticDir, tag, deploymentID string, log *logWriter) (string, error) {
	server, err := h.staticServer()
	if err != nil {
		return "", buildErr("static sites are served by rivetr-static, which is not next to rivetr nor on the PATH of this host's worker (make build puts it in bin/)")
	}
	if staticDir == "" {
		staticDir = "."
		for _, d := range []string{".", "public", "dist", "build", "site", "www", "out", "_site"} {
			if st, err := os.Stat(filepath.Join(dir, d, "index.html")); err == nil && st.Mode().IsRegular() {
				staticDir = d
				break
			}
		}
	}
	site, err := within(dir, staticDir, "static directory")
	if err != nil {
		return "", err
	}
	if st, err := os.Stat(site); err != nil || !st.IsDir() {
		return "", buildErr("the static directory %q is not a directory in the source", staticDir)
	}
	bctx := filepath.Join(h.workspace(deploymentID), "static")
	if err := os.RemoveAll(bctx); err != nil {
		return "", err
	}
	files, skipped, err := copyTree(site, filepath.Join(bctx, "site"))
	if err != nil {
		return "", err
	}
	for _, s := range skipped {
		log.Line("skipped " + s + " (not a regular file)")
	}
	if err := copyFile(server, filepath.Join(bctx, "rivetr-static"), 0o755); err != nil {
		return "", err
	}
	df := "FROM scratch\nCOPY rivetr-static /rivetr-static\nCOPY site/ /site/\nEXPOSE 8080\nENTRYPOINT [\"/rivetr-static\", \"/site\"]\n"
	if err := os.WriteFile(filepath.Join(bctx, "Dockerfile"), []byte(df), 0o644); err != nil {
		return "", err
	}
	log.Line(fmt.Sprintf("static site: %d files from %s, served by rivetr-static", files, staticDir))
	return h.Docker.Build(ctx, docker.BuildSpec{ContextDir: bctx, Dockerfile: "Dockerfile", Tag: tag}, log.Line)
}

// copyTree copies the regular files and directories under from to to,
// returning how many files it copied and what it skipped (symlinks and
// special files, which could reach outside the site).
func copyTree(from, to string) (int, []string, error) {
	n := 0
	var skipped []string
	err := filepath.WalkDir(from, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(from, p)
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == ".git") {
			return filepath.SkipDir
		}
		target := filepath.Join(to, rel)
		switch {
		case d.IsDir():
			return os.MkdirAll(target, 0o755)
		case d.Type().IsRegular():
			n++
			return copyFile(p, target, 0o644)
		}
		skipped = append(skipped, filepath.ToSlash(rel))
		return nil
	})
	return n, skipped, err
}

func copyFile(from, to string, perm os.FileMode) error {
	in, err := os.Open(from)
	if err != nil {
		return err
	}
	defer in.Close()
	if err := os.MkdirAll(filepath.Dir(to), 0o755); err != nil {
		return err
	}
	out, err := os.OpenFile(to, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, perm)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// ExternalArgs are the arguments an external builder's CLI is run with
// to build dir into the image tag.
func ExternalArgs(typ, dir, tag string, app *schema.App) []string {
	var env []string
	keys := make([]string, 0, len(app.BuildArgs))
	for k := range app.BuildArgs {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		env = append(env, "--env", k+"="+app.BuildArgs[k])
	}
	switch typ {
	case detect.Buildpacks:
		builder := app.Builder
		if builder == "" {
			builder = detect.DefaultBuilder
		}
		return append([]string{"build", tag, "--path", dir, "--builder", builder}, env...)
	default: // nixpacks, railpack
		return append([]string{"build", dir, "--name", tag}, env...)
	}
}

// buildExternal runs nixpacks, railpack or pack, streaming their output
// into the build log; the tool must be on this host's PATH.
func (h *Host) buildExternal(ctx context.Context, typ, dir string, app *schema.App, tag string, log *logWriter) (string, error) {
	tool := detect.Tool(typ)
	if tool == "" {
		return "", buildErr("unknown build type %q", typ)
	}
	// These tools copy the tree and may follow its symlinks: none may
	// lead out of it.
	if err := safepath.CheckTree(dir); errors.Is(err, safepath.ErrEscapes) {
		return "", buildErr("the source has a symlink out of the repository (%v); %s would follow it, so the build is refused", err, tool)
	} else if err != nil {
		return "", err
	}
	path, err := exec.LookPath(tool)
	if err != nil {
		return "", buildErr("build type %s needs the %s CLI on the PATH of the worker on this Docker host, and it is not installed there; install it (%s), or choose another build type (rivetr apps update %s --build-type dockerfile|static)",
			typ, tool, detect.ToolURL(typ), app.Name)
	}
	if err := h.checkExternalImages(ctx, typ, dir, app); err != nil {
		return "", err
	}
	args := ExternalArgs(typ, dir, tag, app)
	log.Line("$ " + tool + " " + strings.Join(args, " "))
	cmd := exec.CommandContext(ctx, path, args...)
	cmd.Dir = dir
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGTERM) }
	cmd.WaitDelay = 10 * time.Second
	pr, pw := io.Pipe()
	cmd.Stdout, cmd.Stderr = pw, pw
	var last []string
	var mu sync.Mutex
	done := make(chan struct{})
	go func() {
		defer close(done)
		sc := bufio.NewScanner(pr)
		sc.Buffer(make([]byte, 64*1024), 1024*1024)
		for sc.Scan() {
			line := sc.Text()
			log.Line(line)
			mu.Lock()
			last = append(last, line)
			if len(last) > 15 {
				last = last[1:]
			}
			mu.Unlock()
		}
		io.Copy(io.Discard, pr)
	}()
	runErr := cmd.Run()
	pw.Close()
	<-done
	if ctx.Err() != nil {
		return "", ctx.Err()
	}
	if runErr != nil {
		mu.Lock()
		defer mu.Unlock()
		return "", buildErr("%s build failed (%v):\n%s", tool, runErr, strings.Join(last, "\n"))
	}
	ok, err := h.Docker.ImageExists(ctx, tag)
	if err != nil {
		return "", err
	}
	if !ok {
		return "", buildErr("%s finished but made no image %s", tool, tag)
	}
	return "", nil
}
