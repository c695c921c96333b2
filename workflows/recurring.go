package workflows

import (
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/rivetr/rivetr/activities"
)

// RecurringDeployWorkflow is what a recurring deploy's Temporal Schedule
// starts each time: it deploys the app's branch head, which then meets its
// queue and gates (approval, freezes) like any other deploy.
func RecurringDeployWorkflow(ctx workflow.Context, in activities.RecurringInput) (string, error) {
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: time.Minute,
		Summary:             "deploy the branch head",
		RetryPolicy:         &temporal.RetryPolicy{MaximumAttempts: 5, NonRetryableErrorTypes: []string{activities.ErrTypeGone}},
	})
	var id string
	err := workflow.ExecuteActivity(ctx, act.Starts.DeployRecurring, in).Get(ctx, &id)
	return id, err
}
