package service

// Wire types: what the API answers for each stored record, field for field
// the JSON the records marshalled to, without gorm's tags and without what
// is never shown (credentials, sealed secrets, snapshots). Transports and
// the CLI use these, never the schema's models.

import (
	"time"

	"github.com/rivetr/rivetr/internal/release"
	"github.com/rivetr/rivetr/schema"
)

// App is a schema.App as the API answers it (no credentials or secrets).
type App struct {
	ID                  string               `json:"id"`
	Name                string               `json:"name"`
	GitURL              string               `json:"git_url"`
	Branch              string               `json:"branch"`
	Dockerfile          string               `json:"dockerfile"`
	BuildType           string               `json:"build_type,omitempty"`
	BuildContext        string               `json:"build_context,omitempty"`
	BuildArgs           map[string]string    `json:"build_args,omitempty"`
	BuildTarget         string               `json:"build_target,omitempty"`
	StaticDir           string               `json:"static_dir,omitempty"`
	Builder             string               `json:"builder,omitempty"`
	ComposeFile         string               `json:"compose_file,omitempty"`
	StackService        string               `json:"stack_service,omitempty"`
	ComposeInline       string               `json:"compose_inline,omitempty"`
	StackProfiles       []string             `json:"stack_profiles,omitempty"`
	StackRoutes         []release.StackRoute `json:"stack_routes,omitempty"`
	Template            string               `json:"template,omitempty"`
	Domains             []string             `json:"domains"`
	Port                int                  `json:"port"`
	HealthPath          string               `json:"health_path"`
	HealthInterval      release.Duration     `json:"health_interval"`
	HealthTimeout       release.Duration     `json:"health_timeout"`
	HealthDeadline      release.Duration     `json:"health_deadline"`
	DrainTimeout        release.Duration     `json:"drain_timeout"`
	MemoryLimitMB       int64                `json:"memory_limit_mb"`
	CPULimit            float64              `json:"cpu_limit"`
	KeepImages          int                  `json:"keep_images"`
	Strategy            release.Strategy     `json:"strategy"`
	AllowHTTP           bool                 `json:"allow_http"`
	HSTS                bool                 `json:"hsts"`
	RequireApproval     bool                 `json:"require_approval"`
	ApprovalsNeeded     int                  `json:"approvals_needed"`
	AllowSelfApproval   bool                 `json:"allow_self_approval"`
	ApprovalTTL         release.Duration     `json:"approval_ttl"`
	WatchPaths          []string             `json:"watch_paths,omitempty"`
	ProviderURL         string               `json:"provider_url,omitempty"`
	PreviewsEnabled     bool                 `json:"previews_enabled,omitempty"`
	PreviewEnv          map[string]string    `json:"preview_env,omitempty"`
	PreviewMemoryMB     int64                `json:"preview_memory_mb,omitempty"`
	PreviewCPUs         float64              `json:"preview_cpus,omitempty"`
	PreviewTTL          release.Duration     `json:"preview_ttl,omitempty"`
	PreviewOf           string               `json:"preview_of,omitempty"`
	PreviewPR           int                  `json:"preview_pr,omitempty"`
	Host                string               `json:"host"`
	TeamID              string               `json:"team_id"`
	Environment         string               `json:"environment,omitempty"`
	CurrentDeploymentID string               `json:"current_deployment_id"`
	CreatedAt           time.Time            `json:"created_at"`
	UpdatedAt           time.Time            `json:"updated_at"`
}

