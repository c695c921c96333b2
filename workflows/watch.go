package workflows

import (
	"time"

	"go.temporal.io/sdk/workflow"

	"github.com/rivetr/rivetr/activities"
)

// endCheckEvery is how often a watcher reads a deployment's record while it
// waits for the queue's word, in case that word was lost.
const endCheckEvery = time.Hour

// awaitEnd waits until the queue tells this workflow (SignalEnded) how
// deployment id ended. It reads the deployment's record first when
// checkFirst (the deployment may have ended before this workflow
// listened), and again every endCheckEvery. more adds what else may end
// the wait; when interrupted reports true after one of them, it returns
// with done false.
func awaitEnd(ctx workflow.Context, id string, checkFirst bool, interrupted func() bool, more func(workflow.Selector)) (out Ended, done bool, err error) {
	ended := workflow.GetSignalChannel(ctx, SignalEnded)
	check := func() (Ended, bool, error) {
		var o activities.DeploymentOutcome
		err := workflow.ExecuteLocalActivity(storeCtx(ctx), act.Previews.Outcome, activities.DeploymentRef{DeploymentID: id}).Get(ctx, &o)
		return Ended{DeploymentID: id, Status: o.Status, Reason: o.Reason}, err == nil && o.Status.Terminal(), err
	}
	if checkFirst {
		if out, done, err = check(); err != nil || done {
			return out, done, err
		}
	}
	for !interrupted() {
		tctx, cancel := workflow.WithCancel(ctx)
		timer := workflow.NewTimerWithOptions(tctx, endCheckEvery, workflow.TimerOptions{Summary: "check deployment " + id})
		var got *Ended
		fired := false
		sel := workflow.NewSelector(ctx)
		sel.AddReceive(ended, func(c workflow.ReceiveChannel, _ bool) {
			var e Ended
			c.Receive(ctx, &e)
			if e.DeploymentID == id {
				got = &e
			}
		})
		sel.AddFuture(timer, func(workflow.Future) { fired = true })
		if more != nil {
			more(sel)
		}
		sel.Select(ctx)
		cancel()
		switch {
		case got != nil:
			return *got, true, nil
		case fired:
			if out, done, err = check(); err != nil || done {
				return out, done, err
			}
		}
	}
	return Ended{}, false, nil
}
