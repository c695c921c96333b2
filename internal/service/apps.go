package service

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/rivetr/rivetr/internal/detect"
	"github.com/rivetr/rivetr/internal/gitsrc"
	"github.com/rivetr/rivetr/internal/ids"
	"github.com/rivetr/rivetr/internal/proxy"
	"github.com/rivetr/rivetr/internal/release"
	"github.com/rivetr/rivetr/internal/webhook"
	"github.com/rivetr/rivetr/schema"
	"github.com/rivetr/rivetr/workflows"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
)

// App defaults, used when a create request leaves a field out.
const (
	DefaultBranch         = "main"
	DefaultDockerfile     = "Dockerfile"
	DefaultPort           = 8080
	DefaultHealthPath     = "/"
	DefaultHealthInterval = time.Second
	DefaultHealthTimeout  = 5 * time.Second
	DefaultHealthDeadline = 60 * time.Second
	DefaultDrainTimeout   = 30 * time.Second
	DefaultKeepImages     = 5
)

// AppInput creates or changes an app. Nil fields are left as they are (or
// take their default on create).
type AppInput struct {
	Name           *string           `json:"name,omitempty"`
	GitURL         *string           `json:"git_url,omitempty"`
	Branch         *string           `json:"branch,omitempty"`
	Dockerfile     *string           `json:"dockerfile,omitempty"`
	Domains        *[]string         `json:"domains,omitempty"`
	Port           *int              `json:"port,omitempty"`
	HealthPath     *string           `json:"health_path,omitempty"`
	HealthInterval *release.Duration `json:"health_interval,omitempty"`
	HealthTimeout  *release.Duration `json:"health_timeout,omitempty"`
	HealthDeadline *release.Duration `json:"health_deadline,omitempty"`
	DrainTimeout   *release.Duration `json:"drain_timeout,omitempty"`
	MemoryLimitMB  *int64            `json:"memory_limit_mb,omitempty"`
	CPULimit       *float64          `json:"cpu_limit,omitempty"`
	KeepImages     *int              `json:"keep_images,omitempty"`
	// Host names the Docker host (worker) the app runs on; default: the
	// server's own.
	Host *string `json:"host,omitempty"`
	// GitToken and SSHKey are write-only; "" clears them.
	GitToken *string `json:"git_token,omitempty"`
	SSHKey   *string `json:"ssh_key,omitempty"`
	// Team names the team that owns a new app; it may be left out by
	// someone in exactly one team. It cannot change afterwards.
	Team *string `json:"team,omitempty"`
	// The approval gate (release policy): changing it on an existing app
	// takes the policy permission (admins).
	RequireApproval   *bool             `json:"require_approval,omitempty"`
	ApprovalsNeeded   *int              `json:"approvals_needed,omitempty"`
	AllowSelfApproval *bool             `json:"allow_self_approval,omitempty"`
	ApprovalTTL       *release.Duration `json:"approval_ttl,omitempty"`
	// How the source is built (see schema.App): BuildArgs replaces the
	// arguments.
	BuildType    *string            `json:"build_type,omitempty"`
	BuildContext *string            `json:"build_context,omitempty"`
	BuildArgs    *map[string]string `json:"build_args,omitempty"`
	BuildTarget  *string            `json:"build_target,omitempty"`
	StaticDir    *string            `json:"static_dir,omitempty"`
	Builder      *string            `json:"builder,omitempty"`
	// Previews (see schema.App); PreviewEnv replaces the overrides.
	PreviewsEnabled *bool              `json:"previews_enabled,omitempty"`
	PreviewEnv      *map[string]string `json:"preview_env,omitempty"`
	PreviewMemoryMB *int64             `json:"preview_memory_mb,omitempty"`
	PreviewCPUs     *float64           `json:"preview_cpus,omitempty"`
	PreviewTTL      *release.Duration  `json:"preview_ttl,omitempty"`
	// ProviderURL and ProviderToken (write-only; "" clears) let Rivetr
	// comment on pull requests and set commit statuses.
	ProviderURL   *string `json:"provider_url,omitempty"`
	ProviderToken *string `json:"provider_token,omitempty"`
	// WatchPaths limit webhook deploys to pushes changing a matching file
	// (globs; an empty list deploys every push to the branch).
	WatchPaths *[]string `json:"watch_paths,omitempty"`
	// Environment places the app in one of its team's environments ("" takes
	// it out); its policy and freezes then apply too. Changing it on an
	// existing app takes the policy permission.
	Environment *string `json:"environment,omitempty"`
}

