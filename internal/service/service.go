package service

import (
	"context"
	"io"
	"log/slog"
	"net/url"
	"strings"
	"sync"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/rivetr/rivetr/internal/config"
	"github.com/rivetr/rivetr/internal/docker"
	"github.com/rivetr/rivetr/internal/egress"
	"github.com/rivetr/rivetr/internal/gitsrc"
	"github.com/rivetr/rivetr/internal/mail"
	"github.com/rivetr/rivetr/internal/secrets"
	"github.com/rivetr/rivetr/schema"
	"github.com/rivetr/rivetr/workflows"
)

// Runtime is the part of Docker the service uses directly: reading an app's
// container logs and checking the engine's health. In a multi-host setup the
// API reads logs only from apps on its own host.
type Runtime interface {
	Ping(ctx context.Context) error
	Logs(ctx context.Context, id string, tail int, follow bool, w io.Writer) error
	Containers(ctx context.Context, labels map[string]string) ([]docker.Container, error)
}

// Options configure a Service.
type Options struct {
	Store     *schema.Store
	Temporal  client.Client
	Docker    Runtime // may be nil: no runtime logs, Docker reported down
	HostName  string  // the Docker host new apps are placed on
	Namespace string
	UIBaseURL string // Temporal UI base for links; "" for none
	ProxyPort string // the proxy's port, for app URLs ("80" leaves it out)
	DataDir   string // for the disk space shown in the overview
	// Keys seal secrets; the service rotates them.
	Keys *secrets.Keyring
	// Mailer sends invitation emails; nil: links are only shown.
	Mailer *mail.Sender
	// PublicURL is the dashboard's address for links; "" uses the
	// request's.
	PublicURL string
	// PreviewDomain is the domain pull request previews answer under
	// (pr-N.APP.DOMAIN); "" turns previews off.
	PreviewDomain string
	// DashboardDomain is the name the dashboard is served on; no app may
	// take it.
	DashboardDomain string
	// UploadDir keeps uploaded archives until their build (the workers'
	// activities.Host's UploadDir, on this host).
	UploadDir string
	// BackupDir is where this host keeps database backups (for downloads).
	BackupDir string
	// AllowLocalGit lets apps use file:// URLs and paths on the server.
	AllowLocalGit bool
	// Egress is where git remotes and S3 endpoints may be reached.
	Egress *egress.Policy
	// Ownership proves domains this server's (rivetr domains verify);
	// nil: nothing is proven.
	Ownership OwnershipChecker
	// Log receives what the service cannot report to a caller (a failed
	// audit write); nil discards it.
	Log *slog.Logger
	// ResolveBranch finds a branch head; defaults to gitsrc.ResolveBranch.
	ResolveBranch func(ctx context.Context, url, branch string, auth gitsrc.Auth) (string, error)
}

// Service is Rivetr's business layer: cohesive parts (apps, deploys and
// their gates, release policies, git integrations, databases, people,
// the instance) around a shared core holding the store, the Temporal
// client, authorisation and the audit log. Each part's methods are the
// Service's; a part reaches another only through all.
type Service struct {
	*core
	Apps
	Deploys
	Policies
	Git
	Databases
	People
	Instance
}

// The parts of the service.
type (
	// Apps create, change, list and delete apps and their env vars.
	Apps struct{ *core }
	// Deploys start, cancel, roll back, schedule, approve and report on
	// deployments.
	Deploys struct{ *core }
	// Policies are environments and freeze windows.
	Policies struct{ *core }
	// Git is webhooks and pull request previews.
	Git struct{ *core }
	// Databases are managed databases and their backups.
	Databases struct{ *core }
	// People are users, teams, members, invitations, sign-ins, tokens and
	// the secret key.
	People struct{ *core }
	// Instance is the instance's status and the audit log.
	Instance struct{ *core }
)

// core is what every part shares.
type core struct {
	// all is the whole service, for the few calls from one part into
	// another (deleting an app cancels its deployments).
	all             *Service
	store           *schema.Store
	temporal        client.Client
	docker          Runtime
	hostName        string
	namespace       string
	uiBase          string
	proxyPort       string
	dataDir         string
	keys            *secrets.Keyring
	log             *slog.Logger
	mailer          *mail.Sender
	publicURL       string
	previewDomain   string
	dashboardDomain string
	uploadDir       string
	backupDir       string
	allowLocalGit   bool
	egress          *egress.Policy
	ownership       OwnershipChecker
	resolveBranch   func(ctx context.Context, url, branch string, auth gitsrc.Auth) (string, error)
	// refusals is when each caller's refusal on each route was last
	// audited (AuditRefusal).
	refusals sync.Map
}

// New returns a Service.
func New(o Options) *Service {
	if o.ResolveBranch == nil {
		o.ResolveBranch = gitsrc.ResolveBranch
	}
	if o.Log == nil {
		o.Log = discardLogger
	}
	c := &core{
		store: o.Store, temporal: o.Temporal, docker: o.Docker, hostName: o.HostName,
		namespace: o.Namespace, uiBase: o.UIBaseURL, proxyPort: o.ProxyPort, dataDir: o.DataDir, keys: o.Keys, log: o.Log, mailer: o.Mailer, publicURL: strings.TrimRight(o.PublicURL, "/"), resolveBranch: o.ResolveBranch,
		previewDomain: strings.Trim(o.PreviewDomain, "."), dashboardDomain: strings.ToLower(strings.Trim(o.DashboardDomain, ".")), uploadDir: o.UploadDir, backupDir: o.BackupDir, allowLocalGit: o.AllowLocalGit, egress: o.Egress, ownership: o.Ownership,
	}
	s := &Service{core: c, Apps: Apps{c}, Deploys: Deploys{c}, Policies: Policies{c}, Git: Git{c}, Databases: Databases{c}, People: People{c}, Instance: Instance{c}}
	c.all = s
	return s
}

func hostQueue(app *schema.App) string { return config.HostQueue(app.Host) }

func appAttrs(app, kind, deployment string) temporal.SearchAttributes {
	updates := []temporal.SearchAttributeUpdate{workflows.AppKey.ValueSet(app), workflows.KindKey.ValueSet(kind)}
	if deployment != "" {
		updates = append(updates, workflows.DeploymentKey.ValueSet(deployment))
	}
	return temporal.NewSearchAttributes(updates...)
}

// WorkflowURL links a deployment to its run in the Temporal UI ("" when no
// UI is configured).
func (s *core) WorkflowURL(d *schema.Deployment) string {
	if s.uiBase == "" || d.WorkflowID == "" {
		return ""
	}
	base := s.uiBase + "/namespaces/" + url.PathEscape(s.namespace) + "/workflows"
	if d.WorkflowRunID != "" {
		return base + "/" + url.PathEscape(d.WorkflowID) + "/" + url.PathEscape(d.WorkflowRunID) + "/history"
	}
	return base + "?query=" + url.QueryEscape(`WorkflowId="`+d.WorkflowID+`"`)
}
