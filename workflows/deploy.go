package workflows

import (
	"errors"
	"fmt"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/rivetr/rivetr/activities"
	"github.com/rivetr/rivetr/internal/detect"
	"github.com/rivetr/rivetr/internal/release"
)

// act names the activities workflows call, through nil pointers of their
// structs (package worker registers the real ones).
var act struct {
	Records         *activities.Records
	Host            *activities.Host
	Databases       *activities.Databases
	DatabaseRecords *activities.DatabaseRecords
	Backups         *activities.Backups
	Reports         *activities.Reports
	Previews        *activities.Previews
	Starts          *activities.Starts
}

// DeployInput starts a deployment. It carries IDs only: activities read the
// app's settings and secrets from the store.
type DeployInput struct {
	DeploymentID string
	HostQueue    string
}

// Result is what a deploy or rollback workflow returns.
type Result struct {
	DeploymentID string
	Status       release.Status
	Reason       string `json:",omitempty"`
	Previous     string `json:",omitempty"`
}

// Sentinel errors, one per step, so a failure names where it happened.
var (
	ErrSource  = errors.New("fetching the source failed")
	ErrBuild   = errors.New("build failed")
	ErrStart   = errors.New("starting the new container failed")
	ErrHealth  = errors.New("the new container never became healthy")
	ErrSwitch  = errors.New("switching traffic failed")
	ErrPrepare = errors.New("loading the deployment failed")
	ErrStop    = errors.New("stopping the old version failed")
	// ErrDependencies: what the app needs never became ready.
	ErrDependencies = errors.New("waiting for what the app needs failed")
	// ErrDrain never fails a deployment: traffic has switched by then.
	ErrDrain = errors.New("draining the old version failed")
)

// step is one step of a release, as the runbook's table lists it: the
// deployment step it records, how its activity runs on the deployment's
// host, and the sentinel its failure is wrapped in.
type step struct {
	Name      release.Step
	Summary   string // shown in the Temporal UI
	Timeout   time.Duration
	Heartbeat time.Duration
	Attempts  int32 // 0: until it succeeds or fails for good
	Err       error
}

// The release's steps. Health and drain take their timeouts from the
// app's settings (see within).
var (
	sourceStep  = step{release.StepSource, "fetch source", 10 * time.Minute, 10 * time.Second, 5, ErrSource}
	buildStep   = step{release.StepBuild, "docker build", time.Hour, 10 * time.Second, 3, ErrBuild}
	startStep   = step{release.StepStart, "start candidate", 2 * time.Minute, 0, 5, ErrStart}
	healthStep  = step{release.StepHealth, "health check", 0, 0, 10, ErrHealth}
	switchStep  = step{release.StepSwitch, "switch traffic", 30 * time.Second, 0, 0, ErrSwitch}
	drainStep   = step{release.StepDrain, "drain old version", 0, 10 * time.Second, 0, ErrDrain}
	cleanupStep = step{"", "clean up", 2 * time.Minute, 0, 10, nil}
	// Stop-first releases (release.StopFirst) only.
	stopStep    = step{release.StepStop, "hold requests, stop old version", 0, 10 * time.Second, 5, ErrStop}
	restartStep = step{"", "start old version again", 2 * time.Minute, 0, 5, nil}
	rerouteStep = step{"", "route back to old version", 30 * time.Second, 0, 0, nil}
)

// within returns s with its start-to-close and heartbeat timeouts set.
func (s step) within(timeout, heartbeat time.Duration) step {
	s.Timeout, s.Heartbeat = timeout, heartbeat
	return s
}

// hostErrors are the activities' errors that retrying cannot fix.
var hostErrors = []string{
	activities.ErrTypeSource, activities.ErrTypeBuild, activities.ErrTypeUnhealthy,
	activities.ErrTypeImageMissing, activities.ErrTypeGone, activities.ErrTypeSecret,
}

// run holds one deployment's context and plan while its workflow runs.
type run struct {
	ctx  workflow.Context
	in   DeployInput
	plan activities.Plan
	// stopped is the version a stop-first release stopped, until the new
	// one serves: a failure starts it again.
	stopped *activities.Stopped
	// routes are a stack's services other domains go to, switched and
	// drained with the app's service.
	routes []routeCandidate
	// stoppedServices are the old containers of a stack's stateful
	// services, started again should the stack's release fail.
	stoppedServices []stoppedService
}

