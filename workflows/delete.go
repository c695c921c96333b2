package workflows

import (
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/rivetr/rivetr/activities"
)

// DeleteAppInput names the app to delete.
type DeleteAppInput struct {
	AppID     string
	App       string
	HostQueue string
}

// DeleteAppWorkflow removes an app from its host (route, containers,
// images) and then its records.
func DeleteAppWorkflow(ctx workflow.Context, in DeleteAppInput) error {
	host := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		TaskQueue:           in.HostQueue,
		StartToCloseTimeout: 5 * time.Minute,
		RetryPolicy:         &temporal.RetryPolicy{MaximumAttempts: 10, MaximumInterval: 20 * time.Second},
	})
	if err := workflow.ExecuteActivity(host, act.Host.RemoveApp, activities.RemoveAppInput{AppID: in.AppID, App: in.App}).Get(ctx, nil); err != nil {
		return err
	}
	return workflow.ExecuteLocalActivity(storeCtx(ctx), act.Records.DeleteAppRecord, activities.RemoveAppInput{AppID: in.AppID, App: in.App}).Get(ctx, nil)
}
