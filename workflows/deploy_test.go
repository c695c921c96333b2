package workflows

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"

	"github.com/rivetr/rivetr/activities"
	"github.com/rivetr/rivetr/internal/release"
)

// recorder keeps the transitions a workflow made, in order.
type recorder struct {
	mu    sync.Mutex
	trans []activities.TransitionInput
	marks []activities.MarkInput
}

func (r *recorder) transition(_ context.Context, in activities.TransitionInput) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.trans = append(r.trans, in)
	return nil
}

func (r *recorder) mark(_ context.Context, in activities.MarkInput) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.marks = append(r.marks, in)
	return nil
}

func (r *recorder) final() activities.TransitionInput {
	r.mu.Lock()
	defer r.mu.Unlock()
	for i := len(r.trans) - 1; i >= 0; i-- {
		if r.trans[i].Finished {
			return r.trans[i]
		}
	}
	return activities.TransitionInput{}
}

func (r *recorder) steps() []release.Step {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []release.Step
	for _, t := range r.trans {
		if t.Step != "" {
			out = append(out, t.Step)
		}
	}
	return out
}

func plan(kind release.Kind) *activities.Plan {
	return &activities.Plan{
		DeploymentID: "d2", AppID: "app1", App: "web", Kind: kind, Status: release.StatusQueued,
		Domains: []string{"web.test"}, Port: 8080, HealthPath: "/", HealthInterval: time.Second,
		HealthTimeout: 5 * time.Second, HealthDeadline: 60 * time.Second, DrainTimeout: 30 * time.Second,
		KeepImages: 5, Commit: "abc", RollbackOf: "d1", Image: "rivetr/web:d1",
	}
}

type deploySuite struct {
	testsuite.WorkflowTestSuite
	env *testsuite.TestWorkflowEnvironment
	rec *recorder
}

// newDeployEnv mocks every activity with a success, except those named in
// own, which the test mocks itself.
func newDeployEnv(t *testing.T, kind release.Kind, own ...string) *deploySuite {
	s := &deploySuite{rec: &recorder{}}
	s.env = s.NewTestWorkflowEnvironment()
	registerActivities(s.env)
	s.env.RegisterWorkflow(RetireWorkflow)
	env := s.env
	skip := map[string]bool{}
	for _, o := range own {
		skip[o] = true
	}
	if !skip["Prepare"] {
		env.OnActivity(act.Records.Prepare, mock.Anything, mock.Anything).Return(plan(kind), nil)
	}
	env.OnActivity(act.Records.Transition, mock.Anything, mock.Anything).Return(s.rec.transition)
	if !skip["FreezeCheck"] {
		env.OnActivity(act.Records.FreezeCheck, mock.Anything, mock.Anything).Return(&activities.FreezeStatus{}, nil)
	}
	env.OnActivity(act.Records.Mark, mock.Anything, mock.Anything).Return(s.rec.mark)
	if !skip["FetchSource"] {
		env.OnActivity(act.Host.FetchSource, mock.Anything, mock.Anything).Return(&activities.SourceResult{Commit: "abcdef", Message: "msg"}, nil)
	}
	if !skip["Build"] {
		env.OnActivity(act.Host.Build, mock.Anything, mock.Anything).Return(&activities.BuildResult{Image: "rivetr/web:d2"}, nil)
	}
	if !skip["StartCandidate"] {
		env.OnActivity(act.Host.StartCandidate, mock.Anything, mock.Anything).Return(&activities.Candidate{ContainerID: "c2", URL: "http://10.0.0.2:8080"}, nil)
	}
	if !skip["Drain"] {
		env.OnActivity(act.Host.Drain, mock.Anything, mock.Anything).Return(nil)
	}
	env.OnActivity(act.Host.RemoveOld, mock.Anything, mock.Anything).Return(nil)
	env.OnActivity(act.Host.PruneImages, mock.Anything, mock.Anything).Return(nil)
	return s
}

