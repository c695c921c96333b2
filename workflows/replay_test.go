package workflows

import (
	"testing"

	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"
)

// TestReplayRecordedHistories replays histories recorded from real runs (by
// the end-to-end test with RIVETR_RECORD_HISTORY=workflows/testdata). A change
// to a workflow that would break running deployments fails here; guard such
// a change with workflow.GetVersion, then record new histories.
func TestReplayRecordedHistories(t *testing.T) {
	for _, tc := range []struct{ file, name string }{
		{"testdata/deploy_history.json", DeployName},
		{"testdata/queue_history.json", AppQueueName},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := worker.NewWorkflowReplayer()
			r.RegisterWorkflowWithOptions(AppQueueWorkflow, workflow.RegisterOptions{Name: AppQueueName})
			r.RegisterWorkflowWithOptions(DeployWorkflow, workflow.RegisterOptions{Name: DeployName})
			r.RegisterWorkflowWithOptions(RollbackWorkflow, workflow.RegisterOptions{Name: RollbackName})
			r.RegisterWorkflowWithOptions(RetireWorkflow, workflow.RegisterOptions{Name: RetireName})
			if err := r.ReplayWorkflowHistoryFromJSONFile(nil, tc.file); err != nil {
				t.Fatalf("%s no longer replays: %v", tc.file, err)
			}
		})
	}
}