// Deployment is a schema.Deployment as the API answers it.
type Deployment struct {
	ID            string         `json:"id"`
	AppID         string         `json:"app_id"`
	AppName       string         `json:"app"`
	Kind          release.Kind   `json:"kind"`
	Trigger       string         `json:"trigger"`
	Status        release.Status `json:"status"`
	Step          release.Step   `json:"step"`
	Branch        string         `json:"branch"`
	CommitSHA     string         `json:"commit"`
	CommitMessage string         `json:"commit_message"`
	Source        string         `json:"source,omitempty"`
	UploadSHA256  string         `json:"upload_sha256,omitempty"`
	Image         string         `json:"image"`
	RequestedBy   string         `json:"requested_by,omitempty"`
	RequestedByID string         `json:"requested_by_id,omitempty"`
	// RequestedByEmail is a pusher's email when they have no account here.
	RequestedByEmail string     `json:"requested_by_email,omitempty"`
	ScheduledFor     *time.Time `json:"scheduled_for,omitempty"`
	WaitingUntil     *time.Time `json:"waiting_until,omitempty"`
	RollbackOf       string     `json:"rollback_of,omitempty"`
	ContainerID      string     `json:"container_id,omitempty"`
	FailureReason    string     `json:"failure_reason,omitempty"`
	WorkflowID       string     `json:"workflow_id"`
	WorkflowRunID    string     `json:"workflow_run_id,omitempty"`
	CreatedAt        time.Time  `json:"created_at"`
	StartedAt        *time.Time `json:"started_at,omitempty"`
	FinishedAt       *time.Time `json:"finished_at,omitempty"`
	UpdatedAt        time.Time  `json:"updated_at"`
}

// Approval is a schema.Approval as the API answers it.
type Approval struct {
	ID           uint64    `json:"id"`
	DeploymentID string    `json:"deployment_id"`
	ApproverID   string    `json:"approver_id,omitempty"`
	Approver     string    `json:"approver"`
	Decision     string    `json:"decision"`
	Comment      string    `json:"comment,omitempty"`
	Time         time.Time `json:"time"`
}

// LogLine is a schema.LogLine as the API answers it.
type LogLine struct {
	ID     uint64    `json:"id"`
	Time   time.Time `json:"time"`
	Stream string    `json:"stream"`
	Text   string    `json:"text"`
}

// APIToken is a schema.APIToken as the API answers it.
type APIToken struct {
	ID         string       `json:"id"`
	Name       string       `json:"name"`
	UserID     string       `json:"user_id,omitempty"`
	Role       release.Role `json:"role,omitempty"`
	CreatedAt  time.Time    `json:"created_at"`
	ExpiresAt  *time.Time   `json:"expires_at,omitempty"`
	LastUsedAt *time.Time   `json:"last_used_at,omitempty"`
}

// User is a schema.User as the API answers it.
type User struct {
	ID            string    `json:"id"`
	Email         string    `json:"email"`
	Name          string    `json:"name"`
	InstanceAdmin bool      `json:"instance_admin"`
	CreatedAt     time.Time `json:"created_at"`
	UpdatedAt     time.Time `json:"updated_at"`
}

// Team is a schema.Team as the API answers it.
type Team struct {
	ID        string    `json:"id"`
	Name      string    `json:"name"`
	CreatedAt time.Time `json:"created_at"`
}

// Membership is a schema.Membership as the API answers it.
type Membership struct {
	TeamID    string       `json:"team_id"`
	UserID    string       `json:"user_id"`
	Role      release.Role `json:"role"`
	Approver  bool         `json:"approver"`
	CreatedAt time.Time    `json:"created_at"`
}

// Member is a schema.Member as the API answers it.
type Member struct {
	Membership
	Email string `json:"email"`
	Name  string `json:"name"`
}

// AuditEntry is a schema.AuditEntry as the API answers it.
type AuditEntry struct {
	ID        uint64         `json:"id"`
	Time      time.Time      `json:"time"`
	ActorID   string         `json:"actor_id,omitempty"`
	Actor     string         `json:"actor"`
	TeamID    string         `json:"team_id,omitempty"`
	Team      string         `json:"team,omitempty"`
	Action    string         `json:"action"`
	Target    string         `json:"target,omitempty"`
	Before    map[string]any `json:"before,omitempty"`
	After     map[string]any `json:"after,omitempty"`
	SourceIP  string         `json:"source_ip,omitempty"`
	UserAgent string         `json:"user_agent,omitempty"`
}

