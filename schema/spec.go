package schema

import (
	"context"
	"encoding/json"
	"fmt"
)

// ReleaseSpec is what a deployment builds and runs with, captured when it
// is asked for and sealed on its row: the app's build and runtime
// settings and its env vars, values included. The build and the start read
// it instead of the app, so what an approver approved (the snapshot diff)
// is what runs even if the app changes meanwhile, and a rollback brings
// back the release it names (image, env and settings), not just its image.
//
// Domains, the team, credentials and release policy are not part of it:
// they are the app's, and apply to every release.
type ReleaseSpec struct {
	Settings AppSettings `json:"settings"`
	// Env are the vars the container gets (a preview's: its parent's, with
	// PreviewEnv on top).
	Env        []SpecVar         `json:"env"`
	PreviewEnv map[string]string `json:"preview_env,omitempty"`
}

// SpecVar is one env var of a release.
type SpecVar struct {
	Key    string `json:"key"`
	Value  string `json:"value"`
	Secret bool   `json:"secret,omitempty"`
}

// AppSettings are an app's settings that belong to a release.
type AppSettings struct {
	BuildType      string            `json:"build_type,omitempty"`
	Dockerfile     string            `json:"dockerfile,omitempty"`
	BuildContext   string            `json:"build_context,omitempty"`
	BuildArgs      map[string]string `json:"build_args,omitempty"`
	BuildTarget    string            `json:"build_target,omitempty"`
	StaticDir      string            `json:"static_dir,omitempty"`
	Builder        string            `json:"builder,omitempty"`
	Port           int               `json:"port"`
	HealthPath     string            `json:"health_path"`
	HealthInterval Duration          `json:"health_interval"`
	HealthTimeout  Duration          `json:"health_timeout"`
	HealthDeadline Duration          `json:"health_deadline"`
	DrainTimeout   Duration          `json:"drain_timeout"`
	MemoryLimitMB  int64             `json:"memory_limit_mb"`
	CPULimit       float64           `json:"cpu_limit"`
	KeepImages     int               `json:"keep_images"`
	ComposeFile    string            `json:"compose_file,omitempty"`
	StackService   string            `json:"stack_service,omitempty"`
	ComposeInline  string            `json:"compose_inline,omitempty"`
	StackProfiles  []string          `json:"stack_profiles,omitempty"`
}

// SettingsOf is app's release settings.
func SettingsOf(app *App) AppSettings {
	return AppSettings{
		BuildType: app.BuildType, Dockerfile: app.Dockerfile, BuildContext: app.BuildContext, BuildArgs: app.BuildArgs,
		BuildTarget: app.BuildTarget, StaticDir: app.StaticDir, Builder: app.Builder,
		Port: app.Port, HealthPath: app.HealthPath, HealthInterval: app.HealthInterval, HealthTimeout: app.HealthTimeout,
		HealthDeadline: app.HealthDeadline, DrainTimeout: app.DrainTimeout, MemoryLimitMB: app.MemoryLimitMB, CPULimit: app.CPULimit,
		KeepImages: app.KeepImages, ComposeFile: app.ComposeFile, StackService: app.StackService, ComposeInline: app.ComposeInline, StackProfiles: app.StackProfiles,
	}
}

// Apply sets app's release settings to s.
func (s AppSettings) Apply(app *App) {
	app.BuildType, app.Dockerfile, app.BuildContext, app.BuildArgs = s.BuildType, s.Dockerfile, s.BuildContext, s.BuildArgs
	app.BuildTarget, app.StaticDir, app.Builder = s.BuildTarget, s.StaticDir, s.Builder
	app.Port, app.HealthPath, app.HealthInterval, app.HealthTimeout = s.Port, s.HealthPath, s.HealthInterval, s.HealthTimeout
	app.HealthDeadline, app.DrainTimeout, app.MemoryLimitMB, app.CPULimit = s.HealthDeadline, s.DrainTimeout, s.MemoryLimitMB, s.CPULimit
	app.KeepImages, app.ComposeFile, app.StackService, app.ComposeInline, app.StackProfiles = s.KeepImages, s.ComposeFile, s.StackService, s.ComposeInline, s.StackProfiles
}

func specContext(deploymentID string) string { return "deployment:" + deploymentID + ":spec" }

// CaptureSpec records what d will run with: app's settings and the env of
// source (app itself, or a preview's parent), sealed on d (whose ID must
// be set).
func (s *Store) CaptureSpec(ctx context.Context, d *Deployment, app, source *App) error {
	vars, err := s.ListEnv(ctx, source.ID)
	if err != nil {
		return fmt.Errorf("env of %s: %w", source.Name, err)
	}
	spec := &ReleaseSpec{Settings: SettingsOf(app), Env: make([]SpecVar, 0, len(vars))}
	for _, v := range vars {
		spec.Env = append(spec.Env, SpecVar{Key: v.Key, Value: v.Value, Secret: v.Secret})
	}
	if app.PreviewOf != "" {
		spec.PreviewEnv = source.PreviewEnv
	}
	return s.SealSpec(d, spec)
}

// SealSpec seals spec onto d (whose ID must be set).
func (s *Store) SealSpec(d *Deployment, spec *ReleaseSpec) error {
	b, err := json.Marshal(spec)
	if err != nil {
		return err
	}
	sealed, err := s.keys.Seal(string(b), specContext(d.ID))
	if err != nil {
		return fmt.Errorf("seal the release of %s: %w", d.ID, err)
	}
	d.Spec = sealed
	return nil
}

// DeploymentSpec opens d's release; nil for deployments made before
// releases were recorded (they run with the app's current settings).
func (s *Store) DeploymentSpec(d *Deployment) (*ReleaseSpec, error) {
	if d.Spec == "" {
		return nil, nil
	}
	plain, err := s.keys.Open(d.Spec, specContext(d.ID))
	if err != nil {
		return nil, fmt.Errorf("release of deployment %s: %w", d.ID, err)
	}
	var spec ReleaseSpec
	if err := json.Unmarshal([]byte(plain), &spec); err != nil {
		return nil, fmt.Errorf("release of deployment %s: %w", d.ID, err)
	}
	return &spec, nil
}
