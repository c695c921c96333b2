package workflows

import (
	"errors"
	"fmt"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/rivetr/rivetr/activities"
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
)

// run holds one deployment's contexts and plan while its workflow runs.
type run struct {
	ctx   workflow.Context
	store workflow.Context // store-only steps, as local activities
	in    DeployInput
	plan  activities.Plan
}

var storeRetry = &temporal.RetryPolicy{
	InitialInterval:    time.Second,
	BackoffCoefficient: 2,
	MaximumInterval:    30 * time.Second,
	// Database outages delay a deploy; they never fail it.
	MaximumAttempts:        0,
	NonRetryableErrorTypes: []string{activities.ErrTypeGone},
}

func newRun(ctx workflow.Context, in DeployInput) *run {
	return &run{ctx: ctx, store: storeCtx(ctx), in: in}
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

// hostOpts returns host-queue activity options for one step.
func (r *run) hostOpts(ctx workflow.Context, startToClose, heartbeat time.Duration, attempts int32, summary string) workflow.Context {
	return workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		TaskQueue:           r.in.HostQueue,
		StartToCloseTimeout: startToClose,
		HeartbeatTimeout:    heartbeat,
		WaitForCancellation: true,
		Summary:             summary,
		RetryPolicy: &temporal.RetryPolicy{
			InitialInterval:    time.Second,
			BackoffCoefficient: 2,
			MaximumInterval:    20 * time.Second,
			MaximumAttempts:    attempts,
			NonRetryableErrorTypes: []string{
				activities.ErrTypeSource, activities.ErrTypeBuild, activities.ErrTypeUnhealthy,
				activities.ErrTypeImageMissing, activities.ErrTypeGone, activities.ErrTypeSecret,
			},
		},
	})
}

func (r *run) transition(ctx workflow.Context, in activities.TransitionInput) error {
	in.DeploymentID = r.in.DeploymentID
	return workflow.ExecuteLocalActivity(storeCtx(ctx), act.Records.Transition, in).Get(ctx, nil)
}

// prepare loads the plan; it reports done when the deployment already ended
// (cancelled while queued, or finished by an earlier run).
func (r *run) prepare() (done bool, err error) {
	if err := workflow.ExecuteLocalActivity(r.store, act.Records.Prepare, activities.PrepareInput{DeploymentID: r.in.DeploymentID}).Get(r.ctx, &r.plan); err != nil {
		return false, fmt.Errorf("%w: %w", ErrPrepare, err)
	}
	return release.Terminal(r.plan.Status), nil
}

// gates are what a deployment meets before anything is built or started:
// its approval, then any freeze window.
func (r *run) gates() (*Result, error) {
	if stop, err := r.approvalGate(); err != nil || stop != nil {
		return stop, err
	}
	return r.freezeGate()
}

// DeployWorkflow builds a deployment from git and releases it:
// source → build → start candidate → health check → switch → drain.
// If anything fails before the switch, the candidate is removed and the
// previous version keeps serving.
func DeployWorkflow(ctx workflow.Context, in DeployInput) (*Result, error) {
	r := newRun(ctx, in)
	if done, err := r.prepare(); err != nil || done {
		return &Result{DeploymentID: in.DeploymentID, Status: r.plan.Status}, err
	}
	if stop, err := r.gates(); err != nil || stop != nil {
		if err != nil {
			return r.finish(nil, err)
		}
		return stop, nil
	}
	res, err := r.deploy()
	return r.finish(res, err)
}