// Invitation is a schema.Invitation as the API answers it.
type Invitation struct {
	ID         string       `json:"id"`
	TeamID     string       `json:"team_id"`
	Email      string       `json:"email"`
	Role       release.Role `json:"role"`
	Approver   bool         `json:"approver,omitempty"`
	InvitedBy  string       `json:"invited_by"`
	Status     string       `json:"status"`
	CreatedAt  time.Time    `json:"created_at"`
	ExpiresAt  time.Time    `json:"expires_at"`
	ClosedAt   *time.Time   `json:"closed_at,omitempty"`
	AcceptedBy string       `json:"accepted_by,omitempty"`
}

// FreezeWindow is a schema.FreezeWindow as the API answers it.
type FreezeWindow struct {
	ID             string               `json:"id"`
	AppID          string               `json:"app_id,omitempty"`
	TeamID         string               `json:"team_id,omitempty"`
	Environment    string               `json:"environment,omitempty"`
	Reason         string               `json:"reason"`
	Start          *time.Time           `json:"start,omitempty"`
	End            *time.Time           `json:"end,omitempty"`
	Cron           string               `json:"cron,omitempty"`
	Duration       release.Duration     `json:"duration,omitempty"`
	TZ             string               `json:"tz,omitempty"`
	Policy         release.FreezePolicy `json:"policy"`
	BlockRollbacks bool                 `json:"block_rollbacks,omitempty"`
	CreatedBy      string               `json:"created_by"`
	CreatedAt      time.Time            `json:"created_at"`
}

// RecurringDeploy is a schema.RecurringDeploy as the API answers it.
type RecurringDeploy struct {
	ID          string           `json:"id"`
	AppID       string           `json:"app_id"`
	TeamID      string           `json:"team_id,omitempty"`
	Cron        string           `json:"cron,omitempty"`
	TZ          string           `json:"tz,omitempty"`
	Every       release.Duration `json:"every,omitempty"`
	CreatedBy   string           `json:"created_by"`
	CreatedByID string           `json:"created_by_id,omitempty"`
	CreatedAt   time.Time        `json:"created_at"`
}

// Environment is a schema.Environment as the API answers it.
type Environment struct {
	ID                string           `json:"id"`
	TeamID            string           `json:"team_id"`
	Name              string           `json:"name"`
	RequireApproval   bool             `json:"require_approval"`
	ApprovalsNeeded   int              `json:"approvals_needed"`
	AllowSelfApproval bool             `json:"allow_self_approval"`
	ApprovalTTL       release.Duration `json:"approval_ttl"`
	CreatedAt         time.Time        `json:"created_at"`
	UpdatedAt         time.Time        `json:"updated_at"`
}

// WebhookDelivery is a schema.WebhookDelivery as the API answers it.
type WebhookDelivery struct {
	ID           uint      `json:"id"`
	Provider     string    `json:"provider"`
	DeliveryID   string    `json:"delivery_id"`
	Event        string    `json:"event"`
	Ref          string    `json:"ref,omitempty"`
	Commit       string    `json:"commit,omitempty"`
	PR           int       `json:"pr,omitempty"`
	Result       string    `json:"result"`
	Reason       string    `json:"reason"`
	DeploymentID string    `json:"deployment_id,omitempty"`
	ReceivedAt   time.Time `json:"received_at"`
}

// Database is a schema.Database as the API answers it (no credentials or secrets).
type Database struct {
	ID          string           `json:"id"`
	Name        string           `json:"name"`
	TeamID      string           `json:"team_id,omitempty"`
	Engine      string           `json:"engine"`
	Version     string           `json:"version"`
	Image       string           `json:"image"`
	DockerHost  string           `json:"docker_host"`
	User        string           `json:"user"`
	DBName      string           `json:"database"`
	PublicPort  int              `json:"public_port,omitempty"`
	Volume      string           `json:"volume"`
	Status      release.DBStatus `json:"status"`
	Error       string           `json:"error,omitempty"`
	ContainerID string           `json:"container_id,omitempty"`
	CreatedAt   time.Time        `json:"created_at"`
	UpdatedAt   time.Time        `json:"updated_at"`
}

