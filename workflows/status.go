package workflows

import (
	"strings"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/rivetr/rivetr/activities"
	"github.com/rivetr/rivetr/internal/release"
)

// CommitStatusName is CommitStatusWorkflow's type name.
const CommitStatusName = "CommitStatusWorkflow"

// StatusID is the ID of the workflow reporting a deployment's commit status.
func StatusID(app, deploymentID string) string { return "status/" + app + "/" + deploymentID }

// CommitStatusInput names the deployment to report and where.
type CommitStatusInput struct {
	AppID        string
	App          string
	DeploymentID string
	Provider     string
	Repo         string
	SHA          string
	// Target is the deployment's page, linked from the status.
	Target string
}

// CommitStatusWorkflow reports a pushed commit's deployment on the git
// host: pending while it runs, then success or failure. Reports are best
// effort: a host that cannot be reached never changes the deployment.
func CommitStatusWorkflow(ctx workflow.Context, in CommitStatusInput) (string, error) {
	sctx := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: 30 * time.Second,
		RetryPolicy: &temporal.RetryPolicy{MaximumAttempts: 5, MaximumInterval: 20 * time.Second,
			NonRetryableErrorTypes: []string{activities.ErrTypeGone, activities.ErrTypeProvider}},
	})
	report := func(state, desc string) error {
		return workflow.ExecuteActivity(sctx, act.Reports.CommitStatus, activities.CommitStatusInput{AppID: in.AppID, Provider: in.Provider, Repo: in.Repo,
			SHA: in.SHA, State: state, Target: in.Target, Description: desc}).Get(ctx, nil)
	}
	if err := report("pending", "deploying "+in.App); err != nil {
		return "", err
	}
	// Since version 1 the queue tells this workflow how the deployment
	// ended; before, an activity polled the store for it.
	var out Ended
	if workflow.GetVersion(ctx, "status-await-signal", workflow.DefaultVersion, 1) >= 1 {
		var err error
		// The deployment was queued before this workflow started: it may
		// have ended already, so its record is read first.
		if out, _, err = awaitEnd(ctx, in.DeploymentID, true, func() bool { return false }, nil); err != nil {
			return "", err
		}
	} else {
		var o activities.DeploymentOutcome
		err := workflow.ExecuteActivity(workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
			StartToCloseTimeout: 30 * 24 * time.Hour, HeartbeatTimeout: 30 * time.Second, Summary: "await deployment " + in.DeploymentID,
			RetryPolicy: &temporal.RetryPolicy{NonRetryableErrorTypes: []string{activities.ErrTypeGone}},
		}), act.Previews.AwaitDeployment, activities.DeploymentRef{DeploymentID: in.DeploymentID}).Get(ctx, &o)
		if err != nil {
			return "", err
		}
		out = Ended{DeploymentID: in.DeploymentID, Status: o.Status, Reason: o.Reason}
	}
	state, desc := "success", in.App+" deployed"
	// Commit statuses and pull request comments may be public: a failure
	// is named, its reason (build output, container logs) stays in Rivetr.
	if out.Status != release.StatusSucceeded {
		state, desc = "failure", in.App+" "+words(out.Status)+publicDetails
	}
	return state, report(state, desc)
}

// publicDetails ends what Rivetr posts on the git host about a failure:
// where the reason is, not the reason.
const publicDetails = "; the reason is in Rivetr (rivetr deployments show, or the app's deployments page)"

// words is a status as a person writes it ("rolled back").
func words(s release.Status) string { return strings.ReplaceAll(string(s), "_", " ") }
