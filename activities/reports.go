package activities

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/rivetr/rivetr/internal/egress"
	"github.com/rivetr/rivetr/internal/gitprovider"
	"github.com/rivetr/rivetr/internal/gitsrc"
	"github.com/rivetr/rivetr/schema"
)

// ReportStore is what reports read.
type ReportStore interface {
	GetApp(ctx context.Context, nameOrID string) (*schema.App, error)
	ProviderToken(app *schema.App) (string, error)
	GetPolicy(ctx context.Context, dbID string) (*schema.BackupPolicy, error)
}

var _ ReportStore = (*schema.Store)(nil)

// Reports tell people how things went: comments on pull requests and
// commit statuses through the git host's API, and failure notifications.
// They are best effort and run on the shared queue.
type Reports struct {
	Store ReportStore
	// Egress is where provider APIs and notification URLs may be reached
	// (see package egress).
	Egress *egress.Policy
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
func (rp *Reports) Comment(ctx context.Context, in CommentInput) (string, error) {
	c, err := rp.providerClient(ctx, in.ParentID, in.Provider)
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
func (rp *Reports) CommitStatus(ctx context.Context, in CommitStatusInput) error {
	c, err := rp.providerClient(ctx, in.AppID, in.Provider)
	if err != nil || c == nil {
		return err
	}
	app, err := rp.Store.GetApp(ctx, in.AppID)
	if err != nil {
		return gone(err)
	}
	return providerErr(c.Status(ctx, in.Repo, in.SHA, in.State, "rivetr/"+app.Name, in.Target, in.Description))
}

func (rp *Reports) providerClient(ctx context.Context, appID, provider string) (*gitprovider.Client, error) {
	app, err := rp.Store.GetApp(ctx, appID)
	if err != nil {
		return nil, gone(err)
	}
	token, err := rp.Store.ProviderToken(app)
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
	if gitsrc.PlainHTTP(base) {
		return nil, nonRetryable(ErrTypeProvider, "app %s's provider token is never sent over plain http (%s); use the https address", app.Name, base)
	}
	return &gitprovider.Client{Provider: provider, BaseURL: base, Token: token, HTTP: rp.Egress.Client(20 * time.Second)}, nil
}

// NotifyInput is a message about a database.
type NotifyInput struct {
	DatabaseID string
	Text       string
}

// Notify posts a failure to the database's notification URL as JSON that
// Slack ("text") and Discord ("content") both read; without a URL it does
// nothing.
func (rp *Reports) Notify(ctx context.Context, in NotifyInput) error {
	p, err := rp.Store.GetPolicy(ctx, in.DatabaseID)
	if err != nil {
		return err
	}
	if p.NotifyURL == "" {
		return nil
	}
	body, _ := json.Marshal(map[string]string{"text": in.Text, "content": in.Text})
	req, err := http.NewRequestWithContext(ctx, "POST", p.NotifyURL, bytes.NewReader(body))
	if err != nil {
		return nonRetryable(ErrTypeBackup, "notification URL: %v", err)
	}
	req.Header.Set("Content-Type", "application/json")
	res, err := rp.Egress.Client(15 * time.Second).Do(req)
	if err != nil {
		if errors.Is(err, egress.ErrRefused) {
			return nonRetryable(ErrTypeBackup, "notification URL: %v", egress.Explain(err, req.URL.Hostname()))
		}
		return egress.Explain(err, req.URL.Hostname())
	}
	defer res.Body.Close()
	if res.StatusCode/100 != 2 {
		return fmt.Errorf("the notification URL answered %s", res.Status)
	}
	return nil
}
