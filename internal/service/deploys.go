package service

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"

	enumspb "go.temporal.io/api/enums/v1"

	"github.com/rivetr/rivetr/internal/detect"
	"github.com/rivetr/rivetr/internal/gitsrc"
	"github.com/rivetr/rivetr/internal/humanize"
	"github.com/rivetr/rivetr/internal/ids"
	"github.com/rivetr/rivetr/internal/release"
	"github.com/rivetr/rivetr/schema"
	"github.com/rivetr/rivetr/workflows"
)

// Triggers name who asked for a deployment.
const (
	TriggerAPI       = "api"
	TriggerCLI       = "cli"
	TriggerDashboard = "dashboard"
)

// DeploymentView is a deployment with its Temporal UI link.
type DeploymentView struct {
	Deployment
	WorkflowURL string `json:"workflow_url,omitempty"`
	// Role is the caller's role in the app's team (on single deployments),
	// which decides what the dashboard offers.
	Role release.Role `json:"role,omitempty"`
	// Approvals are the decisions taken at the approval gate (on single
	// deployments).
	Approvals []Approval `json:"approvals,omitempty"`
	// CanApprove says whether the caller may approve or reject it.
	CanApprove bool `json:"can_approve,omitempty"`
	// Serving says it is the deployment the app's traffic goes to (on an
	// app's list).
	Serving bool `json:"serving,omitempty"`
	// Strategy is its app's release strategy (on single deployments): a
	// stop-first release stops the old version first.
	Strategy release.Strategy `json:"strategy,omitempty"`
}

func (s *core) viewDeployment(d *schema.Deployment) *DeploymentView {
	return &DeploymentView{Deployment: deploymentOf(d), WorkflowURL: s.WorkflowURL(d)}
}

// DeployRequest asks for a deployment from git.
type DeployRequest struct {
	// Commit is the SHA to build; empty means the head of the app's branch,
	// resolved now, so the deployment builds exactly what was there when it
	// was asked for.
	Commit  string `json:"commit,omitempty"`
	Trigger string `json:"trigger,omitempty"`
	// At or In schedule the deployment (a time, or a delay such as "2h");
	// it waits in status scheduled and is queued then. Its gates are met
	// when it runs. The commit is still resolved now.
	At *time.Time `json:"at,omitempty"`
	In string     `json:"in,omitempty"`
}

// MaxSchedule is how far ahead a deployment can be scheduled.
const MaxSchedule = 366 * 24 * time.Hour

// scheduledFor validates a schedule; nil means now.
func scheduledFor(at *time.Time, in string, now time.Time) (*time.Time, error) {
	switch {
	case at != nil && in != "":
		return nil, &ValidationError{Fields: map[string]string{"at": "give at or in, not both"}}
	case in != "":
		d, err := time.ParseDuration(in)
		if err != nil || d <= 0 {
			return nil, &ValidationError{Fields: map[string]string{"in": "must be a delay such as 30m or 2h"}}
		}
		t := now.Add(d)
		at = &t
	case at == nil:
		return nil, nil
	}
	t := at.UTC()
	switch {
	case !t.After(now):
		return nil, &ValidationError{Fields: map[string]string{"at": t.Format(time.RFC3339) + " is not in the future"}}
	case t.Sub(now) > MaxSchedule:
		return nil, &ValidationError{Fields: map[string]string{"at": "must be within a year"}}
	}
	return &t, nil
}

func validTrigger(t string) string {
	switch t {
	case TriggerAPI, TriggerCLI, TriggerDashboard:
		return t
	}
	return TriggerAPI
}

