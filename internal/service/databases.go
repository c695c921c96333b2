package service

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"

	"github.com/rivetr/rivetr/internal/dbengine"
	"github.com/rivetr/rivetr/internal/ids"
	"github.com/rivetr/rivetr/internal/release"
	"github.com/rivetr/rivetr/schema"
	"github.com/rivetr/rivetr/workflows"
)

// DatabaseInput creates a database.
type DatabaseInput struct {
	Name   string `json:"name"`
	Engine string `json:"engine"`
	// Version picks the official image's tag; Image replaces the image
	// altogether (it must honour the official image's variables).
	Version string `json:"version,omitempty"`
	Image   string `json:"image,omitempty"`
	Team    string `json:"team,omitempty"`
	// PublicPort publishes the server on the host (explicit opt-in; 0:
	// reachable on its team's network only).
	PublicPort int `json:"public_port,omitempty"`
}

// DatabaseView is a database as users see it: its connection URL with the
// password masked (shown only with reveal, to admins).
type DatabaseView struct {
	Database
	Team string `json:"team,omitempty"`
	URL  string `json:"url"`
	// Host and Port are where its team's apps reach it.
	Host string `json:"host"`
	Port int    `json:"port"`
}

func newPassword() string {
	b := make([]byte, 18)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// authorizeDatabase loads a database the caller may act on with p.
func (s *core) authorizeDatabase(ctx context.Context, name string, p release.Perm) (*schema.Database, *Actor, error) {
	a, err := actor(ctx)
	if err != nil {
		return nil, nil, err
	}
	d, err := s.store.GetDatabase(ctx, name)
	if err != nil {
		return nil, a, err
	}
	if !a.Member(d.TeamID) {
		return nil, a, fmt.Errorf("database %s: %w", name, schema.ErrNotFound)
	}
	if !a.Can(d.TeamID, p) {
		return nil, a, forbid(a, d.TeamID, p)
	}
	return d, a, nil
}

func (s *core) databaseView(ctx context.Context, d *schema.Database, reveal bool) (*DatabaseView, error) {
	e, err := dbengine.Lookup(d.Engine)
	if err != nil {
		return nil, err
	}
	v := &DatabaseView{Database: databaseOf(d), Host: d.ContainerName(), Port: e.Port}
	inst := dbengine.Instance{Engine: e, Host: d.ContainerName(), User: d.User, Database: d.DBName}
	if reveal {
		if inst.Password, inst.RootPassword, err = s.store.DatabasePasswords(d); err != nil {
			return nil, fmt.Errorf("cannot open the database's password: %v: %w", err, ErrUnavailable)
		}
	}
	v.URL = inst.URL(reveal)
	if d.TeamID != "" {
		if t, err := s.store.GetTeam(ctx, d.TeamID); err == nil {
			v.Team = t.Name
		}
	}
	return v, nil
}

// CreateDatabase records a database and starts DatabaseWorkflow to create
// its volume and container; it answers at once with status creating.
func (s *Databases) CreateDatabase(ctx context.Context, in DatabaseInput) (*DatabaseView, error) {
	a, err := actor(ctx)
	if err != nil {
		return nil, err
	}
	teamName := in.Team
	teamID, err := s.teamForCreate(ctx, a, &teamName)
	if err != nil {
		return nil, err
	}
	if teamID != "" && !a.Can(teamID, release.PermDatabases) {
		return nil, forbid(a, teamID, release.PermDatabases)
	}
	d, err := s.newDatabase(in, teamID)
	if err != nil {
		return nil, err
	}
	if err := s.store.CreateDatabase(ctx, d); errors.Is(err, schema.ErrConflict) {
		return nil, &ValidationError{Fields: map[string]string{"name": "a database named " + d.Name + " already exists"}}
	} else if err != nil {
		return nil, err
	}
	if err := s.startDatabaseOp(ctx, d, workflows.DBOpCreate, false); err != nil {
		_ = s.store.UpdateDatabaseStatus(context.WithoutCancel(ctx), d.ID, release.DBFailed, err.Error(), "")
		return nil, err
	}
	s.audit(ctx, AuditDatabaseCreate, teamID, d.Name, nil, map[string]any{"engine": d.Engine, "image": d.Image, "public_port": d.PublicPort})
	return s.databaseView(ctx, d, false)
}

// newDatabase validates in and makes the database's record (status
// creating, generated passwords), not yet stored.
func (s *core) newDatabase(in DatabaseInput, teamID string) (*schema.Database, error) {
	f := fieldErrors{}
	name := strings.TrimSpace(in.Name)
	if !nameRE.MatchString(name) || len(name) > 50 {
		f.add("name", "must be 1–50 lowercase letters, digits or '-', starting with a letter or digit")
	}
	e, err := dbengine.Lookup(strings.TrimSpace(in.Engine))
	if err != nil {
		f.add("engine", "%v", err)
	}
	version := strings.TrimSpace(in.Version)
	if version == "" {
		version = e.Version
	}
	image := strings.TrimSpace(in.Image)
	if image == "" && e.Image != "" {
		image = e.Image + ":" + version
	}
	if image == "" || strings.ContainsAny(image, " \t\n") {
		f.add("image", "must be an image reference")
	}
	if in.PublicPort != 0 && (in.PublicPort < 1024 || in.PublicPort > 65535) {
		f.add("public_port", "must be 0 (not published) or between 1024 and 65535")
	}
	if err := f.err(); err != nil {
		return nil, err
	}
	id := ids.New()
	d := &schema.Database{ID: id, Name: name, TeamID: teamID, Engine: e.Name, Version: version, Image: image, DockerHost: s.hostName,
		User: e.DefaultUser, Password: newPassword(), DBName: "app", PublicPort: in.PublicPort, Status: release.DBCreating,
		Volume: release.DatabaseVolume(id)}
	if e.Name == "mysql" || e.Name == "mariadb" {
		d.RootPassword = newPassword()
	}
	if e.Name == "redis" {
		d.DBName = ""
	}
	return d, nil
}

// startDatabaseOp starts DatabaseWorkflow for op; one runs at a time per
// database.
func (s *core) startDatabaseOp(ctx context.Context, d *schema.Database, op string, purge bool) error {
	_, err := s.temporal.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID: workflows.DatabaseID(d.Name), TaskQueue: workflows.TaskQueue,
		WorkflowIDReusePolicy:    enumspb.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE,
		WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_FAIL,
		TypedSearchAttributes:    appAttrs(d.Name, "database", ""),
		StaticSummary:            op + " database " + d.Name,
	}, workflows.DatabaseWorkflow, workflows.DatabaseOp{ID: d.ID, Name: d.Name, Op: op, HostQueue: s.hostQueueOf(d.DockerHost), Purge: purge})
	var started *serviceerror.WorkflowExecutionAlreadyStarted
	if errors.As(err, &started) {
		return stateErr("another operation on database %s is still running; try again when it ends", d.Name)
	}
	if err != nil {
		return fmt.Errorf("could not start the database operation: %v: %w", err, ErrUnavailable)
	}
	return nil
}

