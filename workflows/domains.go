package workflows

import (
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/rivetr/rivetr/activities"
)

// DomainsInput names the app whose domains changed.
type DomainsInput struct {
	AppID     string
	App       string
	HostQueue string
}

// DomainsWorkflow points the app's running route at its domains as the
// store now has them: a domain added or removed takes effect without a
// deploy. (Each host's route reconciliation converges on them too, within
// seconds, should this run be lost.)
func DomainsWorkflow(ctx workflow.Context, in DomainsInput) error {
	host := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		TaskQueue:           in.HostQueue,
		StartToCloseTimeout: 30 * time.Second,
		RetryPolicy:         &temporal.RetryPolicy{MaximumAttempts: 5, MaximumInterval: 10 * time.Second},
	})
	return workflow.ExecuteActivity(host, act.Host.ApplyDomains, activities.DomainsInput{AppID: in.AppID, App: in.App}).Get(ctx, nil)
}
