package schema

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/libtnb/sqlite"
	"gorm.io/driver/postgres"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"
	"gorm.io/gorm/logger"
	msqlite "modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/rivetr/rivetr/internal/release"
	"github.com/rivetr/rivetr/internal/secrets"
)

// Domain errors. The store turns driver errors into these, so callers never
// look at SQLite or PostgreSQL error codes.
var (
	ErrNotFound = errors.New("not found")
	ErrConflict = errors.New("already exists")
	// ErrNoSpace means the database's disk is full.
	ErrNoSpace = errors.New("no space left on the database's disk")
)

// InUseError refuses to delete what others still use (a team with apps,
// an environment with apps). It is an ErrConflict; Reason says what to do.
type InUseError struct {
	Reason string
}

func (e *InUseError) Error() string { return e.Reason + ": " + ErrConflict.Error() }

// Is makes errors.Is(err, ErrConflict) true.
func (e *InUseError) Is(target error) bool { return target == ErrConflict }

// noSpace tells a full disk from other failures by the drivers' codes:
// SQLITE_FULL, PostgreSQL's disk_full, or ENOSPC from the file system.
func noSpace(err error) bool {
	var se *msqlite.Error
	if errors.As(err, &se) && se.Code()&0xff == sqlite3.SQLITE_FULL {
		return true
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) && pe.Code == "53100" {
		return true
	}
	return errors.Is(err, syscall.ENOSPC)
}

// Store reads and writes the control-plane data. Secret env values, git
// tokens and SSH keys are sealed with its keyring before they are written
// (see package secrets); a store without a keyring refuses to write them.
type Store struct {
	db     *gorm.DB
	driver string
	keys   *secrets.Keyring
}

// Open connects to the database named by dsn and migrates it. A dsn starting
// with postgres:// or postgresql:// selects PostgreSQL; anything else is a
// SQLite file path (created with its directory when missing). keys seal
// secrets; nil leaves the store unable to write or read them.
func Open(dsn string, keys *secrets.Keyring) (*Store, error) {
	cfg := &gorm.Config{
		Logger:         logger.Discard,
		TranslateError: true,
		NowFunc:        func() time.Time { return time.Now().UTC() },
	}
	var (
		db     *gorm.DB
		err    error
		driver string
	)
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		driver = "postgres"
		db, err = gorm.Open(postgres.Open(dsn), cfg)
	} else {
		driver = "sqlite"
		if err := os.MkdirAll(filepath.Dir(dsn), 0o700); err != nil {
			return nil, fmt.Errorf("create database directory: %w", err)
		}
		// WAL lets the dashboard's readers run beside the worker's writes;
		// busy_timeout makes writers queue instead of failing at once;
		// immediate transactions avoid the read→write upgrade deadlock.
		q := url.Values{}
		q.Add("_pragma", "journal_mode(WAL)")
		q.Add("_pragma", "busy_timeout(10000)")
		q.Add("_pragma", "synchronous(NORMAL)")
		q.Add("_pragma", "foreign_keys(ON)")
		q.Set("_txlock", "immediate")
		db, err = gorm.Open(sqlite.Open("file:"+dsn+"?"+q.Encode()), cfg)
	}
	if err != nil {
		return nil, fmt.Errorf("open %s database: %w", driver, err)
	}
	sqlDB, err := db.DB()
	if err != nil {
		return nil, err
	}
	if driver == "sqlite" {
		sqlDB.SetMaxOpenConns(4)
	} else {
		sqlDB.SetMaxOpenConns(16)
	}
	s := &Store{db: db, driver: driver, keys: keys}
	if err := s.migrate(); err != nil {
		_ = sqlDB.Close()
		return nil, err
	}
	return s, nil
}

// Driver returns "sqlite" or "postgres".
func (s *Store) Driver() string { return s.driver }

// Close closes the connection pool.
func (s *Store) Close() error {
	sqlDB, err := s.db.DB()
	if err != nil {
		return err
	}
	return sqlDB.Close()
}

