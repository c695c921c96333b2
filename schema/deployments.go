package schema

import (
	"context"
	"slices"
	"time"

	"github.com/rivetr/rivetr/internal/release"
	"gorm.io/gorm"
)

// CreateDeployment inserts d.
func (s *Store) CreateDeployment(ctx context.Context, d *Deployment) error {
	return wrap(s.db.WithContext(ctx).Create(d).Error, "deployment "+d.ID)
}

// GetDeployment finds a deployment by ID.
func (s *Store) GetDeployment(ctx context.Context, id string) (*Deployment, error) {
	var d Deployment
	if err := s.db.WithContext(ctx).Where("id = ?", id).First(&d).Error; err != nil {
		return nil, wrap(err, "deployment "+id)
	}
	return &d, nil
}

// DeploymentFilter selects deployments for ListDeployments.
type DeploymentFilter struct {
	AppID string
	// AppIDs limits the list to these apps when not nil.
	AppIDs   []string
	Statuses []release.Status
	Limit    int
}

// ListDeployments returns deployments newest first.
func (s *Store) ListDeployments(ctx context.Context, f DeploymentFilter) ([]Deployment, error) {
	q := s.db.WithContext(ctx).Order("id DESC")
	if f.AppID != "" {
		q = q.Where("app_id = ?", f.AppID)
	}
	if f.AppIDs != nil {
		q = q.Where("app_id IN ?", append(slices.Clip(f.AppIDs), ""))
	}
	if len(f.Statuses) > 0 {
		q = q.Where("status IN ?", f.Statuses)
	}
	if f.Limit > 0 {
		q = q.Limit(f.Limit)
	}
	var ds []Deployment
	return ds, wrap(q.Find(&ds).Error, "list deployments")
}

// DeploymentUpdate names the fields UpdateDeployment changes; zero fields are
// left alone.
type DeploymentUpdate struct {
	Status        release.Status
	Step          release.Step
	CommitSHA     string
	CommitMessage string
	Image         string
	ContainerID   string
	FailureReason string
	WorkflowID    string
	WorkflowRunID string
	Started       bool
	Finished      bool
	// WaitingUntil sets when the gate waited at gives up; ClearWaiting
	// clears it.
	WaitingUntil *time.Time
	ClearWaiting bool
	ScheduledFor *time.Time
}

// UpdateDeployment applies u to deployment id. A terminal status is never
// overwritten by a non-terminal one, so a late retry of an earlier step
// cannot resurrect a finished deployment.
func (s *Store) UpdateDeployment(ctx context.Context, id string, u DeploymentUpdate) error {
	fields := map[string]any{"updated_at": time.Now().UTC()}
	set := func(col, v string) {
		if v != "" {
			fields[col] = v
		}
	}
	set("status", string(u.Status))
	set("step", string(u.Step))
	set("commit_sha", u.CommitSHA)
	set("commit_message", u.CommitMessage)
	set("image", u.Image)
	set("container_id", u.ContainerID)
	set("failure_reason", u.FailureReason)
	set("workflow_id", u.WorkflowID)
	set("workflow_run_id", u.WorkflowRunID)
	if u.WaitingUntil != nil {
		fields["waiting_until"] = *u.WaitingUntil
	}
	if u.ClearWaiting {
		fields["waiting_until"] = nil
	}
	if u.ScheduledFor != nil {
		fields["scheduled_for"] = *u.ScheduledFor
	}
	now := time.Now().UTC()
	// Start and finish times are set once: a rollback marking an old
	// deployment rolled_back must not change how long it took.
	if u.Started {
		fields["started_at"] = gorm.Expr("COALESCE(started_at, ?)", now)
	}
	if u.Finished {
		fields["finished_at"] = gorm.Expr("COALESCE(finished_at, ?)", now)
	}
	q := s.db.WithContext(ctx).Model(&Deployment{}).Where("id = ?", id)
	if u.Status != "" && !u.Status.Terminal() {
		q = q.Where("status NOT IN ?", release.TerminalStatuses)
	}
	res := q.Updates(fields)
	if res.Error != nil {
		return wrap(res.Error, "update deployment "+id)
	}
	if res.RowsAffected == 0 {
		if _, err := s.GetDeployment(ctx, id); err != nil {
			return err
		}
	}
	return nil
}