func (s *core) hostQueueOf(host string) string { return hostQueue(&schema.App{Host: host}) }

// ListDatabases returns the databases of the caller's teams.
func (s *Databases) ListDatabases(ctx context.Context) ([]DatabaseView, error) {
	a, err := actor(ctx)
	if err != nil {
		return nil, err
	}
	ds, err := s.store.ListDatabases(ctx, a.TeamIDs())
	if err != nil {
		return nil, err
	}
	out := make([]DatabaseView, 0, len(ds))
	for i := range ds {
		if !a.Member(ds[i].TeamID) {
			continue
		}
		v, err := s.databaseView(ctx, &ds[i], false)
		if err != nil {
			return nil, err
		}
		out = append(out, *v)
	}
	return out, nil
}

// GetDatabase shows one database; reveal (admins) shows its password in
// the URL.
func (s *Databases) GetDatabase(ctx context.Context, name string, reveal bool) (*DatabaseView, error) {
	p := release.PermRead
	if reveal {
		p = release.PermDatabaseAdmin
	}
	d, _, err := s.authorizeDatabase(ctx, name, p)
	if err != nil {
		return nil, err
	}
	if reveal {
		s.audit(ctx, AuditDatabaseReveal, d.TeamID, d.Name, nil, nil)
	}
	return s.databaseView(ctx, d, reveal)
}