// Ping checks that the database answers.
func (s *Store) Ping(ctx context.Context) error {
	sqlDB, err := s.db.DB()
	if err != nil {
		return err
	}
	return sqlDB.PingContext(ctx)
}

// wrap turns gorm and driver errors into the store's sentinels.
func wrap(err error, what string) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, gorm.ErrRecordNotFound):
		return fmt.Errorf("%s: %w", what, ErrNotFound)
	case errors.Is(err, gorm.ErrDuplicatedKey):
		return fmt.Errorf("%s: %w", what, ErrConflict)
	case noSpace(err):
		return fmt.Errorf("%s: %w", what, ErrNoSpace)
	}
	return fmt.Errorf("%s: %w", what, err)
}

// ---- apps ----

// CreateApp inserts app; ErrConflict when the name is taken. Its git token
// and SSH key are sealed (app keeps them sealed afterwards).
func (s *Store) CreateApp(ctx context.Context, app *App) error {
	if err := s.sealApp(app); err != nil {
		return err
	}
	return wrap(s.db.WithContext(ctx).Create(app).Error, "app "+app.Name)
}

func appContext(id, field string) string  { return "app:" + id + ":" + field }
func envContext(appID, key string) string { return "env:" + appID + ":" + key }

// sealApp seals app's credentials that are not sealed yet.
// sealedField is an app column kept sealed.
type sealedField struct {
	v    *string
	name string
}

// sealedFields are an app's sealed columns (their names are the columns').
func sealedFields(app *App) []sealedField {
	return []sealedField{{&app.GitToken, "git_token"}, {&app.SSHKey, "ssh_key"}, {&app.WebhookSecret, "webhook_secret"}, {&app.ProviderToken, "provider_token"}}
}

func (s *Store) sealApp(app *App) error {
	for _, f := range sealedFields(app) {
		if *f.v == "" || secrets.IsSealed(*f.v) {
			continue
		}
		sealed, err := s.keys.Seal(*f.v, appContext(app.ID, f.name))
		if err != nil {
			return fmt.Errorf("seal the %s of %s: %w", f.name, app.Name, err)
		}
		*f.v = sealed
	}
	return nil
}

// AppCredentials opens an app's sealed git token and SSH key.
func (s *Store) AppCredentials(app *App) (token, sshKey string, err error) {
	if token, err = s.keys.Open(app.GitToken, appContext(app.ID, "git_token")); err != nil {
		return "", "", fmt.Errorf("git token of %s: %w", app.Name, err)
	}
	if sshKey, err = s.keys.Open(app.SSHKey, appContext(app.ID, "ssh_key")); err != nil {
		return "", "", fmt.Errorf("SSH key of %s: %w", app.Name, err)
	}
	return token, sshKey, nil
}

// WebhookSecret opens an app's sealed webhook secret ("" when it has none).
func (s *Store) WebhookSecret(app *App) (string, error) {
	v, err := s.keys.Open(app.WebhookSecret, appContext(app.ID, "webhook_secret"))
	if err != nil {
		return "", fmt.Errorf("webhook secret of %s: %w", app.Name, err)
	}
	return v, nil
}

// ProviderToken opens the token an app reports to its git host's API with.
func (s *Store) ProviderToken(app *App) (string, error) {
	v, err := s.keys.Open(app.ProviderToken, appContext(app.ID, "provider_token"))
	if err != nil {
		return "", fmt.Errorf("provider token of %s: %w", app.Name, err)
	}
	return v, nil
}

// GetApp finds an app by name or ID.
func (s *Store) GetApp(ctx context.Context, nameOrID string) (*App, error) {
	var app App
	err := s.db.WithContext(ctx).Where("name = ? OR id = ?", nameOrID, nameOrID).First(&app).Error
	if err != nil {
		return nil, wrap(err, "app "+nameOrID)
	}
	return &app, nil
}

// ListApps returns every app, by name.
func (s *Store) ListApps(ctx context.Context) ([]App, error) {
	var apps []App
	err := s.db.WithContext(ctx).Order("name").Find(&apps).Error
	return apps, wrap(err, "list apps")
}

