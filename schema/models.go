package schema

import (
	"time"

	"github.com/rivetr/rivetr/internal/release"
)

// MainDomains are the domains the app's routed service answers (those no
// stack route takes).
func (a *App) MainDomains() []string { return release.MainDomains(a.Domains, a.StackRoutes) }

// SourceUpload marks a deployment built from an uploaded ZIP archive.
const SourceUpload = "upload"

// Duration is a time.Duration stored as milliseconds (see
// release.Duration).
type Duration = release.Duration

// App is something Rivetr deploys: a git repository built from its Dockerfile
// and served on one or more domains.
type App struct {
	ID     string `gorm:"primaryKey;size:32" json:"id"`
	Name   string `gorm:"uniqueIndex;size:63;not null" json:"name"`
	GitURL string `gorm:"not null" json:"git_url"`
	Branch string `gorm:"size:255;not null" json:"branch"`
	// Dockerfile is the Dockerfile's path inside the build context.
	Dockerfile string `gorm:"size:255" json:"dockerfile"`
	// BuildType says how the source becomes an image (see package detect):
	// auto (detected at each build), dockerfile, static, nixpacks,
	// railpack or buildpacks; "" (apps from before build types) is
	// dockerfile.
	BuildType string `gorm:"size:16" json:"build_type,omitempty"`
	// BuildContext is the directory inside the source the build starts
	// from ("" or "." for the root).
	BuildContext string `gorm:"size:255" json:"build_context,omitempty"`
	// BuildArgs are Docker build arguments (builder env for the external
	// builders); BuildTarget a Dockerfile stage to stop at.
	BuildArgs   map[string]string `gorm:"serializer:json" json:"build_args,omitempty"`
	BuildTarget string            `gorm:"size:128" json:"build_target,omitempty"`
	// StaticDir is the site's directory inside the build context (static
	// builds; "" finds it: the root, public, dist, build, …).
	StaticDir string `gorm:"size:255" json:"static_dir,omitempty"`
	// Builder is the Cloud Native Buildpacks builder image (buildpacks).
	Builder string `gorm:"size:255" json:"builder,omitempty"`
	// ComposeFile is the compose file's path in the repository (build type
	// compose; "" finds compose.yaml, compose.yml, docker-compose.yaml or
	// docker-compose.yml); StackService the service its domains route to.
	ComposeFile  string `gorm:"size:255;not null;default:''" json:"compose_file,omitempty"`
	StackService string `gorm:"size:63;not null;default:''" json:"stack_service,omitempty"`
	// ComposeInline is a compose file pasted in (or a template's): the
	// app then has no repository, and its services build nothing.
	ComposeInline string `gorm:"type:text;not null;default:''" json:"compose_inline,omitempty"`
	// StackProfiles are the compose profiles enabled (services without a
	// profile always run).
	StackProfiles []string `gorm:"serializer:json;type:text" json:"stack_profiles,omitempty"`
	// StackRoutes send some of the app's domains to other services of
	// its stack (the rest go to StackService). Like domains they are the
	// app's, not a release's: every release routes them.
	StackRoutes []release.StackRoute `gorm:"serializer:json;type:text" json:"stack_routes,omitempty"`
	// Template is the service template the app was made from ("name@version").
	Template string   `gorm:"size:96;not null;default:''" json:"template,omitempty"`
	Domains  []string `gorm:"serializer:json" json:"domains"`
	// Port is the port the app listens on inside its container.
	Port           int      `json:"port"`
	HealthPath     string   `json:"health_path"`
	HealthInterval Duration `json:"health_interval"`
	HealthTimeout  Duration `json:"health_timeout"`
	// HealthDeadline is how long a new container has to answer its first
	// healthy response before the deploy fails.
	HealthDeadline Duration `json:"health_deadline"`
	DrainTimeout   Duration `json:"drain_timeout"`
	MemoryLimitMB  int64    `json:"memory_limit_mb"`
	// CPULimit is in cores (0.5 = half a core); 0 means no limit.
	CPULimit   float64 `json:"cpu_limit"`
	KeepImages int     `json:"keep_images"`
	// Strategy is how a release replaces the serving version (see
	// release.Strategy): start-first (zero downtime) or stop-first (for
	// volumes that cannot take two versions at once).
	Strategy release.Strategy `gorm:"size:16;not null;default:'start-first'" json:"strategy"`
	// AllowHTTP serves the app over plain HTTP even once it has a
	// certificate (by default HTTP then redirects to HTTPS); HSTS sends
	// Strict-Transport-Security over HTTPS (browsers then refuse HTTP).
	AllowHTTP bool `gorm:"not null;default:false" json:"allow_http,omitempty"`
	HSTS      bool `gorm:"not null;default:false" json:"hsts,omitempty"`
	// RequireApproval gates every deploy and rollback of the app:
	// ApprovalsNeeded approvers (default 1) must approve within
	// ApprovalTTL (default 24h); the requester may approve their own only
	// with AllowSelfApproval.
	RequireApproval   bool     `json:"require_approval"`
	ApprovalsNeeded   int      `json:"approvals_needed"`
	AllowSelfApproval bool     `json:"allow_self_approval"`
	ApprovalTTL       Duration `json:"approval_ttl"`
	// GitToken and SSHKey reach private repositories. They are write-only:
	// never in API responses, logs or workflow history.
	GitToken string `json:"-"`
	SSHKey   string `json:"-"`
	// WebhookSecret signs (GitHub, Gitea) or is (GitLab) the app's webhook
	// deliveries; sealed like GitToken, never in API responses.
	WebhookSecret string `json:"-"`
	// WatchPaths are globs (see webhook.MatchGlob): when set, a push
	// deploys only if it changes a matching file.
	WatchPaths []string `gorm:"serializer:json" json:"watch_paths,omitempty"`
	// ProviderURL and ProviderToken reach the git host's API to comment on
	// pull requests and set commit statuses (no token: no reports). The
	// token is sealed and write-only.
	ProviderURL   string `gorm:"size:255" json:"provider_url,omitempty"`
	ProviderToken string `json:"-"`
	// Previews: with PreviewsEnabled, every pull request against Branch
	// gets a preview app (PreviewOf is its parent's ID, PreviewPR its
	// number) with the parent's settings and env, PreviewEnv on top, the
	// preview limits, removed when the request closes or after PreviewTTL
	// without activity.
	PreviewsEnabled bool              `json:"previews_enabled,omitempty"`
	PreviewEnv      map[string]string `gorm:"serializer:json" json:"preview_env,omitempty"`
	PreviewMemoryMB int64             `json:"preview_memory_mb,omitempty"`
	PreviewCPUs     float64           `json:"preview_cpus,omitempty"`
	PreviewTTL      Duration          `json:"preview_ttl,omitempty"`
	PreviewOf       string            `gorm:"size:32;index;not null;default:''" json:"preview_of,omitempty"`
	PreviewPR       int               `json:"preview_pr,omitempty"`
	// Host names the Docker host (and so the worker task queue) the app runs on.
	Host string `gorm:"size:255" json:"host"`
	// TeamID is the team the app belongs to; empty only for apps made
	// before teams existed, until `rivetr db migrate-teams` moves them.
	TeamID string `gorm:"size:32;index" json:"team_id"`
	// Environment names the team's environment the app is in (empty: none);
	// its release policy and freeze windows apply to the app too.
	Environment         string    `gorm:"size:63;index;not null;default:''" json:"environment,omitempty"`
	CurrentDeploymentID string    `gorm:"size:32" json:"current_deployment_id"`
	CreatedAt           time.Time `json:"created_at"`
	UpdatedAt           time.Time `json:"updated_at"`
}