// touchesPolicy reports whether in changes the app's release policy.
func (in *AppInput) touchesPolicy(app *schema.App) bool {
	return in.RequireApproval != nil && *in.RequireApproval != app.RequireApproval ||
		in.ApprovalsNeeded != nil && *in.ApprovalsNeeded != app.ApprovalsNeeded ||
		in.AllowSelfApproval != nil && *in.AllowSelfApproval != app.AllowSelfApproval ||
		in.ApprovalTTL != nil && *in.ApprovalTTL != app.ApprovalTTL ||
		in.Environment != nil && strings.TrimSpace(*in.Environment) != app.Environment
}

// AppView is an app as users see it: no secrets, with its latest deployment.
type AppView struct {
	App
	// Team is the owning team's name; Role is the caller's role there,
	// which decides what the dashboard offers.
	Team string       `json:"team,omitempty"`
	Role release.Role `json:"role,omitempty"`
	// Shared is set when the caller sees the app because it is shared
	// with their team (read-only); SharedWith lists the teams it is
	// shared with (for its own team's members).
	Shared      bool     `json:"shared,omitempty"`
	SharedWith  []string `json:"shared_with,omitempty"`
	HasGitToken bool     `json:"has_git_token"`
	HasSSHKey   bool     `json:"has_ssh_key"`
	// HasProviderToken says whether the git host API token is set.
	HasProviderToken bool        `json:"has_provider_token"`
	URL              string      `json:"url,omitempty"`
	Current          *Deployment `json:"current_deployment,omitempty"`
	Latest           *Deployment `json:"latest_deployment,omitempty"`
	// FrozenUntil is the end of the freeze window covering the app now
	// (its own, its environment's or the instance's; ListApps only).
	FrozenUntil  *time.Time `json:"frozen_until,omitempty"`
	FrozenReason string     `json:"frozen_reason,omitempty"`
	// Approval is the approval policy its deploys meet: the app's own and
	// its environment's, the stricter winning (GetApp only).
	Approval *ApprovalPolicyView `json:"effective_approval,omitempty"`
}

