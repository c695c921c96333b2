package workflows

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"go.temporal.io/sdk/testsuite"

	"github.com/rivetr/rivetr/activities"
	"github.com/rivetr/rivetr/internal/release"
	"github.com/rivetr/rivetr/internal/secrets"
)

// gated is a deploy env whose app needs needed approvals from u-alice,
// u-bob or u-carol; u-dave asked for the deploy and is an approver too.
func gated(t *testing.T, kind release.Kind, needed int, allowSelf bool, own ...string) (*deploySuite, *decisions) {
	return gatedBy(t, kind, needed, allowSelf, activities.ApprovalGate{RequesterID: "u-dave", Requester: "dave@example.com"}, own...)
}

// gatedBy is gated with the requester fields of who.
func gatedBy(t *testing.T, kind release.Kind, needed int, allowSelf bool, who activities.ApprovalGate, own ...string) (*deploySuite, *decisions) {
	s := newDeployEnv(t, kind, append(own, "Prepare")...)
	p := plan(kind)
	p.Approvers = []string{"u-alice", "u-bob", "u-carol", "u-dave"}
	p.Approval = &activities.ApprovalGate{Needed: needed, AllowSelf: allowSelf, TTL: 24 * time.Hour, RequesterID: who.RequesterID, Requester: who.Requester,
		RequesterEmail: who.RequesterEmail, Approvers: p.Approvers}
	s.env.OnActivity(act.Records.Prepare, mock.Anything, mock.Anything).Return(p, nil)
	dec := &decisions{}
	s.env.OnActivity(act.Records.Decide, mock.Anything, mock.Anything).Return(dec.add)
	s.env.OnActivity(act.Host.HealthCheck, mock.Anything, mock.Anything).Return(nil).Maybe()
	s.env.OnActivity(act.Host.Switch, mock.Anything, mock.Anything).Return(&activities.SwitchResult{Previous: "d1"}, nil).Maybe()
	return s, dec
}

type decisions struct {
	mu  sync.Mutex
	all []activities.DecideInput
}

func (d *decisions) add(_ context.Context, in activities.DecideInput) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.all = append(d.all, in)
	return nil
}

// outcome collects what one update returned or why it was refused.
type outcome struct {
	accepted bool
	refused  string
	state    GateState
	err      error
}

func (s *deploySuite) update(at time.Duration, name, id string, d Decision) *outcome {
	o := &outcome{}
	s.env.RegisterDelayedCallback(func() {
		s.env.UpdateWorkflow(name, id, &testsuite.TestUpdateCallback{
			OnAccept: func() { o.accepted = true },
			OnReject: func(err error) { o.refused = err.Error() },
			OnComplete: func(v any, err error) {
				if st, ok := v.(GateState); ok {
					o.state = st
				}
				o.err = err
			},
		}, d)
	}, at)
	return o
}

func alice(comment string) Decision {
	return Decision{ApproverID: "u-alice", Approver: "alice@example.com", Comment: comment}
}
func bob() Decision     { return Decision{ApproverID: "u-bob", Approver: "bob@example.com"} }
func dave() Decision    { return Decision{ApproverID: "u-dave", Approver: "dave@example.com"} }
func mallory() Decision { return Decision{ApproverID: "u-mallory", Approver: "mallory@example.com"} }

func (s *deploySuite) result(t *testing.T) Result {
	t.Helper()
	if err := s.env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	var res Result
	if err := s.env.GetWorkflowResult(&res); err != nil {
		t.Fatal(err)
	}
	return res
}

