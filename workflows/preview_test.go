package workflows

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"

	"github.com/rivetr/rivetr/activities"
	"github.com/rivetr/rivetr/internal/release"
)

// previewSuite mocks a preview's activities and records what it did.
type previewSuite struct {
	env      *testsuite.TestWorkflowEnvironment
	mu       sync.Mutex
	comments []string
	deploys  []activities.PreviewDeployInput
	deleted  []DeleteAppInput
	cancels  []string
	inflight []string
	// awaitDelay is how long after its event a preview's deployment ends
	// (the queue's SignalEnded).
	awaitDelay time.Duration
}

const sha1, sha2 = "1111111111111111111111111111111111111111", "2222222222222222222222222222222222222222"

func newPreviewSuite(t *testing.T, awaitDelay time.Duration) *previewSuite {
	var suite testsuite.WorkflowTestSuite
	s := &previewSuite{env: suite.NewTestWorkflowEnvironment(), awaitDelay: awaitDelay}
	env := s.env
	registerActivities(env)
	env.RegisterWorkflowWithOptions(DeleteAppWorkflow, workflow.RegisterOptions{Name: DeleteAppName})
	env.OnActivity(act.Previews.EnsurePreview, mock.Anything, mock.Anything).Return(&activities.PreviewApp{ID: "p1", Name: "web-pr-7", Host: "pr-7.web.preview.test", TTL: 72 * time.Hour}, nil)
	env.OnActivity(act.Reports.Comment, mock.Anything, mock.Anything).Return(func(_ context.Context, in activities.CommentInput) (string, error) {
		s.mu.Lock()
		defer s.mu.Unlock()
		s.comments = append(s.comments, in.Body)
		if in.CommentID == "" {
			return "c1", nil
		}
		if in.CommentID != "c1" {
			return "", errors.New("edited a comment that does not exist")
		}
		return in.CommentID, nil
	})
	env.OnActivity(act.Starts.PreviewDeploy, mock.Anything, mock.Anything).Return(func(_ context.Context, in activities.PreviewDeployInput) (string, error) {
		s.mu.Lock()
		defer s.mu.Unlock()
		s.deploys = append(s.deploys, in)
		return "d" + in.Commit[:1], nil
	})
	env.OnActivity(act.Previews.Outcome, mock.Anything, mock.Anything).Return(&activities.DeploymentOutcome{Status: release.StatusBuilding}, nil)
	env.OnActivity(act.Previews.FindPreview, mock.Anything, mock.Anything).Return(&activities.PreviewApp{ID: "p1", Name: "web-pr-7"}, nil)
	env.OnActivity(act.Previews.InFlight, mock.Anything, mock.Anything).Return(func(context.Context, activities.AppRef) ([]string, error) {
		s.mu.Lock()
		defer s.mu.Unlock()
		return s.inflight, nil
	})
	env.OnWorkflow(DeleteAppName, mock.Anything, mock.Anything).Return(func(_ workflow.Context, in DeleteAppInput) error {
		s.mu.Lock()
		defer s.mu.Unlock()
		s.deleted = append(s.deleted, in)
		return nil
	})
	env.OnSignalExternalWorkflow(mock.Anything, "app/web-pr-7", "", SignalCancel, mock.Anything).Return(func(_, _, _, _ string, arg any) error {
		s.mu.Lock()
		defer s.mu.Unlock()
		c := arg.(CancelRequest)
		s.cancels = append(s.cancels, c.DeploymentID)
		if c.ReplyTo != "" {
			// The queue replies once the cancelled deployment has ended.
			s.env.SignalWorkflow(SignalEnded, Ended{DeploymentID: c.DeploymentID, Status: release.StatusCancelled})
		}
		return nil
	})
	return s
}

// signal sends e at at; for an open or update, the queue says
// awaitDelay later that its deployment ("d" and the head's first digit)
// succeeded.
func (s *previewSuite) signal(at time.Duration, e PREvent) {
	s.env.RegisterDelayedCallback(func() { s.env.SignalWorkflow(SignalPR, e) }, at)
	if e.Action != PRClose {
		id := "d" + e.HeadSHA[:1]
		s.env.RegisterDelayedCallback(func() {
			s.env.SignalWorkflow(SignalEnded, Ended{DeploymentID: id, Status: release.StatusSucceeded})
		}, at+s.awaitDelay)
	}
}

func (s *previewSuite) run(t *testing.T, in PreviewInput) string {
	t.Helper()
	s.env.ExecuteWorkflow(PreviewWorkflow, in)
	if err := s.env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	var res string
	s.env.GetWorkflowResult(&res)
	return res
}

var previewIn = PreviewInput{ParentID: "a1", App: "web", PR: 7, Provider: "github", Repo: "acme/web", HostQueue: "rivetr.host.h1"}

// Opened, then idle: after its TTL (72 h, passed in milliseconds) the
// preview is removed and the comment says so; a redelivery is dropped.
func TestPreviewTTLExpiry(t *testing.T) {
	s := newPreviewSuite(t, time.Minute)
	open := PREvent{Action: PROpen, HeadSHA: sha1, Ref: "feature", DeliveryID: "dl-1", Author: "mona"}
	s.signal(0, open)
	s.signal(10*time.Minute, open) // redelivered
	start := s.env.Now()
	res := s.run(t, previewIn)
	if res != "removed: idle for 72h0m0s" {
		t.Fatalf("result %q", res)
	}
	if got := s.env.Now().Sub(start); got < 72*time.Hour {
		t.Fatalf("removed after %s", got)
	}
	if len(s.deploys) != 1 || s.deploys[0].Commit != sha1 || s.deploys[0].WorkflowID != "deploy/web-pr-7/github-dl-1" {
		t.Fatalf("deploys %+v", s.deploys)
	}
	if len(s.comments) != 3 || !strings.Contains(s.comments[1], "is ready: http://pr-7.web.preview.test/") || s.comments[2] != "**Rivetr preview** removed: idle for 72h0m0s." {
		t.Fatalf("comments %q", s.comments)
	}
	if len(s.deleted) != 1 || s.deleted[0].AppID != "p1" || s.deleted[0].HostQueue != "rivetr.host.h1" {
		t.Fatalf("deleted %+v", s.deleted)
	}
}

