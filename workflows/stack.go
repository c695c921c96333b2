package workflows

import (
	"errors"
	"fmt"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/rivetr/rivetr/activities"
	"github.com/rivetr/rivetr/internal/release"
)

// StackName is the stack workflow's type name.
const StackName = "StackWorkflow"

// StackRunInput starts a stack's release: the deployment (its gates met
// and its source fetched at Commit by DeployWorkflow) and its plan.
type StackRunInput struct {
	DeploymentID string
	HostQueue    string
	Commit       string
	// ImagesOf is, for a rollback, the deployment whose images it runs.
	ImagesOf string `json:",omitempty"`
	Plan     activities.Plan
}

// The stack release's own steps (the rest are the app release's).
var (
	loadStackStep  = step{release.StepBuild, "load the compose file", 5 * time.Minute, 10 * time.Second, 5, ErrBuild}
	buildStackStep = step{release.StepBuild, "build the stack's images", time.Hour, 10 * time.Second, 3, ErrBuild}
	serviceStep    = step{release.StepStart, "start a service", 2 * time.Minute, 10 * time.Second, 5, ErrStart}
	waitStep       = step{"", "wait for a service", 0, 10 * time.Second, 0, ErrStart}
	stackDoneStep  = step{"", "forget the checkout", time.Minute, 0, 5, nil}
)

// StackWorkflow releases a stack (an app of build type compose) as a
// runbook: load and check the compose file → build the services that
// build → for each service in dependency order, wait for what it depends
// on (started, healthy, completed successfully), then start it (a
// service keeping data in a volume stops its old container first) → the
// app's service: health check → switch → drain, as an app. If anything
// fails before the switch, the new containers are removed and the old
// stateful services started again; the old version keeps serving.
func StackWorkflow(ctx workflow.Context, in StackRunInput) (*Result, error) {
	r := &run{ctx: ctx, in: DeployInput{DeploymentID: in.DeploymentID, HostQueue: in.HostQueue}, plan: in.Plan}
	res, err := r.stack(in.Commit, in.ImagesOf)
	if err == nil {
		return res, nil
	}
	r.restoreServices()
	if temporal.IsCanceledError(err) || errors.Is(ctx.Err(), workflow.ErrCanceled) {
		return nil, err
	}
	// The parent reads the reason as people do: the step, then the cause.
	return nil, temporal.NewNonRetryableApplicationError(Reason(err), "StackFailed", err)
}

func (r *run) stack(commit, imagesOf string) (*Result, error) {
	ctx, id := r.ctx, r.in.DeploymentID
	si := activities.StackInput{DeploymentID: id, Commit: commit, ImagesOf: imagesOf}
	var plan activities.StackPlan
	if err := r.do(ctx, loadStackStep, activities.TransitionInput{}, act.Host.LoadStack, si, &plan); err != nil {
		return nil, err
	}
	if err := r.do(ctx, buildStackStep, activities.TransitionInput{}, act.Host.BuildServices, si, nil); err != nil {
		return nil, err
	}
	if err := r.waitDependencies(); err != nil {
		return nil, err
	}
	wait := waitStep.within(r.plan.HealthDeadline+time.Minute, waitStep.Heartbeat)
	var routed activities.Candidate
	var extra []routeCandidate
	for _, svc := range plan.Services {
		for _, dep := range svc.DependsOn {
			if err := r.do(ctx, wait, activities.TransitionInput{}, act.Host.WaitService,
				activities.StackInput{DeploymentID: id, Commit: commit, ImagesOf: imagesOf, Service: dep.Service, Condition: dep.Condition}, nil); err != nil {
				return nil, fmt.Errorf("service %s waits for %s: %w", svc.Name, dep.Service, err)
			}
		}
		var st activities.ServiceStarted
		if err := r.do(ctx, serviceStep, activities.TransitionInput{Status: release.StatusDeploying}, act.Host.StartService,
			activities.StackInput{DeploymentID: id, Commit: commit, ImagesOf: imagesOf, Service: svc.Name}, &st); err != nil {
			return nil, err
		}
		if st.Stopped != nil {
			r.stoppedServices = append(r.stoppedServices, stoppedService{svc.Name, *st.Stopped})
		}
		if svc.Routed {
			routed = activities.Candidate{ContainerID: st.ContainerID, URL: st.URL}
		}
		if svc.Route != nil {
			extra = append(extra, routeCandidate{Service: svc.Name, Route: *svc.Route, Candidate: activities.Candidate{ContainerID: st.ContainerID, URL: st.URL}})
		}
	}
	// Services other domains go to pass their health checks first; they
	// switch with the app's service (serve).
	if len(extra) > 0 && workflow.GetVersion(ctx, "stack-routes", workflow.DefaultVersion, 1) == 1 {
		p := r.plan
		health := healthStep.within(p.HealthDeadline+time.Minute, 3*p.HealthInterval+p.HealthTimeout+5*time.Second)
		for _, e := range extra {
			if err := r.do(ctx, health, activities.TransitionInput{}, act.Host.HealthCheck, activities.HealthInput{
				DeploymentID: id, Candidate: e.Candidate, Path: e.Route.HealthPath, Host: e.Route.Host,
				Interval: p.HealthInterval, Timeout: p.HealthTimeout, Deadline: p.HealthDeadline,
			}, nil); err != nil {
				return nil, fmt.Errorf("service %s (%s): %w", e.Service, e.Route.Host, err)
			}
		}
		r.routes = extra
	}
	res, err := r.serve(routed)
	if err == nil {
		r.stoppedServices = nil
		after, _ := workflow.NewDisconnectedContext(ctx)
		if derr := r.do(after, stackDoneStep, activities.TransitionInput{}, act.Host.StackDone, si, nil); derr != nil {
			r.warn("removing the stack's checkout failed", derr)
		}
	}
	return res, err
}

// routeCandidate is the new container of a service stack routes go to.
type routeCandidate struct {
	Service   string
	Route     activities.ServiceRoute
	Candidate activities.Candidate
}

// stoppedService is a stateful service's old container a stack release
// stopped.
type stoppedService struct {
	Service string
	Stopped activities.Stopped
}

// restoreServices removes what the failed stack release started, then
// starts the old stateful services it stopped again.
func (r *run) restoreServices() {
	if len(r.stoppedServices) == 0 {
		return
	}
	ctx, _ := workflow.NewDisconnectedContext(r.ctx)
	if err := r.do(ctx, cleanupStep, activities.TransitionInput{}, act.Host.Cleanup,
		activities.CleanupInput{DeploymentID: r.in.DeploymentID, App: r.plan.App}, nil); err != nil {
		r.warn("removing the failed stack's containers failed", err)
	}
	for _, s := range r.stoppedServices {
		if err := r.do(ctx, restartStep, activities.TransitionInput{}, act.Host.RestartStopped, activities.RestartInput{
			DeploymentID: r.in.DeploymentID, AppID: r.plan.AppID, Stopped: s.Stopped, Service: s.Service,
		}, nil); err != nil {
			r.warn("starting service "+s.Service+" again failed", err)
		}
	}
}