func TestApprovalGranted(t *testing.T) {
	s, dec := gated(t, release.KindDeploy, 2, false)
	self := s.update(time.Minute, UpdateApprove, "u1", dave())
	stranger := s.update(2*time.Minute, UpdateApprove, "u2", mallory())
	first := s.update(3*time.Minute, UpdateApprove, "u3", alice("looks good"))
	again := s.update(4*time.Minute, UpdateApprove, "u4", alice(""))
	second := s.update(5*time.Hour, UpdateApprove, "u5", bob())
	late := s.update(6*time.Hour, UpdateApprove, "u6", Decision{ApproverID: "u-carol", Approver: "carol@example.com"})
	s.env.ExecuteWorkflow(DeployWorkflow, DeployInput{DeploymentID: "d2", HostQueue: "rivetr.host.h1"})
	if res := s.result(t); res.Status != release.StatusSucceeded {
		t.Fatalf("result %+v", res)
	}
	for name, o := range map[string]*outcome{"self": self, "stranger": stranger, "double": again} {
		if o.accepted || o.refused == "" {
			t.Errorf("%s approval was not refused: %+v", name, o)
		}
	}
	if !strings.Contains(self.refused, "someone else must approve") || !strings.Contains(stranger.refused, "approver permission") ||
		!strings.Contains(again.refused, "already approved") {
		t.Errorf("refusals: %q / %q / %q", self.refused, stranger.refused, again.refused)
	}
	if !first.accepted || first.state.Status != release.StatusAwaitingApproval || len(first.state.Approvals) != 1 {
		t.Errorf("first approval: %+v", first)
	}
	if !second.accepted || second.state.Status != GateApproved {
		t.Errorf("second approval: %+v", second)
	}
	// The workflow finished before the late update: it is not delivered.
	if late.accepted {
		t.Errorf("an approval after the gate closed was accepted: %+v", late)
	}
	if len(dec.all) != 2 || dec.all[0].Comment != "looks good" || dec.all[1].ApproverID != "u-bob" {
		t.Errorf("decisions recorded: %+v", dec.all)
	}
	if steps := s.rec.steps(); steps[0] != release.StepApproval || steps[1] != release.StepSource {
		t.Errorf("steps %v", steps)
	}
	if w := s.rec.trans[0]; w.Status != release.StatusAwaitingApproval || w.WaitingUntil == nil {
		t.Errorf("first transition %+v", w)
	}
}

func TestApprovalRejected(t *testing.T) {
	s, dec := gated(t, release.KindDeploy, 1, false)
	no := s.update(10*time.Minute, UpdateReject, "r1", alice("not during the sale"))
	s.env.ExecuteWorkflow(DeployWorkflow, DeployInput{DeploymentID: "d2", HostQueue: "rivetr.host.h1"})
	res := s.result(t)
	if res.Status != release.StatusRejected || res.Reason != "rejected by alice@example.com: not during the sale" {
		t.Fatalf("result %+v", res)
	}
	if !no.accepted || len(dec.all) != 1 || dec.all[0].Decision != "reject" {
		t.Fatalf("reject: %+v %+v", no, dec.all)
	}
	if f := s.rec.final(); f.Status != release.StatusRejected || !f.ClearWaiting {
		t.Fatalf("final %+v", f)
	}
	s.env.AssertNotCalled(t, "FetchSource", mock.Anything, mock.Anything)
	s.env.AssertNotCalled(t, "Cleanup", mock.Anything, mock.Anything)
}

// Nobody approves: a day passes in milliseconds and the deploy expires.
func TestApprovalExpires(t *testing.T) {
	s, _ := gated(t, release.KindDeploy, 1, false)
	start := time.Now()
	s.env.ExecuteWorkflow(DeployWorkflow, DeployInput{DeploymentID: "d2", HostQueue: "rivetr.host.h1"})
	res := s.result(t)
	if res.Status != release.StatusExpired || !strings.Contains(res.Reason, "nobody approved it within 24h0m0s") {
		t.Fatalf("result %+v", res)
	}
	if time.Since(start) > 10*time.Second {
		t.Fatal("the test waited in real time")
	}
	s.env.AssertNotCalled(t, "FetchSource", mock.Anything, mock.Anything)
}

// Rollbacks meet the same gate; with self-approval allowed the requester
// may approve.
func TestRollbackMeetsTheGate(t *testing.T) {
	s, _ := gated(t, release.KindRollback, 1, true)
	ok := s.update(time.Minute, UpdateApprove, "a1", dave())
	s.env.ExecuteWorkflow(RollbackWorkflow, RollbackInput{DeploymentID: "d2", HostQueue: "rivetr.host.h1"})
	if res := s.result(t); res.Status != release.StatusSucceeded {
		t.Fatalf("result %+v", res)
	}
	if !ok.accepted || ok.state.Status != GateApproved {
		t.Fatalf("self-approval with allow_self: %+v", ok)
	}
	if steps := s.rec.steps(); steps[0] != release.StepApproval {
		t.Fatalf("steps %v", steps)
	}
}

// Cancelling a deploy that waits for approval ends it cancelled.
func TestCancelWhileAwaitingApproval(t *testing.T) {
	s, _ := gated(t, release.KindDeploy, 1, false)
	s.env.OnActivity(act.Host.Cleanup, mock.Anything, mock.Anything).Return(nil)
	s.env.RegisterDelayedCallback(s.env.CancelWorkflow, time.Hour)
	s.env.ExecuteWorkflow(DeployWorkflow, DeployInput{DeploymentID: "d2", HostQueue: "rivetr.host.h1"})
	if f := s.rec.final(); f.Status != release.StatusCancelled {
		t.Fatalf("final %+v", f)
	}
	s.env.AssertNotCalled(t, "FetchSource", mock.Anything, mock.Anything)
}