// Closed while its deployment runs: the deployment is cancelled through
// the preview's queue, the preview deleted, nothing reported as ready.
func TestPreviewClosedDuringDeploy(t *testing.T) {
	s := newPreviewSuite(t, 10*time.Hour)
	s.inflight = []string{"d1"}
	s.signal(0, PREvent{Action: PROpen, HeadSHA: sha1, Ref: "feature", DeliveryID: "dl-1"})
	s.signal(time.Hour, PREvent{Action: PRClose, Merged: true, DeliveryID: "dl-2"})
	start := s.env.Now()
	res := s.run(t, previewIn)
	if res != "removed: the pull request was merged" || s.env.Now().Sub(start) > 2*time.Hour {
		t.Fatalf("result %q after %s", res, s.env.Now().Sub(start))
	}
	if len(s.cancels) != 1 || s.cancels[0] != "d1" || len(s.deleted) != 1 {
		t.Fatalf("cancels %v, deleted %v", s.cancels, s.deleted)
	}
	for _, c := range s.comments {
		if strings.Contains(c, "is ready") {
			t.Fatalf("a ready comment for a closed preview: %q", s.comments)
		}
	}
}

// A new commit while the previous one deploys: the newer head deploys and
// the comment is edited in place, never duplicated.
func TestPreviewUpdatedMidDeploy(t *testing.T) {
	s := newPreviewSuite(t, 30*time.Minute)
	s.signal(0, PREvent{Action: PROpen, HeadSHA: sha1, Ref: "feature", DeliveryID: "dl-1"})
	s.signal(10*time.Minute, PREvent{Action: PRUpdate, HeadSHA: sha2, Ref: "feature", DeliveryID: "dl-2"})
	s.signal(5*time.Hour, PREvent{Action: PRClose, DeliveryID: "dl-3"})
	s.run(t, previewIn)
	if len(s.deploys) != 2 || s.deploys[1].Commit != sha2 {
		t.Fatalf("deploys %+v", s.deploys)
	}
	ready := 0
	for _, c := range s.comments {
		if strings.Contains(c, "is ready") {
			ready++
			if !strings.Contains(c, sha2[:12]) {
				t.Fatalf("ready for the old head: %q", c)
			}
		}
	}
	if ready != 1 {
		t.Fatalf("comments %q", s.comments)
	}
}

// After previewHistoryLimit events the workflow continues as new, handing
// over the preview, the comment and the seen deliveries.
func TestPreviewContinuesAsNew(t *testing.T) {
	defer func(n int) { previewHistoryLimit = n }(previewHistoryLimit)
	previewHistoryLimit = 2
	s := newPreviewSuite(t, time.Minute)
	s.signal(0, PREvent{Action: PROpen, HeadSHA: sha1, Ref: "feature", DeliveryID: "dl-1"})
	s.signal(10*time.Minute, PREvent{Action: PRUpdate, HeadSHA: sha2, Ref: "feature", DeliveryID: "dl-2"})
	s.env.ExecuteWorkflow(PreviewWorkflow, previewIn)
	err := s.env.GetWorkflowError()
	var can *workflow.ContinueAsNewError
	if !errors.As(err, &can) {
		t.Fatalf("want continue-as-new, got %v", err)
	}
	var next PreviewInput
	if err := decodeArg(can, &next); err != nil {
		t.Fatal(err)
	}
	if next.State.Preview == nil || next.State.CommentID != "c1" || next.State.HeadSHA != sha2 || len(next.State.Seen) != 2 || next.PR != 7 {
		t.Fatalf("handed over %+v", next.State)
	}
}

// decodeArg reads the input a continue-as-new hands to the next run.
func decodeArg(can *workflow.ContinueAsNewError, v any) error {
	return converter.GetDefaultDataConverter().FromPayloads(can.Input, v)
}

// Attack: a pull request comment (public on a public repository) must not
// carry a failure's reason: build output and container logs can hold the
// app's secrets. The comment names the failure and where to read it.
func TestPreviewFailureCommentKeepsTheReason(t *testing.T) {
	s := newPreviewSuite(t, time.Minute)
	s.env.RegisterDelayedCallback(func() {
		s.env.SignalWorkflow(SignalPR, PREvent{Action: PROpen, HeadSHA: sha1, Ref: "feature", DeliveryID: "dl-1", Author: "mona"})
	}, 0)
	s.env.RegisterDelayedCallback(func() {
		s.env.SignalWorkflow(SignalEnded, Ended{DeploymentID: "d1", Status: release.StatusFailed, Reason: "start: container exited: DATABASE_URL=postgres://app:hunter2@db/app"})
	}, time.Minute)
	s.run(t, previewIn)
	var failed string
	for _, c := range s.comments {
		if strings.Contains(c, "hunter2") || strings.Contains(c, "DATABASE_URL") {
			t.Fatalf("a comment carries the failure's reason: %q", c)
		}
		if strings.Contains(c, "failed") {
			failed = c
		}
	}
	if !strings.Contains(failed, "deployment `d1`") || !strings.Contains(failed, "the reason is in Rivetr") {
		t.Fatalf("comments %q", s.comments)
	}
}
