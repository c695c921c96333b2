package activities

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/compose-spec/compose-go/v2/types"

	"github.com/rivetr/rivetr/internal/docker"
	"github.com/rivetr/rivetr/internal/release"
	"github.com/rivetr/rivetr/internal/stack"
	"github.com/rivetr/rivetr/schema"
)

// The steps of a stack's release (build type compose; see package stack):
// load and check the compose file, build the services that have a build,
// start each service in dependency order (after waiting for what it
// depends on), route the app's service through the proxy. Each reloads
// the compose file from the deployment's checkout rather than carrying
// it in workflow history: services' environments hold secrets.

// LabelService names a stack container's service; LabelRouted marks a
// service a stack route (another domain) goes to.
const (
	LabelService = "rivetr.service"
	LabelRouted  = "rivetr.routed"
)

// composeFiles are the names looked for when an app names none, in order.
var composeFiles = []string{"compose.yaml", "compose.yml", "docker-compose.yaml", "docker-compose.yml"}

// ServiceDep is a service a stack service waits for, and for what
// (service_started, service_healthy, service_completed_successfully).
type ServiceDep struct {
	Service   string
	Condition string
}

// ServicePlan is one service of a stack as its release runs it.
type ServicePlan struct {
	Name      string
	Build     bool
	DependsOn []ServiceDep `json:",omitempty"`
	// Routed is the service the app's domains go to; Route, a service
	// other domains go to (its stack routes).
	Routed bool          `json:",omitempty"`
	Route  *ServiceRoute `json:",omitempty"`
	// Stateful services mount named volumes: their old container stops
	// before the new one starts (two would share the data).
	Stateful bool `json:",omitempty"`
}

// ServiceRoute is how a service other domains go to is reached and
// health-checked: its port, health path and first host (the probe's Host).
type ServiceRoute struct {
	Host       string
	Port       int
	HealthPath string
}

// StackPlan is a stack's services in start order.
type StackPlan struct {
	Services []ServicePlan
}

// StackInput names a stack deployment's step.
type StackInput struct {
	DeploymentID string
	Commit       string
	// ImagesOf is, for a rollback, the deployment whose built images run
	// (nothing is built).
	ImagesOf string `json:",omitempty"`
	Service  string `json:",omitempty"`
	// Condition is what WaitService waits for.
	Condition string `json:",omitempty"`
}

// ServiceStarted is a service's new container; URL (the routed service's)
// is where the proxy reaches it; Stopped the old container of a stateful
// service, kept to be started again should the release fail.
type ServiceStarted struct {
	ContainerID string
	URL         string   `json:",omitempty"`
	Stopped     *Stopped `json:",omitempty"`
}

