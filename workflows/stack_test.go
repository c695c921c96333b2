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

// stackEnv is a deploy of a stack — db (a volume), worker (needs db
// healthy), web (routed; needs db started) — whose web health check
// answers healthy unless told otherwise.
func stackEnv(t *testing.T, healthy bool) (*deploySuite, *calls) {
	return stackEnvRoutes(t, healthy, false)
}

// stackEnvRoutes is stackEnv, with routes: an admin service another
// domain goes to.
func stackEnvRoutes(t *testing.T, healthy, routes bool) (*deploySuite, *calls) {
	s := newDeployEnv(t, release.KindDeploy, "Prepare", "Build", "StartCandidate")
	env, c := s.env, &calls{}
	env.RegisterWorkflow(StackWorkflow)
	p := plan(release.KindDeploy)
	p.BuildType = "compose"
	env.OnActivity(act.Records.Prepare, mock.Anything, mock.Anything).Return(p, nil)
	env.OnActivity(act.Host.LoadStack, mock.Anything, mock.Anything).Return(func(context.Context, activities.StackInput) (*activities.StackPlan, error) {
		c.add("load")
		sp := &activities.StackPlan{Services: []activities.ServicePlan{
			{Name: "db", Stateful: true},
			{Name: "worker", Build: true, DependsOn: []activities.ServiceDep{{Service: "db", Condition: "service_healthy"}}},
			{Name: "web", Build: true, Routed: true, DependsOn: []activities.ServiceDep{{Service: "db", Condition: "service_started"}}},
		}}
		if routes {
			sp.Services = append(sp.Services, activities.ServicePlan{Name: "admin", Route: &activities.ServiceRoute{Host: "admin.test", Port: 9000, HealthPath: "/up"}})
		}
		return sp, nil
	})
	env.OnActivity(act.Host.BuildServices, mock.Anything, mock.Anything).Return(func(context.Context, activities.StackInput) error { c.add("build"); return nil })
	env.OnActivity(act.Host.WaitService, mock.Anything, mock.Anything).Return(func(_ context.Context, in activities.StackInput) error {
		c.add("wait:" + in.Service + ":" + in.Condition)
		return nil
	})
	env.OnActivity(act.Host.StartService, mock.Anything, mock.Anything).Return(func(_ context.Context, in activities.StackInput) (*activities.ServiceStarted, error) {
		c.add("start:" + in.Service)
		switch in.Service {
		case "db":
			return &activities.ServiceStarted{ContainerID: "db2", Stopped: &activities.Stopped{Deployment: "d1", ContainerID: "db1"}}, nil
		case "web":
			return &activities.ServiceStarted{ContainerID: "web2", URL: "http://10.0.0.2:8080"}, nil
		case "admin":
			return &activities.ServiceStarted{ContainerID: "admin2", URL: "http://10.0.0.3:9000"}, nil
		}
		return &activities.ServiceStarted{ContainerID: in.Service + "2"}, nil
	})
	env.OnActivity(act.Host.HealthCheck, mock.Anything, mock.Anything).Return(func(_ context.Context, in activities.HealthInput) error {
		if in.Host != "" {
			c.add("health:" + in.Candidate.ContainerID + "@" + in.Host + in.Path)
			return nil
		}
		c.add("health:" + in.Candidate.ContainerID)
		if !healthy {
			return temporal.NewNonRetryableApplicationError("health check failed: GET / answered 500", activities.ErrTypeUnhealthy, nil)
		}
		return nil
	})
	env.OnActivity(act.Host.Switch, mock.Anything, mock.Anything).Return(func(_ context.Context, in activities.SwitchInput) (*activities.SwitchResult, error) {
		if in.Service != "" {
			c.add("switch:" + in.Service + ":" + in.URL)
			return &activities.SwitchResult{Previous: "d1@" + in.Service}, nil
		}
		c.add("switch:" + in.URL)
		return &activities.SwitchResult{Previous: "d1"}, nil
	})
	env.OnActivity(act.Host.StackDone, mock.Anything, mock.Anything).Return(func(context.Context, activities.StackInput) error { c.add("done"); return nil })
	env.OnActivity(act.Host.Cleanup, mock.Anything, mock.Anything).Return(func(context.Context, activities.CleanupInput) error { c.add("cleanup"); return nil })
	env.OnActivity(act.Host.RestartStopped, mock.Anything, mock.Anything).Return(func(_ context.Context, in activities.RestartInput) (*activities.Candidate, error) {
		c.add("restart:" + in.Service + ":" + in.Stopped.ContainerID)
		return &activities.Candidate{ContainerID: in.Stopped.ContainerID}, nil
	})
	return s, c
}

