package workflows

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"go.temporal.io/sdk/testsuite"

	"github.com/rivetr/rivetr/activities"
	"github.com/rivetr/rivetr/internal/release"
)

// A scheduled deploy rescheduled twice (once refused for a past time) is
// queued exactly at its last time; three days pass in milliseconds.
func TestScheduledDeployRescheduledTwice(t *testing.T) {
	var suite testsuite.WorkflowTestSuite
	env := suite.NewTestWorkflowEnvironment()
	registerActivities(env)
	start := env.Now()
	var mu sync.Mutex
	var queuedAt time.Time
	var moves []time.Time
	env.OnActivity(act.Records.Reschedule, mock.Anything, mock.Anything).Return(func(_ context.Context, in activities.RescheduleInput) error {
		mu.Lock()
		defer mu.Unlock()
		moves = append(moves, in.At)
		return nil
	})
	env.OnActivity(act.Starts.Enqueue, mock.Anything, mock.Anything).Return(func(_ context.Context, in activities.EnqueueInput) error {
		mu.Lock()
		defer mu.Unlock()
		queuedAt = env.Now()
		return nil
	})
	reschedule := func(after time.Duration, to time.Time) *outcome {
		o := &outcome{}
		env.RegisterDelayedCallback(func() {
			env.UpdateWorkflow(UpdateReschedule, "r"+after.String(), &testsuite.TestUpdateCallback{
				OnAccept: func() { o.accepted = true }, OnReject: func(err error) { o.refused = err.Error() },
				OnComplete: func(any, error) {},
			}, to)
		}, after)
		return o
	}
	later := reschedule(time.Hour, start.Add(3*24*time.Hour))   // push to day 3
	past := reschedule(2*time.Hour, start.Add(time.Minute))     // in the past by then
	earlier := reschedule(3*time.Hour, start.Add(48*time.Hour)) // pull to day 2
	env.ExecuteWorkflow(ScheduledDeployWorkflow, ScheduleInput{DeploymentID: "d9", App: "web", At: start.Add(10 * time.Hour)})
	if err := env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	if !later.accepted || !earlier.accepted || past.accepted || !strings.Contains(past.refused, "not in the future") {
		t.Fatalf("reschedules: later %+v, past %+v, earlier %+v", later, past, earlier)
	}
	if len(moves) != 2 {
		t.Fatalf("recorded moves: %v", moves)
	}
	if got := queuedAt.Sub(start); got < 48*time.Hour || got > 48*time.Hour+time.Second {
		t.Fatalf("queued %s after start, want 48h", got)
	}
}

// Cancelling a scheduled deploy marks it cancelled and never queues it.
func TestScheduledDeployCancelled(t *testing.T) {
	var suite testsuite.WorkflowTestSuite
	env := suite.NewTestWorkflowEnvironment()
	registerActivities(env)
	rec := &recorder{}
	env.OnActivity(act.Records.Mark, mock.Anything, mock.Anything).Return(rec.mark)
	env.RegisterDelayedCallback(env.CancelWorkflow, time.Hour)
	env.ExecuteWorkflow(ScheduledDeployWorkflow, ScheduleInput{DeploymentID: "d9", App: "web", At: env.Now().Add(24 * time.Hour)})
	if len(rec.marks) != 1 || rec.marks[0].Status != release.StatusCancelled {
		t.Fatalf("marks %+v", rec.marks)
	}
	env.AssertNotCalled(t, "Enqueue", mock.Anything, mock.Anything)
}

func TestRecurringDeployStartsADeploy(t *testing.T) {
	var suite testsuite.WorkflowTestSuite
	env := suite.NewTestWorkflowEnvironment()
	registerActivities(env)
	var got activities.RecurringInput
	env.OnActivity(act.Starts.DeployRecurring, mock.Anything, mock.Anything).Return(func(_ context.Context, in activities.RecurringInput) (string, error) {
		got = in
		return "d42", nil
	})
	env.ExecuteWorkflow(RecurringDeployWorkflow, activities.RecurringInput{AppID: "app1", Recurring: "r1"})
	var id string
	if err := env.GetWorkflowResult(&id); err != nil || id != "d42" || got.Recurring != "r1" {
		t.Fatalf("result %q %v, input %+v", id, err, got)
	}
}