// loadStack reads and checks the deployment's compose file from its
// checkout (fetched again when missing), with the release's env.
func (h *Host) loadStack(ctx context.Context, d *schema.Deployment, app *schema.App, commit string) (*stack.Stack, error) {
	src := path.Join(h.workspace(d.ID), "src")
	if _, err := os.Stat(src); err != nil {
		if err := h.fetch(ctx, app, d.ID, commit); err != nil {
			return nil, err
		}
	}
	file := app.ComposeFile
	if app.ComposeInline != "" {
		file = inlineCompose
	}
	if file == "" {
		for _, f := range composeFiles {
			if p, err := within(src, f, "compose file"); err == nil {
				if _, err := os.Stat(p); err == nil {
					file = f
					break
				}
			}
		}
		if file == "" {
			return nil, nonRetryable(ErrTypeBuild, "no compose file in the repository (looked for %s); name it with --compose-file", strings.Join(composeFiles, ", "))
		}
	}
	p, err := within(src, file, "compose file")
	if err != nil {
		return nil, nonRetryable(ErrTypeBuild, "%v", err)
	}
	content, err := os.ReadFile(p)
	if err != nil {
		return nil, nonRetryable(ErrTypeBuild, "the compose file %s cannot be read: %v", file, err)
	}
	read := func(rel string) ([]byte, error) {
		if app.ComposeInline != "" {
			return nil, fmt.Errorf("a pasted compose file has no repository to read %s from: %w", rel, fs.ErrNotExist)
		}
		p, err := within(src, rel, "env file")
		if err != nil {
			return nil, err
		}
		return os.ReadFile(p)
	}
	dotenv, _ := read(path.Join(path.Dir(file), ".env"))
	vars, err := h.envOf(ctx, d, app)
	if err != nil {
		return nil, err
	}
	env := map[string]string{}
	// A stack's file may name where it is served (a template's base URL).
	if len(app.Domains) > 0 {
		env["RIVETR_DOMAIN"], env["RIVETR_URL"] = app.Domains[0], "https://"+app.Domains[0]
	}
	for _, kv := range vars[1:] { // vars[0] is the app's PORT
		k, v, _ := strings.Cut(kv, "=")
		env[k] = v
	}
	s, err := stack.Load(ctx, stack.Input{Name: app.Name, File: file, Compose: content, DotEnv: dotenv, Env: env, Profiles: app.StackProfiles, ReadFile: read, Images: h.Images})
	if err != nil {
		return nil, nonRetryable(ErrTypeBuild, "%v", err)
	}
	if app.ComposeInline != "" {
		for _, name := range s.Order {
			if s.Project.Services[name].Build != nil {
				return nil, nonRetryable(ErrTypeBuild, "service %s has a build, but a pasted compose file has no repository to build from: give it an image, or deploy the compose file from a repository", name)
			}
		}
	}
	for _, r := range app.StackRoutes {
		if _, ok := s.Project.Services[r.Service]; !ok {
			return nil, nonRetryable(ErrTypeBuild, "the app routes %s to service %q, which %s does not have (it has %s); change the route with rivetr apps update %s --route HOST=SERVICE:PORT",
				r.Host, r.Service, file, strings.Join(s.Order, ", "), app.Name)
		}
	}
	if _, ok := s.Project.Services[app.StackService]; !ok {
		return nil, nonRetryable(ErrTypeBuild, "the app routes to service %q, which %s does not have (it has %s); set it with rivetr apps update %s --service NAME",
			app.StackService, file, strings.Join(s.Order, ", "), app.Name)
	}
	return s, nil
}

// stackOf loads a stack step's deployment, app and stack.
func (h *Host) stackOf(ctx context.Context, in StackInput) (*schema.Deployment, *schema.App, *stack.Stack, error) {
	d, app, err := deploymentAndApp(ctx, h.Store, in.DeploymentID)
	if err != nil {
		return nil, nil, nil, err
	}
	s, err := h.loadStack(ctx, d, app, in.Commit)
	return d, app, s, err
}

// LoadStack checks the deployment's compose file and returns its plan.
func (h *Host) LoadStack(ctx context.Context, in StackInput) (*StackPlan, error) {
	stop := heartbeat(ctx, 3*time.Second)
	defer stop()
	d, app, s, err := h.stackOf(ctx, in)
	if err != nil {
		return nil, err
	}
	plan := &StackPlan{}
	for _, name := range s.Order {
		svc := s.Project.Services[name]
		sp := ServicePlan{Name: name, Build: svc.Build != nil, Routed: name == app.StackService}
		if r, ok := serviceRoute(app, name); ok {
			sp.Route = &ServiceRoute{Host: r.Host, Port: r.Port, HealthPath: r.HealthPath}
		}
		for dep, c := range svc.DependsOn {
			if c.Condition == types.ServiceConditionHealthy && s.Project.Services[dep].HealthCheck == nil {
				return nil, nonRetryable(ErrTypeBuild, "service %s waits for %s to be healthy, but %s has no healthcheck", name, dep, dep)
			}
			sp.DependsOn = append(sp.DependsOn, ServiceDep{Service: dep, Condition: c.Condition})
		}
		sort.Slice(sp.DependsOn, func(i, j int) bool { return sp.DependsOn[i].Service < sp.DependsOn[j].Service })
		for _, v := range svc.Volumes {
			sp.Stateful = sp.Stateful || v.Type == types.VolumeTypeVolume && v.Source != ""
		}
		plan.Services = append(plan.Services, sp)
	}
	log := newLogWriter(h.Store, d.ID, "system")
	log.Line(fmt.Sprintf("stack %s: services %s, in that order; %s is routed to %s", app.Name, strings.Join(s.Order, ", "), app.StackService, strings.Join(app.MainDomains(), ", ")))
	for _, r := range release.RoutedServices(app.StackRoutes) {
		log.Line(fmt.Sprintf("stack %s: %s is routed to %s (port %d, health %s)", app.Name, r.Service, strings.Join(release.RouteHosts(app.StackRoutes, r.Service), ", "), r.Port, r.HealthPath))
	}
	log.Close()
	return plan, nil
}