func (r *run) deploy() (*Result, error) {
	ctx := r.ctx
	// Source
	if err := r.transition(ctx, activities.TransitionInput{Status: release.StatusBuilding, Step: release.StepSource, Started: true}); err != nil {
		return nil, err
	}
	var src activities.SourceResult
	err := workflow.ExecuteActivity(r.hostOpts(ctx, 10*time.Minute, 10*time.Second, 5, "fetch source"), act.Host.FetchSource,
		activities.SourceInput{DeploymentID: r.in.DeploymentID, Commit: r.plan.Commit}).Get(ctx, &src)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrSource, err)
	}
	// Build
	if err := r.transition(ctx, activities.TransitionInput{Step: release.StepBuild}); err != nil {
		return nil, err
	}
	var built activities.BuildResult
	err = workflow.ExecuteActivity(r.hostOpts(ctx, time.Hour, 10*time.Second, 3, "docker build"), act.Host.Build,
		activities.BuildInput{DeploymentID: r.in.DeploymentID, Commit: src.Commit}).Get(ctx, &built)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBuild, err)
	}
	if err := r.transition(ctx, activities.TransitionInput{Image: built.Image, Message: "built image " + built.Image}); err != nil {
		return nil, err
	}
	return r.release(built.Image)
}

// RollbackInput starts a rollback: a deployment of kind rollback whose
// RollbackOf names the earlier deployment whose image it brings back.
type RollbackInput = DeployInput

// RollbackWorkflow puts an earlier deployment's image back into service
// with the same health check, switch and drain as a deploy.
func RollbackWorkflow(ctx workflow.Context, in RollbackInput) (*Result, error) {
	r := newRun(ctx, in)
	if done, err := r.prepare(); err != nil || done {
		return &Result{DeploymentID: in.DeploymentID, Status: r.plan.Status}, err
	}
	if stop, err := r.gates(); err != nil || stop != nil {
		if err != nil {
			return r.finish(nil, err)
		}
		return stop, nil
	}
	if err := r.transition(ctx, activities.TransitionInput{
		Status: release.StatusDeploying, Step: release.StepStart, Started: true, Image: r.plan.Image,
		Message: fmt.Sprintf("rolling back to deployment %s (image %s)", r.plan.RollbackOf, r.plan.Image),
	}); err != nil {
		return r.finish(nil, err)
	}
	res, err := r.release(r.plan.Image)
	if err == nil && res.Previous != "" {
		// The deployment rolled away from is marked so the timeline says so.
		_ = workflow.ExecuteLocalActivity(r.store, act.Records.Mark, activities.MarkInput{
			DeploymentID: res.Previous, Status: release.StatusRolledBack,
			Reason: "rolled back by deployment " + r.in.DeploymentID,
		}).Get(ctx, nil)
	}
	return r.finish(res, err)
}