// Deploy records a deployment of app and hands it to the app's queue.
func (s *Deploys) Deploy(ctx context.Context, appName string, req DeployRequest) (*DeploymentView, error) {
	app, _, err := s.authorizeApp(ctx, appName, release.PermDeploy)
	if err != nil {
		return nil, err
	}
	when, err := scheduledFor(req.At, req.In, time.Now().UTC())
	if err != nil {
		return nil, err
	}
	commit := strings.ToLower(strings.TrimSpace(req.Commit))
	if commit != "" && !gitsrc.ValidCommit(commit) {
		return nil, &ValidationError{Fields: map[string]string{"commit": "must be a commit SHA (7 to 40 hex digits)"}}
	}
	if gitsrc.Local(app.GitURL) && !s.allowLocalGit {
		return nil, &ValidationError{Fields: map[string]string{"git_url": "repositories on the server (file:// URLs and paths) are off on this server: set the app's https:// or ssh address"}}
	}
	if app.ComposeInline != "" && commit != "" {
		return nil, &ValidationError{Fields: map[string]string{"commit": "the app deploys its pasted compose file, not a repository's commit"}}
	}
	if commit == "" && app.ComposeInline == "" {
		token, sshKey, err := s.store.AppCredentials(app)
		if err != nil {
			return nil, fmt.Errorf("cannot use the app's git credentials: %v: %w", err, ErrUnavailable)
		}
		rctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		commit, err = s.resolveBranch(rctx, app.GitURL, app.Branch, gitsrc.Auth{Token: token, SSHKey: sshKey, Egress: s.egress})
		cancel()
		if err != nil {
			return nil, errorf(KindSource, "cannot read branch %s of %s: %v", app.Branch, app.GitURL, err)
		}
	}
	d := &schema.Deployment{
		ID: ids.New(), AppID: app.ID, AppName: app.Name, Kind: release.KindDeploy,
		Trigger: validTrigger(req.Trigger), Status: release.StatusQueued, Step: release.StepQueued,
		Branch: app.Branch, CommitSHA: commit,
	}
	d.RequestedBy, d.RequestedByID = requester(ctx)
	d.WorkflowID = workflows.DeployID(app.Name, d.ID)
	if err = recordRelease(ctx, s.store, app, d); err != nil {
		return nil, err
	}
	if when != nil {
		return s.schedule(ctx, app, d, *when)
	}
	v, err := s.enqueue(ctx, app, d)
	if err == nil {
		s.audit(ctx, AuditDeploy, app.TeamID, app.Name, nil, map[string]any{"deployment": d.ID, "commit": d.CommitSHA, "trigger": d.Trigger})
	}
	return v, err
}

// RollbackRequest asks to bring back an earlier deployment.
type RollbackRequest struct {
	// To is the deployment to return to; empty means the newest successful
	// deployment before the one serving.
	To      string `json:"to,omitempty"`
	Trigger string `json:"trigger,omitempty"`
	// Confirm goes on when the newest deployment failed and never
	// served: without To, a rollback then replaces the version that
	// serves (the one that kept serving through the failure), so it is
	// refused until confirmed.
	Confirm bool `json:"confirm,omitempty"`
}

// confirmField marks, in Error.Fields, a refusal that the same request
// with Confirm set would not meet.
const confirmField = "confirm"