// BuildServices builds the services that have a build from the
// repository (each image tagged for this deployment, so a rollback finds
// it), streaming the builders' output into the deployment's log.
func (h *Host) BuildServices(ctx context.Context, in StackInput) error {
	d, app, s, err := h.stackOf(ctx, in)
	if err != nil {
		return err
	}
	stop := heartbeat(ctx, 3*time.Second)
	defer stop()
	log := newLogWriter(h.Store, d.ID, "build")
	defer log.Close()
	src := path.Join(h.workspace(d.ID), "src")
	for _, name := range s.Order {
		svc := s.Project.Services[name]
		tag := release.ServiceImage(app.ID, name, d.ID)
		if in.ImagesOf != "" && svc.Build != nil {
			old := release.ServiceImage(app.ID, name, in.ImagesOf)
			if ok, err := h.Docker.ImageExists(ctx, old); err != nil {
				return err
			} else if !ok {
				return nonRetryable(ErrTypeImageMissing, "service %s: image %s of deployment %s no longer exists", name, old, in.ImagesOf)
			}
			log.Line("service " + name + ": running " + old + " again")
			continue
		}
		if svc.Build == nil {
			if ok, err := h.Docker.ImageExists(ctx, svc.Image); err != nil {
				return err
			} else if !ok {
				return nonRetryable(ErrTypeImageMissing, "service %s: image %s is not on this host (pull it there, or build it from the repository with build:)", name, svc.Image)
			}
			continue
		}
		if ok, err := h.Docker.ImageExists(ctx, tag); err != nil || ok {
			if err != nil {
				return err
			}
			continue // built by an attempt that died before reporting back
		}
		rel := strings.TrimPrefix(strings.TrimPrefix(svc.Build.Context, "/rivetr-stack"), "/")
		dir, err := within(src, rel, "build context of service "+name)
		if err != nil {
			return nonRetryable(ErrTypeBuild, "%v", err)
		}
		df := svc.Build.Dockerfile
		if df == "" {
			df = "Dockerfile"
		}
		dfPath, err := within(dir, df, "Dockerfile of service "+name)
		if err != nil {
			return nonRetryable(ErrTypeBuild, "%v", err)
		}
		if err := h.checkBaseImages(ctx, app, dfPath); err != nil {
			return err
		}
		args := map[string]string{}
		for k, v := range svc.Build.Args {
			if v != nil {
				args[k] = *v
			}
		}
		log.Line("service " + name + ": building " + tag)
		if _, err := h.Docker.Build(ctx, docker.BuildSpec{ContextDir: dir, Dockerfile: df, Tag: tag, BuildArgs: args, Target: svc.Build.Target}, log.Line); err != nil {
			if errors.Is(err, docker.ErrBuildFailed) || errors.Is(err, docker.ErrNoDockerfile) {
				return nonRetryable(ErrTypeBuild, "service %s: %s", name, strings.TrimPrefix(err.Error(), docker.ErrBuildFailed.Error()+": "))
			}
			return err
		}
	}
	return nil
}