var storeRetry = &temporal.RetryPolicy{
	InitialInterval:    time.Second,
	BackoffCoefficient: 2,
	MaximumInterval:    30 * time.Second,
	// Database outages delay a deploy; they never fail it.
	MaximumAttempts:        0,
	NonRetryableErrorTypes: []string{activities.ErrTypeGone},
}

// storeCtx runs store-only steps as local activities: they execute in the
// workflow's own worker, which has the store, without a round trip through a
// task queue each. Deploy latency is dominated by these small steps.
func storeCtx(ctx workflow.Context) workflow.Context {
	return workflow.WithLocalActivityOptions(ctx, workflow.LocalActivityOptions{
		StartToCloseTimeout: 30 * time.Second,
		RetryPolicy:         storeRetry,
	})
}

// do records that the deployment reached s (with the other fields of tr),
// runs s's activity on the deployment's host queue, and wraps a failure in
// s's sentinel: one line of the runbook.
func (r *run) do(ctx workflow.Context, s step, tr activities.TransitionInput, fn, in, out any) error {
	if s.Name != "" {
		tr.Step = s.Name
		if err := r.transition(ctx, tr); err != nil {
			return err
		}
	}
	opts := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		TaskQueue:           r.in.HostQueue,
		StartToCloseTimeout: s.Timeout,
		HeartbeatTimeout:    s.Heartbeat,
		WaitForCancellation: true,
		Summary:             s.Summary,
		RetryPolicy: &temporal.RetryPolicy{
			InitialInterval:        time.Second,
			BackoffCoefficient:     2,
			MaximumInterval:        20 * time.Second,
			MaximumAttempts:        s.Attempts,
			NonRetryableErrorTypes: hostErrors,
		},
	})
	if err := workflow.ExecuteActivity(opts, fn, in).Get(ctx, out); err != nil {
		if s.Err == nil {
			return err
		}
		return fmt.Errorf("%w: %w", s.Err, err)
	}
	return nil
}

// transition records the deployment's progress (a local activity).
func (r *run) transition(ctx workflow.Context, in activities.TransitionInput) error {
	in.DeploymentID = r.in.DeploymentID
	return workflow.ExecuteLocalActivity(storeCtx(ctx), act.Records.Transition, in).Get(ctx, nil)
}

// warn logs an error a workflow goes on after.
func (r *run) warn(msg string, err error) {
	workflow.GetLogger(r.ctx).Warn(msg, "deployment", r.in.DeploymentID, "err", err)
}

// DeployWorkflow builds a deployment from git and releases it:
// gates → source → build → start candidate → health check → switch → drain.
// If anything fails before the switch, the candidate is removed and the
// previous version keeps serving.
func DeployWorkflow(ctx workflow.Context, in DeployInput) (*Result, error) {
	return runGated(ctx, in, (*run).deploy)
}

// RollbackInput starts a rollback: a deployment of kind rollback whose
// RollbackOf names the earlier deployment whose image it brings back.
type RollbackInput = DeployInput

// RollbackWorkflow puts an earlier deployment's image back into service
// with the same gates, health check, switch and drain as a deploy.
func RollbackWorkflow(ctx workflow.Context, in RollbackInput) (*Result, error) {
	return runGated(ctx, in, (*run).rollback)
}

// runGated is what deploys and rollbacks share: load the plan, meet the
// gates, run body, and record how it ended.
func runGated(ctx workflow.Context, in DeployInput, body func(*run) (*Result, error)) (*Result, error) {
	r := &run{ctx: ctx, in: in}
	if err := workflow.ExecuteLocalActivity(storeCtx(ctx), act.Records.Prepare, activities.PrepareInput{DeploymentID: in.DeploymentID}).Get(ctx, &r.plan); err != nil {
		return &Result{DeploymentID: in.DeploymentID}, fmt.Errorf("%w: %w", ErrPrepare, err)
	}
	if r.plan.Status.Terminal() {
		// Cancelled while queued, or finished by an earlier run.
		return &Result{DeploymentID: in.DeploymentID, Status: r.plan.Status}, nil
	}
	v, err := r.gates()
	switch {
	case err != nil:
		return r.finish(nil, err)
	case v.Ended:
		return &Result{DeploymentID: in.DeploymentID, Status: v.Status, Reason: v.Reason}, nil
	}
	return r.finish(body(r))
}

