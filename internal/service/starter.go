package service

import (
	"context"

	"go.temporal.io/sdk/client"

	"github.com/rivetr/rivetr/activities"
	"github.com/rivetr/rivetr/internal/egress"
	"github.com/rivetr/rivetr/schema"
)

// Starter starts deployments for the workers' activities (scheduled ones
// now due, recurring deploys, previews): the same queue and gates as every
// other path, with only the store and the Temporal client behind them.
type Starter struct {
	Store    *schema.Store
	Temporal client.Client
	// Egress is where git remotes may be reached.
	Egress *egress.Policy
}

var _ activities.Starter = Starter{}

// Enqueue hands a scheduled deployment, now due, to its app's queue.
func (s Starter) Enqueue(ctx context.Context, deploymentID string) error {
	return Enqueue(ctx, s.Temporal, s.Store, deploymentID)
}

// DeployBranchHead deploys an app's branch head, as a recurring deploy
// asks.
func (s Starter) DeployBranchHead(ctx context.Context, appID, recurringID string) (string, error) {
	return DeployFromSchedule(ctx, s.Temporal, s.Store, s.Egress, appID, recurringID)
}

// DeployPreview records and queues a deployment of a preview.
func (s Starter) DeployPreview(ctx context.Context, in activities.PreviewDeployInput) (string, error) {
	return DeployPreview(ctx, s.Temporal, s.Store, in)
}
