// Package worker registers Rivetr's workflows and activities with a Temporal
// worker. The binary and the tests use the same Register functions, so a
// test exercises exactly what production runs.
package worker

import (
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/rivetr/rivetr/activities"
	"github.com/rivetr/rivetr/workflows"
)

// RegisterWorkflows registers every workflow under its stable name.
func RegisterWorkflows(r worker.WorkflowRegistry) {
	r.RegisterWorkflowWithOptions(workflows.AppQueueWorkflow, workflow.RegisterOptions{Name: workflows.AppQueueName})
	r.RegisterWorkflowWithOptions(workflows.DeployWorkflow, workflow.RegisterOptions{Name: workflows.DeployName})
	r.RegisterWorkflowWithOptions(workflows.RollbackWorkflow, workflow.RegisterOptions{Name: workflows.RollbackName})
	r.RegisterWorkflowWithOptions(workflows.DeleteAppWorkflow, workflow.RegisterOptions{Name: workflows.DeleteAppName})
	r.RegisterWorkflowWithOptions(workflows.RetireWorkflow, workflow.RegisterOptions{Name: workflows.RetireName})
	r.RegisterWorkflowWithOptions(workflows.ScheduledDeployWorkflow, workflow.RegisterOptions{Name: workflows.ScheduleName})
	r.RegisterWorkflowWithOptions(workflows.RecurringDeployWorkflow, workflow.RegisterOptions{Name: workflows.RecurringName})
	r.RegisterWorkflowWithOptions(workflows.PreviewWorkflow, workflow.RegisterOptions{Name: workflows.PreviewName})
	r.RegisterWorkflowWithOptions(workflows.CommitStatusWorkflow, workflow.RegisterOptions{Name: workflows.CommitStatusName})
	r.RegisterWorkflowWithOptions(workflows.DatabaseWorkflow, workflow.RegisterOptions{Name: workflows.DatabaseName})
	r.RegisterWorkflowWithOptions(workflows.BackupWorkflow, workflow.RegisterOptions{Name: workflows.BackupName})
	r.RegisterWorkflowWithOptions(workflows.RestoreWorkflow, workflow.RegisterOptions{Name: workflows.RestoreName})
}

// RegisterActivities registers every activity method of acts.
func RegisterActivities(r worker.ActivityRegistry, acts *activities.Activities) {
	r.RegisterActivity(acts)
}
