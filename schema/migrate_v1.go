package schema

// This file is release v1's schema (commit 3fa4a5d), frozen: the models as
// they were when every release before versioned migrations shaped the
// database with AutoMigrate. Migration 1 applies them, so a new database and
// one made by any earlier release reach the same schema; later changes are
// migrations of their own (migrations.go), never edits here.

import "time"

type v1App struct {
	ID                  string            `gorm:"primaryKey;size:32"`
	Name                string            `gorm:"uniqueIndex;size:63;not null"`
	GitURL              string            `gorm:"not null"`
	Branch              string            `gorm:"size:255;not null"`
	Dockerfile          string            `gorm:"size:255"`
	BuildType           string            `gorm:"size:16"`
	BuildContext        string            `gorm:"size:255"`
	BuildArgs           map[string]string `gorm:"serializer:json"`
	BuildTarget         string            `gorm:"size:128"`
	StaticDir           string            `gorm:"size:255"`
	Builder             string            `gorm:"size:255"`
	Domains             []string          `gorm:"serializer:json"`
	Port                int
	HealthPath          string
	HealthInterval      Duration
	HealthTimeout       Duration
	HealthDeadline      Duration
	DrainTimeout        Duration
	MemoryLimitMB       int64
	CPULimit            float64
	KeepImages          int
	RequireApproval     bool
	ApprovalsNeeded     int
	AllowSelfApproval   bool
	ApprovalTTL         Duration
	GitToken            string
	SSHKey              string
	WebhookSecret       string
	WatchPaths          []string `gorm:"serializer:json"`
	ProviderURL         string   `gorm:"size:255"`
	ProviderToken       string
	PreviewsEnabled     bool
	PreviewEnv          map[string]string `gorm:"serializer:json"`
	PreviewMemoryMB     int64
	PreviewCPUs         float64
	PreviewTTL          Duration
	PreviewOf           string `gorm:"size:32;index;not null;default:''"`
	PreviewPR           int
	Host                string `gorm:"size:255"`
	TeamID              string `gorm:"size:32;index"`
	Environment         string `gorm:"size:63;index;not null;default:''"`
	CurrentDeploymentID string `gorm:"size:32"`
	CreatedAt           time.Time
	UpdatedAt           time.Time
}

func (v1App) TableName() string { return "apps" }

type v1EnvVar struct {
	ID        uint   `gorm:"primaryKey"`
	AppID     string `gorm:"size:32;uniqueIndex:idx_env_app_key;not null"`
	Key       string `gorm:"size:255;uniqueIndex:idx_env_app_key;not null"`
	Value     string
	Secret    bool
	UpdatedAt time.Time
}

func (v1EnvVar) TableName() string { return "env_vars" }

type v1Deployment struct {
	ID            string `gorm:"primaryKey;size:32"`
	AppID         string `gorm:"size:32;index;not null"`
	AppName       string `gorm:"size:63;not null"`
	Kind          string `gorm:"size:16;not null"`
	Trigger       string `gorm:"size:32"`
	Status        string `gorm:"size:32;index;not null"`
	Step          string `gorm:"size:32"`
	Branch        string `gorm:"size:255"`
	CommitSHA     string `gorm:"size:64"`
	CommitMessage string
	Source        string          `gorm:"size:16"`
	UploadSHA256  string          `gorm:"size:64"`
	Image         string          `gorm:"size:255"`
	RequestedBy   string          `gorm:"size:255"`
	RequestedByID string          `gorm:"size:32"`
	Snapshot      *DeploySnapshot `gorm:"serializer:json"`
	ScheduledFor  *time.Time
	WaitingUntil  *time.Time
	RollbackOf    string `gorm:"size:32"`
	ContainerID   string `gorm:"size:80"`
	FailureReason string
	WorkflowID    string `gorm:"size:255"`
	WorkflowRunID string `gorm:"size:64"`
	CreatedAt     time.Time
	StartedAt     *time.Time
	FinishedAt    *time.Time
	UpdatedAt     time.Time
}

func (v1Deployment) TableName() string { return "deployments" }

type v1LogLine struct {
	ID           uint64 `gorm:"primaryKey"`
	DeploymentID string `gorm:"size:32;index:idx_log_dep_id;not null"`
	Time         time.Time
	Stream       string `gorm:"size:16"`
	Text         string
}

func (v1LogLine) TableName() string { return "log_lines" }

