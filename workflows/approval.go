package workflows

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"go.temporal.io/sdk/workflow"

	"github.com/rivetr/rivetr/activities"
	"github.com/rivetr/rivetr/internal/release"
)

// The updates a deployment waiting at its approval gate accepts. Their
// validators refuse what is not allowed before anything is recorded, so a
// refused update leaves no trace in the workflow's history.
const (
	UpdateApprove = "approve"
	UpdateReject  = "reject"
)

// Decision is the argument of the approve and reject updates: who decides
// (a user ID, or release.AdminTokenApprover) and why.
type Decision struct {
	ApproverID string
	Approver   string
	Comment    string
	// Signature is the server's signature of the decision (see
	// DecisionMessage); validators refuse a decision without a valid one,
	// so a caller reaching Temporal directly cannot approve as anyone.
	Signature string `json:",omitempty"`
}

// DecisionMessage is what the server signs for a decision on a
// deployment: the deployment, the update, who decides.
func DecisionMessage(deploymentID, update string, d Decision) string {
	return strings.Join([]string{"rivetr decision", deploymentID, update, d.ApproverID, d.Approver, d.Comment}, "\n")
}

// verifyDecision checks a decision's signature; nil (workflow tests that
// do not sign) checks nothing. The worker sets it with VerifyDecisionsWith.
var verifyDecision func(msg, sig string) bool

// VerifyDecisionsWith makes every validator of a decision (approve, reject,
// override a freeze) check its signature with verify. Call it before the
// worker starts.
func VerifyDecisionsWith(verify func(msg, sig string) bool) { verifyDecision = verify }

// unsigned refuses a decision the server did not sign.
func unsigned(deploymentID, update string, d Decision) error {
	if verifyDecision == nil || verifyDecision(DecisionMessage(deploymentID, update, d), d.Signature) {
		return nil
	}
	return errors.New("this decision does not carry the Rivetr server's signature: approve, reject and override through Rivetr (API, dashboard, CLI), never through Temporal directly")
}

// GateState is what the approve and reject updates return.
type GateState struct {
	Needed    int
	Approvals []string
	// Status is awaiting_approval, approved or rejected.
	Status release.Status
}

// GateApproved is GateState.Status once enough approvers approved.
const GateApproved release.Status = "approved"

// verdict is what a gate decided: the deployment goes on, or it ended at
// the gate, Status and Reason saying how.
type verdict struct {
	Ended  bool
	Status release.Status
	Reason string
}

// pass lets a deployment through a gate.
var pass = verdict{}

// gates are what a deployment meets before anything is built or started:
// its approval, then any freeze window.
func (r *run) gates() (verdict, error) {
	if v, err := r.approvalGate(); err != nil || v.Ended {
		return v, err
	}
	return r.freezeGate()
}