// Rollback records a rollback of app and hands it to the app's queue.
func (s *Deploys) Rollback(ctx context.Context, appName string, req RollbackRequest) (*DeploymentView, error) {
	app, _, err := s.authorizeApp(ctx, appName, release.PermRollback)
	if err != nil {
		return nil, err
	}
	if app.CurrentDeploymentID == "" {
		return nil, stateErr("%s has no deployment serving, so there is nothing to roll back from", app.Name)
	}
	var target *schema.Deployment
	if req.To != "" {
		target, err = s.store.GetDeployment(ctx, req.To)
		if err != nil {
			return nil, err
		}
		switch {
		case target.AppID != app.ID:
			return nil, &ValidationError{Fields: map[string]string{"to": fmt.Sprintf("deployment %s belongs to app %s", target.ID, target.AppName)}}
		case !succeeded(target.Status):
			return nil, &ValidationError{Fields: map[string]string{"to": fmt.Sprintf("deployment %s %s; only deployments that succeeded can be rolled back to", target.ID, target.Status)}}
		case target.ID == app.CurrentDeploymentID:
			return nil, stateErr("deployment %s is already serving", target.ID)
		case target.Image == "":
			return nil, stateErr("deployment %s has no image", target.ID)
		}
		if cur, err := s.store.GetDeployment(ctx, app.CurrentDeploymentID); err == nil && !canRollBackTo(cur, target, app.BuildType == detect.Compose) {
			return nil, stateErr("deployment %s runs the same image as the one serving (%s)", target.ID, cur.ID)
		}
	} else {
		candidates, err := s.store.ListDeployments(ctx, schema.DeploymentFilter{AppID: app.ID, Statuses: []release.Status{release.StatusSucceeded, release.StatusRolledBack}})
		if err != nil {
			return nil, err
		}
		cur, err := s.store.GetDeployment(ctx, app.CurrentDeploymentID)
		if err != nil {
			return nil, err
		}
		for i := range candidates {
			c := &candidates[i]
			if canRollBackTo(cur, c, app.BuildType == detect.Compose) && c.ID < cur.ID {
				target = c
				break
			}
		}
		if target == nil {
			return nil, stateErr("%s has no earlier successful deployment to roll back to", app.Name)
		}
		// After a deploy that failed and never served, the serving version
		// is the good one: "roll back" would replace it with an older one.
		newest, err := s.store.ListDeployments(ctx, schema.DeploymentFilter{AppID: app.ID, Limit: 1})
		if err != nil {
			return nil, err
		}
		if n := newest; !req.Confirm && len(n) == 1 && n[0].ID > cur.ID && n[0].Kind != release.KindRollback && (n[0].Status == release.StatusFailed || n[0].Status == release.StatusCancelled) {
			return nil, &Error{Kind: KindState, Fields: map[string]string{confirmField: "required"}, Message: fmt.Sprintf(
				"the newest deployment, %s, %s and never served: %s (commit %s, deployed %s) served all along and still does. "+
					"Rolling back would replace it with the older %s (commit %s); confirm to do that (rivetr rollback %s --yes), or fix the code and deploy again",
				n[0].ID, n[0].Status, cur.ID, humanize.SHA(cur.CommitSHA), humanize.Ago(cur.CreatedAt), target.ID, humanize.SHA(target.CommitSHA), app.Name)}
		}
	}
	d := &schema.Deployment{
		ID: ids.New(), AppID: app.ID, AppName: app.Name, Kind: release.KindRollback,
		Trigger: validTrigger(req.Trigger), Status: release.StatusQueued, Step: release.StepQueued,
		Branch: target.Branch, CommitSHA: target.CommitSHA, CommitMessage: target.CommitMessage,
		Image: target.Image, RollbackOf: target.ID,
	}
	d.RequestedBy, d.RequestedByID = requester(ctx)
	d.WorkflowID = workflows.RollbackID(app.Name, d.ID)
	// A rollback brings back the release it names: its image, env and
	// settings (deployments from before releases were recorded bring back
	// only their image, with today's env and settings).
	spec, err := s.store.DeploymentSpec(target)
	if err != nil {
		return nil, fmt.Errorf("cannot open the release of %s: %v: %w", target.ID, err, ErrUnavailable)
	}
	if spec == nil {
		err = recordRelease(ctx, s.store, app, d)
	} else {
		d.Snapshot = target.Snapshot
		err = s.store.SealSpec(d, spec)
	}
	if err != nil {
		return nil, err
	}
	v, err := s.enqueue(ctx, app, d)
	if err == nil {
		s.audit(ctx, AuditRollback, app.TeamID, app.Name, map[string]any{"deployment": app.CurrentDeploymentID}, map[string]any{"deployment": d.ID, "to": target.ID, "commit": target.CommitSHA})
	}
	return v, err
}

// succeeded reports whether a deployment once served successfully.
func succeeded(status release.Status) bool { return status.Served() }

// revisionOf is a stored deployment as the rollback rule sees it.
func revisionOf(d *schema.Deployment) *release.Revision {
	if d == nil {
		return nil
	}
	return &release.Revision{ID: d.ID, AppID: d.AppID, Image: d.Image, Status: d.Status}
}

// canRollBackTo is release.CanRollBackTo of stored deployments.
func canRollBackTo(current, d *schema.Deployment, stack bool) bool {
	r := *revisionOf(d)
	r.Stack = stack
	return release.CanRollBackTo(revisionOf(current), r)
}

// CanRollBackTo reports whether an app serving current can roll back to d
// (see release.CanRollBackTo; stack: the app is one).
func CanRollBackTo(current, d *Deployment, stack bool) bool {
	var cur *release.Revision
	if current != nil {
		cur = &release.Revision{ID: current.ID, AppID: current.AppID, Image: current.Image, Status: current.Status}
	}
	return release.CanRollBackTo(cur, release.Revision{ID: d.ID, AppID: d.AppID, Image: d.Image, Status: d.Status, Stack: stack})
}

// CanCancel reports whether d can still be cancelled.
func CanCancel(d *Deployment) bool { return !release.Terminal(d.Status) }

