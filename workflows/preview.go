package workflows

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/rivetr/rivetr/activities"
	"github.com/rivetr/rivetr/internal/release"
)

// PreviewName is PreviewWorkflow's type name; SignalPR its signal.
const (
	PreviewName = "PreviewWorkflow"
	SignalPR    = "pr"
)

// PreviewID is the ID of a pull request's preview workflow.
func PreviewID(app string, pr int) string { return "preview/" + app + "/pr-" + strconv.Itoa(pr) }

// Pull request actions a preview acts on.
const (
	PROpen   = "open"
	PRUpdate = "update"
	PRClose  = "close"
)

// PREvent is what a pull request webhook says to its preview.
type PREvent struct {
	Action     string
	HeadSHA    string
	Ref        string
	Fork       bool
	Merged     bool
	DeliveryID string
	Author     string
}

// PreviewInput starts (or continues) a pull request's preview.
type PreviewInput struct {
	// ParentID and App are the app the pull request is against.
	ParentID  string
	App       string
	PR        int
	Provider  string
	Repo      string
	HostQueue string
	// State is carried over by continue-as-new.
	State PreviewState
}

// PreviewState is what a preview remembers between events.
type PreviewState struct {
	Preview    *activities.PreviewApp
	HeadSHA    string
	Deployment string
	CommentID  string
	// Seen are the newest delivery IDs handled, to drop redeliveries.
	Seen []string
	// Pending is an event not acted on yet when the history was handed
	// over to a new run.
	Pending *PREvent
}

// previewHistoryLimit is how many events one run handles before it
// continues as new (Temporal also suggests it when the history grows).
var previewHistoryLimit = 100

var deliveryChars = regexp.MustCompile(`[^a-z0-9-]+`)

// PreviewWorkflow keeps one pull request's preview: it deploys the head of
// the request when it is opened and on every new commit, comments the
// preview's address on the request (edited in place), and removes
// everything — deployments, containers, route, images, records — when the
// request closes or the preview sits idle for its TTL. One workflow per
// request (PreviewID), fed by signal-with-start; it continues as new
// when its history grows.
func PreviewWorkflow(ctx workflow.Context, in PreviewInput) (string, error) {
	p := &preview{in: in, st: in.State, sig: workflow.GetSignalChannel(ctx, SignalPR)}
	p.pending = p.st.Pending
	p.st.Pending = nil
	handled := 0
	for {
		if p.pending == nil {
			ttl := release.DefaultPreviewTTL
			if p.st.Preview != nil && p.st.Preview.TTL > 0 {
				ttl = p.st.Preview.TTL
			}
			tctx, cancel := workflow.WithCancel(ctx)
			until := workflow.Now(ctx).Add(ttl)
			timer := workflow.NewTimerWithOptions(tctx, ttl, workflow.TimerOptions{Summary: "idle until " + until.UTC().Format(time.RFC3339)})
			expired := false
			sel := workflow.NewSelector(ctx)
			sel.AddReceive(p.sig, func(c workflow.ReceiveChannel, _ bool) { p.receive(ctx, c) })
			sel.AddFuture(timer, func(workflow.Future) { expired = true })
			sel.Select(ctx)
			cancel()
			if expired {
				return p.teardown(ctx, fmt.Sprintf("idle for %s", ttl))
			}
			continue
		}
		e := *p.pending
		p.pending = nil
		if e.Action == PRClose {
			reason := "the pull request was closed"
			if e.Merged {
				reason = "the pull request was merged"
			}
			return p.teardown(ctx, reason)
		}
		p.deploy(ctx, e)
		handled++
		if handled >= previewHistoryLimit || workflow.GetInfo(ctx).GetContinueAsNewSuggested() {
			// Take what arrived, so nothing is lost between runs.
			for {
				var e PREvent
				if !p.sig.ReceiveAsync(&e) {
					break
				}
				p.take(e)
			}
			next := in
			p.st.Pending = p.pending
			next.State = p.st
			return "", workflow.NewContinueAsNewError(ctx, PreviewWorkflow, next)
		}
	}
}