// EnvVar is one environment variable of an app. A secret's value is never
// returned by the API.
type EnvVar struct {
	ID        uint      `gorm:"primaryKey" json:"-"`
	AppID     string    `gorm:"size:32;uniqueIndex:idx_env_app_key;not null" json:"-"`
	Key       string    `gorm:"size:255;uniqueIndex:idx_env_app_key;not null" json:"key"`
	Value     string    `json:"value"`
	Secret    bool      `json:"secret"`
	UpdatedAt time.Time `json:"updated_at"`
}

// Deployment is one attempt to put a version of an app into service: a
// build from git (kind deploy) or a return to an earlier image (kind rollback).
type Deployment struct {
	ID      string       `gorm:"primaryKey;size:32" json:"id"`
	AppID   string       `gorm:"size:32;index;not null" json:"app_id"`
	AppName string       `gorm:"size:63;not null" json:"app"`
	Kind    release.Kind `gorm:"size:16;not null" json:"kind"`
	// Trigger says who or what asked: api, cli, dashboard, webhook, schedule.
	Trigger       string         `gorm:"size:32" json:"trigger"`
	Status        release.Status `gorm:"size:32;index;not null" json:"status"`
	Step          release.Step   `gorm:"size:32" json:"step"`
	Branch        string         `gorm:"size:255" json:"branch"`
	CommitSHA     string         `gorm:"size:64" json:"commit"`
	CommitMessage string         `json:"commit_message"`
	// Source is where the code comes from: "" for git (CommitSHA),
	// SourceUpload
	// for an uploaded ZIP archive (UploadSHA256 is its checksum).
	Source       string `gorm:"size:16" json:"source,omitempty"`
	UploadSHA256 string `gorm:"size:64" json:"upload_sha256,omitempty"`
	// Image is the tag built (or reused, for a rollback) for this deployment.
	Image string `gorm:"size:255" json:"image"`
	// RequestedBy is who asked for the deployment (an email, or "admin
	// token"); RequestedByID their user ID (release.AdminTokenApprover for
	// the admin token's recurring deploys).
	RequestedBy   string `gorm:"size:255" json:"requested_by,omitempty"`
	RequestedByID string `gorm:"size:32" json:"requested_by_id,omitempty"`
	// RequestedByEmail is the email of who asked when they have no
	// account here (a push's pusher), so they cannot approve it either.
	RequestedByEmail string `gorm:"size:255;not null;default:''" json:"requested_by_email,omitempty"`
	// Snapshot is the app's settings and env vars when the deployment was
	// asked for (secret values never: only that they are set and when
	// they changed), so two deployments can be compared.
	Snapshot *DeploySnapshot `gorm:"serializer:json" json:"-"`
	// Spec is the sealed ReleaseSpec the deployment builds and runs with
	// (see CaptureSpec); "" for deployments from before it existed.
	Spec string `gorm:"type:text;not null;default:''" json:"-"`
	// ScheduledFor is when a scheduled deployment is queued.
	ScheduledFor *time.Time `json:"scheduled_for,omitempty"`
	// WaitingUntil is when the gate the deployment waits at gives up.
	WaitingUntil *time.Time `json:"waiting_until,omitempty"`
	// RollbackOf is the deployment whose image a rollback brings back.
	RollbackOf    string     `gorm:"size:32" json:"rollback_of,omitempty"`
	ContainerID   string     `gorm:"size:80" json:"container_id,omitempty"`
	FailureReason string     `json:"failure_reason,omitempty"`
	WorkflowID    string     `gorm:"size:255" json:"workflow_id"`
	WorkflowRunID string     `gorm:"size:64" json:"workflow_run_id,omitempty"`
	CreatedAt     time.Time  `json:"created_at"`
	StartedAt     *time.Time `json:"started_at,omitempty"`
	FinishedAt    *time.Time `json:"finished_at,omitempty"`
	UpdatedAt     time.Time  `json:"updated_at"`
}

