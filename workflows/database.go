package workflows

import (
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/rivetr/rivetr/activities"
	"github.com/rivetr/rivetr/internal/release"
)

// DatabaseName is DatabaseWorkflow's type name.
const DatabaseName = "DatabaseWorkflow"

// DatabaseID is the ID of the workflow changing a database: one at a time
// per database.
func DatabaseID(name string) string { return "database/" + name }

// Database operations.
const (
	DBOpCreate = "create"
	DBOpStart  = "start"
	DBOpStop   = "stop"
	DBOpDelete = "delete"
)

// DatabaseOp asks DatabaseWorkflow to change a database.
type DatabaseOp struct {
	ID        string
	Name      string
	Op        string
	HostQueue string
	// Purge removes the data volume too (delete).
	Purge bool
}

// DatabaseWorkflow creates, starts, stops or deletes a database: the
// Docker steps run on its host's queue, and the record says how it went
// (failed, with the reason, when it could not start).
func DatabaseWorkflow(ctx workflow.Context, in DatabaseOp) (string, error) {
	return DatabaseWorkflowSteps(ctx, in)
}

// DatabaseWorkflowSteps are DatabaseWorkflow's steps, run by it and by
// RestoreWorkflow (which creates the database it restores into).
func DatabaseWorkflowSteps(ctx workflow.Context, in DatabaseOp) (string, error) {
	host := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		TaskQueue:           in.HostQueue,
		StartToCloseTimeout: 10 * time.Minute,
		HeartbeatTimeout:    30 * time.Second,
		RetryPolicy: &temporal.RetryPolicy{MaximumAttempts: 5, MaximumInterval: 20 * time.Second,
			NonRetryableErrorTypes: []string{activities.ErrTypeGone, activities.ErrTypeDatabase, activities.ErrTypeSecret}},
	})
	mark := func(m activities.DBMarkInput) error {
		m.ID = in.ID
		return workflow.ExecuteLocalActivity(storeCtx(ctx), act.DatabaseRecords.DBMark, m).Get(ctx, nil)
	}
	target := activities.DatabaseInput{ID: in.ID, Purge: in.Purge}
	switch in.Op {
	case DBOpCreate, DBOpStart:
		var id string
		if err := workflow.ExecuteActivity(host, act.Databases.DBUp, target).Get(ctx, &id); err != nil {
			if merr := mark(activities.DBMarkInput{Status: release.DBFailed, Error: Cause(err)}); merr != nil {
				workflow.GetLogger(ctx).Error("could not record the database as failed", "database", in.ID, "err", merr)
			}
			return "", err
		}
		return string(release.DBRunning), mark(activities.DBMarkInput{Status: release.DBRunning, ContainerID: id})
	case DBOpStop:
		if err := workflow.ExecuteActivity(host, act.Databases.DBStop, target).Get(ctx, nil); err != nil {
			return "", err
		}
		return string(release.DBStopped), mark(activities.DBMarkInput{Status: release.DBStopped})
	case DBOpDelete:
		if err := workflow.ExecuteActivity(host, act.Databases.DBRemove, target).Get(ctx, nil); err != nil {
			return "", err
		}
		return "deleted", mark(activities.DBMarkInput{Delete: true})
	}
	return "", temporal.NewNonRetryableApplicationError("unknown database operation "+in.Op, "BadOperation", nil)
}