// enqueue stores d and signals the app's queue workflow, starting it when
// it is not running. If Temporal cannot be reached the deployment is marked
// failed at once, so nothing is left "queued" forever.
func (s *core) enqueue(ctx context.Context, app *schema.App, d *schema.Deployment, watchers ...string) (*DeploymentView, error) {
	if err := s.store.CreateDeployment(ctx, d); err != nil {
		return nil, err
	}
	if err := signalQueue(ctx, s.temporal, s.store, app, d, watchers...); err != nil {
		return nil, err
	}
	return s.viewDeployment(d), nil
}

// signalQueue hands d to its app's queue workflow, starting it when it is
// not running; the queue tells watchers (workflow IDs) how d ended. If
// Temporal cannot be reached the deployment is marked failed at once, so
// nothing is left "queued" forever.
func signalQueue(ctx context.Context, tc client.Client, store *schema.Store, app *schema.App, d *schema.Deployment, watchers ...string) error {
	_, err := tc.SignalWithStartWorkflow(ctx, workflows.QueueID(app.Name), workflows.SignalRequest,
		workflows.Request{DeploymentID: d.ID, Kind: d.Kind, HostQueue: hostQueue(app), WorkflowID: d.WorkflowID, Watchers: watchers},
		client.StartWorkflowOptions{
			ID:                    workflows.QueueID(app.Name),
			TaskQueue:             workflows.TaskQueue,
			WorkflowIDReusePolicy: enumspb.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE,
			TypedSearchAttributes: appAttrs(app.Name, "queue", ""),
			StaticSummary:         "deploy queue of " + app.Name,
		},
		workflows.AppQueueName, workflows.QueueInput{App: app.Name})
	if err != nil {
		reason := "could not hand the deployment to Temporal: " + err.Error()
		_ = store.UpdateDeployment(context.WithoutCancel(ctx), d.ID, schema.DeploymentUpdate{Status: release.StatusFailed, FailureReason: reason, Finished: true})
		return fmt.Errorf("%s: %w", reason, ErrUnavailable)
	}
	return nil
}

// schedule stores d as scheduled for at and starts the workflow that
// queues it then.
func (s *core) schedule(ctx context.Context, app *schema.App, d *schema.Deployment, at time.Time) (*DeploymentView, error) {
	d.Status, d.ScheduledFor = release.StatusScheduled, &at
	if err := s.store.CreateDeployment(ctx, d); err != nil {
		return nil, err
	}
	_, err := s.temporal.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID:                    workflows.ScheduleID(app.Name, d.ID),
		TaskQueue:             workflows.TaskQueue,
		TypedSearchAttributes: appAttrs(app.Name, "schedule", d.ID),
		StaticSummary:         "deploy " + app.Name + " at " + at.Format(time.RFC3339),
	}, workflows.ScheduledDeployWorkflow, workflows.ScheduleInput{DeploymentID: d.ID, App: app.Name, At: at})
	if err != nil {
		reason := "could not hand the schedule to Temporal: " + err.Error()
		_ = s.store.UpdateDeployment(context.WithoutCancel(ctx), d.ID, schema.DeploymentUpdate{Status: release.StatusFailed, FailureReason: reason, Finished: true})
		return nil, fmt.Errorf("%s: %w", reason, ErrUnavailable)
	}
	s.audit(ctx, AuditSchedule, app.TeamID, app.Name, nil, map[string]any{"deployment": d.ID, "commit": d.CommitSHA, "at": at.Format(time.RFC3339)})
	return s.viewDeployment(d), nil
}

// Enqueue hands a due scheduled deployment to its app's queue (the
// Enqueue activity calls it). A deployment cancelled meanwhile stays so.
func Enqueue(ctx context.Context, tc client.Client, store *schema.Store, id string) error {
	d, err := store.GetDeployment(ctx, id)
	if err != nil {
		return err
	}
	if d.Status != release.StatusScheduled {
		return nil
	}
	app, err := store.GetApp(ctx, d.AppID)
	if err != nil {
		return err
	}
	if err := store.UpdateDeployment(ctx, id, schema.DeploymentUpdate{Status: release.StatusQueued}); err != nil {
		return err
	}
	return signalQueue(ctx, tc, store, app, d)
}