// SaveApp writes every field of app, sealing new credentials.
func (s *Store) SaveApp(ctx context.Context, app *App) error {
	if err := s.sealApp(app); err != nil {
		return err
	}
	return wrap(s.db.WithContext(ctx).Save(app).Error, "app "+app.Name)
}

// SetCurrentDeployment records which deployment serves app.
func (s *Store) SetCurrentDeployment(ctx context.Context, appID, deploymentID string) error {
	res := s.db.WithContext(ctx).Model(&App{}).Where("id = ?", appID).Update("current_deployment_id", deploymentID)
	if res.Error == nil && res.RowsAffected == 0 {
		return fmt.Errorf("app %s: %w", appID, ErrNotFound)
	}
	return wrap(res.Error, "app "+appID)
}

// DeleteApp removes an app with its env vars, deployments and logs.
func (s *Store) DeleteApp(ctx context.Context, appID string) error {
	return s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var depIDs []string
		if err := tx.Model(&Deployment{}).Where("app_id = ?", appID).Pluck("id", &depIDs).Error; err != nil {
			return wrap(err, "delete app")
		}
		if len(depIDs) > 0 {
			if err := tx.Where("deployment_id IN ?", depIDs).Delete(&LogLine{}).Error; err != nil {
				return wrap(err, "delete app logs")
			}
		}
		for _, m := range []any{&Deployment{}, &EnvVar{}, &AppShare{}, &RecurringDeploy{}, &FreezeWindow{}, &WebhookDelivery{}} {
			if err := tx.Where("app_id = ?", appID).Delete(m).Error; err != nil {
				return wrap(err, "delete app")
			}
		}
		res := tx.Where("id = ?", appID).Delete(&App{})
		if res.Error == nil && res.RowsAffected == 0 {
			return fmt.Errorf("app %s: %w", appID, ErrNotFound)
		}
		return wrap(res.Error, "delete app")
	})
}

// ---- env ----

// SetEnv inserts or replaces env vars of an app.
func (s *Store) SetEnv(ctx context.Context, appID string, vars []EnvVar) error {
	if len(vars) == 0 {
		return nil
	}
	vars = append([]EnvVar(nil), vars...)
	for i := range vars {
		vars[i].AppID = appID
		vars[i].ID = 0
		if vars[i].Secret {
			sealed, err := s.keys.Seal(vars[i].Value, envContext(appID, vars[i].Key))
			if err != nil {
				return fmt.Errorf("seal %s: %w", vars[i].Key, err)
			}
			vars[i].Value = sealed
		}
	}
	err := s.db.WithContext(ctx).Clauses(clause.OnConflict{
		Columns:   []clause.Column{{Name: "app_id"}, {Name: "key"}},
		DoUpdates: clause.AssignmentColumns([]string{"value", "secret", "updated_at"}),
	}).Create(&vars).Error
	return wrap(err, "set env")
}

// UnsetEnv removes env vars by key and returns how many existed.
func (s *Store) UnsetEnv(ctx context.Context, appID string, keys []string) (int64, error) {
	res := s.db.WithContext(ctx).Where("app_id = ? AND key IN ?", appID, keys).Delete(&EnvVar{})
	return res.RowsAffected, wrap(res.Error, "unset env")
}

// ListEnv returns an app's env vars by key with secret values opened: for
// the container's environment only.
func (s *Store) ListEnv(ctx context.Context, appID string) ([]EnvVar, error) {
	vars, err := s.listEnv(ctx, appID)
	if err != nil {
		return nil, err
	}
	for i := range vars {
		if vars[i].Secret {
			if vars[i].Value, err = s.keys.Open(vars[i].Value, envContext(appID, vars[i].Key)); err != nil {
				return nil, fmt.Errorf("env var %s: %w", vars[i].Key, err)
			}
		}
	}
	return vars, nil
}

// ListEnvMasked returns an app's env vars by key with secret values left
// empty: what users may see.
func (s *Store) ListEnvMasked(ctx context.Context, appID string) ([]EnvVar, error) {
	vars, err := s.listEnv(ctx, appID)
	for i := range vars {
		if vars[i].Secret {
			vars[i].Value = ""
		}
	}
	return vars, err
}

