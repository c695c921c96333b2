package activities

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"go.temporal.io/sdk/activity"

	"github.com/rivetr/rivetr/internal/gitprovider"
	"github.com/rivetr/rivetr/internal/ids"
	"github.com/rivetr/rivetr/internal/release"
	"github.com/rivetr/rivetr/schema"
)

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
func (a *Activities) EnsurePreview(ctx context.Context, in EnsurePreviewInput) (*PreviewApp, error) {
	parent, err := a.Store.GetApp(ctx, in.ParentID)
	if err != nil {
		return nil, gone(err)
	}
	if a.PreviewDomain == "" {
		return nil, nonRetryable(ErrTypeGone, "the server has no --preview-domain; previews cannot be served")
	}
	name := release.PreviewName(parent.Name, in.PR)
	p, err := a.Store.GetApp(ctx, name)
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
	p.Domains = []string{release.PreviewHost(parent.Name, in.PR, a.PreviewDomain)}
	p.MemoryLimitMB, p.CPULimit = parent.PreviewMemoryMB, parent.PreviewCPUs
	if p.MemoryLimitMB == 0 {
		p.MemoryLimitMB = release.DefaultPreviewMemoryMB
	}
	if p.CPULimit == 0 {
		p.CPULimit = release.DefaultPreviewCPUs
	}
	// A fork's code is not the team's: an approver looks before it runs.
	p.RequireApproval, p.ApprovalsNeeded, p.AllowSelfApproval, p.ApprovalTTL = in.Fork, 1, false, parent.ApprovalTTL
	if p.ApprovalTTL == 0 {
		p.ApprovalTTL = schema.Duration(release.DefaultApprovalTTL)
	}
	if err := a.Store.SaveApp(ctx, p); err != nil {
		return nil, err
	}
	ttl := parent.PreviewTTL.D()
	if ttl <= 0 {
		ttl = release.DefaultPreviewTTL
	}
	return &PreviewApp{ID: p.ID, Name: p.Name, Host: p.Domains[0], TTL: ttl}, nil
}

// PreviewDeployInput asks for a deployment of a preview.
type PreviewDeployInput struct {
	AppID       string
	Commit      string
	RequestedBy string
	// WorkflowID carries the delivery ID, so a retried activity or a
	// redelivered event finds the deployment it made.
	WorkflowID string
}

// PreviewDeploy records a deployment of the preview at the pull request's
// head and hands it to the preview's queue (or returns the one already
// made for the same workflow ID).
func (a *Activities) PreviewDeploy(ctx context.Context, in PreviewDeployInput) (string, error) {
	if a.PreviewDeployer == nil {
		return "", errors.New("this worker cannot queue deployments (no Temporal client given)")
	}
	return a.PreviewDeployer(ctx, in)
}

// DeploymentOutcome is how a deployment ended.
type DeploymentOutcome struct {
	Status release.Status
	Reason string
}

// AwaitDeployment waits until a deployment ends, heartbeating; it reports
// waiting for approval once, so the caller can say so.
func (a *Activities) AwaitDeployment(ctx context.Context, id string) (*DeploymentOutcome, error) {
	for {
		d, err := a.Store.GetDeployment(ctx, id)
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
func (a *Activities) InFlight(ctx context.Context, appName string) ([]string, error) {
	app, err := a.Store.GetApp(ctx, appName)
	if errors.Is(err, schema.ErrNotFound) {
		return nil, nil
	} else if err != nil {
		return nil, err
	}
	ds, err := a.Store.ListDeployments(ctx, schema.DeploymentFilter{AppID: app.ID, Statuses: release.InFlightStatuses})
	if err != nil {
		return nil, err
	}
	out := make([]string, 0, len(ds))
	for _, d := range ds {
		out = append(out, d.ID)
	}
	return out, nil
}

// AwaitIdle waits until none of an app's deployments is in flight.
func (a *Activities) AwaitIdle(ctx context.Context, appName string) error {
	for {
		ids, err := a.InFlight(ctx, appName)
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

// CommentInput is a comment on a pull request, new or edited in place.
type CommentInput struct {
	ParentID  string
	Provider  string
	Repo      string
	PR        int
	CommentID string
	Body      string
}

// Comment writes a pull request comment through the provider's API with
// the parent app's token, and returns its ID; without a token it does
// nothing. A refusal (a wrong token, a missing repository) is final.
func (a *Activities) Comment(ctx context.Context, in CommentInput) (string, error) {
	c, err := a.providerClient(ctx, in.ParentID, in.Provider)
	if err != nil || c == nil {
		return "", err
	}
	id, err := c.Comment(ctx, in.Repo, in.PR, in.CommentID, in.Body)
	return id, providerErr(err)
}

// CommitStatusInput is a commit status to set.
type CommitStatusInput struct {
	AppID       string
	Provider    string
	Repo        string
	SHA         string
	State       string
	Target      string
	Description string
}

// CommitStatus sets a commit's status (context "rivetr/APP") through the
// provider's API; without a token it does nothing.
func (a *Activities) CommitStatus(ctx context.Context, in CommitStatusInput) error {
	c, err := a.providerClient(ctx, in.AppID, in.Provider)
	if err != nil || c == nil {
		return err
	}
	app, err := a.Store.GetApp(ctx, in.AppID)
	if err != nil {
		return gone(err)
	}
	return providerErr(c.Status(ctx, in.Repo, in.SHA, in.State, "rivetr/"+app.Name, in.Target, in.Description))
}

func (a *Activities) providerClient(ctx context.Context, appID, provider string) (*gitprovider.Client, error) {
	app, err := a.Store.GetApp(ctx, appID)
	if err != nil {
		return nil, gone(err)
	}
	token, err := a.Store.ProviderToken(app)
	if err != nil {
		return nil, secretErr(err)
	}
	if token == "" {
		return nil, nil
	}
	base := app.ProviderURL
	if base == "" {
		base = gitprovider.DefaultBaseURL(provider)
	}
	if base == "" {
		return nil, nonRetryable(ErrTypeProvider, "app %s has a provider token but no provider URL (rivetr apps update %s --provider-url URL)", app.Name, app.Name)
	}
	return &gitprovider.Client{Provider: provider, BaseURL: base, Token: token, HTTP: &http.Client{Timeout: 20 * time.Second}}, nil
}

// ErrTypeProvider is a git host's API refusing for good.
const ErrTypeProvider = "ProviderRefused"

func providerErr(err error) error {
	var perr *gitprovider.Error
	if errors.As(err, &perr) && perr.Permanent() {
		return nonRetryable(ErrTypeProvider, "%v", err)
	}
	if err != nil {
		return fmt.Errorf("git host API: %w", err)
	}
	return nil
}

// FindPreview returns a preview app by name, nil when there is none.
func (a *Activities) FindPreview(ctx context.Context, name string) (*PreviewApp, error) {
	p, err := a.Store.GetApp(ctx, name)
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
