package service

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"

	"go.temporal.io/sdk/client"

	"github.com/rivetr/rivetr/internal/gitsrc"
	"github.com/rivetr/rivetr/internal/ids"
	"github.com/rivetr/rivetr/internal/release"
	"github.com/rivetr/rivetr/internal/webhook"
	"github.com/rivetr/rivetr/schema"
	"github.com/rivetr/rivetr/workflows"
)

// StaleDelivery is how long a delivery may stay "received" before a
// redelivery of it is handled again rather than answered as a duplicate.
var StaleDelivery = time.Minute

// TriggerWebhook marks deployments a git push started.
const TriggerWebhook = "webhook"

// ErrWebhookSignature answers a delivery whose signature is missing or
// wrong, or that names no app: nothing else happens.
var ErrWebhookSignature = errors.New("webhook signature missing or wrong")

// WebhookResult is the answer to a delivery, also recorded in the app's
// delivery log.
type WebhookResult struct {
	// Result is deployed, ignored, error, or duplicate (a redelivery of a
	// delivery already handled; Reason says what came of the first).
	Result     string `json:"result"`
	Reason     string `json:"reason"`
	Deployment string `json:"deployment,omitempty"`
	DeliveryID string `json:"delivery_id,omitempty"`
}

// newWebhookSecret makes a secret for an app's webhooks.
func newWebhookSecret() string {
	b := make([]byte, 24)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

var deliveryRE = regexp.MustCompile(`[^a-z0-9-]+`)

// Webhook handles one delivery for an app: it checks the provider's
// signature with the app's secret before reading anything else, records
// the delivery once (a redelivery of the same delivery ID is answered from
// the record), and deploys exactly the pushed commit when the push is to
// the app's branch and passes its filters. It needs no signed-in caller:
// the signature is the credential.
//
// base is the address the delivery reached, for links in commit statuses
// (the server's --public-url wins).
func (s *Git) Webhook(ctx context.Context, provider, appName, base string, h http.Header, body []byte) (*WebhookResult, error) {
	p, app, err := s.verifyWebhook(ctx, provider, appName, h, body)
	if err != nil {
		return nil, err
	}
	ev, perr := webhook.Parse(p, h, body)
	rec := &schema.WebhookDelivery{AppID: app.ID, Provider: string(p), DeliveryID: webhook.DeliveryID(p, h), Result: schema.DeliveryReceived}
	if rec.DeliveryID == "" {
		rec.DeliveryID = "none-" + ids.New()
	}
	if ev != nil {
		rec.Event, rec.Ref, rec.Commit = ev.Name, ev.Ref, ev.After
		if ev.PR != nil {
			rec.PR, rec.Commit = ev.PR.Number, ev.PR.HeadSHA
		}
	} else {
		rec.Event = firstHeader(h, "X-GitHub-Event", "X-Gitlab-Event", "X-Gitea-Event")
	}
	rec.ReceivedAt = time.Now().UTC()
	if err := s.store.RecordDelivery(ctx, rec); errors.Is(err, schema.ErrConflict) {
		first, gerr := s.store.GetDelivery(ctx, app.ID, rec.Provider, rec.DeliveryID)
		if gerr != nil {
			return nil, gerr
		}
		// A delivery still "received" long after it came was cut off (the
		// server died while handling it): the redelivery finishes the job.
		// Its deploy, if it was made, is found by its workflow ID.
		if first.Result != schema.DeliveryReceived || time.Since(first.ReceivedAt) < StaleDelivery {
			return &WebhookResult{Result: "duplicate", DeliveryID: rec.DeliveryID, Deployment: first.DeploymentID,
				Reason: fmt.Sprintf("delivery %s was already handled (%s: %s); nothing more is done", rec.DeliveryID, first.Result, first.Reason)}, nil
		}
		rec = first
	} else if err != nil {
		return nil, err
	}
	res := &WebhookResult{Result: schema.DeliveryIgnored, DeliveryID: rec.DeliveryID}
	switch {
	case perr != nil:
		res.Result, res.Reason = schema.DeliveryError, perr.Error()
	case ev.Kind == webhook.KindPing:
		res.Reason = "ping received: the webhook and its secret work"
	case ev.Kind == webhook.KindOther:
		res.Reason = fmt.Sprintf("event %q is not used (Rivetr acts on pushes and pull requests)", ev.Name)
	case ev.Kind == webhook.KindPullRequest:
		var acted bool
		if acted, res.Reason = s.previewEvent(ctx, app, p, rec.DeliveryID, ev); acted {
			res.Result = schema.DeliveryPreview
		}
	case ev.Kind == webhook.KindPush:
		ok, why := webhook.Filter{Branch: app.Branch, WatchPaths: app.WatchPaths}.Push(ev)
		res.Reason = why
		if ok {
			ok, why = s.pushIsNew(ctx, app, ev)
			if !ok {
				res.Reason = why
			}
		}
		if ok {
			d, err := s.webhookDeploy(ctx, app, p, rec.DeliveryID, ev, base)
			if err != nil {
				res.Result, res.Reason = schema.DeliveryError, err.Error()
			} else {
				res.Result, res.Deployment = schema.DeliveryDeployed, d.ID
			}
		}
	}
	if err := s.store.FinishDelivery(context.WithoutCancel(ctx), rec.ID, res.Result, res.Reason, res.Deployment); err != nil {
		s.log.Error("could not record a webhook delivery's result", "app", app.Name, "delivery", rec.DeliveryID, "err", err)
	}
	if res.Result == schema.DeliveryError && perr != nil {
		return res, &ValidationError{Fields: map[string]string{"payload": perr.Error()}}
	}
	return res, nil
}

// VerifyWebhook checks a delivery's signature (and that its app and
// provider exist) without acting on it, so a caller can spend the app's
// delivery budget only on deliveries that are really from its git host:
// unsigned floods cannot use it up.
func (s *Git) VerifyWebhook(ctx context.Context, provider, appName string, h http.Header, body []byte) error {
	_, _, err := s.verifyWebhook(ctx, provider, appName, h, body)
	return err
}

func (s *Git) verifyWebhook(ctx context.Context, provider, appName string, h http.Header, body []byte) (webhook.Provider, *schema.App, error) {
	p, err := webhook.ParseProvider(provider)
	if err != nil {
		return p, nil, fmt.Errorf("%v: %w", err, schema.ErrNotFound)
	}
	// Unknown apps and wrong signatures get the same answer, so app names
	// cannot be probed.
	app, err := s.store.GetApp(ctx, appName)
	if errors.Is(err, schema.ErrNotFound) {
		return p, nil, fmt.Errorf("%w (or no app %s)", ErrWebhookSignature, appName)
	} else if err != nil {
		return p, nil, err
	}
	secret, err := s.store.WebhookSecret(app)
	if err != nil {
		return p, nil, fmt.Errorf("cannot open the app's webhook secret: %v: %w", err, ErrUnavailable)
	}
	if err := webhook.Verify(p, h, body, secret); err != nil {
		return p, nil, fmt.Errorf("%w: %v", ErrWebhookSignature, strings.TrimPrefix(err.Error(), webhook.ErrSignature.Error()+": "))
	}
	return p, app, nil
}

// pushIsNew deploys a push only if its commit is still the branch's head
// or builds on the commit that serves: the delivery ID of most providers
// is not signed, so an old signed push sent again under a new ID would
// otherwise deploy an old commit (a rollback anyone who saw one delivery
// could trigger).
func (s *Git) pushIsNew(ctx context.Context, app *schema.App, ev *webhook.Event) (bool, string) {
	token, sshKey, err := s.store.AppCredentials(app)
	if err != nil {
		return false, "cannot use the app's git credentials to confirm the pushed commit: " + err.Error()
	}
	rctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	head, err := s.resolveBranch(rctx, app.GitURL, ev.Branch, gitsrc.Auth{Token: token, SSHKey: sshKey, Egress: s.egress})
	cancel()
	switch {
	case err != nil:
		return false, fmt.Sprintf("cannot confirm that %s is the head of branch %s (%v); redeliver the webhook once the repository answers", short(ev.After), ev.Branch, err)
	case strings.EqualFold(head, ev.After):
		return true, ""
	}
	serving := ""
	if app.CurrentDeploymentID != "" {
		if d, err := s.store.GetDeployment(ctx, app.CurrentDeploymentID); err == nil {
			serving = d.CommitSHA
		}
	}
	if serving == "" {
		return true, "" // nothing serves: nothing to roll back
	}
	dctx, cancel := context.WithTimeout(ctx, time.Minute)
	ok, err := gitsrc.Descends(dctx, app.GitURL, ev.Branch, serving, ev.After, gitsrc.Auth{Token: token, SSHKey: sshKey, Egress: s.egress})
	cancel()
	switch {
	case err != nil:
		return false, fmt.Sprintf("cannot confirm that %s builds on the serving %s (%v); redeliver the webhook once the repository answers", short(ev.After), short(serving), err)
	case !ok:
		return false, fmt.Sprintf("push of %s ignored: it is not the head of branch %s (now %s) and does not build on the serving %s (an old or replayed delivery)", short(ev.After), ev.Branch, short(head), short(serving))
	}
	return true, ""
}

func firstHeader(h http.Header, names ...string) string {
	for _, n := range names {
		if v := h.Get(n); v != "" {
			return truncate(v, 64)
		}
	}
	return ""
}

// webhookDeploy records a deployment of the pushed commit and hands it to
// the app's queue; its workflow ID carries the delivery ID.
func (s *core) webhookDeploy(ctx context.Context, app *schema.App, p webhook.Provider, deliveryID string, ev *webhook.Event, base string) (*schema.Deployment, error) {
	d := &schema.Deployment{
		ID: ids.New(), AppID: app.ID, AppName: app.Name, Kind: release.KindDeploy,
		Trigger: TriggerWebhook, Status: release.StatusQueued, Step: release.StepQueued,
		Branch: ev.Branch, CommitSHA: ev.After, CommitMessage: ev.HeadMessage,
		RequestedBy: fmt.Sprintf("%s push by %s", p, cmp.Or(ev.Pusher, "unknown")),
	}
	d.RequestedByID, d.RequestedByEmail = s.pusher(ctx, app, ev.PusherEmail)
	d.WorkflowID = workflows.WebhookDeployID(app.Name, string(p), deliveryRE.ReplaceAllString(strings.ToLower(deliveryID), ""))
	if made, err := s.store.DeploymentByWorkflowID(ctx, d.WorkflowID); err == nil {
		return made, nil // made before a crash cut the delivery off
	}
	var err error
	if err = recordRelease(ctx, s.store, app, d); err != nil {
		return nil, err
	}
	// The commit status report watches the deployment: the queue tells it
	// how it ended.
	var watchers []string
	if reportsStatus(app, ev.Repo) {
		watchers = []string{workflows.StatusID(app.Name, d.ID)}
	}
	if _, err := s.enqueue(ctx, app, d, watchers...); err != nil {
		return nil, err
	}
	s.reportStatus(ctx, app, p, ev.Repo, d, base)
	s.writeAudit(ctx, &schema.AuditEntry{Time: time.Now().UTC(), Action: AuditDeploy, TeamID: app.TeamID, Target: app.Name, Actor: d.RequestedBy,
		After: map[string]any{"deployment": d.ID, "commit": d.CommitSHA, "trigger": d.Trigger, "delivery": deliveryID}})
	return d, nil
}

// pusher is who asked for a push's deploy: the team member (or instance
// admin) with the pusher's email when there is one, so the approval gate
// knows them; otherwise just the email.
func (s *core) pusher(ctx context.Context, app *schema.App, email string) (id, unmatched string) {
	email = strings.ToLower(strings.TrimSpace(email))
	if email == "" {
		return "", ""
	}
	u, err := s.store.GetUser(ctx, email)
	if err != nil || !strings.EqualFold(u.Email, email) {
		return "", email
	}
	if u.InstanceAdmin {
		return u.ID, ""
	}
	if app.TeamID != "" {
		if ms, err := s.store.Memberships(ctx, u.ID); err == nil {
			for _, m := range ms {
				if m.TeamID == app.TeamID {
					return u.ID, ""
				}
			}
		}
	}
	return "", email
}

// reportStatus starts the workflow that reports a pushed commit's
// deployment on the git host as a commit status, when the app has a
// provider token. Reporting is best effort: a failure to start it is
// logged, never a failed deploy.
func (s *core) reportStatus(ctx context.Context, app *schema.App, p webhook.Provider, repo string, d *schema.Deployment, base string) {
	if !reportsStatus(app, repo) {
		return
	}
	if s.publicURL != "" {
		base = s.publicURL
	}
	_, err := s.temporal.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID: workflows.StatusID(app.Name, d.ID), TaskQueue: workflows.TaskQueue,
		TypedSearchAttributes: appAttrs(app.Name, "status", d.ID),
		StaticSummary:         "commit status of " + d.ID,
	}, workflows.CommitStatusWorkflow, workflows.CommitStatusInput{AppID: app.ID, App: app.Name, DeploymentID: d.ID, Provider: string(p), Repo: repo,
		SHA: d.CommitSHA, Target: strings.TrimRight(base, "/") + "/deployments/" + d.ID})
	if err != nil {
		s.log.Warn("could not start reporting a commit status", "app", app.Name, "deployment", d.ID, "err", err)
	}
}