// AppendLogs adds lines to a deployment's log.
func (s *Store) AppendLogs(ctx context.Context, lines []LogLine) error {
	if len(lines) == 0 {
		return nil
	}
	return wrap(s.db.WithContext(ctx).CreateInBatches(lines, 200).Error, "append logs")
}

// LogsAfter returns up to limit lines of a deployment's log with ID > after.
func (s *Store) LogsAfter(ctx context.Context, deploymentID string, after uint64, limit int) ([]LogLine, error) {
	var lines []LogLine
	err := s.db.WithContext(ctx).Where("deployment_id = ? AND id > ?", deploymentID, after).
		Order("id").Limit(limit).Find(&lines).Error
	return lines, wrap(err, "read logs")
}

// LogTail returns the last n lines of a deployment's log, oldest first,
// and how many lines the log has in all.
func (s *Store) LogTail(ctx context.Context, deploymentID string, n int) ([]LogLine, int64, error) {
	var total int64
	if err := s.db.WithContext(ctx).Model(&LogLine{}).Where("deployment_id = ?", deploymentID).Count(&total).Error; err != nil {
		return nil, 0, wrap(err, "count logs")
	}
	var lines []LogLine
	if err := s.db.WithContext(ctx).Where("deployment_id = ?", deploymentID).Order("id DESC").Limit(n).Find(&lines).Error; err != nil {
		return nil, 0, wrap(err, "read logs")
	}
	slices.Reverse(lines)
	return lines, total, nil
}

// CountDeploymentsByStatus returns how many deployments have each status,
// among the given apps' when appIDs is not nil.
func (s *Store) CountDeploymentsByStatus(ctx context.Context, appIDs []string) (map[release.Status]int, error) {
	var rows []struct {
		Status release.Status
		N      int
	}
	q := s.db.WithContext(ctx).Model(&Deployment{})
	if appIDs != nil {
		q = q.Where("app_id IN ?", append(slices.Clip(appIDs), ""))
	}
	err := q.Select("status, count(*) AS n").Group("status").Scan(&rows).Error
	out := map[release.Status]int{}
	for _, r := range rows {
		out[r.Status] = r.N
	}
	return out, wrap(err, "count deployments")
}

// DeploymentsUpdatedSince returns deployments changed after t, oldest change
// first (at most 500).
func (s *Store) DeploymentsUpdatedSince(ctx context.Context, t time.Time) ([]Deployment, error) {
	var ds []Deployment
	err := s.db.WithContext(ctx).Where("updated_at > ?", t).Order("updated_at").Limit(500).Find(&ds).Error
	return ds, wrap(err, "changed deployments")
}

// LatestDeployments returns the newest deployment of each app that has one,
// by app ID, in one query.
func (s *Store) LatestDeployments(ctx context.Context) (map[string]Deployment, error) {
	var ds []Deployment
	err := s.db.WithContext(ctx).
		Where("id IN (?)", s.db.Model(&Deployment{}).Select("MAX(id)").Group("app_id")).
		Find(&ds).Error
	out := make(map[string]Deployment, len(ds))
	for _, d := range ds {
		out[d.AppID] = d
	}
	return out, wrap(err, "latest deployments")
}

// DeploymentsByID returns the deployments with the given IDs, by ID.
func (s *Store) DeploymentsByID(ctx context.Context, ids []string) (map[string]Deployment, error) {
	out := make(map[string]Deployment, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	var ds []Deployment
	err := s.db.WithContext(ctx).Where("id IN ?", ids).Find(&ds).Error
	for _, d := range ds {
		out[d.ID] = d
	}
	return out, wrap(err, "deployments by id")
}

// AddApproval records a decision on a deployment.
func (s *Store) AddApproval(ctx context.Context, a *Approval) error {
	return wrap(s.db.WithContext(ctx).Create(a).Error, "approval")
}

// Approvals returns a deployment's decisions, oldest first.
func (s *Store) Approvals(ctx context.Context, deploymentID string) ([]Approval, error) {
	var out []Approval
	err := s.db.WithContext(ctx).Where("deployment_id = ?", deploymentID).Order("id").Find(&out).Error
	return out, wrap(err, "approvals")
}
