package activities

import (
	"context"
	"errors"
	"time"

	"github.com/rivetr/rivetr/internal/ids"
	"github.com/rivetr/rivetr/internal/release"
	"github.com/rivetr/rivetr/schema"
	"go.temporal.io/sdk/activity"
)

// PreviewStore is what previews read and write.
type PreviewStore interface {
	GetApp(ctx context.Context, nameOrID string) (*schema.App, error)
	SaveApp(ctx context.Context, app *schema.App) error
	GetDeployment(ctx context.Context, id string) (*schema.Deployment, error)
	ListDeployments(ctx context.Context, f schema.DeploymentFilter) ([]schema.Deployment, error)
}

var _ PreviewStore = (*schema.Store)(nil)

// Previews keep pull request previews' app records: made from the parent's
// settings, found, and watched until idle. They run on the shared queue.
type Previews struct {
	Store PreviewStore
	// Domain is the domain previews answer under (pr-N.APP.DOMAIN); ""
	// turns previews off.
	Domain string
}

// EnsurePreviewInput describes the preview a pull request needs.
type EnsurePreviewInput struct {
	ParentID string
	PR       int
	Provider string
	Ref      string
	Fork     bool
}

// PreviewApp is a preview's app and how long it may sit idle.
type PreviewApp struct {
	ID   string
	Name string
	Host string
	TTL  time.Duration
}

// EnsurePreview creates (or brings up to date) the app record of a pull
// request's preview: the parent's build and health settings, the preview
// limits, a host under the server's preview domain, and for forks the
// approval gate. Env and credentials are not copied: the steps that need
// them read the parent's.
func (pv *Previews) EnsurePreview(ctx context.Context, in EnsurePreviewInput) (*PreviewApp, error) {
	parent, err := pv.Store.GetApp(ctx, in.ParentID)
	if err != nil {
		return nil, gone(err)
	}
	if pv.Domain == "" {
		return nil, nonRetryable(ErrTypeGone, "the server has no --preview-domain; previews cannot be served")
	}
	name := release.PreviewName(parent.Name, in.PR)
	p, err := pv.Store.GetApp(ctx, name)
	switch {
	case errors.Is(err, schema.ErrNotFound):
		p = &schema.App{ID: ids.New(), Name: name, PreviewOf: parent.ID, PreviewPR: in.PR}
	case err != nil:
		return nil, err
	case p.PreviewOf != parent.ID || p.PreviewPR != in.PR:
		return nil, nonRetryable(ErrTypeGone, "an app named %s already exists and is not this preview; rename or delete it", name)
	}
	p.GitURL, p.Branch, p.Dockerfile, p.Port = parent.GitURL, in.Ref, parent.Dockerfile, parent.Port
	p.HealthPath, p.HealthInterval, p.HealthTimeout, p.HealthDeadline = parent.HealthPath, parent.HealthInterval, parent.HealthTimeout, parent.HealthDeadline
	p.DrainTimeout, p.Host, p.TeamID, p.KeepImages = parent.DrainTimeout, parent.Host, parent.TeamID, 1
	p.Domains = []string{release.PreviewHost(parent.Name, in.PR, pv.Domain)}
	p.MemoryLimitMB, p.CPULimit = parent.PreviewMemoryMB, parent.PreviewCPUs
	if p.MemoryLimitMB == 0 {
		p.MemoryLimitMB = release.DefaultPreviewMemoryMB
	}
	if p.CPULimit == 0 {
		p.CPULimit = release.DefaultPreviewCPUs
	}
	// A preview runs the parent's secrets, so it meets the parent's
	// release policy: its environment (that environment's policy and
	// freezes), its approvals, and the parent's own freezes (FreezeCheck).
	// A fork's code is not the team's: an approver always looks first, and
	// nobody approves their own.
	p.Environment = parent.Environment
	p.RequireApproval, p.ApprovalsNeeded = parent.RequireApproval || in.Fork, max(parent.ApprovalsNeeded, 1)
	p.AllowSelfApproval, p.ApprovalTTL = parent.AllowSelfApproval && !in.Fork, parent.ApprovalTTL
	if p.ApprovalTTL == 0 {
		p.ApprovalTTL = schema.Duration(release.DefaultApprovalTTL)
	}
	if err := pv.Store.SaveApp(ctx, p); err != nil {
		return nil, err
	}
	ttl := parent.PreviewTTL.D()
	if ttl <= 0 {
		ttl = release.DefaultPreviewTTL
	}
	return &PreviewApp{ID: p.ID, Name: p.Name, Host: p.Domains[0], TTL: ttl}, nil
}

