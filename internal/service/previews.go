package service

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"strconv"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"

	"github.com/rivetr/rivetr/activities"
	"github.com/rivetr/rivetr/internal/ids"
	"github.com/rivetr/rivetr/internal/release"
	"github.com/rivetr/rivetr/internal/webhook"
	"github.com/rivetr/rivetr/schema"
	"github.com/rivetr/rivetr/workflows"
)

// previewEvent hands a pull request event to its preview's workflow,
// starting it on the first (signal-with-start); it returns the reason
// recorded for the delivery.
func (s *core) previewEvent(ctx context.Context, app *schema.App, p webhook.Provider, deliveryID string, ev *webhook.Event) (bool, string) {
	pr := ev.PR
	switch {
	case !app.PreviewsEnabled:
		return false, fmt.Sprintf("pull request #%d %s: previews are not enabled for %s (rivetr apps update %s --previews)", pr.Number, pr.RawAction, app.Name, app.Name)
	case s.previewDomain == "":
		return false, fmt.Sprintf("pull request #%d %s: the server has no --preview-domain, so previews cannot be served", pr.Number, pr.RawAction)
	case pr.BaseBranch != "" && pr.BaseBranch != app.Branch:
		return false, fmt.Sprintf("pull request #%d targets %s; previews are made for pull requests against %s", pr.Number, pr.BaseBranch, app.Branch)
	case pr.Action == webhook.PROther:
		return false, fmt.Sprintf("pull request #%d %s: nothing to do for the preview", pr.Number, pr.RawAction)
	}
	e := workflows.PREvent{HeadSHA: pr.HeadSHA, Ref: release.PreviewRef(string(p), pr.Number, pr.HeadBranch, pr.Fork), Fork: pr.Fork,
		Merged: pr.Merged, DeliveryID: deliveryID, Author: cmp.Or(pr.Author, "unknown")}
	switch pr.Action {
	case webhook.PROpen:
		e.Action = workflows.PROpen
	case webhook.PRUpdate:
		e.Action = workflows.PRUpdate
	case webhook.PRClose:
		e.Action = workflows.PRClose
	}
	if e.Action != workflows.PRClose && pr.HeadSHA == "" {
		return false, fmt.Sprintf("pull request #%d %s names no head commit", pr.Number, pr.RawAction)
	}
	if err := s.signalPreview(ctx, app, string(p), ev.Repo, pr.Number, e); err != nil {
		return false, err.Error()
	}
	if e.Action == workflows.PRClose {
		return true, fmt.Sprintf("pull request #%d closed: removing its preview", pr.Number)
	}
	return true, fmt.Sprintf("pull request #%d %s: deploying its preview at %s (%s)", pr.Number, pr.RawAction,
		release.PreviewHost(app.Name, pr.Number, s.previewDomain), short(pr.HeadSHA))
}

func (s *core) signalPreview(ctx context.Context, app *schema.App, provider, repo string, pr int, e workflows.PREvent) error {
	_, err := s.temporal.SignalWithStartWorkflow(ctx, workflows.PreviewID(app.Name, pr), workflows.SignalPR, e,
		client.StartWorkflowOptions{
			ID:        workflows.PreviewID(app.Name, pr),
			TaskQueue: workflows.TaskQueue,
			// A pull request reopened after its preview was removed starts
			// a new one.
			WorkflowIDReusePolicy: enumspb.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE,
			TypedSearchAttributes: appAttrs(app.Name, "preview", ""),
			StaticSummary:         fmt.Sprintf("preview of %s pull request #%d", app.Name, pr),
		},
		workflows.PreviewWorkflow, workflows.PreviewInput{ParentID: app.ID, App: app.Name, PR: pr, Provider: provider, Repo: repo, HostQueue: hostQueue(app)})
	if err != nil {
		return fmt.Errorf("could not hand the event to Temporal: %v: %w", err, ErrUnavailable)
	}
	return nil
}

// DeployPreview records a deployment of a preview app's commit and hands
// it to the preview's queue; the same workflow ID finds the deployment
// already made (a retried activity, a redelivered event).
func DeployPreview(ctx context.Context, tc client.Client, store *schema.Store, in activities.PreviewDeployInput) (string, error) {
	if d, err := store.DeploymentByWorkflowID(ctx, in.WorkflowID); err == nil {
		return d.ID, nil
	} else if !errors.Is(err, schema.ErrNotFound) {
		return "", err
	}
	app, err := store.GetApp(ctx, in.AppID)
	if err != nil {
		return "", err
	}
	d := &schema.Deployment{
		ID: ids.New(), AppID: app.ID, AppName: app.Name, Kind: release.KindDeploy,
		Trigger: TriggerWebhook, Status: release.StatusQueued, Step: release.StepQueued,
		Branch: app.Branch, CommitSHA: in.Commit, RequestedBy: in.RequestedBy, WorkflowID: in.WorkflowID,
	}
	if err = recordRelease(ctx, store, app, d); err != nil {
		return "", err
	}
	if err := store.CreateDeployment(ctx, d); err != nil {
		return "", err
	}
	var watchers []string
	if in.Watcher != "" {
		watchers = []string{in.Watcher}
	}
	return d.ID, signalQueue(ctx, tc, store, app, d, watchers...)
}

// PreviewView is one pull request's preview.
type PreviewView struct {
	PR     int         `json:"pr"`
	App    string      `json:"app"`
	URL    string      `json:"url"`
	Branch string      `json:"branch"`
	Latest *Deployment `json:"latest_deployment,omitempty"`
}

// ListPreviews returns an app's previews.
func (s *Git) ListPreviews(ctx context.Context, appName string) ([]PreviewView, error) {
	app, _, err := s.authorizeApp(ctx, appName, release.PermRead)
	if err != nil {
		return nil, err
	}
	ps, err := s.store.ListPreviews(ctx, app.ID)
	if err != nil {
		return nil, err
	}
	out := make([]PreviewView, 0, len(ps))
	for _, p := range ps {
		v := PreviewView{PR: p.PreviewPR, App: p.Name, Branch: p.Branch}
		if len(p.Domains) > 0 {
			v.URL = s.appURL(p.Domains[0])
		}
		if ds, err := s.store.ListDeployments(ctx, schema.DeploymentFilter{AppID: p.ID, Limit: 1}); err == nil && len(ds) > 0 {
			v.Latest = optional(&ds[0], deploymentOf)
		}
		out = append(out, v)
	}
	return out, nil
}

// DeletePreview removes a pull request's preview now, through its
// workflow (as if the request had closed).
func (s *Git) DeletePreview(ctx context.Context, appName string, pr int) error {
	app, _, err := s.authorizeApp(ctx, appName, release.PermDeploy)
	if err != nil {
		return err
	}
	if _, err := s.store.GetApp(ctx, release.PreviewName(app.Name, pr)); err != nil {
		return fmt.Errorf("preview of pull request #%d of %s: %w", pr, app.Name, schema.ErrNotFound)
	}
	e := workflows.PREvent{Action: workflows.PRClose, DeliveryID: "manual-" + ids.New(), Author: ActorFrom(ctx).Who()}
	if err := s.signalPreview(ctx, app, "", "", pr, e); err != nil {
		return err
	}
	s.audit(ctx, AuditPreviewDelete, app.TeamID, app.Name, map[string]any{"pr": strconv.Itoa(pr)}, nil)
	return nil
}