type preview struct {
	in      PreviewInput
	st      PreviewState
	sig     workflow.ReceiveChannel
	pending *PREvent
}

// receive takes one event off the channel; a close outranks everything,
// otherwise the newest head wins. Redeliveries are dropped.
func (p *preview) receive(ctx workflow.Context, c workflow.ReceiveChannel) {
	var e PREvent
	c.Receive(ctx, &e)
	p.take(e)
}

// take keeps e as the event to act on next: a close outranks everything,
// otherwise the newest head wins. Redeliveries are dropped.
func (p *preview) take(e PREvent) {
	if e.DeliveryID != "" {
		for _, s := range p.st.Seen {
			if s == e.DeliveryID {
				return
			}
		}
		p.st.Seen = append(p.st.Seen, e.DeliveryID)
		if len(p.st.Seen) > 50 {
			p.st.Seen = p.st.Seen[len(p.st.Seen)-50:]
		}
	}
	if p.pending != nil && p.pending.Action == PRClose {
		return
	}
	p.pending = &e
}

func (p *preview) storeCtx(ctx workflow.Context) workflow.Context {
	return workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: time.Minute,
		RetryPolicy: &temporal.RetryPolicy{MaximumAttempts: 10, MaximumInterval: 30 * time.Second,
			NonRetryableErrorTypes: []string{activities.ErrTypeGone, activities.ErrTypeProvider}},
	})
}

// comment writes (or edits) the pull request's comment; a git host that
// cannot be reached never holds the preview up.
func (p *preview) comment(ctx workflow.Context, body string) {
	cctx := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: 30 * time.Second,
		Summary:             "comment on the pull request",
		RetryPolicy: &temporal.RetryPolicy{MaximumAttempts: 5, MaximumInterval: 20 * time.Second,
			NonRetryableErrorTypes: []string{activities.ErrTypeGone, activities.ErrTypeProvider}},
	})
	var id string
	err := workflow.ExecuteActivity(cctx, act.Reports.Comment, activities.CommentInput{ParentID: p.in.ParentID, Provider: p.in.Provider, Repo: p.in.Repo,
		PR: p.in.PR, CommentID: p.st.CommentID, Body: body}).Get(ctx, &id)
	if err != nil {
		workflow.GetLogger(ctx).Warn("could not comment on the pull request", "pr", p.in.PR, "err", err)
		return
	}
	if id != "" {
		p.st.CommentID = id
	}
}

func short(sha string) string {
	if len(sha) > 12 {
		return sha[:12]
	}
	return sha
}