// deploy: source → build → release.
func (r *run) deploy() (*Result, error) {
	ctx, id := r.ctx, r.in.DeploymentID
	var src activities.SourceResult
	if err := r.do(ctx, sourceStep, activities.TransitionInput{Status: release.StatusBuilding, Started: true}, act.Host.FetchSource,
		activities.SourceInput{DeploymentID: id, Commit: r.plan.Commit}, &src); err != nil {
		return nil, err
	}
	if r.plan.BuildType == detect.Compose {
		return r.stackChild(src.Commit, "")
	}
	var built activities.BuildResult
	if err := r.do(ctx, buildStep, activities.TransitionInput{}, act.Host.Build, activities.BuildInput{DeploymentID: id, Commit: src.Commit}, &built); err != nil {
		return nil, err
	}
	if err := r.transition(ctx, activities.TransitionInput{Image: built.Image, Message: "built image " + built.Image}); err != nil {
		return nil, err
	}
	return r.release(built.Image)
}

// stackRollback brings a stack's earlier revision back: its compose file
// (the commit it was deployed from) and the images it built.
func (r *run) stackRollback() (*Result, error) {
	var src activities.SourceResult
	if err := r.do(r.ctx, sourceStep, activities.TransitionInput{
		Status: release.StatusBuilding, Started: true, Message: fmt.Sprintf("rolling the stack back to deployment %s (commit %s)", r.plan.RollbackOf, r.plan.Commit),
	}, act.Host.FetchSource, activities.SourceInput{DeploymentID: r.in.DeploymentID, Commit: r.plan.Commit}, &src); err != nil {
		return nil, err
	}
	return r.stackChild(src.Commit, r.plan.RollbackOf)
}

// stackChild releases a stack through StackWorkflow, a child of this
// deployment's workflow (cancelled with it); imagesOf, for a rollback,
// is the deployment whose built images it runs.
func (r *run) stackChild(commit, imagesOf string) (*Result, error) {
	ctx := workflow.WithChildOptions(r.ctx, workflow.ChildWorkflowOptions{
		WorkflowID:            StackID(r.plan.App, r.in.DeploymentID),
		WaitForCancellation:   true,
		TypedSearchAttributes: temporal.NewSearchAttributes(AppKey.ValueSet(r.plan.App), KindKey.ValueSet("stack"), DeploymentKey.ValueSet(r.in.DeploymentID)),
	})
	var res Result
	err := workflow.ExecuteChildWorkflow(ctx, StackWorkflow, StackRunInput{DeploymentID: r.in.DeploymentID, HostQueue: r.in.HostQueue, Commit: commit, ImagesOf: imagesOf, Plan: r.plan}).Get(ctx, &res)
	if err != nil {
		return nil, err
	}
	return &res, nil
}

// rollback releases the earlier deployment's image, then marks the
// deployment rolled away from, so the timeline says so.
func (r *run) rollback() (*Result, error) {
	var res *Result
	var err error
	if r.plan.BuildType == detect.Compose {
		res, err = r.stackRollback()
	} else {
		if err := r.transition(r.ctx, activities.TransitionInput{
			Status: release.StatusDeploying, Step: release.StepStart, Started: true, Image: r.plan.Image,
			Message: fmt.Sprintf("rolling back to deployment %s (image %s)", r.plan.RollbackOf, r.plan.Image),
		}); err != nil {
			return nil, err
		}
		res, err = r.release(r.plan.Image)
	}
	if err == nil && res.Previous != "" {
		if merr := workflow.ExecuteLocalActivity(storeCtx(r.ctx), act.Records.Mark, activities.MarkInput{
			DeploymentID: res.Previous, Status: release.StatusRolledBack, Reason: "rolled back by deployment " + r.in.DeploymentID,
		}).Get(r.ctx, nil); merr != nil {
			r.warn("could not mark the deployment rolled back from", merr)
		}
	}
	return res, err
}

