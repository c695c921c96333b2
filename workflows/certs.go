package workflows

import (
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/rivetr/rivetr/activities"
)

// RenewCertInput names the domain whose certificate is renewed, on the
// host of its app.
type RenewCertInput struct {
	Host      string
	HostQueue string
}

// RenewCertWorkflow renews a domain's certificate now through its app's
// host's proxy (the others load it from the store).
func RenewCertWorkflow(ctx workflow.Context, in RenewCertInput) error {
	host := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		TaskQueue:           in.HostQueue,
		StartToCloseTimeout: 3 * time.Minute,
		RetryPolicy:         &temporal.RetryPolicy{MaximumAttempts: 3, MaximumInterval: 20 * time.Second},
	})
	return workflow.ExecuteActivity(host, act.Host.RenewCertificate, activities.CertInput{Host: in.Host}).Get(ctx, nil)
}