func (s *Store) listEnv(ctx context.Context, appID string) ([]EnvVar, error) {
	var vars []EnvVar
	err := s.db.WithContext(ctx).Where("app_id = ?", appID).Order("key").Find(&vars).Error
	return vars, wrap(err, "list env")
}

// Reseal seals every stored secret that is plain (written before sealing
// existed) or sealed under a key other than the current one, and returns
// how many it changed. Values sealed under a key the keyring lacks are
// left alone and counted in unopenable.
func (s *Store) Reseal(ctx context.Context) (changed, unopenable int, err error) {
	if s.keys == nil {
		return 0, 0, secrets.ErrNoKeyring
	}
	var vars []EnvVar
	if err := s.db.WithContext(ctx).Where("secret = ?", true).Find(&vars).Error; err != nil {
		return 0, 0, wrap(err, "reseal env")
	}
	// reseal seals one stored value again, only if the row still holds it
	// (a concurrent write wins).
	reseal := func(model any, id any, col, stored, context string) error {
		if !s.keys.NeedsReseal(stored) {
			return nil
		}
		plain, err := s.keys.Open(stored, context)
		if err != nil {
			unopenable++
			return nil
		}
		sealed, err := s.keys.Seal(plain, context)
		if err != nil {
			return err
		}
		res := s.db.WithContext(ctx).Model(model).Where("id = ? AND "+col+" = ?", id, stored).Update(col, sealed)
		if res.Error != nil {
			return wrap(res.Error, "reseal")
		}
		changed += int(res.RowsAffected)
		return nil
	}
	for _, v := range vars {
		if err := reseal(&EnvVar{}, v.ID, "value", v.Value, envContext(v.AppID, v.Key)); err != nil {
			return changed, unopenable, err
		}
	}
	var apps []App
	if err := s.db.WithContext(ctx).Where("git_token <> '' OR ssh_key <> '' OR webhook_secret <> '' OR provider_token <> ''").Find(&apps).Error; err != nil {
		return changed, unopenable, wrap(err, "reseal apps")
	}
	for _, app := range apps {
		for _, f := range sealedFields(&app) {
			if err := reseal(&App{}, app.ID, f.name, *f.v, appContext(app.ID, f.name)); err != nil {
				return changed, unopenable, err
			}
		}
	}
	var dbs []Database
	if err := s.db.WithContext(ctx).Find(&dbs).Error; err != nil {
		return changed, unopenable, wrap(err, "reseal databases")
	}
	for _, d := range dbs {
		for _, f := range []sealedField{{&d.Password, "password"}, {&d.RootPassword, "root_password"}} {
			if *f.v == "" {
				continue
			}
			if err := reseal(&Database{}, d.ID, f.name, *f.v, "database:"+d.ID+":"+f.name); err != nil {
				return changed, unopenable, err
			}
		}
	}
	return changed, unopenable, nil
}

// ---- deployments ----

// CreateDeployment inserts d.
func (s *Store) CreateDeployment(ctx context.Context, d *Deployment) error {
	return wrap(s.db.WithContext(ctx).Create(d).Error, "deployment "+d.ID)
}

// GetDeployment finds a deployment by ID.
func (s *Store) GetDeployment(ctx context.Context, id string) (*Deployment, error) {
	var d Deployment
	if err := s.db.WithContext(ctx).Where("id = ?", id).First(&d).Error; err != nil {
		return nil, wrap(err, "deployment "+id)
	}
	return &d, nil
}

// DeploymentFilter selects deployments for ListDeployments.
type DeploymentFilter struct {
	AppID string
	// AppIDs limits the list to these apps when not nil.
	AppIDs   []string
	Statuses []release.Status
	Limit    int
}