// release runs image as the app's new version: start → health → switch →
// drain, then hands removing the old container to RetireWorkflow. Once
// traffic has switched the deployment has succeeded; what follows runs to
// completion even if the workflow is cancelled.
func (r *run) release(image string) (*Result, error) {
	ctx, p, id := r.ctx, r.plan, r.in.DeploymentID
	if err := r.waitDependencies(); err != nil {
		return nil, err
	}
	if p.Strategy == release.StopFirst && workflow.GetVersion(ctx, "stop-first", workflow.DefaultVersion, 1) == 1 {
		// The old version stops first (its volume cannot take two); the
		// proxy holds the app's requests until the new one serves.
		var stopped activities.Stopped
		stop := stopStep.within(p.DrainTimeout+stopGraceMargin, stopStep.Heartbeat)
		if err := r.do(ctx, stop, activities.TransitionInput{Status: release.StatusDeploying}, act.Host.StopServing, activities.StopServingInput{
			DeploymentID: id, AppID: p.AppID, App: p.App, Hold: release.HoldBound(p.DrainTimeout, p.HealthDeadline), Drain: p.DrainTimeout,
		}, &stopped); err != nil {
			r.stopped = &activities.Stopped{} // the hold, at least, ends
			return nil, err
		}
		r.stopped = &stopped
	}
	var cand activities.Candidate
	if err := r.do(ctx, startStep, activities.TransitionInput{Status: release.StatusDeploying}, act.Host.StartCandidate,
		activities.StartInput{DeploymentID: id, Image: image}, &cand); err != nil {
		return nil, err
	}
	return r.serve(cand)
}

// waitDependencies waits until what the app needs is ready, before
// anything of the new version starts (or the old stops).
func (r *run) waitDependencies() error {
	ctx, p := r.ctx, r.plan
	if len(p.Dependencies) == 0 || workflow.GetVersion(ctx, "dependencies", workflow.DefaultVersion, 1) != 1 {
		return nil
	}
	wctx := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		TaskQueue: TaskQueue, StartToCloseTimeout: activities.DependencyWait + time.Minute, HeartbeatTimeout: 10 * time.Second,
		WaitForCancellation: true, Summary: "wait for dependencies",
		RetryPolicy: &temporal.RetryPolicy{MaximumInterval: 10 * time.Second, NonRetryableErrorTypes: hostErrors},
	})
	if err := workflow.ExecuteActivity(wctx, act.Records.WaitDependencies, activities.WaitDependenciesInput{
		DeploymentID: r.in.DeploymentID, Dependencies: p.Dependencies, Within: activities.DependencyWait,
	}).Get(ctx, nil); err != nil {
		return fmt.Errorf("%w: %w", ErrDependencies, err)
	}
	return nil
}

