package workflows

import (
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/rivetr/rivetr/activities"
	"github.com/rivetr/rivetr/internal/release"
)

// Request asks an app's queue to run a deployment (a deploy or a rollback).
type Request struct {
	DeploymentID string
	Kind         release.Kind
	HostQueue    string
	// WorkflowID is the deployment's workflow ID; empty means
	// WorkflowID(Kind, app, DeploymentID). Webhook deploys carry the
	// provider's delivery ID in theirs (see WebhookDeployID), so a
	// redelivery can never start a second one.
	WorkflowID string `json:",omitempty"`
}

// CancelRequest asks an app's queue to cancel a deployment, queued or running.
type CancelRequest struct {
	DeploymentID string
}

// QueueInput starts (or continues) an app's queue.
type QueueInput struct {
	App string
	// Pending is a request carried over a continue-as-new.
	Pending *Request
}

// AppQueueWorkflow runs an app's deployments one at a time. It is started
// (or signalled, if running) by every deploy and rollback request, with
// signal-with-start on ID app/<name>. While a deployment runs, a newer request
// supersedes the one waiting; a cancel signal removes a waiting request or
// cancels the running child. When nothing is left to do the workflow ends;
// the next request starts it again.
func AppQueueWorkflow(ctx workflow.Context, in QueueInput) error {
	log := workflow.GetLogger(ctx)
	store := storeCtx(ctx)
	requests := workflow.GetSignalChannel(ctx, SignalRequest)
	cancels := workflow.GetSignalChannel(ctx, SignalCancel)

	pending := in.Pending
	var running *Request
	var cancelRunning workflow.CancelFunc

	mark := func(id string, status release.Status, reason string) {
		if err := workflow.ExecuteLocalActivity(store, act.Records.Mark, activities.MarkInput{DeploymentID: id, Status: status, Reason: reason}).Get(ctx, nil); err != nil {
			log.Error("marking deployment failed", "deployment", id, "err", err)
		}
	}
	onRequest := func(r Request) {
		if pending != nil && pending.DeploymentID != r.DeploymentID {
			mark(pending.DeploymentID, release.StatusSuperseded, "superseded by deployment "+r.DeploymentID+" before it started")
		}
		pending = &r
	}
	onCancel := func(c CancelRequest) {
		switch {
		case pending != nil && pending.DeploymentID == c.DeploymentID:
			mark(c.DeploymentID, release.StatusCancelled, "cancelled before it started")
			pending = nil
		case running != nil && running.DeploymentID == c.DeploymentID:
			cancelRunning()
		}
	}
	addSignals := func(sel workflow.Selector) {
		sel.AddReceive(requests, func(ch workflow.ReceiveChannel, _ bool) {
			var r Request
			ch.Receive(ctx, &r)
			onRequest(r)
		})
		sel.AddReceive(cancels, func(ch workflow.ReceiveChannel, _ bool) {
			var c CancelRequest
			ch.Receive(ctx, &c)
			onCancel(c)
		})
	}
	// drain handles every signal already delivered, without blocking.
	drain := func() {
		for {
			var r Request
			if requests.ReceiveAsync(&r) {
				onRequest(r)
				continue
			}
			var c CancelRequest
			if cancels.ReceiveAsync(&c) {
				onCancel(c)
				continue
			}
			return
		}
	}

	for {
		drain()
		if pending == nil {
			// Nothing to do. Signals that arrive from here on make the
			// server reject this completion and replay with them.
			return nil
		}
		running, pending = pending, nil
		childCtx, cancel := workflow.WithCancel(ctx)
		cancelRunning = cancel
		childCtx = workflow.WithChildOptions(childCtx, childOptions(ctx, in.App, running))
		var fn any = DeployWorkflow
		if running.Kind == release.KindRollback {
			fn = RollbackWorkflow
		}
		child := workflow.ExecuteChildWorkflow(childCtx, fn, DeployInput{DeploymentID: running.DeploymentID, HostQueue: running.HostQueue})
		finished := false
		for !finished {
			sel := workflow.NewSelector(ctx)
			sel.AddFuture(child, func(f workflow.Future) {
				finished = true
				var res Result
				if err := f.Get(ctx, &res); err != nil {
					log.Info("deployment ended", "deployment", running.DeploymentID, "err", err)
				}
			})
			addSignals(sel)
			sel.Select(ctx)
		}
		cancel()
		running = nil
		if workflow.GetInfo(ctx).GetContinueAsNewSuggested() {
			drain()
			return workflow.NewContinueAsNewError(ctx, AppQueueWorkflow, QueueInput{App: in.App, Pending: pending})
		}
	}
}

func childOptions(ctx workflow.Context, app string, r *Request) workflow.ChildWorkflowOptions {
	id := r.WorkflowID
	if id == "" {
		id = WorkflowID(r.Kind, app, r.DeploymentID)
	}
	return workflow.ChildWorkflowOptions{
		WorkflowID: id,
		// The queue waits for a cancelled deployment's cleanup before it
		// starts the next one: one deploy per app at a time, always.
		WaitForCancellation: true,
		// A deployment outlives its queue being terminated by an operator.
		ParentClosePolicy:     enumspb.PARENT_CLOSE_POLICY_ABANDON,
		WorkflowIDReusePolicy: enumspb.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE,
		TypedSearchAttributes: temporal.NewSearchAttributes(
			AppKey.ValueSet(app),
			KindKey.ValueSet(string(r.Kind)),
			DeploymentKey.ValueSet(r.DeploymentID),
		),
		StaticSummary: string(r.Kind) + " " + app + " " + r.DeploymentID,
	}
}