func TestDeploySucceeds(t *testing.T) {
	s := newDeployEnv(t, release.KindDeploy, "Drain")
	env := s.env
	env.OnActivity(act.Host.HealthCheck, mock.Anything, mock.Anything).Return(nil)
	var switched activities.SwitchInput
	env.OnActivity(act.Host.Switch, mock.Anything, mock.Anything).Return(func(_ context.Context, in activities.SwitchInput) (*activities.SwitchResult, error) {
		switched = in
		return &activities.SwitchResult{Previous: "d1"}, nil
	})
	var drained activities.DrainInput
	env.OnActivity(act.Host.Drain, mock.Anything, mock.Anything).Return(func(_ context.Context, in activities.DrainInput) error {
		drained = in
		return nil
	})
	env.ExecuteWorkflow(DeployWorkflow, DeployInput{DeploymentID: "d2", HostQueue: "rivetr.host.h1"})
	if err := env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	var res Result
	env.GetWorkflowResult(&res)
	if res.Status != release.StatusSucceeded || res.Previous != "d1" {
		t.Fatalf("result %+v", res)
	}
	if switched.URL != "http://10.0.0.2:8080" || switched.Domains[0] != "web.test" {
		t.Fatalf("switch %+v", switched)
	}
	if drained.Previous != "d1" || drained.DeploymentID != "d2" || drained.Timeout != 30*time.Second {
		t.Fatalf("drain %+v", drained)
	}
	want := []release.Step{release.StepSource, release.StepBuild, release.StepStart, release.StepHealth, release.StepSwitch, release.StepDrain, release.StepDone}
	if got := s.rec.steps(); !slices.Equal(got, want) {
		t.Fatalf("steps %v, want %v", got, want)
	}
	if f := s.rec.final(); f.Status != release.StatusSucceeded {
		t.Fatalf("final %+v", f)
	}
	env.AssertNotCalled(t, "Cleanup", mock.Anything, mock.Anything)
}

func TestFailedHealthCheckNeverSwitches(t *testing.T) {
	s := newDeployEnv(t, release.KindDeploy)
	env := s.env
	env.OnActivity(act.Host.HealthCheck, mock.Anything, mock.Anything).Return(
		temporal.NewNonRetryableApplicationError("health check failed: GET / answered 500; last container output:\nboom", activities.ErrTypeUnhealthy, nil))
	cleaned := ""
	env.OnActivity(act.Host.Cleanup, mock.Anything, mock.Anything).Return(func(_ context.Context, in activities.CleanupInput) error {
		cleaned = in.DeploymentID
		return nil
	})
	env.ExecuteWorkflow(DeployWorkflow, DeployInput{DeploymentID: "d2", HostQueue: "q"})
	err := env.GetWorkflowError()
	if err == nil {
		t.Fatal("workflow must fail")
	}
	env.AssertNotCalled(t, "Switch", mock.Anything, mock.Anything)
	env.AssertNotCalled(t, "Drain", mock.Anything, mock.Anything)
	env.AssertNotCalled(t, "RemoveOld", mock.Anything, mock.Anything)
	if cleaned != "d2" {
		t.Fatalf("candidate not cleaned up: %q", cleaned)
	}
	f := s.rec.final()
	if f.Status != release.StatusFailed || !strings.Contains(f.Reason, "never became healthy") || !strings.Contains(f.Reason, "boom") {
		t.Fatalf("final %+v", f)
	}
	if strings.Contains(f.Reason, "scheduledEventID") {
		t.Fatalf("reason leaks Temporal internals: %q", f.Reason)
	}
}

func TestBuildFailureIsNotRetried(t *testing.T) {
	s := newDeployEnv(t, release.KindDeploy, "Build")
	env := s.env
	calls := 0
	env.OnActivity(act.Host.Build, mock.Anything, mock.Anything).Return(func(context.Context, activities.BuildInput) (*activities.BuildResult, error) {
		calls++
		return nil, temporal.NewNonRetryableApplicationError("RUN exit 1", activities.ErrTypeBuild, nil)
	})
	env.OnActivity(act.Host.Cleanup, mock.Anything, mock.Anything).Return(nil)
	env.ExecuteWorkflow(DeployWorkflow, DeployInput{DeploymentID: "d2", HostQueue: "q"})
	if env.GetWorkflowError() == nil || calls != 1 {
		t.Fatalf("err %v, build calls %d", env.GetWorkflowError(), calls)
	}
	env.AssertNotCalled(t, "StartCandidate", mock.Anything, mock.Anything)
	if f := s.rec.final(); f.Status != release.StatusFailed || f.Reason != "build failed: RUN exit 1" {
		t.Fatalf("final %+v", f)
	}
}