// DeploySnapshot is what a deployment was asked for with.
type DeploySnapshot struct {
	Settings map[string]any     `json:"settings"`
	Env      map[string]EnvSnap `json:"env"`
}

// EnvSnap is one env var in a snapshot: a plain value, or only that a
// secret was set and when it last changed.
type EnvSnap struct {
	Value   string    `json:"value,omitempty"`
	Secret  bool      `json:"secret,omitempty"`
	Updated time.Time `json:"updated"`
}

// LogLine is one line of a deployment's build and deploy log. IDs increase,
// so a reader resumes after the last ID it saw.
type LogLine struct {
	ID           uint64    `gorm:"primaryKey" json:"id"`
	DeploymentID string    `gorm:"size:32;index:idx_log_dep_id;not null" json:"-"`
	Time         time.Time `json:"time"`
	// Stream is "build" for builder output, "app" for the container's own
	// output, "system" for Rivetr's messages.
	Stream string `gorm:"size:16" json:"stream"`
	Text   string `json:"text"`
}

// APIToken is a bearer token. Only its SHA-256 is stored.
type APIToken struct {
	ID   string `gorm:"primaryKey;size:32" json:"id"`
	Name string `gorm:"size:255" json:"name"`
	Hash string `gorm:"uniqueIndex;size:64;not null" json:"-"`
	// UserID owns the token; empty for the instance-admin token made on
	// first start.
	UserID string `gorm:"size:32;index" json:"user_id,omitempty"`
	// Role caps what the token may do in every team ("" for its owner's
	// roles); it never raises them.
	Role       release.Role `gorm:"size:16" json:"role,omitempty"`
	CreatedAt  time.Time    `json:"created_at"`
	ExpiresAt  *time.Time   `json:"expires_at,omitempty"`
	LastUsedAt *time.Time   `json:"last_used_at,omitempty"`
}

// Session is a dashboard sign-in. Only the SHA-256 of its cookie value is
// stored.
type Session struct {
	Hash string `gorm:"primaryKey;size:64"`
	// UserID is who signed in; empty for a sign-in with the admin token.
	UserID    string `gorm:"size:32;index"`
	CreatedAt time.Time
	ExpiresAt time.Time `gorm:"index"`
}