// DeploymentOutcome is how a deployment ended.
type DeploymentOutcome struct {
	Status release.Status
	Reason string
}

// Outcome reads where a deployment is now: its status (terminal or not)
// and failure reason. Watchers of a deployment learn how it ended from its
// queue (workflows.SignalEnded); they read this at the start, and now and
// then, in case the end came before they listened.
func (pv *Previews) Outcome(ctx context.Context, in DeploymentRef) (*DeploymentOutcome, error) {
	d, err := pv.Store.GetDeployment(ctx, in.DeploymentID)
	if err != nil {
		return nil, gone(err)
	}
	return &DeploymentOutcome{Status: d.Status, Reason: d.FailureReason}, nil
}

// AwaitDeployment waits until a deployment ends, polling its record. Only
// workflows started by releases before the queue told watchers how a
// deployment ended still call it; it is kept for them.
func (pv *Previews) AwaitDeployment(ctx context.Context, in DeploymentRef) (*DeploymentOutcome, error) {
	for {
		d, err := pv.Store.GetDeployment(ctx, in.DeploymentID)
		if err != nil {
			return nil, gone(err)
		}
		if release.Terminal(d.Status) {
			return &DeploymentOutcome{Status: d.Status, Reason: d.FailureReason}, nil
		}
		activity.RecordHeartbeat(ctx, d.Status)
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(time.Second):
		}
	}
}

// InFlight lists an app's deployments that are queued or running.
func (pv *Previews) InFlight(ctx context.Context, in AppRef) ([]string, error) {
	app, err := pv.Store.GetApp(ctx, in.App)
	if errors.Is(err, schema.ErrNotFound) {
		return nil, nil
	} else if err != nil {
		return nil, err
	}
	ds, err := pv.Store.ListDeployments(ctx, schema.DeploymentFilter{AppID: app.ID, Statuses: release.InFlightStatuses})
	if err != nil {
		return nil, err
	}
	out := make([]string, 0, len(ds))
	for _, d := range ds {
		out = append(out, d.ID)
	}
	return out, nil
}

// AwaitIdle waits until none of an app's deployments is in flight,
// polling. Only previews started by earlier releases still call it.
func (pv *Previews) AwaitIdle(ctx context.Context, in AppRef) error {
	for {
		ids, err := pv.InFlight(ctx, in)
		if err != nil || len(ids) == 0 {
			return err
		}
		activity.RecordHeartbeat(ctx, ids)
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(500 * time.Millisecond):
		}
	}
}

// FindPreview returns a preview app by name, nil when there is none.
func (pv *Previews) FindPreview(ctx context.Context, in AppRef) (*PreviewApp, error) {
	name := in.App
	p, err := pv.Store.GetApp(ctx, name)
	if errors.Is(err, schema.ErrNotFound) {
		return nil, nil
	} else if err != nil {
		return nil, err
	}
	if p.PreviewOf == "" {
		return nil, nonRetryable(ErrTypeGone, "%s is not a preview", name)
	}
	host := ""
	if len(p.Domains) > 0 {
		host = p.Domains[0]
	}
	return &PreviewApp{ID: p.ID, Name: p.Name, Host: host}, nil
}
