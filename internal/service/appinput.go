package service

import (
	"fmt"
	"net/url"
	"path"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/rivetr/rivetr/internal/detect"
	"github.com/rivetr/rivetr/internal/egress"
	"github.com/rivetr/rivetr/internal/gitsrc"
	"github.com/rivetr/rivetr/internal/release"
	"github.com/rivetr/rivetr/internal/webhook"
	"github.com/rivetr/rivetr/schema"
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
	// Strategy is start-first (the default) or stop-first (see
	// release.Strategy).
	Strategy *string `json:"strategy,omitempty"`
	// AllowHTTP keeps plain HTTP serving beside HTTPS (no redirect);
	// HSTS sends Strict-Transport-Security over HTTPS.
	AllowHTTP *bool `json:"allow_http,omitempty"`
	HSTS      *bool `json:"hsts,omitempty"`
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
	// ComposeFile and StackService (build type compose): the compose
	// file's path in the repository ("" finds it) and the service the
	// app's domains route to.
	ComposeFile  *string `json:"compose_file,omitempty"`
	StackService *string `json:"stack_service,omitempty"`
	// ComposeInline is a compose file given instead of a repository's
	// (pasted in the dashboard; a template's): the app has no git URL.
	ComposeInline *string `json:"compose_inline,omitempty"`
	// StackProfiles are the compose profiles enabled (replaces the list).
	StackProfiles *[]string `json:"stack_profiles,omitempty"`
	// StackRoutes send domains to other services of the stack (replaces
	// the list; a route's host is added to the domains when missing).
	StackRoutes *[]release.StackRoute `json:"stack_routes,omitempty"`
	// template and env are set by a template's deploy: the template the
	// app is made from and its variables, created with the app.
	template string
	env      []EnvInput
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

// credentialsMoved refuses moving stored credentials to another host: a
// git token or SSH key was given for the repository's host, a provider
// token for the provider's; changing the host without giving them again
// would send them to whoever runs the new one.
func (in *AppInput) credentialsMoved(app *schema.App) error {
	f := fieldErrors{}
	if in.GitURL != nil && gitsrc.Host(strings.TrimSpace(*in.GitURL)) != gitsrc.Host(app.GitURL) &&
		(app.GitToken != "" && in.GitToken == nil || app.SSHKey != "" && in.SSHKey == nil) {
		f.add("git_url", "the app's stored git token or SSH key was given for %s; give it again for %s (--git-token / --ssh-key-file), or clear it, in the same change",
			gitsrc.Host(app.GitURL), gitsrc.Host(strings.TrimSpace(*in.GitURL)))
	}
	if in.ProviderURL != nil && gitsrc.Host(strings.TrimSpace(*in.ProviderURL)) != gitsrc.Host(app.ProviderURL) && app.ProviderToken != "" && in.ProviderToken == nil {
		f.add("provider_url", "the app's stored provider token was given for %s; give it again for the new address (--provider-token-file), or clear it, in the same change",
			hostOr(gitsrc.Host(app.ProviderURL), "the provider's default API"))
	}
	return f.err()
}

func hostOr(h, none string) string {
	if h == "" {
		return none
	}
	return h
}

// touchesPolicy reports whether in changes the app's release policy.
// Turning previews on is one: a preview runs the app's secrets from any
// branch a pull request names.
func (in *AppInput) touchesPolicy(app *schema.App) bool {
	return in.RequireApproval != nil && *in.RequireApproval != app.RequireApproval ||
		in.PreviewsEnabled != nil && *in.PreviewsEnabled != app.PreviewsEnabled ||
		in.ApprovalsNeeded != nil && *in.ApprovalsNeeded != app.ApprovalsNeeded ||
		in.AllowSelfApproval != nil && *in.AllowSelfApproval != app.AllowSelfApproval ||
		in.ApprovalTTL != nil && *in.ApprovalTTL != app.ApprovalTTL ||
		in.Environment != nil && strings.TrimSpace(*in.Environment) != app.Environment
}

// dropsDomains reports whether in takes a domain away from app.
func (in *AppInput) dropsDomains(app *schema.App) bool {
	if in.Domains == nil {
		return false
	}
	kept := map[string]bool{}
	for _, d := range *in.Domains {
		kept[release.NormalizeDomain(d)] = true
	}
	for _, d := range app.Domains {
		if !kept[d] {
			return true
		}
	}
	return false
}

var (
	buildTargetRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$`)
	nameRE        = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$`)
	labelRE       = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$`)
	branchRE      = regexp.MustCompile(`^[A-Za-z0-9._/-]+$`)
)

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
			if d = release.NormalizeDomain(d); d != "" && !slices.Contains(app.Domains, d) {
				app.Domains = append(app.Domains, d)
			}
		}
	}
	if in.StackRoutes != nil {
		app.StackRoutes = nil
		for _, r := range *in.StackRoutes {
			r.Host, r.Service = release.NormalizeDomain(r.Host), strings.TrimSpace(r.Service)
			if r.HealthPath == "" {
				r.HealthPath = "/"
			}
			app.StackRoutes = append(app.StackRoutes, r)
			if r.Host != "" && !slices.Contains(app.Domains, r.Host) {
				app.Domains = append(app.Domains, r.Host)
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
	if in.ComposeFile != nil {
		app.ComposeFile = strings.TrimSpace(*in.ComposeFile)
	}
	if in.StackService != nil {
		app.StackService = strings.TrimSpace(*in.StackService)
	}
	if in.StackProfiles != nil {
		app.StackProfiles = nil
		for _, p := range *in.StackProfiles {
			if p = strings.TrimSpace(p); p != "" && !slices.Contains(app.StackProfiles, p) {
				app.StackProfiles = append(app.StackProfiles, p)
			}
		}
	}
	if in.ComposeInline != nil {
		app.ComposeInline = strings.TrimSpace(*in.ComposeInline)
		if app.ComposeInline != "" {
			app.ComposeInline += "\n"
		}
	}
	if in.Strategy != nil {
		app.Strategy = release.Strategy(strings.TrimSpace(*in.Strategy))
	}
	if in.AllowHTTP != nil {
		app.AllowHTTP = *in.AllowHTTP
	}
	if in.HSTS != nil {
		app.HSTS = *in.HSTS
	}
	if in.GitToken != nil {
		app.GitToken = *in.GitToken
	}
	if in.SSHKey != nil {
		app.SSHKey = *in.SSHKey
	}
}

func validateApp(app *schema.App, allowLocalGit bool, out *egress.Policy) error {
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
		} else if err := out.CheckURL(app.ProviderURL); err != nil {
			f.add("provider_url", "%v", err)
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
	switch {
	case app.ComposeInline != "":
		if app.GitURL != "" {
			f.add("git_url", "an app with a pasted compose file has no repository: clear the git URL, or clear the compose file to deploy the repository's")
		}
		if app.BuildType != detect.Compose {
			f.add("compose_inline", "a pasted compose file needs build type compose")
		}
		if len(app.ComposeInline) > MaxComposeInline {
			f.add("compose_inline", "is %d bytes; at most %d (keep large stacks in a repository)", len(app.ComposeInline), MaxComposeInline)
		}
		if app.PreviewsEnabled {
			f.add("previews_enabled", "previews need a repository's pull requests; an app with a pasted compose file has none")
		}
	case !gitsrc.ValidURL(app.GitURL):
		f.add("git_url", "must be an https://, ssh://, git:// or file:// URL, user@host:path, or an absolute path")
	case gitsrc.Local(app.GitURL) && !allowLocalGit:
		f.add("git_url", "repositories on the server (file:// URLs and paths) are off on this server: they would read any repository on the host; use the repository's https:// or ssh address (an admin can start the server with --allow-local-git for local development)")
	case !gitsrc.Local(app.GitURL):
		if err := out.CheckHost(gitsrc.Host(app.GitURL)); err != nil {
			f.add("git_url", "%v", err)
		}
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
		if err := release.CheckDomain(d); err != nil {
			f.add("domains", "%v", err)
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
	if app.BuildType != detect.Compose && len(app.StackRoutes) > 0 {
		f.add("stack_routes", "routes to services are for stacks (build type compose)")
	}
	if app.BuildType == detect.Compose {
		if !serviceNameRE.MatchString(app.StackService) {
			f.add("stack_service", "a stack needs the service its domains route to (--service NAME, as named in the compose file)")
		}
		hosts := map[string]bool{}
		for _, r := range app.StackRoutes {
			switch {
			case !slices.Contains(app.Domains, r.Host):
				f.add("stack_routes", "%s is routed to service %s but is not one of the app's domains (to remove the domain, remove its route in the same change)", r.Host, r.Service)
			case hosts[r.Host]:
				f.add("stack_routes", "%s is routed twice", r.Host)
			case !serviceNameRE.MatchString(r.Service):
				f.add("stack_routes", "route %s: %q is not a service name", r.Host, r.Service)
			case r.Service == app.StackService:
				f.add("stack_routes", "route %s: %s is the app's routed service already (its domains are those no route takes)", r.Host, r.Service)
			case r.Port < 1 || r.Port > 65535:
				f.add("stack_routes", "route %s: the port must be between 1 and 65535", r.Host)
			case !strings.HasPrefix(r.HealthPath, "/") || strings.ContainsAny(r.HealthPath, " \t\r\n"):
				f.add("stack_routes", "route %s: the health path must start with / and contain no spaces", r.Host)
			}
			hosts[r.Host] = true
			for _, o := range app.StackRoutes {
				if o.Service == r.Service && (o.Port != r.Port || o.HealthPath != r.HealthPath) {
					f.add("stack_routes", "the routes to %s must share one port and health path", r.Service)
					break
				}
			}
		}
		if len(app.StackRoutes) > 0 && len(app.MainDomains()) == 0 {
			f.add("stack_routes", "every domain is routed elsewhere: %s needs one of its own", app.StackService)
		}
		for _, p := range app.StackProfiles {
			if !serviceNameRE.MatchString(p) {
				f.add("stack_profiles", "%q is not a profile name (letters, digits, '_', '.', '-')", p)
			}
		}
		if c := app.ComposeFile; c != "" && (strings.HasPrefix(c, "/") || slices.Contains(strings.Split(path.Clean(c), "/"), "..")) {
			f.add("compose_file", "must be a relative path inside the repository")
		}
	}
	if _, err := release.ParseStrategy(string(app.Strategy.Or())); err != nil {
		f.add("strategy", "must be start-first or stop-first")
	}
	return f.err()
}

// MaxComposeInline bounds a pasted compose file.
const MaxComposeInline = 256 << 10

// serviceNameRE is a compose service name.
var serviceNameRE = regexp.MustCompile(`^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,62}$`)

// settingsOf is an app's settings as the audit log records them: secrets
// only as whether they are set.
func settingsOf(app *schema.App) map[string]any {
	return map[string]any{
		"git_url": app.GitURL, "branch": app.Branch, "dockerfile": app.Dockerfile, "domains": app.Domains,
		"port": app.Port, "health_path": app.HealthPath, "health_interval": app.HealthInterval.D().String(),
		"health_timeout": app.HealthTimeout.D().String(), "health_deadline": app.HealthDeadline.D().String(),
		"drain_timeout": app.DrainTimeout.D().String(), "memory_limit_mb": app.MemoryLimitMB, "cpu_limit": app.CPULimit,
		"keep_images": app.KeepImages, "strategy": app.Strategy.Or(), "allow_http": app.AllowHTTP, "hsts": app.HSTS, "host": app.Host, "has_git_token": app.GitToken != "", "has_ssh_key": app.SSHKey != "",
		"require_approval": app.RequireApproval, "approvals_needed": app.ApprovalsNeeded, "allow_self_approval": app.AllowSelfApproval,
		"approval_ttl": app.ApprovalTTL.D().String(), "environment": app.Environment, "watch_paths": app.WatchPaths,
		"build_type": app.BuildType, "build_context": app.BuildContext, "build_args": app.BuildArgs, "build_target": app.BuildTarget,
		"static_dir": app.StaticDir, "builder": app.Builder, "compose_file": app.ComposeFile, "stack_service": app.StackService, "compose_inline": app.ComposeInline, "template": app.Template, "stack_profiles": app.StackProfiles, "stack_routes": app.StackRoutes,
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
