package service

import (
	"context"
	"slices"
	"strings"

	"github.com/rivetr/rivetr/internal/detect"
	"github.com/rivetr/rivetr/internal/release"
	"github.com/rivetr/rivetr/internal/templates"
	"github.com/rivetr/rivetr/schema"
)

// TemplateView is a service template as the gallery and `rivetr
// templates` show it.
type TemplateView struct {
	*templates.Template
	Ref string `json:"ref"`
}

// TemplateDeployRequest asks for an app made from a template, deployed.
type TemplateDeployRequest struct {
	// Name is the app's name (default: the template's).
	Name    string   `json:"name,omitempty"`
	Team    string   `json:"team,omitempty"`
	Domains []string `json:"domains"`
	// Set gives variables' values (the rest are generated or defaulted;
	// required ones must be given).
	Set map[string]string `json:"set,omitempty"`
	// Host is the Docker host to run on ("" the server's).
	Host string `json:"host,omitempty"`
	// NoDeploy creates the app without deploying it.
	NoDeploy bool   `json:"no_deploy,omitempty"`
	Trigger  string `json:"trigger,omitempty"`
}

// TemplateDeployed is what a template's deploy made. Generated holds the
// values Rivetr generated (passwords, secrets): shown this once, stored
// as the app's secret env vars.
type TemplateDeployed struct {
	App        *AppView          `json:"app"`
	Deployment *DeploymentView   `json:"deployment,omitempty"`
	Generated  map[string]string `json:"generated,omitempty"`
	Notes      string            `json:"notes,omitempty"`
	// DeployError is why the deploy could not start (the app is made and
	// its generated values are shown all the same; deploy it again).
	DeployError string `json:"deploy_error,omitempty"`
}

// ListTemplates is the catalog, by name; category narrows it.
func (s *Apps) ListTemplates(ctx context.Context, category string) ([]TemplateView, error) {
	if _, err := actor(ctx); err != nil {
		return nil, err
	}
	out := []TemplateView{}
	for _, t := range templates.All() {
		if category == "" || t.Category == category {
			out = append(out, TemplateView{Template: t, Ref: t.Ref()})
		}
	}
	return out, nil
}

// Template is one template of the catalog.
func (s *Apps) Template(ctx context.Context, name string) (*TemplateView, error) {
	if _, err := actor(ctx); err != nil {
		return nil, err
	}
	t, ok := templates.Get(name)
	if !ok {
		return nil, errorf(KindNotFound, "no template %q (rivetr templates list shows them)", name)
	}
	return &TemplateView{Template: t, Ref: t.Ref()}, nil
}

// DeployTemplate makes an app of build type compose from a template (its
// compose file pasted in, its variables the app's env: generated ones and
// secrets sealed) and deploys it through the app's gates. The app and its
// variables are created together; a deploy that cannot start leaves the
// app (its generated values are still returned, once), which a later
// deploy releases.
func (s *Apps) DeployTemplate(ctx context.Context, name string, req TemplateDeployRequest) (*TemplateDeployed, error) {
	t, err := s.Template(ctx, name)
	if err != nil {
		return nil, err
	}
	vals, err := t.Resolve(req.Set)
	if err != nil { // a missing or unknown variable, named
		return nil, &ValidationError{Fields: map[string]string{"set": err.Error()}}
	}
	appName := strings.TrimSpace(req.Name)
	if appName == "" {
		appName = t.Name
	}
	bt, compose, port, health := detect.Compose, t.Compose, t.Port, t.Health
	in := AppInput{
		Name: &appName, Domains: &req.Domains, BuildType: &bt, ComposeInline: &compose,
		StackService: &t.Service, Port: &port, HealthPath: &health, template: t.Ref,
	}
	if req.Team != "" {
		in.Team = &req.Team
	}
	if req.Host != "" {
		in.Host = &req.Host
	}
	generated := map[string]string{}
	for _, v := range vals {
		in.env = append(in.env, EnvInput{Key: v.Name, Value: v.Value, Secret: v.Secret})
		if v.Generated {
			generated[v.Name] = v.Value
		}
	}
	app, err := s.CreateApp(ctx, in)
	if err != nil {
		return nil, err
	}
	return s.deployMade(ctx, app, t.Template, generated, req.NoDeploy, req.Trigger), nil
}