// Attack: a push by someone without an account here, or with no known
// identity at all, approved by its own pusher. A pusher known by email
// cannot approve under that email; a deployment nobody knows the
// requester of cannot be approved while self-approval is off.
func TestApprovalKnowsWhoAsked(t *testing.T) {
	t.Run("pusher known by email", func(t *testing.T) {
		s, _ := gatedBy(t, release.KindDeploy, 1, false, activities.ApprovalGate{Requester: "github push by dave", RequesterEmail: "dave@example.com"})
		self := s.update(time.Minute, UpdateApprove, "u1", dave())
		other := s.update(2*time.Minute, UpdateApprove, "u2", alice(""))
		s.env.ExecuteWorkflow(DeployWorkflow, DeployInput{DeploymentID: "d2", HostQueue: "rivetr.host.h1"})
		if res := s.result(t); res.Status != release.StatusSucceeded {
			t.Fatalf("result %+v", res)
		}
		if self.accepted || !strings.Contains(self.refused, "someone else must approve") || !other.accepted {
			t.Fatalf("self %+v, other %+v", self, other)
		}
	})
	t.Run("nobody knows who asked", func(t *testing.T) {
		s, _ := gatedBy(t, release.KindDeploy, 1, false, activities.ApprovalGate{Requester: "bitbucket push by unknown"})
		o := s.update(time.Minute, UpdateApprove, "u1", alice(""))
		s.env.ExecuteWorkflow(DeployWorkflow, DeployInput{DeploymentID: "d2", HostQueue: "rivetr.host.h1"})
		if res := s.result(t); res.Status != release.StatusExpired {
			t.Fatalf("result %+v", res)
		}
		if o.accepted || !strings.Contains(o.refused, "nobody knows who asked") || !strings.Contains(o.refused, "--commit") {
			t.Fatalf("approval %+v", o)
		}
	})
	t.Run("nobody knows, self-approval allowed", func(t *testing.T) {
		s, _ := gatedBy(t, release.KindDeploy, 1, true, activities.ApprovalGate{Requester: "bitbucket push by unknown"})
		o := s.update(time.Minute, UpdateApprove, "u1", alice(""))
		s.env.ExecuteWorkflow(DeployWorkflow, DeployInput{DeploymentID: "d2", HostQueue: "rivetr.host.h1"})
		if res := s.result(t); res.Status != release.StatusSucceeded || !o.accepted {
			t.Fatalf("result %+v, approval %+v", res, o)
		}
	})
}

// Attack: someone who reaches Temporal without Rivetr's API (the frontend's
// token, the Temporal UI with write actions) sends approve updates naming
// an approver. Unsigned, signed for another deployment, or with a changed
// approver, they are refused; the server's signed decision is taken.
func TestForgedDecisionsAreRefused(t *testing.T) {
	keys, err := secrets.New(secrets.Generate())
	if err != nil {
		t.Fatal(err)
	}
	VerifyDecisionsWith(func(msg, sig string) bool { return keys.Verify(msg, "workflow decision", sig) })
	t.Cleanup(func() { VerifyDecisionsWith(nil) })
	signed := func(deployment string, d Decision) Decision {
		d.Signature, _ = keys.Sign(DecisionMessage(deployment, UpdateApprove, d), "workflow decision")
		return d
	}
	s, dec := gated(t, release.KindDeploy, 1, false)
	unsignedOne := s.update(time.Minute, UpdateApprove, "f1", alice("trust me"))
	elsewhere := s.update(2*time.Minute, UpdateApprove, "f2", signed("d9", alice("")))
	swapped := signed("d2", alice(""))
	swapped.ApproverID = "u-bob"
	changed := s.update(3*time.Minute, UpdateApprove, "f3", swapped)
	real := s.update(4*time.Minute, UpdateApprove, "f4", signed("d2", bob()))
	s.env.ExecuteWorkflow(DeployWorkflow, DeployInput{DeploymentID: "d2", HostQueue: "rivetr.host.h1"})
	if res := s.result(t); res.Status != release.StatusSucceeded {
		t.Fatalf("result %+v", res)
	}
	for name, o := range map[string]*outcome{"unsigned": unsignedOne, "signed for another deployment": elsewhere, "approver changed": changed} {
		if o.accepted || !strings.Contains(o.refused, "does not carry the Rivetr server's signature") {
			t.Errorf("%s: %+v", name, o)
		}
	}
	if !real.accepted || len(dec.all) != 1 || dec.all[0].ApproverID != "u-bob" {
		t.Fatalf("the signed decision: %+v, recorded %+v", real, dec.all)
	}
}