// serve makes the started candidate the app's version: health check →
// switch → drain, then hands removing the old version to RetireWorkflow.
func (r *run) serve(cand activities.Candidate) (*Result, error) {
	ctx, p, id := r.ctx, r.plan, r.in.DeploymentID
	health := healthStep.within(p.HealthDeadline+time.Minute, 3*p.HealthInterval+p.HealthTimeout+5*time.Second)
	if err := r.do(ctx, health, activities.TransitionInput{ContainerID: cand.ContainerID}, act.Host.HealthCheck, activities.HealthInput{
		DeploymentID: id, Candidate: cand, Path: p.HealthPath, Interval: p.HealthInterval, Timeout: p.HealthTimeout, Deadline: p.HealthDeadline,
	}, nil); err != nil {
		return nil, err
	}
	// The point of no return: from here on the new version serves, and a
	// cancellation that arrives now no longer undoes anything.
	var sw activities.SwitchResult
	if err := r.do(ctx, switchStep, activities.TransitionInput{}, act.Host.Switch, activities.SwitchInput{
		AppID: p.AppID, App: p.App, DeploymentID: id, Domains: p.Domains, URL: cand.URL,
	}, &sw); err != nil {
		return nil, err
	}
	r.stopped = nil // the new version serves (and the hold ended)
	after, _ := workflow.NewDisconnectedContext(ctx)
	previous := []string{sw.Previous}
	for _, rc := range r.routes { // a stack's other routed services
		var rsw activities.SwitchResult
		if err := r.do(after, switchStep, activities.TransitionInput{}, act.Host.Switch, activities.SwitchInput{
			AppID: p.AppID, App: p.App, DeploymentID: id, URL: rc.Candidate.URL, Service: rc.Service,
		}, &rsw); err != nil {
			r.warn("switching "+rc.Route.Host+" to service "+rc.Service+" failed; the old version serves it", err)
		}
		previous = append(previous, rsw.Previous)
	}
	drain := drainStep.within(p.DrainTimeout+time.Minute, drainStep.Heartbeat)
	for _, prev := range previous {
		if prev == "" && len(previous) > 1 {
			continue
		}
		if err := r.do(after, drain, activities.TransitionInput{}, act.Host.Drain, activities.DrainInput{
			DeploymentID: id, Previous: prev, Timeout: p.DrainTimeout,
		}, nil); err != nil {
			r.warn("draining failed; the new version serves anyway", err)
		}
	}
	// Drained: the new version serves every request, so the deployment has
	// succeeded. Stopping the old container (which may take its full grace
	// period) and pruning images follow in RetireWorkflow, and never fail it.
	if err := r.transition(after, activities.TransitionInput{
		Status: release.StatusSucceeded, Step: release.StepDone, Finished: true, Message: "deployment succeeded",
	}); err != nil {
		return nil, err
	}
	r.retire(after)
	return &Result{DeploymentID: id, Status: release.StatusSucceeded, Previous: sw.Previous}, nil
}

// retire starts RetireWorkflow as an abandoned child, so the app's next
// deploy need not wait for the old container's shutdown grace.
func (r *run) retire(ctx workflow.Context) {
	p, id := r.plan, r.in.DeploymentID
	child := workflow.ExecuteChildWorkflow(workflow.WithChildOptions(ctx, workflow.ChildWorkflowOptions{
		WorkflowID:            RetireID(p.App, id),
		ParentClosePolicy:     enumspb.PARENT_CLOSE_POLICY_ABANDON,
		TypedSearchAttributes: temporal.NewSearchAttributes(AppKey.ValueSet(p.App), KindKey.ValueSet("retire"), DeploymentKey.ValueSet(id)),
	}), RetireWorkflow, RetireInput{AppID: p.AppID, App: p.App, Keep: id, KeepImages: p.KeepImages, HostQueue: r.in.HostQueue})
	if err := child.GetChildWorkflowExecution().Get(ctx, nil); err != nil {
		r.warn("starting the retire workflow failed", err)
	}
}

// finish records how a deployment that did not succeed ended, after removing
// whatever it started, in a disconnected context so that cancellation
// cannot skip the cleanup.
func (r *run) finish(res *Result, err error) (*Result, error) {
	if err == nil {
		return res, nil
	}
	ctx, _ := workflow.NewDisconnectedContext(r.ctx)
	if cerr := r.do(ctx, cleanupStep, activities.TransitionInput{}, act.Host.Cleanup,
		activities.CleanupInput{DeploymentID: r.in.DeploymentID, App: r.plan.App}, nil); cerr != nil {
		workflow.GetLogger(r.ctx).Error("cleanup failed", "deployment", r.in.DeploymentID, "err", cerr)
	}
	if r.stopped != nil {
		r.restoreStopped(ctx)
	}
	status, reason := release.StatusFailed, Reason(err)
	if temporal.IsCanceledError(err) || errors.Is(r.ctx.Err(), workflow.ErrCanceled) {
		status, reason = release.StatusCancelled, "cancelled before it received traffic"
	}
	if terr := r.transition(ctx, activities.TransitionInput{Status: status, Finished: true, Reason: reason, Message: string(status) + ": " + reason}); terr != nil {
		return nil, terr
	}
	if status == release.StatusCancelled {
		return &Result{DeploymentID: r.in.DeploymentID, Status: status, Reason: reason}, temporal.NewCanceledError(reason)
	}
	// The workflow fails too, so the Temporal UI shows it red.
	return &Result{DeploymentID: r.in.DeploymentID, Status: status, Reason: reason},
		temporal.NewNonRetryableApplicationError(reason, "DeployFailed", nil)
}