// A stack starts its services in order, each after what it waits for,
// then routes its app's service like an app.
func TestStackStartsServicesInDependencyOrder(t *testing.T) {
	s, c := stackEnv(t, true)
	s.env.ExecuteWorkflow(DeployWorkflow, DeployInput{DeploymentID: "d2", HostQueue: "q"})
	if err := s.env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	want := "load build start:db wait:db:service_healthy start:worker wait:db:service_started start:web health:web2 switch:http://10.0.0.2:8080 done"
	if got := c.String(); got != want {
		t.Fatalf("ran\n%s\nwant\n%s", got, want)
	}
	if f := s.rec.final(); f.Status != release.StatusSucceeded {
		t.Fatalf("final %+v", f)
	}
}

// A stack whose service never becomes healthy removes what it started and
// starts the old stateful service again; the deployment fails.
func TestFailedStackStartsItsOldStatefulServicesAgain(t *testing.T) {
	s, c := stackEnv(t, false)
	s.env.ExecuteWorkflow(DeployWorkflow, DeployInput{DeploymentID: "d2", HostQueue: "q"})
	if s.env.GetWorkflowError() == nil {
		t.Fatal("the deploy must fail")
	}
	if got := c.String(); !strings.HasSuffix(got, "health:web2 cleanup restart:db:db1 cleanup") {
		t.Fatalf("ran %q", got)
	}
	if f := s.rec.final(); f.Status != release.StatusFailed || !strings.Contains(f.Reason, "never became healthy") {
		t.Fatalf("final %+v", f)
	}
}

// A stack's rollback fetches the revision it rolls back to and runs that
// deployment's images; the one rolled back from is marked so.
func TestStackRollbackRunsTheRevisionsImages(t *testing.T) {
	s := newDeployEnv(t, release.KindRollback, "Prepare", "FetchSource", "StartCandidate")
	env, c := s.env, &calls{}
	env.RegisterWorkflow(StackWorkflow)
	p := plan(release.KindRollback)
	p.BuildType, p.Commit = "compose", "c0ffee"
	env.OnActivity(act.Records.Prepare, mock.Anything, mock.Anything).Return(p, nil)
	env.OnActivity(act.Host.FetchSource, mock.Anything, mock.Anything).Return(func(_ context.Context, in activities.SourceInput) (*activities.SourceResult, error) {
		c.add("fetch:" + in.Commit)
		return &activities.SourceResult{Commit: in.Commit}, nil
	})
	env.OnActivity(act.Host.LoadStack, mock.Anything, mock.Anything).Return(&activities.StackPlan{Services: []activities.ServicePlan{{Name: "web", Build: true, Routed: true}}}, nil)
	env.OnActivity(act.Host.BuildServices, mock.Anything, mock.Anything).Return(func(_ context.Context, in activities.StackInput) error {
		c.add("build:imagesof=" + in.ImagesOf)
		return nil
	})
	env.OnActivity(act.Host.StartService, mock.Anything, mock.Anything).Return(func(_ context.Context, in activities.StackInput) (*activities.ServiceStarted, error) {
		c.add("start:" + in.Service + ":imagesof=" + in.ImagesOf)
		return &activities.ServiceStarted{ContainerID: "web3", URL: "http://10.0.0.3:8080"}, nil
	})
	env.OnActivity(act.Host.HealthCheck, mock.Anything, mock.Anything).Return(nil)
	env.OnActivity(act.Host.Switch, mock.Anything, mock.Anything).Return(&activities.SwitchResult{Previous: "d9"}, nil)
	env.OnActivity(act.Host.StackDone, mock.Anything, mock.Anything).Return(nil)
	env.ExecuteWorkflow(RollbackWorkflow, RollbackInput{DeploymentID: "d2", HostQueue: "q"})
	if err := env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	if got := c.String(); got != "fetch:c0ffee build:imagesof=d1 start:web:imagesof=d1" {
		t.Fatalf("ran %q", got)
	}
	if len(s.rec.marks) != 1 || s.rec.marks[0].DeploymentID != "d9" || s.rec.marks[0].Status != release.StatusRolledBack {
		t.Fatalf("marks %+v", s.rec.marks)
	}
}

// A service another domain goes to passes its health check (probing with
// its host) before the app's service switches, then switches right after
// it (both old targets are drained: e2e.TestStackRoutesDomainsToServices).
func TestStackRoutesOtherDomainsToServices(t *testing.T) {
	s, c := stackEnvRoutes(t, true, true)
	s.env.ExecuteWorkflow(DeployWorkflow, DeployInput{DeploymentID: "d2", HostQueue: "q"})
	if err := s.env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	want := "load build start:db wait:db:service_healthy start:worker wait:db:service_started start:web start:admin " +
		"health:admin2@admin.test/up health:web2 switch:http://10.0.0.2:8080 switch:admin:http://10.0.0.3:9000 done"
	if got := c.String(); got != want {
		t.Fatalf("ran\n%s\nwant\n%s", got, want)
	}
}
