package workflows

import (
	"slices"

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
	// Watchers are workflows to tell, with SignalEnded, how the deployment
	// ended (ran, superseded or cancelled while queued): a preview, a
	// commit status report. A watcher that is gone is skipped.
	Watchers []string `json:",omitempty"`
}

// CancelRequest asks an app's queue to cancel a deployment, queued or running.
type CancelRequest struct {
	DeploymentID string
	// ReplyTo is a workflow to tell, with SignalEnded, once the deployment
	// has ended (at once when the queue does not hold it).
	ReplyTo string `json:",omitempty"`
}

// SignalEnded tells a watcher how a deployment ended.
const SignalEnded = "deployment-ended"

// Ended is SignalEnded's argument. Status is empty when the queue did not
// hold the deployment asked about.
type Ended struct {
	DeploymentID string
	Status       release.Status
	Reason       string `json:",omitempty"`
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

	// tell signals each watcher how a deployment ended; a watcher that is
	// gone has nothing left to learn.
	tell := func(watchers []string, e Ended) {
		for _, w := range watchers {
			if err := workflow.SignalExternalWorkflow(ctx, w, "", SignalEnded, e).Get(ctx, nil); err != nil {
				log.Info("could not tell a watcher how a deployment ended", "watcher", w, "deployment", e.DeploymentID, "err", err)
			}
		}
	}
	mark := func(r *Request, status release.Status, reason string) {
		if err := workflow.ExecuteLocalActivity(store, act.Records.Mark, activities.MarkInput{DeploymentID: r.DeploymentID, Status: status, Reason: reason}).Get(ctx, nil); err != nil {
			log.Error("marking deployment failed", "deployment", r.DeploymentID, "err", err)
		}
		tell(r.Watchers, Ended{DeploymentID: r.DeploymentID, Status: status, Reason: reason})
	}
	onRequest := func(r Request) {
		if pending != nil && pending.DeploymentID != r.DeploymentID {
			mark(pending, release.StatusSuperseded, "superseded by deployment "+r.DeploymentID+" before it started")
		}
		pending = &r
	}
	onCancel := func(c CancelRequest) {
		var replyTo []string
		if c.ReplyTo != "" {
			replyTo = []string{c.ReplyTo}
		}
		switch {
		case pending != nil && pending.DeploymentID == c.DeploymentID:
			pending.Watchers = union(pending.Watchers, replyTo)
			mark(pending, release.StatusCancelled, "cancelled before it started")
			pending = nil
		case running != nil && running.DeploymentID == c.DeploymentID:
			running.Watchers = union(running.Watchers, replyTo)
			cancelRunning()
		default:
			tell(replyTo, Ended{DeploymentID: c.DeploymentID})
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
				err := f.Get(ctx, &res)
				if err != nil {
					log.Info("deployment ended", "deployment", running.DeploymentID, "err", err)
				}
				if len(running.Watchers) > 0 {
					tell(running.Watchers, endedOf(running.DeploymentID, res, err))
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

// endedOf is how a deployment's workflow ended, as its watchers hear it.
func endedOf(id string, res Result, err error) Ended {
	switch {
	case err == nil:
		return Ended{DeploymentID: id, Status: res.Status, Reason: res.Reason}
	case temporal.IsCanceledError(err):
		return Ended{DeploymentID: id, Status: release.StatusCancelled, Reason: "cancelled before it received traffic"}
	}
	return Ended{DeploymentID: id, Status: release.StatusFailed, Reason: Cause(err)}
}

// union is a with b's elements that a lacks appended.
func union(a, b []string) []string {
	for _, x := range b {
		if !slices.Contains(a, x) {
			a = append(a, x)
		}
	}
	return a
}
