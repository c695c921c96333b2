package workflows

import (
	"fmt"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/rivetr/rivetr/activities"
	"github.com/rivetr/rivetr/internal/ids"
	"github.com/rivetr/rivetr/internal/release"
)

// Backup workflow type names.
const (
	BackupName  = "BackupWorkflow"
	RestoreName = "RestoreWorkflow"
)

// BackupID is the ID of one backup's workflow; BackupScheduleID that of a
// database's backup schedule (a Temporal Schedule).
func BackupID(db, backupID string) string { return "backup/" + db + "/" + backupID }

// BackupScheduleID is the ID of a database's backup schedule.
func BackupScheduleID(db string) string { return "backups/" + db }

// RestoreID is the ID of a restore's workflow.
func RestoreID(db, backupID string) string { return "restore/" + db + "/" + backupID }

// BackupInput asks for a backup of a database.
type BackupInput struct {
	DatabaseID string
	Database   string
	HostQueue  string
	Trigger    string
	// BackupID names the backup; empty (a scheduled run) makes one.
	BackupID string
	// Kind is dump (default) or volume.
	Kind release.BackupKind `json:",omitempty"`
}

func hostActivity(ctx workflow.Context, queue string, startToClose time.Duration, summary string) workflow.Context {
	return workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		TaskQueue:           queue,
		StartToCloseTimeout: startToClose,
		HeartbeatTimeout:    30 * time.Second,
		Summary:             summary,
		RetryPolicy: &temporal.RetryPolicy{MaximumAttempts: 3, MaximumInterval: 30 * time.Second,
			NonRetryableErrorTypes: []string{activities.ErrTypeGone, activities.ErrTypeBackup, activities.ErrTypeSecret}},
	})
}

func (in BackupInput) notify(ctx workflow.Context, text string) {
	nctx := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: 30 * time.Second, Summary: "notify",
		RetryPolicy: &temporal.RetryPolicy{MaximumAttempts: 5, NonRetryableErrorTypes: []string{activities.ErrTypeBackup}},
	})
	if err := workflow.ExecuteActivity(nctx, act.Reports.Notify, activities.NotifyInput{DatabaseID: in.DatabaseID, Text: text}).Get(ctx, nil); err != nil {
		workflow.GetLogger(ctx).Error("could not send the failure notification", "err", err)
	}
}

// BackupWorkflow backs a database up: the dump streams, compressed, to
// every destination of its policy, each copy is read back and checked,
// and only then is the backup recorded as succeeded; then retention runs.
// A failure is recorded with its reason, notified, and fails the
// workflow — never reported as a success.
func BackupWorkflow(ctx workflow.Context, in BackupInput) (string, error) {
	if in.BackupID == "" {
		if err := workflow.SideEffect(ctx, func(workflow.Context) any { return ids.New() }).Get(&in.BackupID); err != nil {
			return "", err
		}
	}
	if err := workflow.ExecuteLocalActivity(storeCtx(ctx), act.DatabaseRecords.BackupStart,
		activities.BackupStartInput{BackupID: in.BackupID, DatabaseID: in.DatabaseID, Trigger: in.Trigger, Kind: in.Kind}).Get(ctx, nil); err != nil {
		return "", err
	}
	var res activities.BackupResult
	runErr := workflow.ExecuteActivity(hostActivity(ctx, in.HostQueue, 6*time.Hour, "dump, store and verify"), act.Backups.BackupRun, activities.BackupRef{BackupID: in.BackupID}).Get(ctx, &res)
	fin := activities.BackupFinishInput{BackupID: in.BackupID, Result: &res}
	if runErr != nil {
		fin.Result, fin.Error = nil, Cause(runErr)
	}
	if err := workflow.ExecuteLocalActivity(storeCtx(ctx), act.DatabaseRecords.BackupFinish, fin).Get(ctx, nil); err != nil {
		return "", err
	}
	if runErr != nil {
		in.notify(ctx, fmt.Sprintf("Rivetr: backup %s of database %s FAILED: %s", in.BackupID, in.Database, Cause(runErr)))
		return "", runErr
	}
	var dropped []string
	if err := workflow.ExecuteActivity(hostActivity(ctx, in.HostQueue, 10*time.Minute, "retention"), act.Backups.Retention, activities.DatabaseRef{DatabaseID: in.DatabaseID}).Get(ctx, &dropped); err != nil {
		in.notify(ctx, fmt.Sprintf("Rivetr: backup %s of database %s succeeded, but retention failed: %s", in.BackupID, in.Database, Cause(err)))
		return in.BackupID, err
	}
	return in.BackupID, nil
}

// RestoreInput asks for a backup to be restored into a database.
type RestoreInput struct {
	BackupID   string
	DatabaseID string // the database the backup is of
	Database   string
	// TargetID is the database restored into: the same one, or a new one
	// (created first when Create is set).
	TargetID  string
	Create    bool
	HostQueue string
}

// RestoreWorkflow restores a backup (creating the target database first
// when asked): the copy is checked against its SHA-256 before anything is
// touched, the database is off its team's network while it is restored, and
// the outcome is recorded and, on failure, notified.
func RestoreWorkflow(ctx workflow.Context, in RestoreInput) (string, error) {
	if in.Create {
		if _, err := DatabaseWorkflowSteps(ctx, DatabaseOp{ID: in.TargetID, Op: DBOpCreate, HostQueue: in.HostQueue}); err != nil {
			BackupInput{DatabaseID: in.DatabaseID, Database: in.Database}.notify(ctx, fmt.Sprintf("Rivetr: restoring backup %s FAILED: the new database did not start: %s", in.BackupID, Cause(err)))
			return "", err
		}
	}
	err := workflow.ExecuteActivity(hostActivity(ctx, in.HostQueue, 6*time.Hour, "fetch, verify and restore"), act.Backups.RestoreRun,
		activities.RestoreInput{BackupID: in.BackupID, TargetID: in.TargetID}).Get(ctx, nil)
	if err != nil {
		BackupInput{DatabaseID: in.DatabaseID, Database: in.Database}.notify(ctx, fmt.Sprintf("Rivetr: restoring backup %s of database %s FAILED: %s", in.BackupID, in.Database, Cause(err)))
		return "", err
	}
	return "restored " + in.BackupID, nil
}