// stopGraceMargin is the stop step's time beyond the drain: the old
// container's shutdown grace and the proxy's round trips.
const stopGraceMargin = time.Minute

// restoreStopped starts the version a failed stop-first release stopped
// again (after the failed candidate is gone: the volume takes one),
// checks its health and routes the held requests to it; whatever fails,
// the hold ends.
func (r *run) restoreStopped(ctx workflow.Context) {
	p, id, st := r.plan, r.in.DeploymentID, *r.stopped
	url := ""
	if st.ContainerID != "" {
		var again activities.Candidate
		err := r.do(ctx, restartStep, activities.TransitionInput{}, act.Host.RestartStopped, activities.RestartInput{
			DeploymentID: id, AppID: p.AppID, Stopped: st,
		}, &again)
		if err == nil {
			health := healthStep.within(p.HealthDeadline+time.Minute, 3*p.HealthInterval+p.HealthTimeout+5*time.Second)
			health.Err, health.Name = nil, ""
			err = r.do(ctx, health, activities.TransitionInput{}, act.Host.HealthCheck, activities.HealthInput{
				DeploymentID: id, Candidate: again, Path: p.HealthPath, Interval: p.HealthInterval, Timeout: p.HealthTimeout, Deadline: p.HealthDeadline,
			}, nil)
		}
		if err != nil {
			r.warn("starting the stopped version again failed; the app serves nothing until a deploy succeeds", err)
		}
		url = again.URL
	}
	if err := r.do(ctx, rerouteStep, activities.TransitionInput{}, act.Host.Reroute, activities.RerouteInput{
		DeploymentID: id, AppID: p.AppID, App: p.App, Serving: st.Deployment, URL: url,
	}, nil); err != nil {
		r.warn("routing back to the stopped version failed (the proxy's hold ends by its bound)", err)
	}
}

// Reason turns a workflow error into a sentence for a person: the step's
// sentinel, then the innermost application error's message (no Temporal
// bookkeeping such as event IDs).
func Reason(err error) string {
	var step string
	for _, s := range []error{ErrSource, ErrBuild, ErrStart, ErrHealth, ErrSwitch, ErrPrepare, ErrStop, ErrDependencies} {
		if errors.Is(err, s) {
			step = s.Error()
			break
		}
	}
	var appErr *temporal.ApplicationError
	var timeout *temporal.TimeoutError
	detail := ""
	switch {
	case errors.As(err, &appErr):
		detail = appErr.Message()
	case errors.As(err, &timeout):
		detail = "the step timed out (" + timeout.TimeoutType().String() + ")"
	default:
		detail = err.Error()
	}
	if step == "" {
		return detail
	}
	return step + ": " + detail
}

// RetireInput names what RetireWorkflow cleans up after a release.
type RetireInput struct {
	AppID      string
	App        string
	Keep       string // the deployment now serving
	KeepImages int
	HostQueue  string
}

// RetireWorkflow stops and removes the containers a release replaced and
// prunes old images. It only touches deployments older than Keep, so it is
// safe while the app's next deploy already runs.
func RetireWorkflow(ctx workflow.Context, in RetireInput) error {
	host := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		TaskQueue:           in.HostQueue,
		StartToCloseTimeout: 5 * time.Minute,
		HeartbeatTimeout:    30 * time.Second,
		RetryPolicy:         &temporal.RetryPolicy{MaximumInterval: 30 * time.Second, NonRetryableErrorTypes: []string{activities.ErrTypeGone}},
	})
	err := workflow.ExecuteActivity(host, act.Host.RemoveOld, activities.RemoveOldInput{App: in.App, Keep: in.Keep}).Get(ctx, nil)
	if err != nil {
		return err
	}
	return workflow.ExecuteActivity(host, act.Host.PruneImages, activities.PruneInput{AppID: in.AppID, App: in.App, Keep: in.KeepImages, Current: in.Keep}).Get(ctx, nil)
}
