package activities

import (
	"context"
	"testing"
	"time"

	"go.temporal.io/sdk/testsuite"

	"github.com/rivetr/rivetr/internal/release"
	"github.com/rivetr/rivetr/internal/testdb"
	"github.com/rivetr/rivetr/schema"
)

// The gates read an app's environment: Prepare combines its approval
// policy with the app's, and FreezeCheck sees its freeze windows (and not
// those of another team's environment of the same name).
func TestGatesReadTheEnvironment(t *testing.T) {
	store, _, _ := testdb.Open(t)
	ctx := context.Background()
	must := fatalOn(t)
	must(store.CreateEnvironment(ctx, &schema.Environment{ID: "e1", TeamID: "t1", Name: "production", RequireApproval: true, ApprovalsNeeded: 2,
		ApprovalTTL: schema.Duration(6 * time.Hour)}))
	app := &schema.App{ID: "a1", Name: "shop", GitURL: "x", Branch: "main", TeamID: "t1", Environment: "production",
		RequireApproval: true, ApprovalsNeeded: 1, AllowSelfApproval: true, ApprovalTTL: schema.Duration(24 * time.Hour)}
	must(store.CreateApp(ctx, app))
	must(store.CreateDeployment(ctx, &schema.Deployment{ID: "d1", AppID: "a1", AppName: "shop", Kind: release.KindDeploy, Status: release.StatusQueued,
		RequestedByID: "u-dev", RequestedBy: "dev@example.com"}))

	var suite testsuite.WorkflowTestSuite
	env := suite.NewTestActivityEnvironment()
	a := &Records{Store: store}
	env.RegisterActivity(a)
	v, err := env.ExecuteActivity(a.Prepare, PrepareInput{DeploymentID: "d1"})
	must(err)
	var p Plan
	must(v.Get(&p))
	if g := p.Approval; g == nil || g.Needed != 2 || g.AllowSelf || g.TTL != 6*time.Hour || g.RequesterID != "u-dev" {
		t.Fatalf("approval gate %+v", g)
	}

	freeze := func() FreezeStatus {
		t.Helper()
		v, err := env.ExecuteActivity(a.FreezeCheck, FreezeInput{DeploymentID: "d1"})
		must(err)
		var st FreezeStatus
		must(v.Get(&st))
		return st
	}
	now := time.Now().UTC()
	from, until := now.Add(-time.Minute), now.Add(3*time.Hour)
	must(store.CreateFreeze(ctx, &schema.FreezeWindow{ID: "w-other", TeamID: "t2", Environment: "production", Reason: "theirs", Start: &from, End: &until, Policy: release.FreezeReject}))
	if st := freeze(); st.Active {
		t.Fatalf("another team's production froze the app: %+v", st)
	}
	must(store.CreateFreeze(ctx, &schema.FreezeWindow{ID: "w-prod", TeamID: "t1", Environment: "production", Reason: "launch", Start: &from, End: &until, Policy: release.FreezeWait}))
	if st := freeze(); !st.Active || st.WindowID != "w-prod" || st.Until.Sub(until).Abs() > time.Second {
		t.Fatalf("the environment's window: %+v", st)
	}
	// Out of the environment, its window no longer applies.
	app.Environment = ""
	must(store.SaveApp(ctx, app))
	if st := freeze(); st.Active {
		t.Fatalf("after leaving the environment: %+v", st)
	}
}

// Attack: a pull request preview runs the parent's secrets, so a developer
// who cannot deploy production unapproved (or during a freeze) opens a
// pull request instead. The preview meets the parent's approval policy and
// environment and is frozen when the parent is; a fork's preview always
// needs an approver, never its own.
func TestPreviewsMeetTheParentsPolicy(t *testing.T) {
	store, _, _ := testdb.Open(t)
	ctx := context.Background()
	must := fatalOn(t)
	parent := &schema.App{ID: "a1", Name: "shop", GitURL: "x", Branch: "main", TeamID: "t1", Environment: "production", Port: 8080,
		RequireApproval: true, ApprovalsNeeded: 2, AllowSelfApproval: true, ApprovalTTL: schema.Duration(time.Hour), PreviewsEnabled: true}
	must(store.CreateApp(ctx, parent))
	var suite testsuite.WorkflowTestSuite
	env := suite.NewTestActivityEnvironment()
	pv := &Previews{Store: store, Domain: "preview.test"}
	rec := &Records{Store: store}
	env.RegisterActivity(pv)
	env.RegisterActivity(rec)
	for _, fork := range []bool{false, true} {
		v, err := env.ExecuteActivity(pv.EnsurePreview, EnsurePreviewInput{ParentID: "a1", PR: 7, Provider: "github", Ref: "feature", Fork: fork})
		must(err)
		var p PreviewApp
		must(v.Get(&p))
		app, err := store.GetApp(ctx, p.ID)
		must(err)
		if !app.RequireApproval || app.ApprovalsNeeded != 2 || app.Environment != "production" || app.AllowSelfApproval == fork {
			t.Fatalf("fork=%v: the preview's policy %+v", fork, app)
		}
	}
	preview, err := store.GetApp(ctx, "shop-pr-7")
	must(err)
	must(store.CreateDeployment(ctx, &schema.Deployment{ID: "d-pr", AppID: preview.ID, AppName: preview.Name, Kind: release.KindDeploy, Status: release.StatusQueued}))
	now := time.Now().UTC()
	from, until := now.Add(-time.Minute), now.Add(time.Hour)
	must(store.CreateFreeze(ctx, &schema.FreezeWindow{ID: "w-shop", TeamID: "t1", AppID: "a1", Reason: "sale", Start: &from, End: &until, Policy: release.FreezeReject}))
	v, err := env.ExecuteActivity(rec.FreezeCheck, FreezeInput{DeploymentID: "d-pr"})
	must(err)
	var st FreezeStatus
	must(v.Get(&st))
	if !st.Active || st.WindowID != "w-shop" {
		t.Fatalf("the parent's freeze does not hold its preview: %+v", st)
	}
}

// fatalOn returns a check that ends the test at the first error.
func fatalOn(t *testing.T) func(error) {
	return func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
}
