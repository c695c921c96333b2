package workflows

import (
	"errors"
	"fmt"
	"time"

	"go.temporal.io/sdk/workflow"

	"github.com/rivetr/rivetr/activities"
	"github.com/rivetr/rivetr/internal/release"
)

// UpdateOverride lets an approver run a frozen deployment now; the
// Decision's Comment is the reason, which is required.
const UpdateOverride = "override"

// freezeGate holds a deployment while a freeze window covers it, checking
// again when the window ends (another may have begun). A refusing window
// ends the deployment at once; an approver's override lets it through. It
// runs after the approval gate, right before the deploy itself, so a
// freeze that began while the deployment waited for approval still holds.
func (r *run) freezeGate() (verdict, error) {
	ctx := r.ctx
	if workflow.GetVersion(ctx, "freeze-gate", workflow.DefaultVersion, 1) == workflow.DefaultVersion {
		return pass, nil
	}
	approvers := map[string]bool{}
	for _, id := range r.plan.Approvers {
		approvers[id] = true
	}
	frozen, waited := false, false
	var override *Decision
	err := workflow.SetUpdateHandlerWithOptions(ctx, UpdateOverride, func(ctx workflow.Context, d Decision) (string, error) {
		if err := workflow.ExecuteLocalActivity(storeCtx(ctx), act.Records.Decide, activities.DecideInput{
			DeploymentID: r.in.DeploymentID, ApproverID: d.ApproverID, Approver: d.Approver, Decision: "override", Comment: d.Comment,
		}).Get(ctx, nil); err != nil {
			return "", err
		}
		override = &d
		return "overridden", nil
	}, workflow.UpdateHandlerOptions{Validator: func(_ workflow.Context, d Decision) error {
		if err := unsigned(r.in.DeploymentID, UpdateOverride, d); err != nil {
			return err
		}
		switch {
		case !frozen || override != nil:
			return errors.New("this deployment is not waiting for a freeze window")
		case !approvers[d.ApproverID]:
			return fmt.Errorf("%s may not override a freeze: that takes the approver permission in the app's team", d.Approver)
		case d.Comment == "":
			return errors.New("an override needs a reason")
		}
		return nil
	}})
	if err != nil {
		return pass, err
	}
	for override == nil {
		var st activities.FreezeStatus
		if err := workflow.ExecuteLocalActivity(storeCtx(ctx), act.Records.FreezeCheck, activities.FreezeInput{DeploymentID: r.in.DeploymentID}).Get(ctx, &st); err != nil {
			return pass, err
		}
		if !st.Active {
			break
		}
		until := st.Until.UTC()
		why := "frozen until " + until.Format(time.RFC3339)
		if st.Reason != "" {
			why += ": " + st.Reason
		}
		if st.Policy == release.FreezeReject {
			return r.endAtGate(release.StatusRejected, "refused, "+why)
		}
		if err := r.transition(ctx, activities.TransitionInput{Status: release.StatusFrozen, Step: release.StepFreeze, WaitingUntil: &until,
			Message: why + " (an approver can override it)"}); err != nil {
			return pass, err
		}
		frozen, waited = true, true
		wait := until.Sub(workflow.Now(ctx))
		if wait < time.Second {
			wait = time.Second
		}
		_, err := workflow.AwaitWithOptions(ctx, workflow.AwaitOptions{Timeout: wait,
			TimerOptions: workflow.TimerOptions{Summary: "freeze until " + until.Format(time.RFC3339)}}, func() bool { return override != nil })
		frozen = false
		if err != nil {
			return pass, err // cancelled while frozen
		}
	}
	if !waited {
		return pass, nil
	}
	msg := "the freeze is over"
	if override != nil {
		msg = "freeze overridden by " + override.Approver + ": " + override.Comment
	}
	return pass, r.transition(ctx, activities.TransitionInput{ClearWaiting: true, Message: msg})
}