// BackupPolicy is a schema.BackupPolicy as the API answers it (no credentials or secrets).
type BackupPolicy struct {
	Cron        string    `json:"cron,omitempty"`
	TZ          string    `json:"tz,omitempty"`
	KeepLast    int       `json:"keep_last"`
	KeepDays    int       `json:"keep_days"`
	Local       bool      `json:"local"`
	S3Endpoint  string    `json:"s3_endpoint,omitempty"`
	S3Region    string    `json:"s3_region,omitempty"`
	S3Bucket    string    `json:"s3_bucket,omitempty"`
	S3Prefix    string    `json:"s3_prefix,omitempty"`
	S3AccessKey string    `json:"s3_access_key,omitempty"`
	S3PathStyle bool      `json:"s3_path_style,omitempty"`
	NotifyURL   string    `json:"notify_url,omitempty"`
	UpdatedAt   time.Time `json:"updated_at"`
}

// Backup is a schema.Backup as the API answers it.
type Backup struct {
	ID         string               `json:"id"`
	DatabaseID string               `json:"database_id"`
	Status     release.BackupStatus `json:"status"`
	Trigger    string               `json:"trigger"`
	Kind       release.BackupKind   `json:"kind"`
	Key        string               `json:"key"`
	Size       int64                `json:"size"`
	SHA256     string               `json:"sha256,omitempty"`
	Locations  []string             `json:"locations,omitempty"`
	Error      string               `json:"error,omitempty"`
	StartedAt  time.Time            `json:"started_at"`
	FinishedAt *time.Time           `json:"finished_at,omitempty"`
}

// EnvVar is a schema.EnvVar as the API answers it.
type EnvVar struct {
	Key       string    `json:"key"`
	Value     string    `json:"value"`
	Secret    bool      `json:"secret"`
	UpdatedAt time.Time `json:"updated_at"`
}

func appOf(x *schema.App) App {
	return App{ID: x.ID, Name: x.Name, GitURL: x.GitURL, Branch: x.Branch, Dockerfile: x.Dockerfile, BuildType: x.BuildType, BuildContext: x.BuildContext, BuildArgs: x.BuildArgs, BuildTarget: x.BuildTarget, StaticDir: x.StaticDir, Builder: x.Builder, ComposeFile: x.ComposeFile, StackService: x.StackService, ComposeInline: x.ComposeInline, StackProfiles: x.StackProfiles, StackRoutes: x.StackRoutes, Template: x.Template, Domains: x.Domains, Port: x.Port, HealthPath: x.HealthPath, HealthInterval: x.HealthInterval, HealthTimeout: x.HealthTimeout, HealthDeadline: x.HealthDeadline, DrainTimeout: x.DrainTimeout, MemoryLimitMB: x.MemoryLimitMB, CPULimit: x.CPULimit, KeepImages: x.KeepImages, Strategy: x.Strategy.Or(), AllowHTTP: x.AllowHTTP, HSTS: x.HSTS, RequireApproval: x.RequireApproval, ApprovalsNeeded: x.ApprovalsNeeded, AllowSelfApproval: x.AllowSelfApproval, ApprovalTTL: x.ApprovalTTL, WatchPaths: x.WatchPaths, ProviderURL: x.ProviderURL, PreviewsEnabled: x.PreviewsEnabled, PreviewEnv: x.PreviewEnv, PreviewMemoryMB: x.PreviewMemoryMB, PreviewCPUs: x.PreviewCPUs, PreviewTTL: x.PreviewTTL, PreviewOf: x.PreviewOf, PreviewPR: x.PreviewPR, Host: x.Host, TeamID: x.TeamID, Environment: x.Environment, CurrentDeploymentID: x.CurrentDeploymentID, CreatedAt: x.CreatedAt, UpdatedAt: x.UpdatedAt}
}

