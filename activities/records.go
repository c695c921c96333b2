package activities

import (
	"context"
	"errors"
	"time"

	"github.com/rivetr/rivetr/internal/detect"
	"github.com/rivetr/rivetr/internal/release"
	"github.com/rivetr/rivetr/schema"
	"go.temporal.io/sdk/activity"
)

// RecordStore is what the store steps of a release read and write.
type RecordStore interface {
	deploymentReader
	UpdateDeployment(ctx context.Context, id string, u schema.DeploymentUpdate) error
	AppendLogs(ctx context.Context, lines []schema.LogLine) error
	TeamMembers(ctx context.Context, teamID string) ([]schema.Member, error)
	InstanceAdminIDs(ctx context.Context) ([]string, error)
	AddApproval(ctx context.Context, a *schema.Approval) error
	FreezesFor(ctx context.Context, app *schema.App) ([]schema.FreezeWindow, error)
	GetEnvironment(ctx context.Context, teamID, name string) (*schema.Environment, error)
	DeleteApp(ctx context.Context, appID string) error
	ListDependencies(ctx context.Context, appID string) ([]schema.Dependency, error)
	GetDatabase(ctx context.Context, nameOrID string) (*schema.Database, error)
}

var _ RecordStore = (*schema.Store)(nil)

// Records are the store steps of deploys and rollbacks: the plan a
// deployment runs with, its progress, the gates' checks and decisions.
// They touch no Docker host, so workflows run them as local activities in
// the worker of the shared queue.
type Records struct {
	Store RecordStore
}

// deploymentReader loads deployments, their releases and apps.
type deploymentReader interface {
	GetApp(ctx context.Context, nameOrID string) (*schema.App, error)
	GetDeployment(ctx context.Context, id string) (*schema.Deployment, error)
	DeploymentSpec(d *schema.Deployment) (*schema.ReleaseSpec, error)
}

// deploymentAndApp loads a deployment and its app, with the app's release
// settings (build, port, health, limits) as the deployment recorded them
// when it was asked for: what was approved is what is built and run, and
// a rollback runs its release's settings. Either gone (deleted mid-run)
// is a final error.
func deploymentAndApp(ctx context.Context, s deploymentReader, id string) (*schema.Deployment, *schema.App, error) {
	d, err := s.GetDeployment(ctx, id)
	if err != nil {
		return nil, nil, gone(err)
	}
	app, err := s.GetApp(ctx, d.AppID)
	if err != nil {
		return nil, nil, gone(err)
	}
	spec, err := s.DeploymentSpec(d)
	if err != nil {
		return nil, nil, secretErr(err)
	}
	if spec != nil {
		spec.Settings.Apply(app)
	}
	return d, app, nil
}

// Prepare snapshots the settings a deployment runs with.
func (rec *Records) Prepare(ctx context.Context, in PrepareInput) (*Plan, error) {
	d, app, err := deploymentAndApp(ctx, rec.Store, in.DeploymentID)
	if err != nil {
		return nil, err
	}
	p := &Plan{
		DeploymentID:   d.ID,
		AppID:          app.ID,
		App:            app.Name,
		Kind:           d.Kind,
		Status:         d.Status,
		Domains:        app.Domains,
		Port:           app.Port,
		HealthPath:     app.HealthPath,
		HealthInterval: app.HealthInterval.D(),
		HealthTimeout:  app.HealthTimeout.D(),
		HealthDeadline: app.HealthDeadline.D(),
		DrainTimeout:   app.DrainTimeout.D(),
		KeepImages:     app.KeepImages,
		Strategy:       app.Strategy.Or(),
		BuildType:      app.BuildType,
		Commit:         d.CommitSHA,
		RollbackOf:     d.RollbackOf,
	}
	if p.Approvers, err = rec.approvers(ctx, app); err != nil {
		return nil, err
	}
	if p.Dependencies, err = rec.dependencies(ctx, app); err != nil {
		return nil, err
	}
	if p.Approval, err = rec.approvalGate(ctx, app, d, p.Approvers); err != nil {
		return nil, err
	}
	// The run ID lets the dashboard link straight to this run in the Temporal UI.
	if info := activity.GetInfo(ctx); info.WorkflowExecution.RunID != "" && d.WorkflowRunID != info.WorkflowExecution.RunID {
		if err := rec.Store.UpdateDeployment(ctx, d.ID, schema.DeploymentUpdate{WorkflowRunID: info.WorkflowExecution.RunID}); err != nil {
			return nil, gone(err)
		}
	}
	if d.Kind == release.KindRollback {
		target, err := rec.Store.GetDeployment(ctx, d.RollbackOf)
		if err != nil {
			return nil, gone(err)
		}
		p.Image = target.Image
		if p.BuildType == detect.Compose {
			p.Commit = target.CommitSHA // a stack comes back from its revision
		}
	}
	return p, nil
}

// Transition records a deployment's progress.
func (rec *Records) Transition(ctx context.Context, in TransitionInput) error {
	err := rec.Store.UpdateDeployment(ctx, in.DeploymentID, schema.DeploymentUpdate{
		Status: in.Status, Step: in.Step, Started: in.Started, Finished: in.Finished,
		FailureReason: in.Reason, Image: in.Image, ContainerID: in.ContainerID,
		WaitingUntil: in.WaitingUntil, ClearWaiting: in.ClearWaiting,
	})
	if err != nil {
		return gone(err)
	}
	if in.Message != "" {
		return rec.Store.AppendLogs(ctx, []schema.LogLine{{DeploymentID: in.DeploymentID, Time: time.Now().UTC(), Stream: "system", Text: in.Message}})
	}
	return nil
}

