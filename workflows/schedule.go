package workflows

import (
	"errors"
	"fmt"
	"time"

	"go.temporal.io/sdk/workflow"

	"github.com/rivetr/rivetr/activities"
	"github.com/rivetr/rivetr/internal/release"
)

// UpdateReschedule moves a scheduled deployment to another time.
const UpdateReschedule = "reschedule"

// ScheduleInput holds a deployment until At.
type ScheduleInput struct {
	DeploymentID string
	App          string
	At           time.Time
}

// ScheduledDeployWorkflow waits, on a durable timer, until a scheduled
// deployment is due, then hands it to the app's queue, where it runs like
// any other deploy: its gates (approval) are met when it runs, not when it
// was scheduled. It waits outside the queue, so the app's other deploys are
// not held up. The reschedule update moves the timer; cancelling the
// workflow cancels the deployment.
func ScheduledDeployWorkflow(ctx workflow.Context, in ScheduleInput) error {
	at, moved, fired := in.At, false, false
	err := workflow.SetUpdateHandlerWithOptions(ctx, UpdateReschedule, func(ctx workflow.Context, t time.Time) (time.Time, error) {
		if err := workflow.ExecuteLocalActivity(storeCtx(ctx), act.Records.Reschedule, activities.RescheduleInput{DeploymentID: in.DeploymentID, At: t}).Get(ctx, nil); err != nil {
			return at, err
		}
		at, moved = t, true
		return t, nil
	}, workflow.UpdateHandlerOptions{Validator: func(ctx workflow.Context, t time.Time) error {
		switch {
		case fired:
			return errors.New("this deployment is already queued; it can no longer be rescheduled")
		case !t.After(workflow.Now(ctx)):
			return fmt.Errorf("%s is not in the future", t.UTC().Format(time.RFC3339))
		}
		return nil
	}})
	if err != nil {
		return err
	}
	for {
		wait := at.Sub(workflow.Now(ctx))
		if wait <= 0 {
			break
		}
		moved = false
		ok, err := workflow.AwaitWithOptions(ctx, workflow.AwaitOptions{Timeout: wait,
			TimerOptions: workflow.TimerOptions{Summary: "deploy at " + at.UTC().Format(time.RFC3339)}}, func() bool { return moved })
		if err != nil {
			// Cancelled: the deployment never runs.
			dctx, _ := workflow.NewDisconnectedContext(ctx)
			if merr := workflow.ExecuteLocalActivity(storeCtx(dctx), act.Records.Mark, activities.MarkInput{DeploymentID: in.DeploymentID,
				Status: release.StatusCancelled, Reason: "cancelled before its scheduled time"}).Get(dctx, nil); merr != nil {
				workflow.GetLogger(ctx).Error("could not record the scheduled deployment as cancelled", "deployment", in.DeploymentID, "err", merr)
			}
			return err
		}
		if !ok {
			break
		}
	}
	fired = true
	return workflow.ExecuteActivity(workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: 30 * time.Second, Summary: "hand to the app's queue",
	}), act.Starts.Enqueue, activities.EnqueueInput{DeploymentID: in.DeploymentID}).Get(ctx, nil)
}