func deploymentOf(x *schema.Deployment) Deployment {
	return Deployment{ID: x.ID, AppID: x.AppID, AppName: x.AppName, Kind: x.Kind, Trigger: x.Trigger, Status: x.Status, Step: x.Step, Branch: x.Branch, CommitSHA: x.CommitSHA, CommitMessage: x.CommitMessage, Source: x.Source, UploadSHA256: x.UploadSHA256, Image: x.Image, RequestedBy: x.RequestedBy, RequestedByID: x.RequestedByID, RequestedByEmail: x.RequestedByEmail, ScheduledFor: x.ScheduledFor, WaitingUntil: x.WaitingUntil, RollbackOf: x.RollbackOf, ContainerID: x.ContainerID, FailureReason: x.FailureReason, WorkflowID: x.WorkflowID, WorkflowRunID: x.WorkflowRunID, CreatedAt: x.CreatedAt, StartedAt: x.StartedAt, FinishedAt: x.FinishedAt, UpdatedAt: x.UpdatedAt}
}

func approvalOf(x *schema.Approval) Approval {
	return Approval{ID: x.ID, DeploymentID: x.DeploymentID, ApproverID: x.ApproverID, Approver: x.Approver, Decision: x.Decision, Comment: x.Comment, Time: x.Time}
}

func logLineOf(x *schema.LogLine) LogLine {
	return LogLine{ID: x.ID, Time: x.Time, Stream: x.Stream, Text: x.Text}
}

func aPITokenOf(x *schema.APIToken) APIToken {
	return APIToken{ID: x.ID, Name: x.Name, UserID: x.UserID, Role: x.Role, CreatedAt: x.CreatedAt, ExpiresAt: x.ExpiresAt, LastUsedAt: x.LastUsedAt}
}

func userOf(x *schema.User) User {
	return User{ID: x.ID, Email: x.Email, Name: x.Name, InstanceAdmin: x.InstanceAdmin, CreatedAt: x.CreatedAt, UpdatedAt: x.UpdatedAt}
}

func teamOf(x *schema.Team) Team {
	return Team{ID: x.ID, Name: x.Name, CreatedAt: x.CreatedAt}
}

func membershipOf(x *schema.Membership) Membership {
	return Membership{TeamID: x.TeamID, UserID: x.UserID, Role: x.Role, Approver: x.Approver, CreatedAt: x.CreatedAt}
}

func memberOf(x *schema.Member) Member {
	return Member{Membership: membershipOf(&x.Membership), Email: x.Email, Name: x.Name}
}

func auditEntryOf(x *schema.AuditEntry) AuditEntry {
	return AuditEntry{ID: x.ID, Time: x.Time, ActorID: x.ActorID, Actor: x.Actor, TeamID: x.TeamID, Team: x.Team, Action: x.Action, Target: x.Target, Before: x.Before, After: x.After, SourceIP: x.SourceIP, UserAgent: x.UserAgent}
}

func invitationOf(x *schema.Invitation) Invitation {
	return Invitation{ID: x.ID, TeamID: x.TeamID, Email: x.Email, Role: x.Role, Approver: x.Approver, InvitedBy: x.InvitedBy, Status: x.Status, CreatedAt: x.CreatedAt, ExpiresAt: x.ExpiresAt, ClosedAt: x.ClosedAt, AcceptedBy: x.AcceptedBy}
}