var (
	buildTargetRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$`)
	nameRE        = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$`)
	labelRE       = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$`)
	branchRE      = regexp.MustCompile(`^[A-Za-z0-9._/-]+$`)
)

// validHost reports whether h is a DNS host name (a.b.c, labels of letters,
// digits and inner hyphens).
func validHost(h string) bool {
	if len(h) == 0 || len(h) > 253 {
		return false
	}
	for _, l := range strings.Split(h, ".") {
		if !labelRE.MatchString(l) {
			return false
		}
	}
	return true
}

func (in *AppInput) apply(app *schema.App) {
	set := func(dst *string, src *string) {
		if src != nil {
			*dst = strings.TrimSpace(*src)
		}
	}
	set(&app.Name, in.Name)
	set(&app.GitURL, in.GitURL)
	set(&app.Branch, in.Branch)
	set(&app.Dockerfile, in.Dockerfile)
	set(&app.HealthPath, in.HealthPath)
	set(&app.Host, in.Host)
	set(&app.Environment, in.Environment)
	set(&app.ProviderURL, in.ProviderURL)
	set(&app.BuildType, in.BuildType)
	set(&app.BuildContext, in.BuildContext)
	set(&app.BuildTarget, in.BuildTarget)
	set(&app.StaticDir, in.StaticDir)
	set(&app.Builder, in.Builder)
	if in.BuildArgs != nil {
		app.BuildArgs = map[string]string{}
		for k, v := range *in.BuildArgs {
			app.BuildArgs[strings.TrimSpace(k)] = v
		}
	}
	set(&app.ProviderToken, in.ProviderToken)
	if in.PreviewsEnabled != nil {
		app.PreviewsEnabled = *in.PreviewsEnabled
	}
	if in.PreviewEnv != nil {
		app.PreviewEnv = map[string]string{}
		for k, v := range *in.PreviewEnv {
			app.PreviewEnv[strings.TrimSpace(k)] = v
		}
	}
	if in.PreviewMemoryMB != nil {
		app.PreviewMemoryMB = *in.PreviewMemoryMB
	}
	if in.PreviewCPUs != nil {
		app.PreviewCPUs = *in.PreviewCPUs
	}
	if in.PreviewTTL != nil {
		app.PreviewTTL = *in.PreviewTTL
	}
	if in.WatchPaths != nil {
		app.WatchPaths = nil
		for _, p := range *in.WatchPaths {
			if p = strings.TrimSpace(p); p != "" && !slices.Contains(app.WatchPaths, p) {
				app.WatchPaths = append(app.WatchPaths, p)
			}
		}
	}
	if in.Domains != nil {
		app.Domains = nil
		for _, d := range *in.Domains {
			if d = proxy.NormalizeHost(strings.TrimSpace(d)); d != "" && !slices.Contains(app.Domains, d) {
				app.Domains = append(app.Domains, d)
			}
		}
	}
	if in.Port != nil {
		app.Port = *in.Port
	}
	if in.HealthInterval != nil {
		app.HealthInterval = *in.HealthInterval
	}
	if in.HealthTimeout != nil {
		app.HealthTimeout = *in.HealthTimeout
	}
	if in.HealthDeadline != nil {
		app.HealthDeadline = *in.HealthDeadline
	}
	if in.DrainTimeout != nil {
		app.DrainTimeout = *in.DrainTimeout
	}
	if in.MemoryLimitMB != nil {
		app.MemoryLimitMB = *in.MemoryLimitMB
	}
	if in.RequireApproval != nil {
		app.RequireApproval = *in.RequireApproval
	}
	if in.ApprovalsNeeded != nil {
		app.ApprovalsNeeded = *in.ApprovalsNeeded
	}
	if in.AllowSelfApproval != nil {
		app.AllowSelfApproval = *in.AllowSelfApproval
	}
	if in.ApprovalTTL != nil {
		app.ApprovalTTL = *in.ApprovalTTL
	}
	if in.CPULimit != nil {
		app.CPULimit = *in.CPULimit
	}
	if in.KeepImages != nil {
		app.KeepImages = *in.KeepImages
	}
	if in.GitToken != nil {
		app.GitToken = *in.GitToken
	}
	if in.SSHKey != nil {
		app.SSHKey = *in.SSHKey
	}
}

func validateApp(app *schema.App) error {
	f := fieldErrors{}
	if !detect.Valid(app.BuildType) {
		f.add("build_type", "must be one of %s", strings.Join(detect.Types, ", "))
	}
	for field, p := range map[string]string{"build_context": app.BuildContext, "static_dir": app.StaticDir} {
		if p != "" && (strings.HasPrefix(p, "/") || slices.Contains(strings.Split(p, "/"), "..")) {
			f.add(field, "must be a relative path inside the repository")
		}
	}
	for k := range app.BuildArgs {
		if !envKeyRE.MatchString(k) {
			f.add("build_args", "%q is not a build argument name (letters, digits and _)", k)
		}
	}
	if app.BuildTarget != "" && !buildTargetRE.MatchString(app.BuildTarget) {
		f.add("build_target", "must be a Dockerfile stage name")
	}
	if app.Builder != "" && strings.ContainsAny(app.Builder, " \t\n") {
		f.add("builder", "must be an image reference")
	}
	for k := range app.PreviewEnv {
		if !envKeyRE.MatchString(k) {
			f.add("preview_env", "%q is not an env var name (letters, digits and _, not starting with a digit)", k)
		}
	}
	if app.PreviewMemoryMB != 0 && (app.PreviewMemoryMB < 16 || app.PreviewMemoryMB > 1<<20) {
		f.add("preview_memory_mb", "must be 0 (the default, 256) or between 16 and 1048576")
	}
	if app.PreviewCPUs < 0 || app.PreviewCPUs > 64 {
		f.add("preview_cpus", "must be 0 (the default, 0.5) or up to 64")
	}
	if d := app.PreviewTTL.D(); d != 0 && (d < time.Hour || d > 90*24*time.Hour) {
		f.add("preview_ttl", "must be 0 (the default, 72h) or between 1h and 2160h")
	}
	if app.ProviderURL != "" {
		if u, err := url.Parse(app.ProviderURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			f.add("provider_url", "must be an http(s) URL such as https://api.github.com")
		}
	}
	if len(app.WatchPaths) > 50 {
		f.add("watch_paths", "at most 50 patterns")
	}
	for _, p := range app.WatchPaths {
		if err := webhook.ValidGlob(p); err != nil {
			f.add("watch_paths", "%v", err)
		}
	}
	if app.ApprovalsNeeded < 1 || app.ApprovalsNeeded > 10 {
		f.add("approvals_needed", "must be between 1 and 10")
	}
	if d := app.ApprovalTTL.D(); d < time.Minute || d > 30*24*time.Hour {
		f.add("approval_ttl", "must be between 1m and 720h")
	}
	if !nameRE.MatchString(app.Name) {
		f.add("name", "must be 1-63 lower-case letters, digits or inner hyphens (e.g. my-app)")
	}
	if !gitsrc.ValidURL(app.GitURL) {
		f.add("git_url", "must be an https://, ssh://, git:// or file:// URL, user@host:path, or an absolute path")
	}
	if !branchRE.MatchString(app.Branch) || strings.Contains(app.Branch, "..") || strings.HasPrefix(app.Branch, "/") {
		f.add("branch", "is not a valid branch name")
	}
	if app.Dockerfile == "" || strings.HasPrefix(app.Dockerfile, "/") || strings.Contains(app.Dockerfile, "..") {
		f.add("dockerfile", "must be a relative path inside the repository")
	}
	if len(app.Domains) == 0 {
		f.add("domains", "at least one domain is required (the proxy routes by Host header)")
	}
	for _, d := range app.Domains {
		if !validHost(d) {
			f.add("domains", "%q is not a valid host name", d)
		}
	}
	if app.Port < 1 || app.Port > 65535 {
		f.add("port", "must be between 1 and 65535")
	}
	if !strings.HasPrefix(app.HealthPath, "/") || strings.ContainsAny(app.HealthPath, " \t\r\n") {
		f.add("health_path", "must start with / and contain no spaces")
	}
	if app.HealthInterval.D() < 100*time.Millisecond || app.HealthInterval.D() > time.Minute {
		f.add("health_interval", "must be between 100ms and 1m")
	}
	if app.HealthTimeout.D() < 100*time.Millisecond || app.HealthTimeout.D() > time.Minute {
		f.add("health_timeout", "must be between 100ms and 1m")
	}
	if app.HealthDeadline.D() < app.HealthInterval.D() || app.HealthDeadline.D() > 30*time.Minute {
		f.add("health_deadline", "must be at least the interval and at most 30m")
	}
	if app.DrainTimeout.D() < 0 || app.DrainTimeout.D() > 10*time.Minute {
		f.add("drain_timeout", "must be between 0s and 10m")
	}
	if app.MemoryLimitMB != 0 && (app.MemoryLimitMB < 6 || app.MemoryLimitMB > 1<<20) {
		f.add("memory_limit_mb", "must be 0 (no limit) or between 6 and 1048576")
	}
	if app.CPULimit < 0 || app.CPULimit > 1024 {
		f.add("cpu_limit", "must be 0 (no limit) or a number of cores up to 1024")
	}
	if !labelRE.MatchString(strings.ReplaceAll(app.Host, ".", "-")) {
		f.add("host", "must be a host name (letters, digits, '-' and '.'), as given to rivetr worker --host-name")
	}
	if app.KeepImages < 1 || app.KeepImages > 100 {
		f.add("keep_images", "must be between 1 and 100")
	}
	return f.err()
}

// checkDomainsFree fails when another app already serves one of app's domains.
func (s *core) checkDomainsFree(ctx context.Context, app *schema.App) error {
	apps, err := s.store.ListApps(ctx)
	if err != nil {
		return err
	}
	f := fieldErrors{}
	for _, other := range apps {
		if other.ID == app.ID {
			continue
		}
		for _, d := range app.Domains {
			if slices.Contains(other.Domains, d) {
				f.add("domains", "%s is already served by app %s", d, other.Name)
			}
		}
	}
	return f.err()
}

// teamForCreate picks the team a new app goes to and checks the caller may
// create apps there.
func (s *core) teamForCreate(ctx context.Context, a *Actor, name *string) (string, error) {
	if name != nil && strings.TrimSpace(*name) != "" {
		t, _, err := s.authorizeTeam(ctx, strings.TrimSpace(*name), release.PermCreateApp)
		if errors.Is(err, schema.ErrNotFound) {
			return "", &ValidationError{Fields: map[string]string{"team": "no team " + *name + " that you belong to"}}
		}
		if err != nil {
			return "", err
		}
		return t.ID, nil
	}
	if a.InstanceAdmin {
		// Before any team exists (the admin token on a fresh server) apps
		// have no team until `rivetr db migrate-teams`.
		t, err := s.store.GetTeam(ctx, DefaultTeam)
		if errors.Is(err, schema.ErrNotFound) {
			return "", nil
		} else if err != nil {
			return "", err
		}
		return t.ID, nil
	}
	ids := a.TeamIDs()
	switch len(ids) {
	case 0:
		return "", &ValidationError{Fields: map[string]string{"team": "you belong to no team; create one (rivetr teams create) or ask to be invited"}}
	case 1:
		if !a.Can(ids[0], release.PermCreateApp) {
			return "", forbid(a, ids[0], release.PermCreateApp)
		}
		return ids[0], nil
	}
	return "", &ValidationError{Fields: map[string]string{"team": "you belong to several teams; say which one (--team)"}}
}

// CreateApp validates in and creates the app in the caller's team.
func (s *Apps) CreateApp(ctx context.Context, in AppInput) (*AppView, error) {
	a, err := actor(ctx)
	if err != nil {
		return nil, err
	}
	teamID, err := s.teamForCreate(ctx, a, in.Team)
	if err != nil {
		return nil, err
	}
	app := &schema.App{
		TeamID:          teamID,
		ID:              ids.New(),
		Branch:          DefaultBranch,
		Dockerfile:      DefaultDockerfile,
		Port:            DefaultPort,
		HealthPath:      DefaultHealthPath,
		HealthInterval:  schema.Duration(DefaultHealthInterval),
		HealthTimeout:   schema.Duration(DefaultHealthTimeout),
		HealthDeadline:  schema.Duration(DefaultHealthDeadline),
		DrainTimeout:    schema.Duration(DefaultDrainTimeout),
		KeepImages:      DefaultKeepImages,
		Host:            s.hostName,
		ApprovalsNeeded: 1,
		ApprovalTTL:     schema.Duration(release.DefaultApprovalTTL),
		WebhookSecret:   newWebhookSecret(),
		BuildType:       detect.Auto,
	}
	in.apply(app)
	if err := validateApp(app); err != nil {
		return nil, err
	}
	if _, err := s.store.GetApp(ctx, app.Name); err == nil {
		return nil, &ValidationError{Fields: map[string]string{"name": fmt.Sprintf("an app named %s already exists", app.Name)}}
	}
	if err := s.checkDomainsFree(ctx, app); err != nil {
		return nil, err
	}
	if err := s.checkEnvironment(ctx, app); err != nil {
		return nil, err
	}
	if err := s.store.CreateApp(ctx, app); err != nil {
		if errors.Is(err, schema.ErrConflict) {
			return nil, &ValidationError{Fields: map[string]string{"name": fmt.Sprintf("an app named %s already exists", app.Name)}}
		}
		return nil, err
	}
	s.audit(ctx, AuditAppCreate, app.TeamID, app.Name, nil, settingsOf(app))
	return s.view(ctx, app)
}

// settingsOf is an app's settings as the audit log records them: secrets
// only as whether they are set.
func settingsOf(app *schema.App) map[string]any {
	return map[string]any{
		"git_url": app.GitURL, "branch": app.Branch, "dockerfile": app.Dockerfile, "domains": app.Domains,
		"port": app.Port, "health_path": app.HealthPath, "health_interval": app.HealthInterval.D().String(),
		"health_timeout": app.HealthTimeout.D().String(), "health_deadline": app.HealthDeadline.D().String(),
		"drain_timeout": app.DrainTimeout.D().String(), "memory_limit_mb": app.MemoryLimitMB, "cpu_limit": app.CPULimit,
		"keep_images": app.KeepImages, "host": app.Host, "has_git_token": app.GitToken != "", "has_ssh_key": app.SSHKey != "",
		"require_approval": app.RequireApproval, "approvals_needed": app.ApprovalsNeeded, "allow_self_approval": app.AllowSelfApproval,
		"approval_ttl": app.ApprovalTTL.D().String(), "environment": app.Environment, "watch_paths": app.WatchPaths,
		"build_type": app.BuildType, "build_context": app.BuildContext, "build_args": app.BuildArgs, "build_target": app.BuildTarget,
		"static_dir": app.StaticDir, "builder": app.Builder,
		"previews_enabled": app.PreviewsEnabled, "preview_env": app.PreviewEnv, "preview_memory_mb": app.PreviewMemoryMB, "preview_cpus": app.PreviewCPUs,
		"preview_ttl": app.PreviewTTL.D().String(), "provider_url": app.ProviderURL, "has_provider_token": app.ProviderToken != "",
	}
}

// changed keeps the keys whose values differ between before and after.
func changed(before, after map[string]any) (map[string]any, map[string]any) {
	b, a := map[string]any{}, map[string]any{}
	for k, v := range after {
		if fmt.Sprint(before[k]) != fmt.Sprint(v) {
			b[k], a[k] = before[k], v
		}
	}
	return b, a
}

// UpdateApp changes an app's settings. The name cannot change: it is part
// of container names, image tags and workflow IDs. Changes apply from the
// next deployment.
func (s *Apps) UpdateApp(ctx context.Context, name string, in AppInput) (*AppView, error) {
	app, _, err := s.authorizeApp(ctx, name, release.PermEditApp)
	if err != nil {
		return nil, err
	}
	if in.Name != nil && strings.TrimSpace(*in.Name) != app.Name {
		return nil, &ValidationError{Fields: map[string]string{"name": "cannot be changed; create a new app instead"}}
	}
	if in.Team != nil {
		return nil, &ValidationError{Fields: map[string]string{"team": "cannot be changed"}}
	}
	if in.touchesPolicy(app) {
		if a := ActorFrom(ctx); !a.Can(app.TeamID, release.PermPolicy) {
			return nil, forbid(a, app.TeamID, release.PermPolicy)
		}
	}
	// Apps from before the approval gate existed have zero policy values.
	if app.ApprovalsNeeded == 0 {
		app.ApprovalsNeeded = 1
	}
	if app.ApprovalTTL == 0 {
		app.ApprovalTTL = schema.Duration(release.DefaultApprovalTTL)
	}
	before := settingsOf(app)
	in.apply(app)
	if err := validateApp(app); err != nil {
		return nil, err
	}
	if err := s.checkDomainsFree(ctx, app); err != nil {
		return nil, err
	}
	if err := s.checkEnvironment(ctx, app); err != nil {
		return nil, err
	}
	if err := s.store.SaveApp(ctx, app); err != nil {
		return nil, err
	}
	if b, a := changed(before, settingsOf(app)); len(a) > 0 {
		s.audit(ctx, AuditAppUpdate, app.TeamID, app.Name, b, a)
	}
	return s.view(ctx, app)
}

// GetApp returns one app.
func (s *Apps) GetApp(ctx context.Context, name string) (*AppView, error) {
	app, _, err := s.authorizeApp(ctx, name, release.PermRead)
	if err != nil {
		return nil, err
	}
	return s.view(ctx, app)
}

// ListApps returns the apps of one team ("" for every team the caller is
// in; instance admins see all) with their current and latest deployments,
// in four queries however many apps there are.
func (s *Apps) ListApps(ctx context.Context, team string) ([]AppView, error) {
	a, err := actor(ctx)
	if err != nil {
		return nil, err
	}
	var apps []schema.App
	switch {
	case team != "":
		t, _, err := s.authorizeTeam(ctx, team, release.PermRead)
		if err != nil {
			return nil, err
		}
		apps, err = s.store.ListAppsIn(ctx, []string{t.ID})
		if err != nil {
			return nil, err
		}
	case a.InstanceAdmin:
		apps, err = s.store.ListApps(ctx)
	default:
		apps, err = s.store.ListAppsIn(ctx, a.TeamIDs())
	}
	if err != nil {
		return nil, err
	}
	teams, err := s.teamNames(ctx)
	if err != nil {
		return nil, err
	}
	shared, err := s.store.SharesOf(ctx, a.TeamIDs())
	if err != nil {
		return nil, err
	}
	latest, err := s.store.LatestDeployments(ctx)
	if err != nil {
		return nil, err
	}
	var currentIDs []string
	for _, a := range apps {
		if l, ok := latest[a.ID]; a.CurrentDeploymentID != "" && (!ok || l.ID != a.CurrentDeploymentID) {
			currentIDs = append(currentIDs, a.CurrentDeploymentID)
		}
	}
	current, err := s.store.DeploymentsByID(ctx, currentIDs)
	if err != nil {
		return nil, err
	}
	windows, err := s.store.ListFreezes(ctx, nil, nil)
	if err != nil {
		return nil, err
	}
	rules := schema.Rules(windows)
	now := time.Now()
	out := make([]AppView, 0, len(apps))
	for i := range apps {
		var l, c *schema.Deployment
		if d, ok := latest[apps[i].ID]; ok {
			l = &d
		}
		if d, ok := current[apps[i].CurrentDeploymentID]; ok {
			c = &d
		}
		if apps[i].PreviewOf != "" {
			continue // listed under their app
		}
		v := s.assemble(&apps[i], l, c)
		v.Team, v.Role = teams[apps[i].TeamID], appRole(a, &apps[i], shared)
		v.Shared = !a.Member(apps[i].TeamID)
		v.FrozenUntil, v.FrozenReason = release.FrozenUntil(rules, apps[i].Target(), now)
		out = append(out, *v)
	}
	return out, nil
}

// teamNames maps team IDs to names.
func (s *core) teamNames(ctx context.Context) (map[string]string, error) {
	ts, err := s.store.ListTeams(ctx, nil)
	if err != nil {
		return nil, err
	}
	out := make(map[string]string, len(ts))
	for _, t := range ts {
		out[t.ID] = t.Name
	}
	return out, nil
}

// view loads one app's latest and current deployments.
func (s *core) view(ctx context.Context, app *schema.App) (*AppView, error) {
	latest, err := s.store.ListDeployments(ctx, schema.DeploymentFilter{AppID: app.ID, Limit: 1})
	if err != nil {
		return nil, err
	}
	var l, c *schema.Deployment
	if len(latest) > 0 {
		l = &latest[0]
	}
	if app.CurrentDeploymentID != "" && (l == nil || l.ID != app.CurrentDeploymentID) {
		if cur, err := s.store.GetDeployment(ctx, app.CurrentDeploymentID); err == nil {
			c = cur
		}
	}
	v := s.assemble(app, l, c)
	pol := s.effectiveApproval(ctx, app)
	v.Approval = &pol
	if app.TeamID != "" {
		if t, err := s.store.GetTeam(ctx, app.TeamID); err == nil {
			v.Team = t.Name
		}
	}
	if a := ActorFrom(ctx); a != nil {
		v.Role = a.RoleIn(app.TeamID)
		if v.Role == "" {
			v.Role, v.Shared = release.RoleViewer, true
		} else if ids, err := s.store.AppShares(ctx, app.ID); err == nil && len(ids) > 0 {
			names, err := s.teamNames(ctx)
			if err != nil {
				return nil, err
			}
			for _, id := range ids {
				v.SharedWith = append(v.SharedWith, names[id])
			}
		}
	}
	return v, nil
}

// appURL is where a domain is served through the proxy.
func (s *core) appURL(domain string) string {
	if s.proxyPort != "" && s.proxyPort != "80" {
		return "http://" + domain + ":" + s.proxyPort
	}
	return "http://" + domain
}

// assemble builds an app's view from its latest deployment and, when it is
// not the latest, its current one.
func (s *core) assemble(app *schema.App, latest, current *schema.Deployment) *AppView {
	v := &AppView{App: appOf(app), HasGitToken: app.GitToken != "", HasSSHKey: app.SSHKey != "", HasProviderToken: app.ProviderToken != "", Latest: optional(latest, deploymentOf), Current: optional(current, deploymentOf)}
	if len(app.Domains) > 0 {
		v.URL = s.appURL(app.Domains[0])
	}
	if latest != nil && latest.ID == app.CurrentDeploymentID {
		v.Current = v.Latest
	}
	return v
}

// DeleteApp cancels the app's deployments, then removes its route,
// containers and images from its host and its records, through
// DeleteAppWorkflow. It waits for the workflow to finish.
func (s *Apps) DeleteApp(ctx context.Context, name string) error {
	app, _, err := s.authorizeApp(ctx, name, release.PermDeleteApp)
	if err != nil {
		return err
	}
	// Its previews go first, their workflows stopped so none makes a new one.
	previews, err := s.store.ListPreviews(ctx, app.ID)
	if err != nil {
		return err
	}
	for _, p := range previews {
		err := s.temporal.TerminateWorkflow(ctx, workflows.PreviewID(app.Name, p.PreviewPR), "", "the app "+app.Name+" is being deleted")
		var nf *serviceerror.NotFound
		if err != nil && !errors.As(err, &nf) {
			return fmt.Errorf("stop the preview of pull request #%d: %w: %v", p.PreviewPR, ErrUnavailable, err)
		}
		if err := s.DeleteApp(ctx, p.Name); err != nil {
			return fmt.Errorf("delete the preview %s: %w", p.Name, err)
		}
	}
	active, err := s.store.ListDeployments(ctx, schema.DeploymentFilter{AppID: app.ID, Statuses: append([]release.Status{release.StatusScheduled}, release.InFlightStatuses...)})
	if err != nil {
		return err
	}
	for _, d := range active {
		if _, err := s.all.CancelDeployment(ctx, d.ID); err != nil && !errors.Is(err, ErrState) {
			return err
		}
	}
	// Wait for cancelled deployments to clean up, so none starts a
	// container after the app's containers are removed.
	deadline := time.Now().Add(2 * time.Minute)
	for len(active) > 0 && time.Now().Before(deadline) {
		active, err = s.store.ListDeployments(ctx, schema.DeploymentFilter{AppID: app.ID, Statuses: append([]release.Status{release.StatusScheduled}, release.InFlightStatuses...)})
		if err != nil {
			return err
		}
		if len(active) > 0 {
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(250 * time.Millisecond):
			}
		}
	}
	if len(active) > 0 {
		return stateErr("deployment %s of %s is still stopping; try again in a minute", active[0].ID, name)
	}
	// Recurring deploys stop first, so none starts while the app goes.
	if rs, err := s.store.ListRecurring(ctx, app.ID); err != nil {
		return err
	} else {
		for _, r := range rs {
			if err := s.deleteSchedule(ctx, app.Name, r.ID); err != nil {
				return err
			}
		}
	}
	run, err := s.temporal.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID:                    workflows.DeleteID(app.Name, app.ID),
		TaskQueue:             workflows.TaskQueue,
		TypedSearchAttributes: appAttrs(app.Name, "delete", ""),
	}, workflows.DeleteAppWorkflow, workflows.DeleteAppInput{AppID: app.ID, App: app.Name, HostQueue: hostQueue(app)})
	if err != nil {
		return fmt.Errorf("start deleting %s: %w: %v", name, ErrUnavailable, err)
	}
	wctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	if err := run.Get(wctx, nil); err != nil {
		return fmt.Errorf("delete %s: %w", name, err)
	}
	s.audit(ctx, AuditAppDelete, app.TeamID, app.Name, settingsOf(app), nil)
	return nil
}