// Reschedule moves a scheduled deployment to another time.
func (s *Deploys) Reschedule(ctx context.Context, id string, at *time.Time, in string) (*DeploymentView, error) {
	d, err := s.authorizeDeployment(ctx, id, release.PermDeploy)
	if err != nil {
		return nil, err
	}
	if d.Status != release.StatusScheduled {
		return nil, stateErr("deployment %s is %s, not scheduled", d.ID, d.Status)
	}
	when, err := scheduledFor(at, in, time.Now().UTC())
	if err != nil {
		return nil, err
	}
	if when == nil {
		return nil, &ValidationError{Fields: map[string]string{"at": "give the new time (at) or a delay from now (in)"}}
	}
	if err := s.sendUpdate(ctx, workflows.ScheduleID(d.AppName, d.ID), workflows.UpdateReschedule, *when, nil, "deployment "+d.ID+" is no longer scheduled"); err != nil {
		return nil, err
	}
	if app, err := s.store.GetApp(ctx, d.AppID); err == nil {
		s.audit(ctx, AuditReschedule, app.TeamID, d.ID, map[string]any{"at": d.ScheduledFor}, map[string]any{"at": when.Format(time.RFC3339)})
	}
	return s.GetDeployment(ctx, d.ID)
}

// CancelDeployment cancels a queued or running deployment. A running one
// stops at its next step boundary, removes what it started, and ends
// cancelled; the previous version keeps serving. A deployment that has
// already switched traffic finishes.
func (s *Deploys) CancelDeployment(ctx context.Context, id string) (*DeploymentView, error) {
	d, err := s.authorizeDeployment(ctx, id, release.PermDeploy)
	if err != nil {
		return nil, err
	}
	if d.Status.Terminal() {
		return nil, stateErr("deployment %s already %s", d.ID, d.Status)
	}
	if d.Status == release.StatusScheduled {
		return s.cancelScheduled(ctx, d)
	}
	err = s.temporal.SignalWorkflow(ctx, workflows.QueueID(d.AppName), "", workflows.SignalCancel, workflows.CancelRequest{DeploymentID: d.ID})
	var nf *serviceerror.NotFound
	if errors.As(err, &nf) {
		// No queue runs for the app: cancel the deployment's own workflow,
		// or, if that is gone too, close the record.
		err = s.temporal.CancelWorkflow(ctx, d.WorkflowID, "")
		if errors.As(err, &nf) {
			err = s.store.UpdateDeployment(ctx, d.ID, schema.DeploymentUpdate{Status: release.StatusCancelled, Finished: true, FailureReason: "cancelled; its workflow was no longer running"})
		}
	}
	if err != nil {
		return nil, fmt.Errorf("cancel deployment %s: %w: %v", d.ID, ErrUnavailable, err)
	}
	if app, err := s.store.GetApp(ctx, d.AppID); err == nil {
		s.audit(ctx, AuditCancel, app.TeamID, d.ID, map[string]any{"status": d.Status}, map[string]any{"app": d.AppName})
	}
	if d, err = s.store.GetDeployment(ctx, id); err != nil {
		return nil, err
	}
	return s.viewDeployment(d), nil
}

// GetDeployment returns one deployment.
func (s *Deploys) GetDeployment(ctx context.Context, id string) (*DeploymentView, error) {
	d, err := s.authorizeDeployment(ctx, id, release.PermRead)
	if err != nil {
		return nil, err
	}
	v := s.viewDeployment(d)
	if app, err := s.store.GetApp(ctx, d.AppID); err == nil {
		a := ActorFrom(ctx)
		v.Role, v.Strategy = a.RoleIn(app.TeamID), app.Strategy.Or()
		v.CanApprove = (d.Status == release.StatusAwaitingApproval || d.Status == release.StatusFrozen) && a.Can(app.TeamID, release.PermApprove)
	}
	approvals, err := s.store.Approvals(ctx, d.ID)
	if err != nil {
		return nil, err
	}
	v.Approvals = each(approvals, approvalOf)
	return v, nil
}

// authorizeDeployment loads a deployment and checks p on its app's team;
// deployments of apps the caller cannot see are not found.
func (s *core) authorizeDeployment(ctx context.Context, id string, p release.Perm) (*schema.Deployment, error) {
	if _, err := actor(ctx); err != nil {
		return nil, err
	}
	d, err := s.store.GetDeployment(ctx, id)
	if err != nil {
		return nil, err
	}
	if _, _, err := s.authorizeApp(ctx, d.AppID, p); err != nil {
		if errors.Is(err, schema.ErrNotFound) {
			return nil, fmt.Errorf("deployment %s: %w", id, schema.ErrNotFound)
		}
		return nil, err
	}
	return d, nil
}