type v1APIToken struct {
	ID         string `gorm:"primaryKey;size:32"`
	Name       string `gorm:"size:255"`
	Hash       string `gorm:"uniqueIndex;size:64;not null"`
	UserID     string `gorm:"size:32;index"`
	Role       string `gorm:"size:16"`
	CreatedAt  time.Time
	ExpiresAt  *time.Time
	LastUsedAt *time.Time
}

func (v1APIToken) TableName() string { return "api_tokens" }

type v1Session struct {
	Hash      string `gorm:"primaryKey;size:64"`
	UserID    string `gorm:"size:32;index"`
	CreatedAt time.Time
	ExpiresAt time.Time `gorm:"index"`
}

func (v1Session) TableName() string { return "sessions" }

type v1User struct {
	ID            string `gorm:"primaryKey;size:32"`
	Email         string `gorm:"uniqueIndex;size:255;not null"`
	Name          string `gorm:"size:255"`
	PasswordHash  string
	InstanceAdmin bool
	CreatedAt     time.Time
	UpdatedAt     time.Time
}

func (v1User) TableName() string { return "users" }

type v1Team struct {
	ID        string `gorm:"primaryKey;size:32"`
	Name      string `gorm:"uniqueIndex;size:63;not null"`
	CreatedAt time.Time
}

func (v1Team) TableName() string { return "teams" }

type v1Membership struct {
	TeamID    string `gorm:"primaryKey;size:32"`
	UserID    string `gorm:"primaryKey;size:32;index"`
	Role      string `gorm:"size:16;not null"`
	Approver  bool
	CreatedAt time.Time
}

func (v1Membership) TableName() string { return "memberships" }

type v1AuditEntry struct {
	ID        uint64         `gorm:"primaryKey"`
	Time      time.Time      `gorm:"index"`
	ActorID   string         `gorm:"size:32;index"`
	Actor     string         `gorm:"size:255;index"`
	TeamID    string         `gorm:"size:32;index"`
	Team      string         `gorm:"size:63"`
	Action    string         `gorm:"size:64;index"`
	Target    string         `gorm:"size:255;index"`
	Before    map[string]any `gorm:"serializer:json"`
	After     map[string]any `gorm:"serializer:json"`
	SourceIP  string         `gorm:"size:64"`
	UserAgent string         `gorm:"size:512"`
}

func (v1AuditEntry) TableName() string { return "audit_entries" }

type v1Invitation struct {
	ID         string `gorm:"primaryKey;size:32"`
	TeamID     string `gorm:"size:32;index;not null"`
	Email      string `gorm:"size:255;index;not null"`
	Role       string `gorm:"size:16;not null"`
	Approver   bool
	TokenHash  string `gorm:"uniqueIndex;size:64;not null"`
	InvitedBy  string `gorm:"size:255"`
	Status     string `gorm:"size:16;index;not null"`
	CreatedAt  time.Time
	ExpiresAt  time.Time
	ClosedAt   *time.Time
	AcceptedBy string `gorm:"size:32"`
}

func (v1Invitation) TableName() string { return "invitations" }

type v1AppShare struct {
	AppID     string `gorm:"primaryKey;size:32"`
	TeamID    string `gorm:"primaryKey;size:32;index"`
	CreatedAt time.Time
}

func (v1AppShare) TableName() string { return "app_shares" }

type v1Approval struct {
	ID           uint64 `gorm:"primaryKey"`
	DeploymentID string `gorm:"size:32;index;not null"`
	ApproverID   string `gorm:"size:32"`
	Approver     string `gorm:"size:255"`
	Decision     string `gorm:"size:16"` // approve or reject
	Comment      string
	Time         time.Time
}

func (v1Approval) TableName() string { return "approvals" }

type v1FreezeWindow struct {
	ID             string `gorm:"primaryKey;size:32"`
	AppID          string `gorm:"size:32;index"`
	TeamID         string `gorm:"size:32;index"`
	Environment    string `gorm:"size:63;not null;default:''"`
	Reason         string
	Start          *time.Time
	End            *time.Time
	Cron           string `gorm:"size:255"`
	Duration       Duration
	TZ             string `gorm:"size:64"`
	Policy         string `gorm:"size:16"`
	BlockRollbacks bool
	CreatedBy      string `gorm:"size:255"`
	CreatedAt      time.Time
}

func (v1FreezeWindow) TableName() string { return "freeze_windows" }