// deployMade deploys an app a template made or upgraded (unless noDeploy)
// and says what was made: a deploy that cannot start is reported in the
// answer, which still carries the generated values (shown only here).
func (s *Apps) deployMade(ctx context.Context, app *AppView, t *templates.Template, generated map[string]string, noDeploy bool, trigger string) *TemplateDeployed {
	out := &TemplateDeployed{App: app, Notes: t.Notes}
	if len(generated) > 0 {
		out.Generated = generated
	}
	if noDeploy {
		return out
	}
	d, err := s.all.Deploy(ctx, app.Name, DeployRequest{Trigger: validTrigger(trigger)})
	if err != nil {
		out.DeployError = err.Error()
		return out
	}
	out.Deployment = d
	return out
}

// TemplateUpgradeRequest asks for an app made from a template to take
// the catalog's current version of it.
type TemplateUpgradeRequest struct {
	// Set gives values to variables (new ones, or to change existing ones).
	Set      map[string]string `json:"set,omitempty"`
	NoDeploy bool              `json:"no_deploy,omitempty"`
	Trigger  string            `json:"trigger,omitempty"`
}

// UpgradeTemplate replaces the compose file of an app made from a
// template with the catalog's current version (its new image tags),
// resolves the variables the app's env does not have yet (generated ones
// returned once), and deploys it through the app's gates: an approver
// sees the file's change, a rollback brings the previous file back.
// Changes made to the app's file since are replaced too.
func (s *Apps) UpgradeTemplate(ctx context.Context, name string, req TemplateUpgradeRequest) (*TemplateDeployed, error) {
	app, _, err := s.authorizeApp(ctx, name, release.PermEditApp)
	if err != nil {
		return nil, err
	}
	if app.Template == "" {
		return nil, &ValidationError{Fields: map[string]string{"template": app.Name + " was not made from a template"}}
	}
	tname, _, _ := strings.Cut(app.Template, "@")
	t, ok := templates.Get(tname)
	if !ok {
		return nil, errorf(KindNotFound, "template %s is no longer in the catalog; %s keeps its compose file", tname, app.Name)
	}
	if app.Template == t.Ref() && app.ComposeInline == t.Compose {
		return nil, stateErr("%s runs template %s, the catalog's current version", app.Name, t.Ref())
	}
	have, err := s.store.ListEnvMasked(ctx, app.ID)
	if err != nil {
		return nil, err
	}
	// The variables to resolve: those the app lacks, and those given.
	sub := *t
	sub.Variables = nil
	for _, v := range t.Variables {
		_, given := req.Set[v.Name]
		if given || !slices.ContainsFunc(have, func(e schema.EnvVar) bool { return e.Key == v.Name }) {
			sub.Variables = append(sub.Variables, v)
		}
	}
	for k := range req.Set {
		if !slices.ContainsFunc(t.Variables, func(v templates.Variable) bool { return v.Name == k }) {
			sub.Variables = t.Variables // Resolve names the unknown one against them all
		}
	}
	vals, err := sub.Resolve(req.Set)
	if err != nil {
		return nil, &ValidationError{Fields: map[string]string{"set": err.Error()}}
	}
	generated := map[string]string{}
	var env []EnvInput
	for _, v := range vals {
		if _, given := req.Set[v.Name]; given || v.Generated || !slices.ContainsFunc(have, func(e schema.EnvVar) bool { return e.Key == v.Name }) {
			env = append(env, EnvInput{Key: v.Name, Value: v.Value, Secret: v.Secret})
		}
		if v.Generated {
			generated[v.Name] = v.Value
		}
	}
	if len(env) > 0 {
		if _, err := s.SetEnv(ctx, app.Name, env); err != nil {
			return nil, err
		}
	}
	compose, port, health := t.Compose, t.Port, t.Health
	view, err := s.UpdateApp(ctx, app.Name, AppInput{ComposeInline: &compose, StackService: &t.Service, Port: &port, HealthPath: &health, template: t.Ref()})
	if err != nil {
		return nil, err
	}
	return s.deployMade(ctx, view, t, generated, req.NoDeploy, req.Trigger), nil
}
