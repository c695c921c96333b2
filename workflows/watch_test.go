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
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"

	"github.com/rivetr/rivetr/activities"
	"github.com/rivetr/rivetr/internal/release"
)

// The queue tells each request's watchers how it ended: superseded while
// queued, cancelled while queued, ran to its end, failed; and answers a
// cancel for a deployment it does not hold at once.
func TestQueueTellsWatchers(t *testing.T) {
	var ts testsuite.WorkflowTestSuite
	env := ts.NewTestWorkflowEnvironment()
	registerActivities(env)
	env.OnActivity(act.Records.Mark, mock.Anything, mock.Anything).Return(nil)
	env.RegisterWorkflowWithOptions(func(ctx workflow.Context, in DeployInput) (*Result, error) {
		if err := workflow.Sleep(ctx, 10*time.Minute); err != nil {
			return nil, err
		}
		if in.DeploymentID == "d4" {
			return nil, errors.New("health check failed")
		}
		return &Result{DeploymentID: in.DeploymentID, Status: release.StatusSucceeded}, nil
	}, workflow.RegisterOptions{Name: DeployName})
	var mu sync.Mutex
	told := map[string][]Ended{}
	env.OnSignalExternalWorkflow(mock.Anything, mock.Anything, "", SignalEnded, mock.Anything).Return(func(_, id, _, _ string, arg any) error {
		mu.Lock()
		defer mu.Unlock()
		told[id] = append(told[id], arg.(Ended))
		return nil
	})
	req := func(id string, watchers ...string) Request {
		return Request{DeploymentID: id, Kind: release.KindDeploy, HostQueue: "q", Watchers: watchers}
	}
	at := func(d time.Duration, f func()) { env.RegisterDelayedCallback(f, d) }
	at(time.Minute, func() { env.SignalWorkflow(SignalRequest, req("d2", "w-d2")) })
	at(2*time.Minute, func() { env.SignalWorkflow(SignalRequest, req("d3", "w-d3")) }) // supersedes d2
	at(3*time.Minute, func() { env.SignalWorkflow(SignalCancel, CancelRequest{DeploymentID: "d3", ReplyTo: "teardown"}) })
	at(4*time.Minute, func() { env.SignalWorkflow(SignalCancel, CancelRequest{DeploymentID: "d9", ReplyTo: "teardown"}) })
	at(5*time.Minute, func() { env.SignalWorkflow(SignalRequest, req("d4", "w-d4")) })
	env.ExecuteWorkflow(AppQueueWorkflow, QueueInput{App: "web", Pending: &Request{DeploymentID: "d1", Kind: release.KindDeploy, HostQueue: "q", Watchers: []string{"w-d1"}}})
	if err := env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	want := map[string][]Ended{
		"w-d1":     {{DeploymentID: "d1", Status: release.StatusSucceeded}},
		"w-d2":     {{DeploymentID: "d2", Status: release.StatusSuperseded, Reason: "superseded by deployment d3 before it started"}},
		"w-d3":     {{DeploymentID: "d3", Status: release.StatusCancelled, Reason: "cancelled before it started"}},
		"w-d4":     {{DeploymentID: "d4", Status: release.StatusFailed, Reason: "health check failed"}},
		"teardown": {{DeploymentID: "d3", Status: release.StatusCancelled, Reason: "cancelled before it started"}, {DeploymentID: "d9"}},
	}
	for w, es := range want {
		if !slices.Equal(told[w], es) {
			t.Errorf("%s was told %+v, want %+v", w, told[w], es)
		}
	}
	if len(told) != len(want) {
		t.Errorf("told %+v", told)
	}
}

// A commit status report waits for the queue's word, not a poller: it reads
// the deployment once at its start (it may have ended already), then
// reports what the queue says.
func TestCommitStatusWaitsForTheQueue(t *testing.T) {
	for _, tc := range []struct {
		name     string
		first    release.Status // what the first read finds
		ended    *Ended         // what the queue says, and when
		want     string
		minHours time.Duration
	}{
		{"ended before it listened", release.StatusFailed, nil, "failure", 0},
		{"told by the queue", release.StatusBuilding, &Ended{DeploymentID: "d1", Status: release.StatusSucceeded}, "success", 0},
		{"a lost word is found by the hourly read", release.StatusBuilding, nil, "success", time.Hour},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var ts testsuite.WorkflowTestSuite
			env := ts.NewTestWorkflowEnvironment()
			registerActivities(env)
			var states []string
			env.OnActivity(act.Reports.CommitStatus, mock.Anything, mock.Anything).Return(func(_ context.Context, in activities.CommitStatusInput) error {
				states = append(states, in.State)
				if strings.Contains(in.Description, "hunter2") {
					t.Errorf("a commit status (public) carries the failure's reason: %q", in.Description)
				}
				return nil
			})
			reads := 0
			env.OnActivity(act.Previews.Outcome, mock.Anything, mock.Anything).Return(func(context.Context, activities.DeploymentRef) (*activities.DeploymentOutcome, error) {
				reads++
				if reads == 1 {
					return &activities.DeploymentOutcome{Status: tc.first, Reason: "build: RUN echo hunter2"}, nil
				}
				return &activities.DeploymentOutcome{Status: release.StatusSucceeded}, nil
			})
			if tc.ended != nil {
				env.RegisterDelayedCallback(func() { env.SignalWorkflow(SignalEnded, *tc.ended) }, 10*time.Minute)
			}
			start := env.Now()
			env.ExecuteWorkflow(CommitStatusWorkflow, CommitStatusInput{AppID: "a1", App: "web", DeploymentID: "d1", Provider: "github", Repo: "acme/web", SHA: "abc"})
			if err := env.GetWorkflowError(); err != nil {
				t.Fatal(err)
			}
			var state string
			env.GetWorkflowResult(&state)
			if state != tc.want || !slices.Equal(states, []string{"pending", tc.want}) {
				t.Fatalf("state %q, reported %v", state, states)
			}
			if took := env.Now().Sub(start); took < tc.minHours || took > tc.minHours+15*time.Minute {
				t.Fatalf("took %s", took)
			}
		})
	}
}