// reportsStatus reports whether pushes to app's repo get commit statuses:
// the app has a provider token and the push named its repository.
func reportsStatus(app *schema.App, repo string) bool { return app.ProviderToken != "" && repo != "" }

// WebhookInfo is what a user pastes into their git host: an address per
// provider and the secret.
type WebhookInfo struct {
	App        string            `json:"app"`
	URLs       map[string]string `json:"urls"`
	Secret     string            `json:"secret"`
	Branch     string            `json:"branch"`
	WatchPaths []string          `json:"watch_paths,omitempty"`
	// Warning says why a git host may not reach the addresses (they are
	// the request's own, on loopback, with no --public-url).
	Warning string `json:"warning,omitempty"`
}

// GetWebhook shows an app's webhook addresses and secret (making the
// secret if the app has none yet); rotate replaces it, so deliveries
// signed with the old one are refused from then on. The secret lets
// anyone deploy the app's branch, so it takes the edit permission.
func (s *Git) GetWebhook(ctx context.Context, appName, base string, rotate bool) (*WebhookInfo, error) {
	app, _, err := s.authorizeApp(ctx, appName, release.PermEditApp)
	if err != nil {
		return nil, err
	}
	secret, err := s.store.WebhookSecret(app)
	if err != nil {
		return nil, fmt.Errorf("cannot open the app's webhook secret: %v: %w", err, ErrUnavailable)
	}
	if secret == "" || rotate {
		secret = newWebhookSecret()
		app.WebhookSecret = secret
		if err := s.store.SaveApp(ctx, app); err != nil {
			return nil, err
		}
		if rotate {
			s.audit(ctx, AuditAppUpdate, app.TeamID, app.Name, map[string]any{"webhook_secret": "(secret)"}, map[string]any{"webhook_secret": "(rotated)"})
		}
	}
	if s.publicURL != "" {
		base = s.publicURL
	}
	info := &WebhookInfo{App: app.Name, URLs: map[string]string{}, Secret: secret, Branch: app.Branch, WatchPaths: app.WatchPaths}
	if s.publicURL == "" && loopbackURL(base) {
		info.Warning = "these addresses are this machine's own (" + strings.TrimRight(base, "/") + "): a git host elsewhere cannot reach them. " +
			"Start the server with --public-url set to the address git hosts reach (e.g. https://rivetr.example.com)"
	}
	for _, p := range webhook.Providers {
		info.URLs[string(p)] = strings.TrimRight(base, "/") + "/webhooks/" + string(p) + "/" + app.Name
	}
	return info, nil
}

// ListDeliveries returns an app's newest webhook deliveries first.
func (s *Git) listDeliveries(ctx context.Context, appName string, limit int) ([]schema.WebhookDelivery, error) {
	app, _, err := s.authorizeApp(ctx, appName, release.PermRead)
	if err != nil {
		return nil, err
	}
	ds, err := s.store.ListDeliveries(ctx, app.ID, limit)
	if ds == nil {
		ds = []schema.WebhookDelivery{}
	}
	return ds, err
}

// ListDeliveries is listDeliveries with the records as the API answers them.
func (s *Git) ListDeliveries(ctx context.Context, appName string, limit int) ([]WebhookDelivery, error) {
	v, err := s.listDeliveries(ctx, appName, limit)
	return each(v, webhookDeliveryOf), err
}

// loopbackURL reports whether u's host is this machine's loopback.
func loopbackURL(u string) bool {
	p, err := url.Parse(u)
	if err != nil {
		return false
	}
	h := p.Hostname()
	if h == "localhost" || strings.HasSuffix(h, ".localhost") {
		return true
	}
	ip := net.ParseIP(h)
	return ip != nil && ip.IsLoopback()
}
