// Package worker registers Rivetr's workflows and activities with Temporal
// workers, and says in one place which activities run on which task queue.
// The binary and the tests use the same functions, so a test exercises
// exactly what production runs.
package worker

import (
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/rivetr/rivetr/activities"
	"github.com/rivetr/rivetr/workflows"
)

// RegisterWorkflows registers every workflow under its stable name. They
// run on the shared queue (workflows.TaskQueue).
func RegisterWorkflows(r worker.WorkflowRegistry) {
	for _, w := range Workflows() {
		r.RegisterWorkflowWithOptions(w.Fn, workflow.RegisterOptions{Name: w.Name})
	}
}

// Workflow is a workflow function and its registered name.
type Workflow struct {
	Name string
	Fn   any
}

// Workflows lists every workflow with its name, as RegisterWorkflows
// registers them.
func Workflows() []Workflow {
	return []Workflow{
		{workflows.AppQueueName, workflows.AppQueueWorkflow},
		{workflows.DeployName, workflows.DeployWorkflow},
		{workflows.RollbackName, workflows.RollbackWorkflow},
		{workflows.DeleteAppName, workflows.DeleteAppWorkflow},
		{workflows.DomainsName, workflows.DomainsWorkflow},
		{workflows.RenewCertName, workflows.RenewCertWorkflow},
		{workflows.RetireName, workflows.RetireWorkflow},
		{workflows.StackName, workflows.StackWorkflow},
		{workflows.ScheduleName, workflows.ScheduledDeployWorkflow},
		{workflows.RecurringName, workflows.RecurringDeployWorkflow},
		{workflows.PreviewName, workflows.PreviewWorkflow},
		{workflows.CommitStatusName, workflows.CommitStatusWorkflow},
		{workflows.DatabaseName, workflows.DatabaseWorkflow},
		{workflows.BackupName, workflows.BackupWorkflow},
		{workflows.RestoreName, workflows.RestoreWorkflow},
	}
}

// Shared are the activities of the shared queue, polled by every worker
// process: the store steps (which the workflows run as local activities,
// so they must be registered where the workflows run), previews, reports
// and the activities that start deployments. Nothing here touches a
// Docker host.
type Shared struct {
	Records         *activities.Records
	DatabaseRecords *activities.DatabaseRecords
	Previews        *activities.Previews
	Reports         *activities.Reports
	Starts          *activities.Starts
}

// Host are the activities of one Docker host's queue (config.HostQueue):
// everything that touches that host's Docker engine, proxy or disk. They
// are registered on that queue only, so a host step scheduled without its
// queue fails instead of running on whichever host polls the shared queue.
type Host struct {
	Host      *activities.Host
	Databases *activities.Databases
	Backups   *activities.Backups
}

// RegisterShared registers the shared queue's activities.
func RegisterShared(r worker.ActivityRegistry, s Shared) {
	for _, a := range []any{s.Records, s.DatabaseRecords, s.Previews, s.Reports, s.Starts} {
		r.RegisterActivity(a)
	}
}

// RegisterHost registers a host queue's activities.
func RegisterHost(r worker.ActivityRegistry, h Host) {
	for _, a := range []any{h.Host, h.Databases, h.Backups} {
		r.RegisterActivity(a)
	}
}
