package workflows

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"

	"github.com/rivetr/rivetr/activities"
	"github.com/rivetr/rivetr/internal/release"
)

// frozenFor mocks FreezeCheck: a window from the workflow's start for d
// (with policy), then nothing.
func frozenFor(s *deploySuite, d time.Duration, policy release.FreezePolicy) {
	start := s.env.Now()
	s.env.OnActivity(act.Records.FreezeCheck, mock.Anything, mock.Anything).Return(func(context.Context, activities.FreezeInput) (*activities.FreezeStatus, error) {
		end := start.Add(d)
		if s.env.Now().Before(end) {
			return &activities.FreezeStatus{Active: true, Until: end, Reason: "holiday", Policy: policy, WindowID: "f1"}, nil
		}
		return &activities.FreezeStatus{}, nil
	})
}

// A 3-day freeze passes in milliseconds; then the deploy runs.
func TestFreezeWaitsItOut(t *testing.T) {
	s := newDeployEnv(t, release.KindDeploy, "FreezeCheck")
	frozenFor(s, 72*time.Hour, release.FreezeWait)
	s.env.OnActivity(act.Host.HealthCheck, mock.Anything, mock.Anything).Return(nil)
	s.env.OnActivity(act.Host.Switch, mock.Anything, mock.Anything).Return(&activities.SwitchResult{Previous: "d1"}, nil)
	start := time.Now()
	s.env.ExecuteWorkflow(DeployWorkflow, DeployInput{DeploymentID: "d2", HostQueue: "rivetr.host.h1"})
	if res := s.result(t); res.Status != release.StatusSucceeded {
		t.Fatalf("result %+v", res)
	}
	if time.Since(start) > 10*time.Second {
		t.Fatal("the freeze took real time")
	}
	if tr := s.rec.trans[0]; tr.Status != release.StatusFrozen || tr.WaitingUntil == nil || !strings.Contains(tr.Message, "holiday") {
		t.Fatalf("first transition %+v", tr)
	}
	if steps := s.rec.steps(); steps[0] != release.StepFreeze || steps[1] != release.StepSource {
		t.Fatalf("steps %v", steps)
	}
}

func TestFreezeRejectPolicy(t *testing.T) {
	s := newDeployEnv(t, release.KindDeploy, "FreezeCheck")
	frozenFor(s, time.Hour, release.FreezeReject)
	s.env.ExecuteWorkflow(DeployWorkflow, DeployInput{DeploymentID: "d2", HostQueue: "rivetr.host.h1"})
	res := s.result(t)
	if res.Status != release.StatusRejected || !strings.HasPrefix(res.Reason, "refused, frozen until") {
		t.Fatalf("result %+v", res)
	}
	s.env.AssertNotCalled(t, "FetchSource", mock.Anything, mock.Anything)
}

// A freeze that begins while the deploy waits for approval still holds
// after the approval; an approver overrides it with a reason.
func TestFreezeAfterApprovalAndOverride(t *testing.T) {
	s, dec := gated(t, release.KindDeploy, 1, false, "FreezeCheck")
	// The window starts 2h in and lasts 3 days.
	start := s.env.Now()
	s.env.OnActivity(act.Records.FreezeCheck, mock.Anything, mock.Anything).Return(func(context.Context, activities.FreezeInput) (*activities.FreezeStatus, error) {
		from, until := start.Add(2*time.Hour), start.Add(2*time.Hour+72*time.Hour)
		if now := s.env.Now(); !now.Before(from) && now.Before(until) {
			return &activities.FreezeStatus{Active: true, Until: until, Reason: "release freeze", Policy: release.FreezeWait}, nil
		}
		return &activities.FreezeStatus{}, nil
	})
	approve := s.update(3*time.Hour, UpdateApprove, "a1", alice(""))
	noReason := s.update(4*time.Hour, UpdateOverride, "o1", bob())
	stranger := s.update(5*time.Hour, UpdateOverride, "o2", Decision{ApproverID: "u-mallory", Approver: "mallory@example.com", Comment: "please"})
	override := s.update(6*time.Hour, UpdateOverride, "o3", Decision{ApproverID: "u-bob", Approver: "bob@example.com", Comment: "security fix"})
	s.env.ExecuteWorkflow(DeployWorkflow, DeployInput{DeploymentID: "d2", HostQueue: "rivetr.host.h1"})
	if res := s.result(t); res.Status != release.StatusSucceeded {
		t.Fatalf("result %+v", res)
	}
	if !approve.accepted || noReason.accepted || !strings.Contains(noReason.refused, "needs a reason") ||
		stranger.accepted || !strings.Contains(stranger.refused, "approver permission") || !override.accepted {
		t.Fatalf("approve %+v / no reason %+v / stranger %+v / override %+v", approve, noReason, stranger, override)
	}
	if len(dec.all) != 2 || dec.all[1].Decision != "override" || dec.all[1].Comment != "security fix" {
		t.Fatalf("decisions %+v", dec.all)
	}
	var sawFrozen bool
	for _, tr := range s.rec.trans {
		if tr.Status == release.StatusFrozen {
			sawFrozen = true
		}
	}
	if !sawFrozen {
		t.Fatal("the deploy never waited for the freeze")
	}
}

// Rollbacks pass freezes that do not block them (FreezeCheck says so).
func TestFreezeInactiveForRollback(t *testing.T) {
	s := newDeployEnv(t, release.KindRollback)
	s.env.OnActivity(act.Host.HealthCheck, mock.Anything, mock.Anything).Return(nil)
	s.env.OnActivity(act.Host.Switch, mock.Anything, mock.Anything).Return(&activities.SwitchResult{Previous: "d3"}, nil)
	s.env.ExecuteWorkflow(RollbackWorkflow, RollbackInput{DeploymentID: "d2", HostQueue: "rivetr.host.h1"})
	if res := s.result(t); res.Status != release.StatusSucceeded {
		t.Fatalf("result %+v", res)
	}
}