// DatabaseAction starts, stops or deletes a database (delete keeps the
// data volume unless purge; it takes the database admin permission).
func (s *Databases) DatabaseAction(ctx context.Context, name, op string, purge bool) (*DatabaseView, error) {
	p := release.PermDatabases
	if op == workflows.DBOpDelete {
		p = release.PermDatabaseAdmin
	}
	d, _, err := s.authorizeDatabase(ctx, name, p)
	if err != nil {
		return nil, err
	}
	switch op {
	case workflows.DBOpStart, workflows.DBOpStop, workflows.DBOpDelete:
	default:
		return nil, &ValidationError{Fields: map[string]string{"action": "must be start, stop or delete"}}
	}
	if op == workflows.DBOpDelete {
		if err := s.neededBy(ctx, release.DepDatabase, d.ID, d.Name); err != nil {
			return nil, err
		}
	}
	if err := s.startDatabaseOp(ctx, d, op, purge); err != nil {
		return nil, err
	}
	s.audit(ctx, "database."+op, d.TeamID, d.Name, nil, map[string]any{"purge": purge})
	return s.databaseView(ctx, d, false)
}

// WaitDatabase waits (up to timeout) until the database's operation ends
// and returns its state.
func (s *Databases) WaitDatabase(ctx context.Context, name string, timeout time.Duration) (*DatabaseView, error) {
	d, _, err := s.authorizeDatabase(ctx, name, release.PermRead)
	if err != nil {
		return nil, err
	}
	wctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	err = s.temporal.GetWorkflow(wctx, workflows.DatabaseID(d.Name), "").Get(wctx, nil)
	if d2, gerr := s.store.GetDatabase(ctx, d.ID); gerr == nil {
		d = d2
	} else if errors.Is(gerr, schema.ErrNotFound) {
		return nil, gerr
	}
	v, verr := s.databaseView(ctx, d, false)
	if verr != nil {
		return nil, verr
	}
	if err != nil && wctx.Err() == nil {
		return v, errorf(KindState, "database %s: %s", d.Name, firstNonEmptyErr(d.Error, err))
	}
	return v, nil
}

func firstNonEmptyErr(s string, err error) string {
	if s != "" {
		return s
	}
	return workflows.Cause(err)
}

// LinkDatabase gives an app the database's connection settings as secret
// env vars named PREFIX_URL, PREFIX_HOST, PREFIX_PORT, PREFIX_USER,
// PREFIX_PASSWORD and PREFIX_NAME (default prefix DATABASE); they apply
// from the app's next deployment.
func (s *Databases) LinkDatabase(ctx context.Context, name, appName, prefix string) ([]string, error) {
	// A link puts the password in the app's env, where any developer's
	// code can read it: it takes what revealing the password takes.
	d, _, err := s.authorizeDatabase(ctx, name, release.PermDatabaseAdmin)
	if err != nil {
		return nil, err
	}
	app, _, err := s.authorizeApp(ctx, appName, release.PermEnv)
	if err != nil {
		return nil, err
	}
	if app.TeamID != d.TeamID {
		return nil, &ValidationError{Fields: map[string]string{"app": "the app and the database belong to different teams"}}
	}
	prefix = strings.ToUpper(strings.TrimSpace(prefix))
	if prefix == "" {
		prefix = "DATABASE"
	}
	if !envKeyRE.MatchString(prefix) {
		return nil, &ValidationError{Fields: map[string]string{"prefix": "must be an env var name"}}
	}
	e, _ := dbengine.Lookup(d.Engine)
	pw, root, err := s.store.DatabasePasswords(d)
	if err != nil {
		return nil, fmt.Errorf("cannot open the database's password: %v: %w", err, ErrUnavailable)
	}
	inst := dbengine.Instance{Engine: e, Host: d.ContainerName(), User: d.User, Password: pw, RootPassword: root, Database: d.DBName}
	var vars []schema.EnvVar
	var keys []string
	for k, v := range inst.LinkEnv(prefix) {
		vars = append(vars, schema.EnvVar{Key: k, Value: v, Secret: true})
		keys = append(keys, k)
	}
	if err := s.store.SetEnv(ctx, app.ID, vars); err != nil {
		return nil, err
	}
	// The app now needs the database: a deploy waits for it, and it
	// cannot be deleted from under the app.
	if err := s.store.AddDependency(ctx, &schema.Dependency{AppID: app.ID, Kind: release.DepDatabase, TargetID: d.ID, CreatedAt: time.Now().UTC()}); err != nil && !errors.Is(err, schema.ErrConflict) {
		return nil, err
	}
	s.audit(ctx, AuditDatabaseLink, d.TeamID, d.Name, nil, map[string]any{"app": app.Name, "vars": strings.Join(keys, ",")})
	return keys, nil
}