// ListDeployments returns deployments newest first.
func (s *Store) ListDeployments(ctx context.Context, f DeploymentFilter) ([]Deployment, error) {
	q := s.db.WithContext(ctx).Order("id DESC")
	if f.AppID != "" {
		q = q.Where("app_id = ?", f.AppID)
	}
	if f.AppIDs != nil {
		q = q.Where("app_id IN ?", append(slices.Clip(f.AppIDs), ""))
	}
	if len(f.Statuses) > 0 {
		q = q.Where("status IN ?", f.Statuses)
	}
	if f.Limit > 0 {
		q = q.Limit(f.Limit)
	}
	var ds []Deployment
	return ds, wrap(q.Find(&ds).Error, "list deployments")
}

// DeploymentUpdate names the fields UpdateDeployment changes; zero fields are
// left alone.
type DeploymentUpdate struct {
	Status        release.Status
	Step          release.Step
	CommitSHA     string
	CommitMessage string
	Image         string
	ContainerID   string
	FailureReason string
	WorkflowID    string
	WorkflowRunID string
	Started       bool
	Finished      bool
	// WaitingUntil sets when the gate waited at gives up; ClearWaiting
	// clears it.
	WaitingUntil *time.Time
	ClearWaiting bool
	ScheduledFor *time.Time
}

// UpdateDeployment applies u to deployment id. A terminal status is never
// overwritten by a non-terminal one, so a late retry of an earlier step
// cannot resurrect a finished deployment.
func (s *Store) UpdateDeployment(ctx context.Context, id string, u DeploymentUpdate) error {
	fields := map[string]any{"updated_at": time.Now().UTC()}
	set := func(col, v string) {
		if v != "" {
			fields[col] = v
		}
	}
	set("status", string(u.Status))
	set("step", string(u.Step))
	set("commit_sha", u.CommitSHA)
	set("commit_message", u.CommitMessage)
	set("image", u.Image)
	set("container_id", u.ContainerID)
	set("failure_reason", u.FailureReason)
	set("workflow_id", u.WorkflowID)
	set("workflow_run_id", u.WorkflowRunID)
	if u.WaitingUntil != nil {
		fields["waiting_until"] = *u.WaitingUntil
	}
	if u.ClearWaiting {
		fields["waiting_until"] = nil
	}
	if u.ScheduledFor != nil {
		fields["scheduled_for"] = *u.ScheduledFor
	}
	now := time.Now().UTC()
	// Start and finish times are set once: a rollback marking an old
	// deployment rolled_back must not change how long it took.
	if u.Started {
		fields["started_at"] = gorm.Expr("COALESCE(started_at, ?)", now)
	}
	if u.Finished {
		fields["finished_at"] = gorm.Expr("COALESCE(finished_at, ?)", now)
	}
	q := s.db.WithContext(ctx).Model(&Deployment{}).Where("id = ?", id)
	if u.Status != "" && !u.Status.Terminal() {
		q = q.Where("status NOT IN ?", release.TerminalStatuses)
	}
	res := q.Updates(fields)
	if res.Error != nil {
		return wrap(res.Error, "update deployment "+id)
	}
	if res.RowsAffected == 0 {
		if _, err := s.GetDeployment(ctx, id); err != nil {
			return err
		}
	}
	return nil
}

// ---- logs ----

// AppendLogs adds lines to a deployment's log.
func (s *Store) AppendLogs(ctx context.Context, lines []LogLine) error {
	if len(lines) == 0 {
		return nil
	}
	return wrap(s.db.WithContext(ctx).CreateInBatches(lines, 200).Error, "append logs")
}

// LogsAfter returns up to limit lines of a deployment's log with ID > after.
func (s *Store) LogsAfter(ctx context.Context, deploymentID string, after uint64, limit int) ([]LogLine, error) {
	var lines []LogLine
	err := s.db.WithContext(ctx).Where("deployment_id = ? AND id > ?", deploymentID, after).
		Order("id").Limit(limit).Find(&lines).Error
	return lines, wrap(err, "read logs")
}

// ---- tokens ----

// CreateToken stores a token record.
func (s *Store) CreateToken(ctx context.Context, t *APIToken) error {
	return wrap(s.db.WithContext(ctx).Create(t).Error, "token "+t.Name)
}