func TestInfrastructureErrorsAreRetried(t *testing.T) {
	s := newDeployEnv(t, release.KindDeploy, "StartCandidate")
	env := s.env
	calls := 0
	env.OnActivity(act.Host.StartCandidate, mock.Anything, mock.Anything).Return(func(context.Context, activities.StartInput) (*activities.Candidate, error) {
		calls++
		if calls < 3 {
			return nil, errors.New("Cannot connect to the Docker daemon")
		}
		return &activities.Candidate{ContainerID: "c", URL: "http://x:1"}, nil
	})
	env.OnActivity(act.Host.HealthCheck, mock.Anything, mock.Anything).Return(nil)
	env.OnActivity(act.Host.Switch, mock.Anything, mock.Anything).Return(&activities.SwitchResult{}, nil)
	env.ExecuteWorkflow(DeployWorkflow, DeployInput{DeploymentID: "d2", HostQueue: "q"})
	if err := env.GetWorkflowError(); err != nil || calls != 3 {
		t.Fatalf("err %v after %d calls", err, calls)
	}
}

func TestCancelDuringBuildCleansUp(t *testing.T) {
	s := newDeployEnv(t, release.KindDeploy, "Build")
	env := s.env
	env.OnActivity(act.Host.Build, mock.Anything, mock.Anything).After(10*time.Minute).Return(&activities.BuildResult{Image: "x"}, nil)
	cleaned := false
	env.OnActivity(act.Host.Cleanup, mock.Anything, mock.Anything).Return(func(context.Context, activities.CleanupInput) error {
		cleaned = true
		return nil
	})
	env.RegisterDelayedCallback(env.CancelWorkflow, time.Minute)
	env.ExecuteWorkflow(DeployWorkflow, DeployInput{DeploymentID: "d2", HostQueue: "q"})
	if err := env.GetWorkflowError(); !temporal.IsCanceledError(err) {
		t.Fatalf("want cancelled, got %v", err)
	}
	if !cleaned {
		t.Fatal("cleanup did not run after cancellation")
	}
	if f := s.rec.final(); f.Status != release.StatusCancelled {
		t.Fatalf("final %+v", f)
	}
	env.AssertNotCalled(t, "Switch", mock.Anything, mock.Anything)
}

func TestAlreadyFinishedDeploymentDoesNothing(t *testing.T) {
	s := newDeployEnv(t, release.KindDeploy, "Prepare")
	env := s.env
	p := plan(release.KindDeploy)
	p.Status = release.StatusCancelled
	env.OnActivity(act.Records.Prepare, mock.Anything, mock.Anything).Return(p, nil)
	env.ExecuteWorkflow(DeployWorkflow, DeployInput{DeploymentID: "d2", HostQueue: "q"})
	if err := env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	env.AssertNotCalled(t, "FetchSource", mock.Anything, mock.Anything)
}

func TestRollbackReusesImageAndMarksPrevious(t *testing.T) {
	s := newDeployEnv(t, release.KindRollback, "StartCandidate")
	env := s.env
	var started activities.StartInput
	env.OnActivity(act.Host.StartCandidate, mock.Anything, mock.Anything).Return(func(_ context.Context, in activities.StartInput) (*activities.Candidate, error) {
		started = in
		return &activities.Candidate{ContainerID: "c", URL: "http://x:1"}, nil
	})
	env.OnActivity(act.Host.HealthCheck, mock.Anything, mock.Anything).Return(nil)
	env.OnActivity(act.Host.Switch, mock.Anything, mock.Anything).Return(&activities.SwitchResult{Previous: "d3"}, nil)
	env.ExecuteWorkflow(RollbackWorkflow, DeployInput{DeploymentID: "d4", HostQueue: "q"})
	if err := env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	if started.Image != "rivetr/web:d1" {
		t.Fatalf("rollback started %q", started.Image)
	}
	env.AssertNotCalled(t, "Build", mock.Anything, mock.Anything)
	if len(s.rec.marks) != 1 || s.rec.marks[0].DeploymentID != "d3" || s.rec.marks[0].Status != release.StatusRolledBack {
		t.Fatalf("marks %+v", s.rec.marks)
	}
}