// User is a person who signs in with an email address and a password.
type User struct {
	ID    string `gorm:"primaryKey;size:32" json:"id"`
	Email string `gorm:"uniqueIndex;size:255;not null" json:"email"`
	Name  string `gorm:"size:255" json:"name"`
	// PasswordHash is a bcrypt hash.
	PasswordHash string `json:"-"`
	// InstanceAdmin users act as owners of every team and manage users.
	InstanceAdmin bool      `json:"instance_admin"`
	CreatedAt     time.Time `json:"created_at"`
	UpdatedAt     time.Time `json:"updated_at"`
}

// Team owns apps; users belong to teams with a role.
type Team struct {
	ID        string    `gorm:"primaryKey;size:32" json:"id"`
	Name      string    `gorm:"uniqueIndex;size:63;not null" json:"name"`
	CreatedAt time.Time `json:"created_at"`
}

// Membership is a user's role in a team.
type Membership struct {
	TeamID string       `gorm:"primaryKey;size:32" json:"team_id"`
	UserID string       `gorm:"primaryKey;size:32;index" json:"user_id"`
	Role   release.Role `gorm:"size:16;not null" json:"role"`
	// Approver grants a developer the approver permission; owners and
	// admins have it anyway.
	Approver  bool      `json:"approver"`
	CreatedAt time.Time `json:"created_at"`
}

// Approval is one decision on a deployment waiting at its approval gate.
type Approval struct {
	ID           uint64    `gorm:"primaryKey" json:"id"`
	DeploymentID string    `gorm:"size:32;index;not null" json:"deployment_id"`
	ApproverID   string    `gorm:"size:32" json:"approver_id,omitempty"`
	Approver     string    `gorm:"size:255" json:"approver"`
	Decision     string    `gorm:"size:16" json:"decision"` // approve or reject
	Comment      string    `json:"comment,omitempty"`
	Time         time.Time `json:"time"`
}

// AppShare lets another team see an app, read-only.
type AppShare struct {
	AppID     string    `gorm:"primaryKey;size:32" json:"app_id"`
	TeamID    string    `gorm:"primaryKey;size:32;index" json:"team_id"`
	CreatedAt time.Time `json:"created_at"`
}

// Invitation statuses.
const (
	InvitePending  = "pending"
	InviteAccepted = "accepted"
	InviteDeclined = "declined"
	InviteRevoked  = "revoked"
)

// Invitation asks someone, by email, to join a team with a role. Only the
// SHA-256 of its link's token is stored; it expires after a week.
type Invitation struct {
	ID        string       `gorm:"primaryKey;size:32" json:"id"`
	TeamID    string       `gorm:"size:32;index;not null" json:"team_id"`
	Email     string       `gorm:"size:255;index;not null" json:"email"`
	Role      release.Role `gorm:"size:16;not null" json:"role"`
	Approver  bool         `json:"approver,omitempty"`
	TokenHash string       `gorm:"uniqueIndex;size:64;not null" json:"-"`
	// SignUpHash is the hash of the token whose link may create the
	// invited email's account: the one sent by email (proof that the
	// person holds the address), or TokenHash when an instance admin
	// invited (they create accounts anyway); "" when no link may (the
	// copied link then only lets an existing account join).
	SignUpHash string `gorm:"size:64;index;not null;default:''" json:"-"`
	// InvitedBy is the inviter's email (or "admin token").
	InvitedBy  string     `gorm:"size:255" json:"invited_by"`
	Status     string     `gorm:"size:16;index;not null" json:"status"`
	CreatedAt  time.Time  `json:"created_at"`
	ExpiresAt  time.Time  `json:"expires_at"`
	ClosedAt   *time.Time `json:"closed_at,omitempty"`
	AcceptedBy string     `gorm:"size:32" json:"accepted_by,omitempty"`
}

// Models lists every model, in migration order.
func Models() []any {
	return []any{&App{}, &EnvVar{}, &Deployment{}, &LogLine{}, &APIToken{}, &Session{}, &User{}, &Team{}, &Membership{}, &AuditEntry{}, &Invitation{}, &AppShare{}, &Approval{}, &FreezeWindow{}, &RecurringDeploy{}, &Environment{}, &WebhookDelivery{}, &Database{}, &BackupPolicy{}, &Backup{}, &Instance{}, &Domain{}, &CertObject{}, &CertLock{}, &Certificate{}, &CustomCert{}, &Volume{}, &Dependency{}}
}
