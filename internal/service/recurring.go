package service

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"

	"github.com/rivetr/rivetr/activities"
	"github.com/rivetr/rivetr/internal/egress"
	"github.com/rivetr/rivetr/internal/gitsrc"
	"github.com/rivetr/rivetr/internal/ids"
	"github.com/rivetr/rivetr/internal/release"
	"github.com/rivetr/rivetr/schema"
	"github.com/rivetr/rivetr/workflows"
)

// TriggerSchedule marks deployments a recurring deploy started.
const TriggerSchedule = "schedule"

// RecurringInput creates a recurring deploy: a cron expression (in TZ,
// default UTC) or a fixed interval (Every, at least a minute).
type RecurringInput struct {
	Cron  string            `json:"cron,omitempty"`
	TZ    string            `json:"tz,omitempty"`
	Every *release.Duration `json:"every,omitempty"`
}

// MinRecurringInterval is the shortest interval of a recurring deploy.
var MinRecurringInterval = time.Minute

// CreateRecurring adds a recurring deploy of an app's branch head, kept as
// a Temporal Schedule.
func (s *Deploys) createRecurring(ctx context.Context, appName string, in RecurringInput) (*schema.RecurringDeploy, error) {
	app, a, err := s.authorizeApp(ctx, appName, release.PermDeploy)
	if err != nil {
		return nil, err
	}
	r := &schema.RecurringDeploy{ID: ids.New(), AppID: app.ID, TeamID: app.TeamID, CreatedBy: a.Who(), CreatedByID: a.UserID}
	spec := client.ScheduleSpec{}
	switch {
	case in.Cron != "" && in.Every != nil:
		return nil, &ValidationError{Fields: map[string]string{"cron": "give a cron expression or an interval, not both"}}
	case in.Cron != "":
		r.Cron, r.TZ = strings.TrimSpace(in.Cron), strings.TrimSpace(in.TZ)
		if r.TZ == "" {
			r.TZ = "UTC"
		}
		if _, _, err := release.ParseCron(r.Cron, r.TZ); err != nil {
			return nil, &ValidationError{Fields: map[string]string{"cron": err.Error()}}
		}
		spec.CronExpressions, spec.TimeZoneName = []string{r.Cron}, r.TZ
	case in.Every != nil:
		if in.Every.D() < MinRecurringInterval {
			return nil, &ValidationError{Fields: map[string]string{"every": "must be at least " + MinRecurringInterval.String()}}
		}
		r.Every = *in.Every
		spec.Intervals = []client.ScheduleIntervalSpec{{Every: in.Every.D()}}
	default:
		return nil, &ValidationError{Fields: map[string]string{"cron": "give a cron expression (e.g. 0 3 * * *) or an interval"}}
	}
	if err := s.store.CreateRecurring(ctx, r); err != nil {
		return nil, err
	}
	_, err = s.temporal.ScheduleClient().Create(ctx, client.ScheduleOptions{
		ID:      workflows.RecurringID(app.Name, r.ID),
		Spec:    spec,
		Overlap: enumspb.SCHEDULE_OVERLAP_POLICY_SKIP,
		Action: &client.ScheduleWorkflowAction{
			ID: "recurring-run/" + app.Name + "/" + r.ID, Workflow: workflows.RecurringName, TaskQueue: workflows.TaskQueue,
			Args: []any{activities.RecurringInput{AppID: app.ID, Recurring: r.ID}},
		},
		Memo: map[string]any{"app": app.Name},
	})
	if err != nil {
		_ = s.store.DeleteRecurring(context.WithoutCancel(ctx), app.ID, r.ID)
		return nil, fmt.Errorf("create the schedule: %w: %v", ErrUnavailable, err)
	}
	s.audit(ctx, AuditRecurringCreate, app.TeamID, app.Name, nil, map[string]any{"id": r.ID, "cron": r.Cron, "tz": r.TZ, "every": r.Every.D().String()})
	return r, nil
}

// ListRecurring returns an app's recurring deploys.
func (s *Deploys) listRecurring(ctx context.Context, appName string) ([]schema.RecurringDeploy, error) {
	app, _, err := s.authorizeApp(ctx, appName, release.PermRead)
	if err != nil {
		return nil, err
	}
	rs, err := s.store.ListRecurring(ctx, app.ID)
	if rs == nil {
		rs = []schema.RecurringDeploy{}
	}
	return rs, err
}