type v1RecurringDeploy struct {
	ID        string `gorm:"primaryKey;size:32"`
	AppID     string `gorm:"size:32;index;not null"`
	TeamID    string `gorm:"size:32"`
	Cron      string `gorm:"size:255"`
	TZ        string `gorm:"size:64"`
	Every     Duration
	CreatedBy string `gorm:"size:255"`
	CreatedAt time.Time
}

func (v1RecurringDeploy) TableName() string { return "recurring_deploys" }

type v1Environment struct {
	ID                string `gorm:"primaryKey;size:32"`
	TeamID            string `gorm:"size:32;uniqueIndex:idx_environment_team_name;not null"`
	Name              string `gorm:"size:63;uniqueIndex:idx_environment_team_name;not null"`
	RequireApproval   bool
	ApprovalsNeeded   int
	AllowSelfApproval bool
	ApprovalTTL       Duration
	CreatedAt         time.Time
	UpdatedAt         time.Time
}

func (v1Environment) TableName() string { return "environments" }

type v1WebhookDelivery struct {
	ID           uint   `gorm:"primaryKey"`
	AppID        string `gorm:"size:32;uniqueIndex:idx_delivery_app_provider_id;not null"`
	Provider     string `gorm:"size:16;uniqueIndex:idx_delivery_app_provider_id;not null"`
	DeliveryID   string `gorm:"size:128;uniqueIndex:idx_delivery_app_provider_id;not null"`
	Event        string `gorm:"size:64"`
	Ref          string `gorm:"size:255"`
	Commit       string `gorm:"size:64"`
	PR           int
	Result       string `gorm:"size:16;not null"`
	Reason       string
	DeploymentID string    `gorm:"size:32"`
	ReceivedAt   time.Time `gorm:"index"`
}

func (v1WebhookDelivery) TableName() string { return "webhook_deliveries" }

type v1Database struct {
	ID           string `gorm:"primaryKey;size:32"`
	Name         string `gorm:"uniqueIndex;size:63;not null"`
	TeamID       string `gorm:"size:32;index"`
	Engine       string `gorm:"size:16;not null"`
	Version      string `gorm:"size:32"`
	Image        string `gorm:"size:255;not null"`
	DockerHost   string `gorm:"size:255"`
	User         string `gorm:"size:63"`
	Password     string
	RootPassword string
	DBName       string `gorm:"size:63"`
	PublicPort   int
	Status       string `gorm:"size:16;not null"`
	Error        string
	ContainerID  string `gorm:"size:80"`
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

func (v1Database) TableName() string { return "databases" }

type v1BackupPolicy struct {
	DatabaseID  string `gorm:"primaryKey;size:32"`
	Cron        string `gorm:"size:255"`
	TZ          string `gorm:"size:64"`
	KeepLast    int
	KeepDays    int
	Local       bool
	S3Endpoint  string `gorm:"size:255"`
	S3Region    string `gorm:"size:64"`
	S3Bucket    string `gorm:"size:255"`
	S3Prefix    string `gorm:"size:255"`
	S3AccessKey string `gorm:"size:255"`
	S3SecretKey string
	S3PathStyle bool
	NotifyURL   string `gorm:"size:1024"`
	UpdatedAt   time.Time
}

func (v1BackupPolicy) TableName() string { return "backup_policies" }

type v1Backup struct {
	ID         string `gorm:"primaryKey;size:32"`
	DatabaseID string `gorm:"size:32;index;not null"`
	Status     string `gorm:"size:16;not null"`
	Trigger    string `gorm:"size:16"`
	Kind       string `gorm:"size:16"`
	Key        string `gorm:"size:255"`
	Size       int64
	SHA256     string   `gorm:"size:64"`
	Locations  []string `gorm:"serializer:json"`
	Error      string
	StartedAt  time.Time
	FinishedAt *time.Time
}

func (v1Backup) TableName() string { return "backups" }

// v1Models are release v1's models, in its migration order.
func v1Models() []any {
	return []any{&v1App{}, &v1EnvVar{}, &v1Deployment{}, &v1LogLine{}, &v1APIToken{}, &v1Session{}, &v1User{}, &v1Team{}, &v1Membership{}, &v1AuditEntry{}, &v1Invitation{}, &v1AppShare{}, &v1Approval{}, &v1FreezeWindow{}, &v1RecurringDeploy{}, &v1Environment{}, &v1WebhookDelivery{}, &v1Database{}, &v1BackupPolicy{}, &v1Backup{}}
}