// release runs image as the app's new version: start → health → switch →
// drain, then hands removing the old container to RetireWorkflow. Once traffic has switched the deployment has succeeded; what
// follows (draining, removing the old container, pruning images) runs to
// completion even if the workflow is cancelled.
func (r *run) release(image string) (*Result, error) {
	ctx := r.ctx
	p := r.plan
	if err := r.transition(ctx, activities.TransitionInput{Status: release.StatusDeploying, Step: release.StepStart}); err != nil {
		return nil, err
	}
	var cand activities.Candidate
	err := workflow.ExecuteActivity(r.hostOpts(ctx, 2*time.Minute, 0, 5, "start candidate"), act.Host.StartCandidate,
		activities.StartInput{DeploymentID: r.in.DeploymentID, Image: image}).Get(ctx, &cand)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrStart, err)
	}
	if err := r.transition(ctx, activities.TransitionInput{Step: release.StepHealth, ContainerID: cand.ContainerID}); err != nil {
		return nil, err
	}
	healthCtx := r.hostOpts(ctx, p.HealthDeadline+time.Minute, 3*p.HealthInterval+p.HealthTimeout+5*time.Second, 10, "health check")
	err = workflow.ExecuteActivity(healthCtx, act.Host.HealthCheck, activities.HealthInput{
		DeploymentID: r.in.DeploymentID, Candidate: cand, Path: p.HealthPath,
		Interval: p.HealthInterval, Timeout: p.HealthTimeout, Deadline: p.HealthDeadline,
	}).Get(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrHealth, err)
	}

	// Switch. From here on the new version serves: a cancellation that
	// arrives now no longer undoes anything.
	if err := r.transition(ctx, activities.TransitionInput{Step: release.StepSwitch}); err != nil {
		return nil, err
	}
	var sw activities.SwitchResult
	err = workflow.ExecuteActivity(r.hostOpts(ctx, 30*time.Second, 0, 0, "switch traffic"), act.Host.Switch, activities.SwitchInput{
		AppID: p.AppID, App: p.App, DeploymentID: r.in.DeploymentID, Domains: p.Domains, URL: cand.URL,
	}).Get(ctx, &sw)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrSwitch, err)
	}
	after, _ := workflow.NewDisconnectedContext(ctx)
	_ = r.transition(after, activities.TransitionInput{Step: release.StepDrain})
	err = workflow.ExecuteActivity(r.hostOpts(after, p.DrainTimeout+time.Minute, 10*time.Second, 0, "drain old version"), act.Host.Drain, activities.DrainInput{
		DeploymentID: r.in.DeploymentID, Previous: sw.Previous, Timeout: p.DrainTimeout,
	}).Get(after, nil)
	if err != nil {
		workflow.GetLogger(ctx).Warn("draining failed", "err", err)
	}
	// Drained: the new version serves every request, so the deployment has
	// succeeded. Stopping the old container (which may take its full grace
	// period) and pruning images follow in RetireWorkflow, and never fail it.
	if err := r.transition(after, activities.TransitionInput{
		Status: release.StatusSucceeded, Step: release.StepDone, Finished: true, Message: "deployment succeeded",
	}); err != nil {
		return nil, err
	}
	// Housekeeping runs in its own workflow, so the app's next deploy need
	// not wait for the old container's shutdown grace.
	retire := workflow.ExecuteChildWorkflow(workflow.WithChildOptions(after, workflow.ChildWorkflowOptions{
		WorkflowID:            RetireID(p.App, r.in.DeploymentID),
		ParentClosePolicy:     enumspb.PARENT_CLOSE_POLICY_ABANDON,
		TypedSearchAttributes: temporal.NewSearchAttributes(AppKey.ValueSet(p.App), KindKey.ValueSet("retire"), DeploymentKey.ValueSet(r.in.DeploymentID)),
	}), RetireWorkflow, RetireInput{AppID: p.AppID, App: p.App, Keep: r.in.DeploymentID, KeepImages: p.KeepImages, HostQueue: r.in.HostQueue})
	if err := retire.GetChildWorkflowExecution().Get(after, nil); err != nil {
		workflow.GetLogger(ctx).Warn("starting the retire workflow failed", "err", err)
	}
	return &Result{DeploymentID: r.in.DeploymentID, Status: release.StatusSucceeded, Previous: sw.Previous}, nil
}

// finish records how a deployment that did not succeed ended, after removing
// whatever it started, in a disconnected context so that cancellation
// cannot skip the cleanup.
func (r *run) finish(res *Result, err error) (*Result, error) {
	if err == nil {
		return res, nil
	}
	ctx, _ := workflow.NewDisconnectedContext(r.ctx)
	cleanup := r.hostOpts(ctx, 2*time.Minute, 0, 10, "clean up")
	if cerr := workflow.ExecuteActivity(cleanup, act.Host.Cleanup, activities.CleanupInput{DeploymentID: r.in.DeploymentID, App: r.plan.App}).Get(ctx, nil); cerr != nil {
		workflow.GetLogger(r.ctx).Error("cleanup failed", "err", cerr)
	}
	status, reason := release.StatusFailed, Reason(err)
	if temporal.IsCanceledError(err) || errors.Is(r.ctx.Err(), workflow.ErrCanceled) {
		status, reason = release.StatusCancelled, "cancelled; the previous version keeps serving"
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

// Reason turns a workflow error into a sentence for a person: the step's
// sentinel, then the innermost application error's message (no Temporal
// bookkeeping such as event IDs).
func Reason(err error) string {
	var step string
	for _, s := range []error{ErrSource, ErrBuild, ErrStart, ErrHealth, ErrSwitch, ErrPrepare} {
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