// visibleAppIDs returns the IDs of the apps the caller can see; nil (no
// filter) for instance admins.
func (s *core) visibleAppIDs(ctx context.Context) ([]string, error) {
	a, err := actor(ctx)
	if err != nil {
		return nil, err
	}
	if a.InstanceAdmin {
		return nil, nil
	}
	apps, err := s.store.ListAppsIn(ctx, a.TeamIDs())
	if err != nil {
		return nil, err
	}
	out := make([]string, 0, len(apps))
	for _, app := range apps {
		out = append(out, app.ID)
	}
	return out, nil
}

// ListDeployments returns an app's deployments, newest first ("" for all apps).
func (s *Deploys) ListDeployments(ctx context.Context, appName string, limit int) ([]DeploymentView, error) {
	f := schema.DeploymentFilter{Limit: limit}
	if appName != "" {
		app, _, err := s.authorizeApp(ctx, appName, release.PermRead)
		if err != nil {
			return nil, err
		}
		f.AppID = app.ID
	} else {
		visible, err := s.visibleAppIDs(ctx)
		if err != nil {
			return nil, err
		}
		if visible != nil && len(visible) == 0 {
			return []DeploymentView{}, nil
		}
		f.AppIDs = visible
	}
	if f.Limit <= 0 || f.Limit > 1000 {
		f.Limit = 100
	}
	ds, err := s.store.ListDeployments(ctx, f)
	if err != nil {
		return nil, err
	}
	out := s.viewDeployments(ds)
	if appName != "" {
		if app, err := s.store.GetApp(ctx, f.AppID); err == nil {
			for i := range out {
				out[i].Serving = out[i].ID == app.CurrentDeploymentID
			}
		}
	}
	return out, nil
}

func (s *core) viewDeployments(ds []schema.Deployment) []DeploymentView {
	out := make([]DeploymentView, 0, len(ds))
	for i := range ds {
		out = append(out, *s.viewDeployment(&ds[i]))
	}
	return out
}

// DeploymentsChangedSince returns deployments whose record changed after t.
func (s *Deploys) DeploymentsChangedSince(ctx context.Context, t time.Time) ([]DeploymentView, error) {
	visible, err := s.visibleAppIDs(ctx)
	if err != nil {
		return nil, err
	}
	ds, err := s.store.DeploymentsUpdatedSince(ctx, t)
	if err != nil {
		return nil, err
	}
	if visible != nil {
		seen := make(map[string]bool, len(visible))
		for _, id := range visible {
			seen[id] = true
		}
		ds = slices.DeleteFunc(ds, func(d schema.Deployment) bool { return !seen[d.AppID] })
	}
	return s.viewDeployments(ds), nil
}

// requester names who asks for a deployment, for its approval gate.
func requester(ctx context.Context) (string, string) {
	a := ActorFrom(ctx)
	if a == nil {
		return "", ""
	}
	return a.Who(), a.UserID
}

// cancelScheduled cancels the workflow holding a scheduled deployment; it
// marks the deployment cancelled (or, if that workflow is gone, this does).
func (s *core) cancelScheduled(ctx context.Context, d *schema.Deployment) (*DeploymentView, error) {
	err := s.temporal.CancelWorkflow(ctx, workflows.ScheduleID(d.AppName, d.ID), "")
	var nf *serviceerror.NotFound
	if errors.As(err, &nf) {
		err = s.store.UpdateDeployment(ctx, d.ID, schema.DeploymentUpdate{Status: release.StatusCancelled, Finished: true, FailureReason: "cancelled before its scheduled time"})
	}
	if err != nil {
		return nil, fmt.Errorf("cancel deployment %s: %w: %v", d.ID, ErrUnavailable, err)
	}
	if app, err := s.store.GetApp(ctx, d.AppID); err == nil {
		s.audit(ctx, AuditCancel, app.TeamID, d.ID, map[string]any{"status": d.Status}, map[string]any{"app": d.AppName})
	}
	if d, err = s.store.GetDeployment(ctx, d.ID); err != nil {
		return nil, err
	}
	return s.viewDeployment(d), nil
}
