package service

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/rivetr/rivetr/internal/detect"
	"github.com/rivetr/rivetr/internal/ids"
	"github.com/rivetr/rivetr/internal/release"
	"github.com/rivetr/rivetr/schema"
	"github.com/rivetr/rivetr/workflows"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
)

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

// checkDomainsFree fails when another app already serves one of app's
// domains, or when app, not a preview, names a host under the preview
// domain (kept for pull request previews, which would otherwise find
// their names taken). The domains table's key settles races; this says
// which app holds a host, for the ones the caller may see.
func (s *core) checkDomainsFree(ctx context.Context, app *schema.App) error {
	f := fieldErrors{}
	for _, d := range app.Domains {
		if dd := s.dashboardDomain; dd != "" && (d == dd || strings.HasPrefix(d, "*.") && strings.HasSuffix(dd, d[1:]) && !strings.Contains(strings.TrimSuffix(dd, d[1:]), ".")) {
			f.add("domains", "%s is the dashboard's domain (--dashboard-domain), or a wildcard over it", d)
			continue
		}
		if app.PreviewOf == "" && s.previewDomain != "" && (d == s.previewDomain || strings.HasSuffix(d, "."+s.previewDomain)) {
			f.add("domains", "%s is under the preview domain %s, whose names are kept for pull request previews", d, s.previewDomain)
			continue
		}
		owner, err := s.store.DomainOwner(ctx, d)
		if errors.Is(err, schema.ErrNotFound) || err == nil && owner == app.ID {
			continue
		} else if err != nil {
			return err
		}
		name := "another app"
		if other, err := s.store.GetApp(ctx, owner); err == nil && ActorFrom(ctx).Can(other.TeamID, release.PermRead) {
			name = "app " + other.Name
		}
		f.add("domains", "%s is already served by %s", d, name)
	}
	return f.err()
}

// domainTaken turns the store's refusal of a host another app took
// meanwhile into the answer checkDomainsFree gives.
func domainTaken(err error) error {
	var taken *schema.DomainTakenError
	if errors.As(err, &taken) {
		return &ValidationError{Fields: map[string]string{"domains": taken.Error()}}
	}
	return err
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
		// have no team until `rivetr db migrate-teams`. A capped token
		// creates apps only where its cap allows.
		t, err := s.store.GetTeam(ctx, DefaultTeam)
		switch {
		case errors.Is(err, schema.ErrNotFound):
			if !a.ActsAsInstanceAdmin() && !release.RoleAllows(a.TokenRole, release.PermCreateApp) {
				return "", forbid(a, "", release.PermCreateApp)
			}
			return "", nil
		case err != nil:
			return "", err
		case !a.Can(t.ID, release.PermCreateApp):
			return "", forbid(a, t.ID, release.PermCreateApp)
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
		Strategy:        release.StartFirst,
		Host:            s.hostName,
		ApprovalsNeeded: 1,
		ApprovalTTL:     schema.Duration(release.DefaultApprovalTTL),
		WebhookSecret:   newWebhookSecret(),
		BuildType:       detect.Auto,
	}
	in.apply(app)
	app.Template = in.template
	if err := validateApp(app, s.allowLocalGit, s.egress); err != nil {
		return nil, err
	}
	env, err := envRows(in.env)
	if err != nil {
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
	if err := s.store.CreateApp(ctx, app, env...); err != nil {
		var taken *schema.DomainTakenError
		if errors.As(err, &taken) {
			return nil, domainTaken(err)
		}
		if errors.Is(err, schema.ErrConflict) {
			return nil, &ValidationError{Fields: map[string]string{"name": fmt.Sprintf("an app named %s already exists", app.Name)}}
		}
		return nil, err
	}
	created := settingsOf(app)
	if len(env) > 0 {
		shown := map[string]any{}
		for _, v := range env {
			shown[v.Key] = envShown(v.Value, v.Secret)
		}
		created["env"] = shown
	}
	s.audit(ctx, AuditAppCreate, app.TeamID, app.Name, nil, created)
	return s.view(ctx, app)
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
	if err := in.credentialsMoved(app); err != nil {
		return nil, err
	}
	if in.touchesPolicy(app) || in.dropsDomains(app) && s.effectiveApproval(ctx, app).Required {
		// A gated app's domain given up by a developer could be taken by
		// a new app without the gate: that is a policy change.
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
	if in.template != "" {
		app.Template = in.template
	}
	if err := validateApp(app, s.allowLocalGit, s.egress); err != nil {
		return nil, err
	}
	if err := s.checkDomainsFree(ctx, app); err != nil {
		return nil, err
	}
	if err := s.checkEnvironment(ctx, app); err != nil {
		return nil, err
	}
	if err := s.store.SaveApp(ctx, app); err != nil {
		return nil, domainTaken(err)
	}
	if b, a := changed(before, settingsOf(app)); len(a) > 0 {
		s.audit(ctx, AuditAppUpdate, app.TeamID, app.Name, b, a)
		if _, ok := a["domains"]; ok {
			s.applyDomains(ctx, app)
		}
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
	// What others need stays.
	if err := s.neededBy(ctx, release.DepApp, app.ID, app.Name); err != nil {
		return err
	}
	// Its volumes' backup schedules go first: nothing to back up soon.
	if err := s.dropVolumeSchedules(ctx, app); err != nil {
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
		if wctx.Err() != nil {
			return fmt.Errorf("delete %s: %w", name, err)
		}
		// The workflow's own words, not Temporal's wrapping of them.
		return errorf(KindUnavailable, "could not delete %s: %s; deleting it again finishes the job", name, workflows.Cause(err))
	}
	s.audit(ctx, AuditAppDelete, app.TeamID, app.Name, settingsOf(app), nil)
	return nil
}
