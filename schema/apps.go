package schema

import (
	"context"
	"fmt"

	"github.com/rivetr/rivetr/internal/secrets"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// CreateApp inserts app; ErrConflict when the name is taken. Its git token
// and SSH key are sealed (app keeps them sealed afterwards).
// The app's first env vars (a template's variables) are created with
// it, in one transaction: an app never exists without them.
func (s *Store) CreateApp(ctx context.Context, app *App, env ...EnvVar) error {
	if err := s.sealApp(app); err != nil {
		return err
	}
	rows, err := s.sealEnv(app.ID, env)
	if err != nil {
		return err
	}
	return s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Create(app).Error; err != nil {
			return wrap(err, "app "+app.Name)
		}
		if len(rows) > 0 {
			if err := tx.Create(&rows).Error; err != nil {
				return wrap(err, "env of "+app.Name)
			}
		}
		return syncDomains(tx, app)
	})
}

func appContext(id, field string) string { return "app:" + id + ":" + field }

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
	return s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Save(app).Error; err != nil {
			return wrap(err, "app "+app.Name)
		}
		return syncDomains(tx, app)
	})
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
		for _, m := range []any{&Deployment{}, &EnvVar{}, &AppShare{}, &RecurringDeploy{}, &FreezeWindow{}, &WebhookDelivery{}, &CustomCert{}, &Domain{}, &Volume{}, &Dependency{}} {
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

// SetEnv inserts or replaces env vars of an app.
func (s *Store) SetEnv(ctx context.Context, appID string, vars []EnvVar) error {
	if len(vars) == 0 {
		return nil
	}
	vars, err := s.sealEnv(appID, vars)
	if err != nil {
		return err
	}
	err = s.db.WithContext(ctx).Clauses(clause.OnConflict{
		Columns:   []clause.Column{{Name: "app_id"}, {Name: "key"}},
		DoUpdates: clause.AssignmentColumns([]string{"value", "secret", "updated_at"}),
	}).Create(&vars).Error
	return wrap(err, "set env")
}

// sealEnv is a copy of vars for appID's rows, secret values sealed.
func (s *Store) sealEnv(appID string, vars []EnvVar) ([]EnvVar, error) {
	vars = append([]EnvVar(nil), vars...)
	for i := range vars {
		vars[i].AppID = appID
		vars[i].ID = 0
		if vars[i].Secret {
			sealed, err := s.keys.Seal(vars[i].Value, envContext(appID, vars[i].Key))
			if err != nil {
				return nil, fmt.Errorf("seal %s: %w", vars[i].Key, err)
			}
			vars[i].Value = sealed
		}
	}
	return vars, nil
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
	var deps []Deployment
	if err := s.db.WithContext(ctx).Select("id", "spec").Where("spec <> ''").Find(&deps).Error; err != nil {
		return changed, unopenable, wrap(err, "reseal deployments")
	}
	for _, d := range deps {
		if err := reseal(&Deployment{}, d.ID, "spec", d.Spec, specContext(d.ID)); err != nil {
			return changed, unopenable, err
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