// StartService starts a service's container for this deployment on the
// stack's network (the routed one on its team's network too), with its
// volumes; a stateful service's old container is stopped first.
func (h *Host) StartService(ctx context.Context, in StackInput) (*ServiceStarted, error) {
	stop := heartbeat(ctx, 3*time.Second)
	defer stop()
	d, app, s, err := h.stackOf(ctx, in)
	if err != nil {
		return nil, err
	}
	svc, ok := s.Project.Services[in.Service]
	if !ok {
		return nil, nonRetryable(ErrTypeBuild, "the compose file no longer has service %s", in.Service)
	}
	stackNet, teamNet := release.StackNetwork(app.ID), release.TeamNetwork(h.Network, app.TeamID)
	for _, n := range []string{stackNet, teamNet} {
		if err := h.Docker.EnsureNetwork(ctx, n); err != nil {
			return nil, err
		}
	}
	labels := map[string]string{docker.LabelManaged: "true", docker.LabelApp: app.Name, docker.LabelAppID: app.ID, docker.LabelTeam: app.TeamID}
	if h.Instance != "" {
		labels[docker.LabelInstance] = h.Instance
	}
	var mounts []docker.VolumeMount
	tmpfs := slices.Clone(svc.Tmpfs)
	named := false
	for _, v := range svc.Volumes {
		if v.Type == types.VolumeTypeTmpfs {
			tmpfs = append(tmpfs, v.Target)
			continue
		}
		name := release.StackVolume(app.ID, v.Source)
		named = named || v.Source != ""
		if v.Source == "" { // anonymous: the deployment's own
			name = release.StackVolume(app.ID, in.Service+"-"+d.ID+"-"+strconv.Itoa(len(mounts)))
		}
		if have, ok, err := h.Docker.VolumeLabels(ctx, name); err != nil {
			return nil, err
		} else if ok && (have[docker.LabelAppID] != app.ID || !docker.Ours(have, h.Instance)) {
			return nil, nonRetryable(ErrTypeUnhealthy, "the Docker volume %s was not made for %s by this installation; it is not mounted", name, app.Name)
		}
		vl := map[string]string{LabelVolume: v.Source}
		for k, val := range labels {
			vl[k] = val
		}
		if err := h.Docker.EnsureVolume(ctx, name, vl); err != nil {
			return nil, err
		}
		mounts = append(mounts, docker.VolumeMount{Volume: name, Path: v.Target})
	}
	out := &ServiceStarted{}
	if named {
		if out.Stopped, err = h.stopOldService(ctx, app, d, in.Service); err != nil {
			return nil, err
		}
	}
	image := svc.Image
	if svc.Build != nil {
		image = release.ServiceImage(app.ID, in.Service, cmp.Or(in.ImagesOf, d.ID))
	}
	env := make([]string, 0, len(svc.Environment))
	for k, v := range svc.Environment {
		if v != nil {
			env = append(env, k+"="+*v)
		}
	}
	sort.Strings(env)
	cl := map[string]string{docker.LabelDeployment: d.ID, LabelService: in.Service}
	route, routed := serviceRoute(app, in.Service)
	if in.Service == app.StackService || routed {
		cl[docker.LabelNetwork] = teamNet // where the proxy reaches it
	}
	if routed {
		cl[LabelRouted] = "true"
	}
	for k, v := range labels {
		cl[k] = v
	}
	spec := docker.RunSpec{
		Name: release.ServiceContainer(app.Name, in.Service, d.ID), Image: image, Env: env, Labels: cl,
		Network: stackNet, Aliases: []string{in.Service}, Mounts: mounts, Tmpfs: tmpfs, Confined: true,
		Cmd: svc.Command, Entrypoint: svc.Entrypoint, User: svc.User, WorkDir: svc.WorkingDir, Restart: restartPolicy(svc.Restart),
		MemoryMB: int64(svc.MemLimit) >> 20, CPUs: float64(svc.CPUS),
	}
	if hc := svc.HealthCheck; hc != nil && !hc.Disable {
		spec.Health = &docker.Health{Test: hc.Test, Retries: int(ptrOr(hc.Retries, 3))}
		spec.Health.Interval, spec.Health.Timeout, spec.Health.StartPeriod = durOr(hc.Interval), durOr(hc.Timeout), durOr(hc.StartPeriod)
	}
	id, err := h.Docker.Run(ctx, spec)
	if err != nil {
		if errors.Is(err, docker.ErrNotFound) {
			return nil, nonRetryable(ErrTypeImageMissing, "service %s: image %s is not on this host", in.Service, image)
		}
		return nil, err
	}
	out.ContainerID = id
	port := app.Port
	switch {
	case routed:
		port = route.Port
	case in.Service != app.StackService:
		return out, nil
	}
	if err := h.Docker.Connect(ctx, teamNet, id, nil); err != nil && !strings.Contains(err.Error(), "already exists") {
		return nil, err
	}
	// The routed service's image stands for the deployment's (the lists,
	// the rollback rules).
	if !routed {
		if err := h.Store.UpdateDeployment(ctx, d.ID, schema.DeploymentUpdate{ContainerID: id, Image: image}); err != nil {
			return nil, gone(err)
		}
	}
	var st docker.State
	for i := 0; i < 50; i++ {
		if st, err = h.Docker.Inspect(ctx, id, teamNet); err != nil {
			return nil, err
		}
		if st.IP != "" || !st.Running {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if st.IP == "" {
		return nil, nonRetryable(ErrTypeUnhealthy, "service %s exited at start (%s)%s", in.Service, st.Exit(), h.lastLogs(ctx, id, 20))
	}
	out.URL = "http://" + net.JoinHostPort(st.IP, strconv.Itoa(port))
	return out, nil
}

// serviceRoute is the first stack route to service (its port and health
// path are all of its routes').
func serviceRoute(app *schema.App, service string) (release.StackRoute, bool) {
	for _, r := range app.StackRoutes {
		if r.Service == service {
			return r, true
		}
	}
	return release.StackRoute{}, false
}

// stopOldService stops the running container of service from an earlier
// deployment of app, for a stateful service (its volume takes one).
func (h *Host) stopOldService(ctx context.Context, app *schema.App, d *schema.Deployment, service string) (*Stopped, error) {
	cs, err := h.Docker.Containers(ctx, map[string]string{docker.LabelApp: app.Name, LabelService: service})
	if err != nil {
		return nil, err
	}
	for _, c := range cs {
		if c.Labels[docker.LabelDeployment] == d.ID || c.State != "running" || !docker.Ours(c.Labels, h.Instance) {
			continue
		}
		if err := h.Docker.Stop(ctx, c.ID, stopGrace); err != nil && !errors.Is(err, docker.ErrNotFound) {
			return nil, err
		}
		_ = h.Store.AppendLogs(ctx, []schema.LogLine{{DeploymentID: d.ID, Time: time.Now().UTC(), Stream: "system",
			Text: "service " + service + " keeps data in a volume: stopped its container of deployment " + c.Labels[docker.LabelDeployment] + " before starting the new one"}})
		return &Stopped{Deployment: c.Labels[docker.LabelDeployment], ContainerID: c.ID}, nil
	}
	return nil, nil
}

// WaitService waits until a service of this deployment meets condition:
// started (running), healthy (its healthcheck passes), or completed
// successfully (exited 0). It fails, with the service's last lines, when
// the service cannot meet it any more or within the app's health deadline.
func (h *Host) WaitService(ctx context.Context, in StackInput) error {
	d, app, err := deploymentAndApp(ctx, h.Store, in.DeploymentID)
	if err != nil {
		return err
	}
	stop := heartbeat(ctx, 3*time.Second)
	defer stop()
	name := release.ServiceContainer(app.Name, in.Service, d.ID)
	deadline := time.Now().Add(app.HealthDeadline.D())
	for {
		st, err := h.Docker.Inspect(ctx, name, "")
		if err != nil {
			return err
		}
		switch in.Condition {
		case types.ServiceConditionCompletedSuccessfully:
			if !st.Running && st.Status == "exited" {
				if st.ExitCode == 0 {
					return nil
				}
				return nonRetryable(ErrTypeUnhealthy, "service %s did not complete successfully (%s)%s", in.Service, st.Exit(), h.lastLogs(ctx, st.ID, 20))
			}
		case types.ServiceConditionHealthy:
			if st.Health == "healthy" {
				return nil
			}
			if st.Health == "unhealthy" || !st.Running && st.Status == "exited" {
				return nonRetryable(ErrTypeUnhealthy, "service %s is not healthy (%s, healthcheck %s)%s", in.Service, st.Exit(), st.Health, h.lastLogs(ctx, st.ID, 20))
			}
		default: // service_started
			if st.Running {
				return nil
			}
			if st.Status == "exited" {
				return nonRetryable(ErrTypeUnhealthy, "service %s exited at start (%s)%s", in.Service, st.Exit(), h.lastLogs(ctx, st.ID, 20))
			}
		}
		if time.Now().After(deadline) {
			return nonRetryable(ErrTypeUnhealthy, "service %s did not become %s within %s%s", in.Service, strings.TrimPrefix(in.Condition, "service_"), app.HealthDeadline.D(), h.lastLogs(ctx, st.ID, 20))
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// StackDone forgets a stack deployment's checkout once its services run.
func (h *Host) StackDone(_ context.Context, in StackInput) error {
	return os.RemoveAll(h.workspace(in.DeploymentID))
}

// restartPolicy is compose's restart as a Docker policy (compose's
// default is no).
func restartPolicy(r string) string {
	switch {
	case r == "", r == "no":
		return "no"
	case strings.HasPrefix(r, "on-failure"):
		return "on-failure"
	}
	return r
}

func ptrOr(p *uint64, d uint64) uint64 {
	if p == nil {
		return d
	}
	return *p
}

func durOr(d *types.Duration) time.Duration {
	if d == nil {
		return 0
	}
	return time.Duration(*d)
}