// deploy brings the preview to e's head and reports the outcome, unless a
// newer event arrives first (then the next loop acts on it).
func (p *preview) deploy(ctx workflow.Context, e PREvent) {
	sctx := p.storeCtx(ctx)
	var app activities.PreviewApp
	err := workflow.ExecuteActivity(sctx, act.Previews.EnsurePreview, activities.EnsurePreviewInput{ParentID: p.in.ParentID, PR: p.in.PR,
		Provider: p.in.Provider, Ref: e.Ref, Fork: e.Fork}).Get(ctx, &app)
	if err != nil {
		p.comment(ctx, fmt.Sprintf("**Rivetr** could not make a preview of %s: %s", short(e.HeadSHA), Cause(err)))
		return
	}
	p.st.Preview = &app
	by := fmt.Sprintf("%s pull request #%d by %s", p.in.Provider, p.in.PR, e.Author)
	wid := DeployID(app.Name, "pr-"+short(e.HeadSHA))
	if e.DeliveryID != "" {
		wid = WebhookDeployID(app.Name, p.in.Provider, deliveryChars.ReplaceAllString(strings.ToLower(e.DeliveryID), ""))
	}
	// Since version 1 the queue tells the preview how its deployment
	// ended; before, an activity polled the store for it.
	bySignal := workflow.GetVersion(ctx, "preview-await-signal", workflow.DefaultVersion, 1) >= 1
	req := activities.PreviewDeployInput{AppID: app.ID, Commit: e.HeadSHA, RequestedBy: by, WorkflowID: wid}
	if bySignal {
		req.Watcher = workflow.GetInfo(ctx).WorkflowExecution.ID
	}
	var id string
	if err := workflow.ExecuteActivity(sctx, act.Starts.PreviewDeploy, req).Get(ctx, &id); err != nil {
		p.comment(ctx, fmt.Sprintf("**Rivetr** could not start the preview of %s: %s", short(e.HeadSHA), Cause(err)))
		return
	}
	p.st.HeadSHA, p.st.Deployment = e.HeadSHA, id
	building := fmt.Sprintf("**Rivetr** is building the preview of %s (deployment `%s`).", short(e.HeadSHA), id)
	if e.Fork {
		building += " The pull request comes from a fork: an approver must approve the deployment first."
	}
	p.comment(ctx, building)

	var out Ended
	var awaitErr error
	done := false
	if bySignal {
		out, done, awaitErr = awaitEnd(ctx, id, false, func() bool { return p.pending != nil }, func(sel workflow.Selector) {
			sel.AddReceive(p.sig, func(c workflow.ReceiveChannel, _ bool) { p.receive(ctx, c) })
		})
	} else {
		out, done, awaitErr = p.pollDeployment(ctx, id)
	}
	if !done && awaitErr == nil {
		return // a newer event: its deployment queues behind this one
	}
	switch {
	case awaitErr != nil:
		p.comment(ctx, fmt.Sprintf("**Rivetr** lost track of the preview deployment `%s`: %s", id, Cause(awaitErr)))
	case out.Status == release.StatusSucceeded:
		p.comment(ctx, fmt.Sprintf("**Rivetr preview** of %s is ready: http://%s/\n\n(deployment `%s`; it is removed when the pull request closes, or after %s without a new commit)",
			short(e.HeadSHA), app.Host, id, app.TTL))
	default:
		p.comment(ctx, fmt.Sprintf("**Rivetr preview** of %s %s (deployment `%s`)%s", short(e.HeadSHA), words(out.Status), id, publicDetails))
	}
}

// pollDeployment is how previews started before version 1 of
// "preview-await-signal" wait: an activity polls the store until the
// deployment ends, unless a newer event arrives first.
func (p *preview) pollDeployment(ctx workflow.Context, id string) (Ended, bool, error) {
	actx, cancel := workflow.WithCancel(ctx)
	defer cancel()
	fut := workflow.ExecuteActivity(workflow.WithActivityOptions(actx, workflow.ActivityOptions{
		StartToCloseTimeout: 30 * 24 * time.Hour, HeartbeatTimeout: 30 * time.Second, Summary: "await deployment " + id,
		RetryPolicy: &temporal.RetryPolicy{NonRetryableErrorTypes: []string{activities.ErrTypeGone}},
	}), act.Previews.AwaitDeployment, activities.DeploymentRef{DeploymentID: id})
	var out activities.DeploymentOutcome
	var err error
	done := false
	for !done && p.pending == nil {
		sel := workflow.NewSelector(ctx)
		sel.AddFuture(fut, func(f workflow.Future) { err, done = f.Get(ctx, &out), true })
		sel.AddReceive(p.sig, func(c workflow.ReceiveChannel, _ bool) { p.receive(ctx, c) })
		sel.Select(ctx)
	}
	if err != nil {
		return Ended{}, false, err
	}
	return Ended{DeploymentID: id, Status: out.Status, Reason: out.Reason}, done, nil
}

