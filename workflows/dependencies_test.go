package workflows

import (
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/mock"
	"go.temporal.io/sdk/temporal"

	"github.com/rivetr/rivetr/activities"
	"github.com/rivetr/rivetr/internal/release"
)

// dependencyEnv is a deploy of an app needing a database, whose wait
// answers err.
func dependencyEnv(t *testing.T, err error) (*deploySuite, *calls) {
	s := newDeployEnv(t, release.KindDeploy, "Prepare", "StartCandidate")
	env, c := s.env, &calls{}
	p := plan(release.KindDeploy)
	p.Dependencies = []activities.PlanDependency{{Kind: release.DepDatabase, ID: "db1", Name: "shop-db"}}
	env.OnActivity(act.Records.Prepare, mock.Anything, mock.Anything).Return(p, nil)
	env.OnActivity(act.Records.WaitDependencies, mock.Anything, mock.Anything).Return(func(_ context.Context, in activities.WaitDependenciesInput) error {
		if len(in.Dependencies) != 1 || in.Dependencies[0].Name != "shop-db" || in.Within != activities.DependencyWait {
			t.Errorf("wait input %+v", in)
		}
		c.add("wait")
		return err
	})
	env.OnActivity(act.Host.StartCandidate, mock.Anything, mock.Anything).Return(func(context.Context, activities.StartInput) (*activities.Candidate, error) {
		c.add("start")
		return &activities.Candidate{ContainerID: "c2", URL: "http://10.0.0.2:8080"}, nil
	})
	env.OnActivity(act.Host.HealthCheck, mock.Anything, mock.Anything).Return(nil)
	env.OnActivity(act.Host.Switch, mock.Anything, mock.Anything).Return(&activities.SwitchResult{}, nil)
	env.OnActivity(act.Host.Cleanup, mock.Anything, mock.Anything).Return(nil)
	return s, c
}

// The new container starts once what the app needs is ready.
func TestDeployWaitsForDependencies(t *testing.T) {
	s, c := dependencyEnv(t, nil)
	s.env.ExecuteWorkflow(DeployWorkflow, DeployInput{DeploymentID: "d2", HostQueue: "q"})
	if err := s.env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	if got := c.String(); got != "wait start" {
		t.Fatalf("ran %q", got)
	}
}

// Never ready: the deploy fails saying what it waited for; nothing started.
func TestDeployFailsWhenDependenciesNeverReady(t *testing.T) {
	s, c := dependencyEnv(t, temporal.NewNonRetryableApplicationError("what the app needs is not ready after 5m0s: database shop-db (stopped); start it: rivetr databases start shop-db", activities.ErrTypeUnhealthy, nil))
	s.env.ExecuteWorkflow(DeployWorkflow, DeployInput{DeploymentID: "d2", HostQueue: "q"})
	if s.env.GetWorkflowError() == nil {
		t.Fatal("the deploy must fail")
	}
	if got := c.String(); got != "wait" {
		t.Fatalf("ran %q", got)
	}
	if f := s.rec.final(); f.Status != release.StatusFailed || !strings.HasPrefix(f.Reason, "waiting for what the app needs failed: ") || !strings.Contains(f.Reason, "rivetr databases start shop-db") {
		t.Fatalf("final %+v", f)
	}
}
