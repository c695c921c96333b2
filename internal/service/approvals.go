package service

import (
	"context"
	"errors"
	"fmt"

	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/rivetr/rivetr/internal/release"
	"github.com/rivetr/rivetr/internal/secrets"
	"github.com/rivetr/rivetr/schema"
	"github.com/rivetr/rivetr/workflows"
)

// DecisionView is the outcome of an approve or reject.
type DecisionView struct {
	Deployment *DeploymentView     `json:"deployment"`
	Gate       workflows.GateState `json:"gate"`
}

// Approve approves a deployment waiting at its approval gate.
func (s *Deploys) Approve(ctx context.Context, id, comment string) (*DecisionView, error) {
	return s.decide(ctx, id, comment, workflows.UpdateApprove)
}

// Reject rejects a deployment waiting at its approval gate; it ends
// rejected and nothing is built or started.
func (s *Deploys) Reject(ctx context.Context, id, comment string) (*DecisionView, error) {
	return s.decide(ctx, id, comment, workflows.UpdateReject)
}

// decide sends the decision to the deployment's workflow as an update and
// returns its answer. The service checks the approver permission; the
// workflow's validator checks the rest (self-approval, a second approval
// by the same person, a gate already closed) and refuses without leaving
// a trace in the history.
func (s *core) decide(ctx context.Context, id, comment, update string) (*DecisionView, error) {
	d, err := s.authorizeDeployment(ctx, id, release.PermApprove)
	if err != nil {
		return nil, err
	}
	if d.Status != release.StatusAwaitingApproval {
		return nil, stateErr("deployment %s is %s, not waiting for approval", d.ID, d.Status)
	}
	if len(comment) > 1000 {
		return nil, &ValidationError{Fields: map[string]string{"comment": "must be at most 1000 characters"}}
	}
	a := ActorFrom(ctx)
	dec := workflows.Decision{ApproverID: a.UserID, Approver: a.Who(), Comment: comment}
	if dec.ApproverID == "" {
		dec.ApproverID = release.AdminTokenApprover
	}
	if err := s.sign(d.ID, update, &dec); err != nil {
		return nil, err
	}
	var st workflows.GateState
	if err := s.sendUpdate(ctx, d.WorkflowID, update, dec, &st, "deployment "+d.ID+" is no longer waiting for approval"); err != nil {
		return nil, err
	}
	action := AuditApprove
	if update == workflows.UpdateReject {
		action = AuditReject
	}
	if app, err := s.store.GetApp(ctx, d.AppID); err == nil {
		s.audit(ctx, action, app.TeamID, d.ID, nil, map[string]any{"app": d.AppName, "comment": comment, "gate": st.Status, "approvals": len(st.Approvals), "needed": st.Needed})
	}
	v, err := s.all.GetDeployment(ctx, d.ID)
	if err != nil {
		return nil, err
	}
	return &DecisionView{Deployment: v, Gate: st}, nil
}

// PendingApprovals returns the deployments waiting for approval that the
// caller can see, oldest first.
func (s *Deploys) PendingApprovals(ctx context.Context) ([]DeploymentView, error) {
	visible, err := s.visibleAppIDs(ctx)
	if err != nil {
		return nil, err
	}
	if visible != nil && len(visible) == 0 {
		return []DeploymentView{}, nil
	}
	ds, err := s.store.ListDeployments(ctx, schema.DeploymentFilter{AppIDs: visible, Statuses: []release.Status{release.StatusAwaitingApproval}, Limit: 500})
	if err != nil {
		return nil, err
	}
	out := s.viewDeployments(ds)
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	return out, nil
}

// sign signs a decision on a deployment for the workflow's validator
// (workflows.VerifyDecisionsWith); without a secret key it stays unsigned
// and the workers refuse it.
func (s *core) sign(deploymentID, update string, d *workflows.Decision) error {
	if s.keys == nil {
		return stateErr("this server has no secret key to sign decisions with; start it with its secret key (%s or <data-dir>/secret.key)", secrets.EnvKey)
	}
	sig, err := s.keys.Sign(workflows.DecisionMessage(deploymentID, update, *d), DecisionContext)
	d.Signature = sig
	return err
}

// DecisionContext is the context decisions are signed under.
const DecisionContext = "workflow decision"

// sendUpdate sends a Temporal update to a workflow and waits for its result
// (into out, which may be nil). A validator's refusal becomes an ErrState
// error carrying its message; a workflow that is gone, ErrState with gone.
func (s *core) sendUpdate(ctx context.Context, workflowID, name string, arg, out any, gone string) error {
	h, err := s.temporal.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{
		WorkflowID: workflowID, UpdateName: name, Args: []any{arg}, WaitForStage: client.WorkflowUpdateStageCompleted,
	})
	if err == nil {
		err = h.Get(ctx, out)
	}
	var appErr *temporal.ApplicationError
	var nf *serviceerror.NotFound
	switch {
	case err == nil:
		return nil
	case errors.As(err, &appErr):
		return stateErr("%s", appErr.Message())
	case errors.As(err, &nf):
		return stateErr("%s", gone)
	}
	return fmt.Errorf("%s: %w: %v", name, ErrUnavailable, err)
}