// TokenByHash finds a token by the SHA-256 of its value.
func (s *Store) TokenByHash(ctx context.Context, hash string) (*APIToken, error) {
	var t APIToken
	if err := s.db.WithContext(ctx).Where("hash = ?", hash).First(&t).Error; err != nil {
		return nil, wrap(err, "token")
	}
	return &t, nil
}

// CountTokens returns how many tokens exist.
func (s *Store) CountTokens(ctx context.Context) (int64, error) {
	var n int64
	err := s.db.WithContext(ctx).Model(&APIToken{}).Count(&n).Error
	return n, wrap(err, "count tokens")
}

// CountDeploymentsByStatus returns how many deployments have each status,
// among the given apps' when appIDs is not nil.
func (s *Store) CountDeploymentsByStatus(ctx context.Context, appIDs []string) (map[release.Status]int, error) {
	var rows []struct {
		Status release.Status
		N      int
	}
	q := s.db.WithContext(ctx).Model(&Deployment{})
	if appIDs != nil {
		q = q.Where("app_id IN ?", append(slices.Clip(appIDs), ""))
	}
	err := q.Select("status, count(*) AS n").Group("status").Scan(&rows).Error
	out := map[release.Status]int{}
	for _, r := range rows {
		out[r.Status] = r.N
	}
	return out, wrap(err, "count deployments")
}

// CreateSession stores a session.
func (s *Store) CreateSession(ctx context.Context, sess *Session) error {
	return wrap(s.db.WithContext(ctx).Create(sess).Error, "session")
}

// GetSession finds an unexpired session by hash.
func (s *Store) GetSession(ctx context.Context, hash string, now time.Time) (*Session, error) {
	var sess Session
	err := s.db.WithContext(ctx).Where("hash = ? AND expires_at > ?", hash, now).First(&sess).Error
	if err != nil {
		return nil, wrap(err, "session")
	}
	return &sess, nil
}

// DeleteSession removes a session, and every expired one with it.
func (s *Store) DeleteSession(ctx context.Context, hash string, now time.Time) error {
	return wrap(s.db.WithContext(ctx).Where("hash = ? OR expires_at <= ?", hash, now).Delete(&Session{}).Error, "session")
}

// DeploymentsUpdatedSince returns deployments changed after t, oldest change
// first (at most 500).
func (s *Store) DeploymentsUpdatedSince(ctx context.Context, t time.Time) ([]Deployment, error) {
	var ds []Deployment
	err := s.db.WithContext(ctx).Where("updated_at > ?", t).Order("updated_at").Limit(500).Find(&ds).Error
	return ds, wrap(err, "changed deployments")
}

// LatestDeployments returns the newest deployment of each app that has one,
// by app ID, in one query.
func (s *Store) LatestDeployments(ctx context.Context) (map[string]Deployment, error) {
	var ds []Deployment
	err := s.db.WithContext(ctx).
		Where("id IN (?)", s.db.Model(&Deployment{}).Select("MAX(id)").Group("app_id")).
		Find(&ds).Error
	out := make(map[string]Deployment, len(ds))
	for _, d := range ds {
		out[d.AppID] = d
	}
	return out, wrap(err, "latest deployments")
}

// DeploymentsByID returns the deployments with the given IDs, by ID.
func (s *Store) DeploymentsByID(ctx context.Context, ids []string) (map[string]Deployment, error) {
	out := make(map[string]Deployment, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	var ds []Deployment
	err := s.db.WithContext(ctx).Where("id IN ?", ids).Find(&ds).Error
	for _, d := range ds {
		out[d.ID] = d
	}
	return out, wrap(err, "deployments by id")
}

// AddApproval records a decision on a deployment.
func (s *Store) AddApproval(ctx context.Context, a *Approval) error {
	return wrap(s.db.WithContext(ctx).Create(a).Error, "approval")
}

// Approvals returns a deployment's decisions, oldest first.
func (s *Store) Approvals(ctx context.Context, deploymentID string) ([]Approval, error) {
	var out []Approval
	err := s.db.WithContext(ctx).Where("deployment_id = ?", deploymentID).Order("id").Find(&out).Error
	return out, wrap(err, "approvals")
}