func freezeWindowOf(x *schema.FreezeWindow) FreezeWindow {
	return FreezeWindow{ID: x.ID, AppID: x.AppID, TeamID: x.TeamID, Environment: x.Environment, Reason: x.Reason, Start: x.Start, End: x.End, Cron: x.Cron, Duration: x.Duration, TZ: x.TZ, Policy: x.Policy, BlockRollbacks: x.BlockRollbacks, CreatedBy: x.CreatedBy, CreatedAt: x.CreatedAt}
}

func recurringDeployOf(x *schema.RecurringDeploy) RecurringDeploy {
	return RecurringDeploy{ID: x.ID, AppID: x.AppID, TeamID: x.TeamID, Cron: x.Cron, TZ: x.TZ, Every: x.Every, CreatedBy: x.CreatedBy, CreatedByID: x.CreatedByID, CreatedAt: x.CreatedAt}
}

func environmentOf(x *schema.Environment) Environment {
	return Environment{ID: x.ID, TeamID: x.TeamID, Name: x.Name, RequireApproval: x.RequireApproval, ApprovalsNeeded: x.ApprovalsNeeded, AllowSelfApproval: x.AllowSelfApproval, ApprovalTTL: x.ApprovalTTL, CreatedAt: x.CreatedAt, UpdatedAt: x.UpdatedAt}
}

func webhookDeliveryOf(x *schema.WebhookDelivery) WebhookDelivery {
	return WebhookDelivery{ID: x.ID, Provider: x.Provider, DeliveryID: x.DeliveryID, Event: x.Event, Ref: x.Ref, Commit: x.Commit, PR: x.PR, Result: x.Result, Reason: x.Reason, DeploymentID: x.DeploymentID, ReceivedAt: x.ReceivedAt}
}

func databaseOf(x *schema.Database) Database {
	return Database{ID: x.ID, Name: x.Name, TeamID: x.TeamID, Engine: x.Engine, Version: x.Version, Image: x.Image, DockerHost: x.DockerHost, User: x.User, DBName: x.DBName, PublicPort: x.PublicPort, Volume: x.VolumeName(), Status: x.Status, Error: x.Error, ContainerID: x.ContainerID, CreatedAt: x.CreatedAt, UpdatedAt: x.UpdatedAt}
}

func backupPolicyOf(x *schema.BackupPolicy) BackupPolicy {
	return BackupPolicy{Cron: x.Cron, TZ: x.TZ, KeepLast: x.KeepLast, KeepDays: x.KeepDays, Local: x.Local, S3Endpoint: x.S3Endpoint, S3Region: x.S3Region, S3Bucket: x.S3Bucket, S3Prefix: x.S3Prefix, S3AccessKey: x.S3AccessKey, S3PathStyle: x.S3PathStyle, NotifyURL: x.NotifyURL, UpdatedAt: x.UpdatedAt}
}

func backupOf(x *schema.Backup) Backup {
	return Backup{ID: x.ID, DatabaseID: x.DatabaseID, Status: x.Status, Trigger: x.Trigger, Kind: x.Kind, Key: x.Key, Size: x.Size, SHA256: x.SHA256, Locations: x.Locations, Error: x.Error, StartedAt: x.StartedAt, FinishedAt: x.FinishedAt}
}

func envVarOf(x *schema.EnvVar) EnvVar {
	return EnvVar{Key: x.Key, Value: x.Value, Secret: x.Secret, UpdatedAt: x.UpdatedAt}
}

// each converts every record of a list.
func each[M, W any](ms []M, of func(*M) W) []W {
	if ms == nil {
		return nil
	}
	out := make([]W, len(ms))
	for i := range ms {
		out[i] = of(&ms[i])
	}
	return out
}

// optional converts a record that may be missing.
func optional[M, W any](m *M, of func(*M) W) *W {
	if m == nil {
		return nil
	}
	w := of(m)
	return &w
}

// ContainerName is the database's container, and its name on Rivetr's
// network.
func (d Database) ContainerName() string { return release.DatabaseContainer(d.Name) }

// VolumeName is the database's data volume.
func (d Database) VolumeName() string { return d.Volume }