// approvalGate reads the approval policy of an app and its environment
// (the stricter wins, see release.EffectiveApproval) and who may approve.
func (rec *Records) approvalGate(ctx context.Context, app *schema.App, d *schema.Deployment, approvers []string) (*ApprovalGate, error) {
	var env *schema.Environment
	if app.Environment != "" {
		e, err := rec.Store.GetEnvironment(ctx, app.TeamID, app.Environment)
		if err != nil && !errors.Is(err, schema.ErrNotFound) {
			return nil, err
		}
		env = e
	}
	pol := schema.EffectiveApproval(app, env)
	if !pol.Required {
		return nil, nil
	}
	g := &ApprovalGate{Needed: pol.Needed, AllowSelf: pol.AllowSelf, TTL: pol.Wait(),
		RequesterID: d.RequestedByID, Requester: d.RequestedBy, RequesterEmail: d.RequestedByEmail, Approvers: approvers}
	switch {
	case g.RequesterID != "":
	case d.RequestedBy == "admin token":
		g.RequesterID = release.AdminTokenApprover
	case app.PreviewOf != "":
		g.RequesterID = release.ExternalRequester // the pull request's author
	}
	return g, nil
}

// approvers are the IDs holding the approver permission for app (see
// release.Approvers).
func (rec *Records) approvers(ctx context.Context, app *schema.App) ([]string, error) {
	admins, err := rec.Store.InstanceAdminIDs(ctx)
	if err != nil {
		return nil, err
	}
	var members []release.Member
	if app.TeamID != "" {
		ms, err := rec.Store.TeamMembers(ctx, app.TeamID)
		if err != nil {
			return nil, err
		}
		for _, m := range ms {
			members = append(members, release.Member{UserID: m.UserID, Role: m.Role, Approver: m.Approver})
		}
	}
	return release.Approvers(members, admins), nil
}

// FreezeCheck reports whether a freeze window covers the deployment now:
// the app's own windows, its environment's and the instance's, judged by
// release.EvaluateFreeze.
func (rec *Records) FreezeCheck(ctx context.Context, in FreezeInput) (*FreezeStatus, error) {
	d, app, err := deploymentAndApp(ctx, rec.Store, in.DeploymentID)
	if err != nil {
		return nil, err
	}
	ws, err := rec.Store.FreezesFor(ctx, app)
	if err != nil {
		return nil, err
	}
	if app.PreviewOf != "" {
		// A preview is frozen when its parent is (the parent's own
		// windows; the environment's are shared).
		parent, err := rec.Store.GetApp(ctx, app.PreviewOf)
		if err != nil {
			return nil, gone(err)
		}
		pws, err := rec.Store.FreezesFor(ctx, parent)
		if err != nil {
			return nil, err
		}
		ws = append(ws, pws...)
	}
	v := release.EvaluateFreeze(schema.Rules(ws), d.Kind, time.Now().UTC())
	return &v, nil
}

// Decide records a decision at a deployment's approval gate, in the
// approvals table and the deployment's log.
func (rec *Records) Decide(ctx context.Context, in DecideInput) error {
	err := rec.Store.AddApproval(ctx, &schema.Approval{DeploymentID: in.DeploymentID, ApproverID: in.ApproverID, Approver: in.Approver,
		Decision: in.Decision, Comment: in.Comment, Time: time.Now().UTC()})
	if err != nil {
		return err
	}
	msg := in.Approver + " approved"
	if in.Decision == "reject" {
		msg = in.Approver + " rejected"
	}
	if in.Comment != "" {
		msg += ": " + in.Comment
	}
	return rec.Store.AppendLogs(ctx, []schema.LogLine{{DeploymentID: in.DeploymentID, Time: time.Now().UTC(), Stream: "system", Text: msg}})
}

// Reschedule records a scheduled deployment's new time.
func (rec *Records) Reschedule(ctx context.Context, in RescheduleInput) error {
	at := in.At.UTC()
	if err := rec.Store.UpdateDeployment(ctx, in.DeploymentID, schema.DeploymentUpdate{ScheduledFor: &at}); err != nil {
		return gone(err)
	}
	return rec.Store.AppendLogs(ctx, []schema.LogLine{{DeploymentID: in.DeploymentID, Time: time.Now().UTC(), Stream: "system", Text: "rescheduled for " + at.Format(time.RFC3339)}})
}

// Mark ends a deployment that never ran (superseded or cancelled while
// queued).
func (rec *Records) Mark(ctx context.Context, in MarkInput) error {
	return rec.Transition(ctx, TransitionInput{DeploymentID: in.DeploymentID, Status: in.Status, Finished: true, Reason: in.Reason, Message: in.Reason})
}

// DeleteAppRecord removes the app and its history from the store.
func (rec *Records) DeleteAppRecord(ctx context.Context, in RemoveAppInput) error {
	err := rec.Store.DeleteApp(ctx, in.AppID)
	if errors.Is(err, schema.ErrNotFound) {
		return nil
	}
	return err
}