// approvalGate holds a deployment at its app's approval gate until enough
// approvers approve it (it goes on), one rejects it (it ends rejected), or
// the gate's time runs out (it ends expired).
func (r *run) approvalGate() (verdict, error) {
	g := r.plan.Approval
	// Histories from before the gate existed have no Approval in their plan
	// and never reach GetVersion, so they replay unchanged.
	if g == nil || workflow.GetVersion(r.ctx, "approval-gate", workflow.DefaultVersion, 1) == workflow.DefaultVersion {
		return pass, nil
	}
	ctx := r.ctx
	approvers := map[string]bool{}
	for _, id := range g.Approvers {
		approvers[id] = true
	}
	st := GateState{Needed: g.Needed, Status: release.StatusAwaitingApproval}
	var (
		closed   bool // no more decisions are taken
		approved = map[string]bool{}
		recorded int // approvals written to the store
		rejected *Decision
	)
	validate := func(d Decision, approve bool) error {
		update := UpdateReject
		if approve {
			update = UpdateApprove
		}
		if err := unsigned(r.in.DeploymentID, update, d); err != nil {
			return err
		}
		switch {
		case closed:
			return errors.New("this deployment is no longer waiting for approval")
		case !approvers[d.ApproverID]:
			return fmt.Errorf("%s may not approve or reject deploys of %s: that takes the approver permission in the app's team", d.Approver, r.plan.App)
		case approve && !g.AllowSelf && g.RequesterID == "" && g.RequesterEmail == "":
			// Anyone could be the one who asked: an approval could be
			// their own.
			return fmt.Errorf("nobody knows who asked for this deployment (%s), so with self-approval off it cannot be approved: deploy the commit from Rivetr (rivetr deploy %s --commit SHA), which records who asks", g.Requester, r.plan.App)
		case approve && !g.AllowSelf && (d.ApproverID == g.RequesterID || g.RequesterEmail != "" && strings.EqualFold(d.Approver, g.RequesterEmail)):
			return errors.New("you asked for this deployment, so someone else must approve it")
		case approve && approved[d.ApproverID]:
			return fmt.Errorf("%s already approved this deployment", d.Approver)
		}
		return nil
	}
	decide := func(ctx workflow.Context, d Decision, decision string) error {
		return workflow.ExecuteLocalActivity(storeCtx(ctx), act.Records.Decide, activities.DecideInput{
			DeploymentID: r.in.DeploymentID, ApproverID: d.ApproverID, Approver: d.Approver, Decision: decision, Comment: d.Comment,
		}).Get(ctx, nil)
	}
	err := workflow.SetUpdateHandlerWithOptions(ctx, UpdateApprove, func(ctx workflow.Context, d Decision) (GateState, error) {
		// Taken at once, before the decision is written, so a second
		// update arriving meanwhile is validated against it.
		approved[d.ApproverID] = true
		st.Approvals = append(st.Approvals, d.Approver)
		if len(st.Approvals) >= st.Needed {
			closed, st.Status = true, GateApproved
		}
		out := st
		out.Approvals = append([]string(nil), st.Approvals...)
		if err := decide(ctx, d, "approve"); err != nil {
			return out, err
		}
		recorded++
		return out, nil
	}, workflow.UpdateHandlerOptions{Validator: func(_ workflow.Context, d Decision) error { return validate(d, true) }})
	if err != nil {
		return pass, err
	}
	err = workflow.SetUpdateHandlerWithOptions(ctx, UpdateReject, func(ctx workflow.Context, d Decision) (GateState, error) {
		closed, st.Status = true, release.StatusRejected
		out := st
		if err := decide(ctx, d, "reject"); err != nil {
			return out, err
		}
		rejected = &d
		return out, nil
	}, workflow.UpdateHandlerOptions{Validator: func(_ workflow.Context, d Decision) error { return validate(d, false) }})
	if err != nil {
		return pass, err
	}

	until := workflow.Now(ctx).Add(g.TTL).UTC()
	who := g.Requester
	if who == "" {
		who = "someone"
	}
	if err := r.transition(ctx, activities.TransitionInput{Status: release.StatusAwaitingApproval, Step: release.StepApproval, WaitingUntil: &until,
		Message: fmt.Sprintf("waiting for %s until %s (requested by %s)", plural(g.Needed, "approval"), until.Format(time.RFC3339), who)}); err != nil {
		return pass, err
	}
	ok, err := workflow.AwaitWithOptions(ctx, workflow.AwaitOptions{Timeout: g.TTL, TimerOptions: workflow.TimerOptions{Summary: "approval deadline " + until.Format(time.RFC3339)}},
		func() bool { return rejected != nil || recorded >= st.Needed })
	closed = true
	if err != nil {
		return pass, err // cancelled while waiting
	}
	switch {
	case rejected != nil:
		reason := "rejected by " + rejected.Approver
		if rejected.Comment != "" {
			reason += ": " + rejected.Comment
		}
		return r.endAtGate(release.StatusRejected, reason)
	case !ok:
		return r.endAtGate(release.StatusExpired, fmt.Sprintf("nobody approved it within %s", g.TTL))
	}
	return pass, r.transition(ctx, activities.TransitionInput{ClearWaiting: true, Message: "approved by " + strings.Join(st.Approvals, ", ")})
}

// endAtGate finishes a deployment that never passed its gate: nothing was
// started, so there is nothing to clean up.
func (r *run) endAtGate(status release.Status, reason string) (verdict, error) {
	if err := r.transition(r.ctx, activities.TransitionInput{Status: status, Finished: true, Reason: reason, ClearWaiting: true, Message: string(status) + ": " + reason}); err != nil {
		return pass, err
	}
	return verdict{Ended: true, Status: status, Reason: reason}, nil
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}