// TestQueueRunsOneAtATimeAndSupersedes sends three requests while the first
// runs: the second is superseded by the third, which runs after the first.
func TestQueueRunsOneAtATimeAndSupersedes(t *testing.T) {
	var ts testsuite.WorkflowTestSuite
	env := ts.NewTestWorkflowEnvironment()
	registerActivities(env)
	rec := &recorder{}
	env.OnActivity(act.Records.Mark, mock.Anything, mock.Anything).Return(rec.mark)

	var mu sync.Mutex
	var ran []string
	running := 0
	maxRunning := 0
	child := func(ctx workflow.Context, in DeployInput) (*Result, error) {
		mu.Lock()
		ran = append(ran, in.DeploymentID)
		running++
		if running > maxRunning {
			maxRunning = running
		}
		mu.Unlock()
		_ = workflow.Sleep(ctx, 10*time.Minute)
		mu.Lock()
		running--
		mu.Unlock()
		return &Result{DeploymentID: in.DeploymentID, Status: release.StatusSucceeded}, nil
	}
	// Stand-ins registered under the real names: the queue starts them as
	// its children.
	env.RegisterWorkflowWithOptions(child, workflow.RegisterOptions{Name: DeployName})
	env.RegisterWorkflowWithOptions(child, workflow.RegisterOptions{Name: RollbackName})

	env.RegisterDelayedCallback(func() {
		env.SignalWorkflow(SignalRequest, Request{DeploymentID: "d2", Kind: release.KindDeploy, HostQueue: "q"})
	}, time.Minute)
	env.RegisterDelayedCallback(func() {
		env.SignalWorkflow(SignalRequest, Request{DeploymentID: "d3", Kind: release.KindRollback, HostQueue: "q"})
	}, 2*time.Minute)
	env.ExecuteWorkflow(AppQueueWorkflow, QueueInput{App: "web", Pending: &Request{DeploymentID: "d1", Kind: release.KindDeploy, HostQueue: "q"}})
	if err := env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	if strings.Join(ran, ",") != "d1,d3" || maxRunning != 1 {
		t.Fatalf("ran %v (max concurrently %d)", ran, maxRunning)
	}
	if len(rec.marks) != 1 || rec.marks[0].DeploymentID != "d2" || rec.marks[0].Status != release.StatusSuperseded {
		t.Fatalf("marks %+v", rec.marks)
	}
}

func TestQueueCancelsQueuedAndRunning(t *testing.T) {
	var ts testsuite.WorkflowTestSuite
	env := ts.NewTestWorkflowEnvironment()
	registerActivities(env)
	rec := &recorder{}
	env.OnActivity(act.Records.Mark, mock.Anything, mock.Anything).Return(rec.mark)
	cancelled := false
	env.RegisterWorkflowWithOptions(func(ctx workflow.Context, in DeployInput) (*Result, error) {
		err := workflow.Sleep(ctx, time.Hour)
		if temporal.IsCanceledError(err) {
			cancelled = true
			return nil, err
		}
		return &Result{}, nil
	}, workflow.RegisterOptions{Name: DeployName})
	env.RegisterDelayedCallback(func() {
		env.SignalWorkflow(SignalRequest, Request{DeploymentID: "d2", Kind: release.KindDeploy, HostQueue: "q"})
	}, time.Minute)
	env.RegisterDelayedCallback(func() { env.SignalWorkflow(SignalCancel, CancelRequest{DeploymentID: "d2"}) }, 2*time.Minute)
	env.RegisterDelayedCallback(func() { env.SignalWorkflow(SignalCancel, CancelRequest{DeploymentID: "d1"}) }, 3*time.Minute)
	env.ExecuteWorkflow(AppQueueWorkflow, QueueInput{App: "web", Pending: &Request{DeploymentID: "d1", Kind: release.KindDeploy, HostQueue: "q"}})
	if err := env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	if !cancelled {
		t.Fatal("running deployment was not cancelled")
	}
	if len(rec.marks) != 1 || rec.marks[0].DeploymentID != "d2" || rec.marks[0].Status != release.StatusCancelled {
		t.Fatalf("marks %+v", rec.marks)
	}
}

// registerActivities registers every activity struct (zero values: the
// tests mock what they call).
func registerActivities(env *testsuite.TestWorkflowEnvironment) {
	for _, a := range []any{&activities.Records{}, &activities.Host{}, &activities.Databases{}, &activities.DatabaseRecords{},
		&activities.Backups{}, &activities.Reports{}, &activities.Previews{}, &activities.Starts{}} {
		env.RegisterActivity(a)
	}
}