// teardown cancels the preview's deployments, deletes the preview app
// (containers, route, images, records) and says so on the pull request.
func (p *preview) teardown(ctx workflow.Context, reason string) (string, error) {
	sctx := p.storeCtx(ctx)
	name := release.PreviewName(p.in.App, p.in.PR)
	var app *activities.PreviewApp
	if err := workflow.ExecuteActivity(sctx, act.Previews.FindPreview, activities.AppRef{App: name}).Get(ctx, &app); err != nil {
		return "", err
	}
	if app == nil {
		return "nothing to remove: " + reason, nil
	}
	var inflight []string
	if err := workflow.ExecuteActivity(sctx, act.Previews.InFlight, activities.AppRef{App: name}).Get(ctx, &inflight); err != nil {
		return "", err
	}
	// Since version 1 the queue replies when each cancelled deployment
	// has ended; before, an activity polled the store until none was left.
	if workflow.GetVersion(ctx, "preview-teardown-signal", workflow.DefaultVersion, 1) >= 1 {
		if err := p.cancelAll(ctx, name, inflight); err != nil {
			return "", err
		}
	} else {
		for _, id := range inflight {
			p.cancel(ctx, name, CancelRequest{DeploymentID: id})
		}
		idle := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
			StartToCloseTimeout: 10 * time.Minute, HeartbeatTimeout: 30 * time.Second, Summary: "wait for cancelled deployments",
		})
		if err := workflow.ExecuteActivity(idle, act.Previews.AwaitIdle, activities.AppRef{App: name}).Get(ctx, nil); err != nil {
			return "", err
		}
	}
	cctx := workflow.WithChildOptions(ctx, workflow.ChildWorkflowOptions{
		WorkflowID:            DeleteID(name, app.ID),
		StaticSummary:         "remove the preview " + name,
		WorkflowIDReusePolicy: 0,
	})
	if err := workflow.ExecuteChildWorkflow(cctx, DeleteAppWorkflow, DeleteAppInput{AppID: app.ID, App: name, HostQueue: p.in.HostQueue}).Get(ctx, nil); err != nil {
		return "", err
	}
	p.comment(ctx, fmt.Sprintf("**Rivetr preview** removed: %s.", reason))
	return "removed: " + reason, nil
}

// cancel asks the preview's queue to cancel a deployment; it reports
// false when the queue is gone (then nothing of the preview's runs).
func (p *preview) cancel(ctx workflow.Context, name string, c CancelRequest) bool {
	if err := workflow.SignalExternalWorkflow(ctx, QueueID(name), "", SignalCancel, c).Get(ctx, nil); err != nil {
		workflow.GetLogger(ctx).Info("the preview's queue is gone; nothing of it runs", "preview", name, "err", err)
		return false
	}
	return true
}

// cancelAll cancels the preview's deployments in flight and waits until
// its queue says each has ended (and cleaned up after itself), reading
// what is still in flight every endCheckEvery in case a word was lost.
func (p *preview) cancelAll(ctx workflow.Context, name string, inflight []string) error {
	me := workflow.GetInfo(ctx).WorkflowExecution.ID
	left := map[string]bool{}
	for _, id := range inflight {
		if !p.cancel(ctx, name, CancelRequest{DeploymentID: id, ReplyTo: me}) {
			return nil
		}
		left[id] = true
	}
	ended := workflow.GetSignalChannel(ctx, SignalEnded)
	for len(left) > 0 {
		tctx, cancel := workflow.WithCancel(ctx)
		timer := workflow.NewTimerWithOptions(tctx, endCheckEvery, workflow.TimerOptions{Summary: "wait for cancelled deployments"})
		fired := false
		sel := workflow.NewSelector(ctx)
		sel.AddReceive(ended, func(c workflow.ReceiveChannel, _ bool) {
			var e Ended
			c.Receive(ctx, &e)
			delete(left, e.DeploymentID)
		})
		sel.AddFuture(timer, func(workflow.Future) { fired = true })
		sel.Select(ctx)
		cancel()
		if !fired {
			continue
		}
		var still []string
		if err := workflow.ExecuteActivity(p.storeCtx(ctx), act.Previews.InFlight, activities.AppRef{App: name}).Get(ctx, &still); err != nil {
			return err
		}
		for id := range left {
			if !slices.Contains(still, id) {
				delete(left, id)
			}
		}
	}
	return nil
}

// Cause is a workflow or activity error's own message: the innermost
// application error's, without Temporal's wrapping.
func Cause(err error) string {
	var app *temporal.ApplicationError
	for e := err; e != nil; {
		if ae, ok := e.(*temporal.ApplicationError); ok {
			app = ae
		}
		u, ok := e.(interface{ Unwrap() error })
		if !ok {
			break
		}
		e = u.Unwrap()
	}
	if app != nil {
		return app.Message()
	}
	return err.Error()
}
