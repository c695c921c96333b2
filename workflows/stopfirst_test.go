package workflows

import (
	"context"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/mock"
	"go.temporal.io/sdk/temporal"

	"github.com/rivetr/rivetr/activities"
	"github.com/rivetr/rivetr/internal/release"
)

// calls records the order host activities ran in.
type calls struct {
	mu  sync.Mutex
	seq []string
}

func (c *calls) add(s string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.seq = append(c.seq, s)
}

func (c *calls) String() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return strings.Join(c.seq, " ")
}

// stopFirstEnv is a deploy of a stop-first app whose serving version is
// stopped (stopped: "" when nothing served) and whose candidate's health
// check answers healthy unless healthy is false; hook, if set, runs in
// each health check first and may return its result.
func stopFirstEnv(t *testing.T, stopped activities.Stopped, healthy bool, hook ...func(context.Context, *deploySuite, activities.HealthInput) (bool, error)) (*deploySuite, *calls) {
	s := newDeployEnv(t, release.KindDeploy, "Prepare", "StartCandidate")
	env, c := s.env, &calls{}
	p := plan(release.KindDeploy)
	p.Strategy = release.StopFirst
	env.OnActivity(act.Records.Prepare, mock.Anything, mock.Anything).Return(p, nil)
	env.OnActivity(act.Host.StopServing, mock.Anything, mock.Anything).Return(func(_ context.Context, in activities.StopServingInput) (*activities.Stopped, error) {
		if in.Hold != release.HoldBound(p.DrainTimeout, p.HealthDeadline) || in.Drain != p.DrainTimeout || in.App != "web" {
			t.Errorf("stop input %+v", in)
		}
		c.add("stop")
		return &stopped, nil
	})
	env.OnActivity(act.Host.StartCandidate, mock.Anything, mock.Anything).Return(func(context.Context, activities.StartInput) (*activities.Candidate, error) {
		c.add("start")
		return &activities.Candidate{ContainerID: "c2", URL: "http://10.0.0.2:8080"}, nil
	})
	env.OnActivity(act.Host.HealthCheck, mock.Anything, mock.Anything).Return(func(ctx context.Context, in activities.HealthInput) error {
		c.add("health:" + in.Candidate.ContainerID)
		for _, h := range hook {
			if done, err := h(ctx, s, in); done {
				return err
			}
		}
		if !healthy && in.Candidate.ContainerID == "c2" {
			return temporal.NewNonRetryableApplicationError("health check failed: GET / answered 500", activities.ErrTypeUnhealthy, nil)
		}
		return nil
	})
	env.OnActivity(act.Host.Switch, mock.Anything, mock.Anything).Return(func(context.Context, activities.SwitchInput) (*activities.SwitchResult, error) {
		c.add("switch")
		return &activities.SwitchResult{Previous: stopped.Deployment}, nil
	})
	env.OnActivity(act.Host.Cleanup, mock.Anything, mock.Anything).Return(func(context.Context, activities.CleanupInput) error {
		c.add("cleanup")
		return nil
	})
	env.OnActivity(act.Host.RestartStopped, mock.Anything, mock.Anything).Return(func(_ context.Context, in activities.RestartInput) (*activities.Candidate, error) {
		if in.Stopped != stopped {
			t.Errorf("restart of %+v, want %+v", in.Stopped, stopped)
		}
		c.add("restart")
		return &activities.Candidate{ContainerID: "c1", URL: "http://10.0.0.9:8080"}, nil
	})
	env.OnActivity(act.Host.Reroute, mock.Anything, mock.Anything).Return(func(_ context.Context, in activities.RerouteInput) error {
		c.add("reroute:" + in.Serving + "@" + in.URL)
		return nil
	})
	return s, c
}

// A stop-first release stops the old version before the new one starts,
// and the switch ends the hold: nothing is restarted.
func TestStopFirstStopsBeforeStarting(t *testing.T) {
	s, c := stopFirstEnv(t, activities.Stopped{Deployment: "d1", ContainerID: "c1"}, true)
	s.env.ExecuteWorkflow(DeployWorkflow, DeployInput{DeploymentID: "d2", HostQueue: "q"})
	if err := s.env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	if got := c.String(); got != "stop start health:c2 switch" {
		t.Fatalf("ran %q", got)
	}
	if f := s.rec.final(); f.Status != release.StatusSucceeded {
		t.Fatalf("final %+v", f)
	}
	if steps := s.rec.steps(); !slices.Contains(steps, release.StepStop) || slices.Index(steps, release.StepStop) > slices.Index(steps, release.StepStart) {
		t.Fatalf("steps %v: stop is recorded before start", steps)
	}
}

// A failed stop-first release removes the candidate, then starts the old
// version again, checks it and routes the held requests to it.
func TestStopFirstFailureStartsTheOldVersionAgain(t *testing.T) {
	s, c := stopFirstEnv(t, activities.Stopped{Deployment: "d1", ContainerID: "c1"}, false)
	s.env.ExecuteWorkflow(DeployWorkflow, DeployInput{DeploymentID: "d2", HostQueue: "q"})
	if s.env.GetWorkflowError() == nil {
		t.Fatal("the deploy must fail")
	}
	if got := c.String(); got != "stop start health:c2 cleanup restart health:c1 reroute:d1@http://10.0.0.9:8080" {
		t.Fatalf("ran %q", got)
	}
	if f := s.rec.final(); f.Status != release.StatusFailed || !strings.Contains(f.Reason, "never became healthy") {
		t.Fatalf("final %+v", f)
	}
}

// When nothing served, a failure has nothing to start again: the hold (if
// any) just ends.
func TestStopFirstFirstDeployFailing(t *testing.T) {
	s, c := stopFirstEnv(t, activities.Stopped{}, false)
	s.env.ExecuteWorkflow(DeployWorkflow, DeployInput{DeploymentID: "d2", HostQueue: "q"})
	if got := c.String(); got != "stop start health:c2 cleanup reroute:@" {
		t.Fatalf("ran %q", got)
	}
}

// A cancelled stop-first release (during the candidate's health check)
// starts the old version again too.
func TestStopFirstCancelledStartsTheOldVersionAgain(t *testing.T) {
	s, c := stopFirstEnv(t, activities.Stopped{Deployment: "d1", ContainerID: "c1"}, true, func(ctx context.Context, s *deploySuite, in activities.HealthInput) (bool, error) {
		if in.Candidate.ContainerID != "c2" {
			return false, nil
		}
		s.env.CancelWorkflow()
		<-ctx.Done()
		return true, ctx.Err()
	})
	env := s.env
	env.ExecuteWorkflow(DeployWorkflow, DeployInput{DeploymentID: "d2", HostQueue: "q"})
	if got := c.String(); !strings.HasSuffix(got, "cleanup restart health:c1 reroute:d1@http://10.0.0.9:8080") {
		t.Fatalf("ran %q", got)
	}
	if f := s.rec.final(); f.Status != release.StatusCancelled {
		t.Fatalf("final %+v", f)
	}
}