// DeleteRecurring stops a recurring deploy and removes its schedule.
func (s *Deploys) DeleteRecurring(ctx context.Context, appName, id string) error {
	app, _, err := s.authorizeApp(ctx, appName, release.PermDeploy)
	if err != nil {
		return err
	}
	if err := s.store.DeleteRecurring(ctx, app.ID, id); err != nil {
		return err
	}
	if err := s.deleteSchedule(ctx, app.Name, id); err != nil {
		return err
	}
	s.audit(ctx, AuditRecurringDelete, app.TeamID, app.Name, map[string]any{"id": id}, nil)
	return nil
}

func (s *core) deleteSchedule(ctx context.Context, app, id string) error {
	err := s.temporal.ScheduleClient().GetHandle(ctx, workflows.RecurringID(app, id)).Delete(ctx)
	var nf *serviceerror.NotFound
	if err != nil && !errors.As(err, &nf) {
		return fmt.Errorf("delete the schedule: %w: %v", ErrUnavailable, err)
	}
	return nil
}

// DeployFromSchedule deploys an app's branch head for a recurring deploy:
// resolved now, recorded with trigger schedule, handed to the app's queue.
// It needs no caller: the schedule was authorized when it was made.
func DeployFromSchedule(ctx context.Context, tc client.Client, store *schema.Store, out *egress.Policy, appID, recurringID string) (string, error) {
	app, err := store.GetApp(ctx, appID)
	if err != nil {
		return "", err
	}
	// Its deploys are asked for by whoever set it up.
	by, byID := "recurring deploy "+recurringID, ""
	if r, err := store.GetRecurring(ctx, recurringID); err == nil {
		by, byID = fmt.Sprintf("recurring deploy %s (set up by %s)", recurringID, r.CreatedBy), r.CreatedByID
		if byID == "" && r.CreatedBy == "admin token" {
			byID = release.AdminTokenApprover // the admin token asks
		}
	}
	commit, err := branchHead(ctx, store, out, app)
	if err != nil {
		return "", err
	}
	d := &schema.Deployment{
		ID: ids.New(), AppID: app.ID, AppName: app.Name, Kind: release.KindDeploy,
		Trigger: TriggerSchedule, Status: release.StatusQueued, Step: release.StepQueued,
		Branch: app.Branch, CommitSHA: commit, RequestedBy: by, RequestedByID: byID,
	}
	d.WorkflowID = workflows.DeployID(app.Name, d.ID)
	if err = recordRelease(ctx, store, app, d); err != nil {
		return "", err
	}
	if err := store.CreateDeployment(ctx, d); err != nil {
		return "", err
	}
	return d.ID, signalQueue(ctx, tc, store, app, d)
}

// CreateRecurring is createRecurring with the records as the API answers them.
func (s *Deploys) CreateRecurring(ctx context.Context, appName string, in RecurringInput) (*RecurringDeploy, error) {
	v, err := s.createRecurring(ctx, appName, in)
	return optional(v, recurringDeployOf), err
}

// ListRecurring is listRecurring with the records as the API answers them.
func (s *Deploys) ListRecurring(ctx context.Context, appName string) ([]RecurringDeploy, error) {
	v, err := s.listRecurring(ctx, appName)
	return each(v, recurringDeployOf), err
}

// branchHead is the commit a deploy of app's branch builds: "" for an app
// without a repository (its pasted compose file is the release).
func branchHead(ctx context.Context, store *schema.Store, out *egress.Policy, app *schema.App) (string, error) {
	if app.ComposeInline != "" {
		return "", nil
	}
	token, sshKey, err := store.AppCredentials(app)
	if err != nil {
		return "", err
	}
	rctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	commit, err := gitsrc.ResolveBranch(rctx, app.GitURL, app.Branch, gitsrc.Auth{Token: token, SSHKey: sshKey, Egress: out})
	if err != nil {
		return "", fmt.Errorf("cannot read branch %s of %s: %w", app.Branch, app.GitURL, err)
	}
	return commit, nil
}
