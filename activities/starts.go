package activities

import (
	"context"
	"errors"

	"github.com/rivetr/rivetr/schema"
)

// Starter starts deployments through their app's queue and gates. The
// control plane gives it, as it holds the Temporal client.
type Starter interface {
	// Enqueue hands a scheduled deployment, now due, to its app's queue.
	Enqueue(ctx context.Context, deploymentID string) error
	// DeployBranchHead deploys an app's branch head now for a recurring
	// deploy (requested by whoever set it up) and returns the deployment's
	// ID.
	DeployBranchHead(ctx context.Context, appID, recurringID string) (string, error)
	// DeployPreview records a deployment of a preview and queues it (or
	// returns the one already made for its workflow ID).
	DeployPreview(ctx context.Context, in PreviewDeployInput) (string, error)
}

// Starts are the activities that start deployments: a scheduled one now
// due, a recurring deploy's run, a preview's. They run on the shared queue.
type Starts struct {
	Starter Starter
}

// Enqueue hands a scheduled deployment, now due, to its app's queue; from
// there it runs like any other, gates included.
func (st *Starts) Enqueue(ctx context.Context, in EnqueueInput) error {
	if st.Starter == nil {
		return errors.New("this worker cannot queue deployments (no Temporal client given)")
	}
	return st.Starter.Enqueue(ctx, in.DeploymentID)
}

// DeployRecurring starts one run of a recurring deploy: the app's branch
// head, through its queue and gates like any deploy. It returns the
// deployment's ID.
func (st *Starts) DeployRecurring(ctx context.Context, in RecurringInput) (string, error) {
	if st.Starter == nil {
		return "", errors.New("this worker cannot start deployments (no Temporal client given)")
	}
	id, err := st.Starter.DeployBranchHead(ctx, in.AppID, in.Recurring)
	if errors.Is(err, schema.ErrNotFound) {
		return "", nonRetryable(ErrTypeGone, "the app of recurring deploy %s is gone", in.Recurring)
	}
	return id, err
}

// PreviewDeployInput asks for a deployment of a preview.
type PreviewDeployInput struct {
	AppID       string
	Commit      string
	RequestedBy string
	// WorkflowID carries the delivery ID, so a retried activity or a
	// redelivered event finds the deployment it made.
	WorkflowID string
	// Watcher is the workflow the queue tells how the deployment ended
	// (the preview's own; "" for none).
	Watcher string `json:",omitempty"`
}

// PreviewDeploy records a deployment of the preview at the pull request's
// head and hands it to the preview's queue (or returns the one already
// made for the same workflow ID).
func (st *Starts) PreviewDeploy(ctx context.Context, in PreviewDeployInput) (string, error) {
	if st.Starter == nil {
		return "", errors.New("this worker cannot queue deployments (no Temporal client given)")
	}
	return st.Starter.DeployPreview(ctx, in)
}
