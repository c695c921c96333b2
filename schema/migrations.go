package schema

import (
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/rivetr/rivetr/internal/ids"
)

// ErrSchemaNewer means the database was migrated by a newer Rivetr than
// this binary: opening it could lose data, so the store refuses.
var ErrSchemaNewer = errors.New("the database's schema is newer than this binary")

// migration is one numbered change of the schema. Each runs once, in its
// own transaction, and is recorded in schema_migrations; a migration is
// never edited after it ships, only followed by a new one.
type migration struct {
	Version int
	Name    string
	Up      func(tx *gorm.DB, driver string) error
	// Idempotent migrations may run outside a transaction on SQLite, where
	// gorm rebuilds a table on a connection of its own (a transaction
	// would lock it out); a crash midway is finished by the next start.
	Idempotent bool
}

// migrations are the schema's history, oldest first. Release v1 and every
// release before it shaped the database with AutoMigrate alone; migration
// 1 applies release v1's frozen models (migrate_v1.go), which brings a new
// database, and one made by any of those releases, to the same schema.
var migrations = []migration{
	{Version: 1, Name: "release v1's schema (apps, deployments, teams, release controls, webhooks, databases, backups)", Idempotent: true,
		Up: func(tx *gorm.DB, _ string) error { return tx.AutoMigrate(v1Models()...) }},
	{Version: 2, Name: "the audit log is append-only", Up: appendOnly},
	{Version: 3, Name: "databases record their volume, named by ID for new ones (kept by name for existing ones)", Up: databaseVolumes},
	{Version: 4, Name: "deployments record the release they run with (settings and env, sealed)", Up: deploymentSpecs},
	{Version: 5, Name: "who asked: a push's pusher email on deployments, the creator of recurring deploys", Up: requesters},
	{Version: 6, Name: "invitations record which link may create an account (the emailed one)", Up: invitationSignUp},
	{Version: 7, Name: "the installation's ID, labelling what it creates on Docker", Up: instanceTable},
	{Version: 8, Name: "a domains table: one app per host name, enforced by its key", Up: domainsTable},
	{Version: 9, Name: "certificate storage (sealed objects) and its locks", Up: certTables},
	{Version: 10, Name: "apps choose plain HTTP beside HTTPS, and HSTS", Up: httpsSettings},
	{Version: 11, Name: "certificate status: the last obtained and the last failure, per host", Up: certificateStatus},
	{Version: 12, Name: "domains redirect to another, prove their ownership; uploaded certificates", Up: domainOwnership},
	{Version: 13, Name: "apps' volumes", Up: volumesTable},
	{Version: 14, Name: "apps choose their release strategy (start-first or stop-first)", Up: releaseStrategy},
	{Version: 15, Name: "volumes have an ID, which their backups are recorded under", Up: volumeIDs},
	{Version: 16, Name: "apps' dependencies on databases and apps", Up: dependenciesTable},
	{Version: 17, Name: "apps of build type compose: the compose file and the service their domains route to", Up: stackSettings},
	{Version: 18, Name: "stacks from a pasted compose file or a template", Up: inlineStacks},
	{Version: 19, Name: "stacks enable compose profiles and route domains to several services", Up: stackProfiles},
}

// stackProfiles adds apps.stack_profiles and apps.stack_routes.
func stackProfiles(tx *gorm.DB, _ string) error {
	type m19App struct {
		StackProfiles []string `gorm:"serializer:json;type:text"`
		StackRoutes   []struct {
			Host, Service, HealthPath string
			Port                      int
		} `gorm:"serializer:json;type:text"`
	}
	m := tx.Table("apps").Migrator()
	for _, f := range []string{"StackProfiles", "StackRoutes"} {
		if !m.HasColumn(&m19App{}, f) {
			if err := m.AddColumn(&m19App{}, f); err != nil {
				return err
			}
		}
	}
	return nil
}

// inlineStacks adds apps.compose_inline and apps.template.
func inlineStacks(tx *gorm.DB, _ string) error {
	type m18App struct {
		ComposeInline string `gorm:"type:text;not null;default:''"`
		Template      string `gorm:"size:96;not null;default:''"`
	}
	m := tx.Table("apps").Migrator()
	for _, f := range []string{"ComposeInline", "Template"} {
		if !m.HasColumn(&m18App{}, f) {
			if err := m.AddColumn(&m18App{}, f); err != nil {
				return err
			}
		}
	}
	return nil
}

// stackSettings adds apps.compose_file and apps.stack_service.
func stackSettings(tx *gorm.DB, _ string) error {
	type m17App struct {
		ComposeFile  string `gorm:"size:255;not null;default:''"`
		StackService string `gorm:"size:63;not null;default:''"`
	}
	m := tx.Table("apps").Migrator()
	for _, f := range []string{"ComposeFile", "StackService"} {
		if !m.HasColumn(&m17App{}, f) {
			if err := m.AddColumn(&m17App{}, f); err != nil {
				return err
			}
		}
	}
	return nil
}

// dependenciesTable creates the dependencies table (its model frozen
// here).
func dependenciesTable(tx *gorm.DB, _ string) error {
	type m16Dependency struct {
		AppID     string `gorm:"primaryKey;size:32"`
		Kind      string `gorm:"primaryKey;size:16"`
		TargetID  string `gorm:"primaryKey;size:32;index:idx_dependency_target"`
		CreatedAt time.Time
	}
	return tx.Table("dependencies").AutoMigrate(&m16Dependency{})
}

// volumeIDs adds volumes.id, gives each existing volume one, and indexes
// it.
func volumeIDs(tx *gorm.DB, _ string) error {
	type m15Volume struct {
		ID    string `gorm:"size:32;uniqueIndex:idx_volume_id"`
		AppID string `gorm:"primaryKey;size:32"`
		Name  string `gorm:"primaryKey;size:63"`
	}
	m := tx.Table("volumes").Migrator()
	if !m.HasColumn(&m15Volume{}, "ID") {
		if err := m.AddColumn(&m15Volume{}, "ID"); err != nil {
			return err
		}
	}
	var vs []m15Volume
	if err := tx.Table("volumes").Where("id IS NULL OR id = ''").Find(&vs).Error; err != nil {
		return err
	}
	for _, v := range vs {
		if err := tx.Table("volumes").Where("app_id = ? AND name = ?", v.AppID, v.Name).Update("id", ids.New()).Error; err != nil {
			return err
		}
	}
	if !m.HasIndex(&m15Volume{}, "idx_volume_id") {
		return m.CreateIndex(&m15Volume{}, "idx_volume_id")
	}
	return nil
}

// releaseStrategy adds apps.strategy (existing apps: start-first).
func releaseStrategy(tx *gorm.DB, _ string) error {
	type m14App struct {
		Strategy string `gorm:"size:16;not null;default:'start-first'"`
	}
	m := tx.Table("apps").Migrator()
	if m.HasColumn(&m14App{}, "Strategy") {
		return nil
	}
	return m.AddColumn(&m14App{}, "Strategy")
}

// volumesTable creates the volumes table (its model frozen here).
func volumesTable(tx *gorm.DB, _ string) error {
	type m13Volume struct {
		AppID     string `gorm:"primaryKey;size:32;uniqueIndex:idx_volume_path,priority:1"`
		Name      string `gorm:"primaryKey;size:63"`
		Path      string `gorm:"size:255;not null;uniqueIndex:idx_volume_path,priority:2"`
		CreatedAt time.Time
	}
	return tx.Table("volumes").AutoMigrate(&m13Volume{})
}

// domainOwnership adds domains.redirect_to, token, verified_at and
// verified_by (each existing domain gets its token, unverified), and
// the custom_certs table.
func domainOwnership(tx *gorm.DB, _ string) error {
	type m12Domain struct {
		RedirectTo string `gorm:"size:253;not null;default:''"`
		Token      string `gorm:"size:64;not null;default:''"`
		VerifiedAt *time.Time
		VerifiedBy string `gorm:"size:16;not null;default:''"`
	}
	m := tx.Table("domains").Migrator()
	for _, f := range []string{"RedirectTo", "Token", "VerifiedAt", "VerifiedBy"} {
		if !m.HasColumn(&m12Domain{}, f) {
			if err := m.AddColumn(&m12Domain{}, f); err != nil {
				return err
			}
		}
	}
	var hosts []string
	if err := tx.Table("domains").Where("token = ''").Pluck("host", &hosts).Error; err != nil {
		return err
	}
	for _, h := range hosts {
		if err := tx.Table("domains").Where("host = ?", h).Update("token", newDomainToken()).Error; err != nil {
			return err
		}
	}
	type m12CustomCert struct {
		Host       string `gorm:"primaryKey;size:253"`
		AppID      string `gorm:"size:32;index;not null"`
		CertPEM    string `gorm:"type:text;not null"`
		KeyPEM     string `gorm:"type:text;not null"`
		Issuer     string `gorm:"size:255"`
		Names      string `gorm:"type:text"`
		NotBefore  time.Time
		NotAfter   time.Time
		UploadedBy string `gorm:"size:255"`
		UploadedAt time.Time
	}
	return tx.Table("custom_certs").AutoMigrate(&m12CustomCert{})
}

// certificateStatus creates the certificates table.
func certificateStatus(tx *gorm.DB, _ string) error {
	type m11Certificate struct {
		Host       string `gorm:"primaryKey;size:253"`
		Issuer     string `gorm:"size:255"`
		NotBefore  *time.Time
		NotAfter   *time.Time
		ObtainedAt *time.Time
		LastError  string `gorm:"type:text"`
		FailedAt   *time.Time
		UpdatedAt  time.Time
	}
	return tx.Table("certificates").AutoMigrate(&m11Certificate{})
}

// httpsSettings adds apps.allow_http and apps.hsts (both off: HTTP
// redirects to HTTPS once a certificate exists, no HSTS).
func httpsSettings(tx *gorm.DB, _ string) error {
	type m10App struct {
		AllowHTTP bool `gorm:"not null;default:false"`
		HSTS      bool `gorm:"not null;default:false"`
	}
	m := tx.Table("apps").Migrator()
	for _, f := range []string{"AllowHTTP", "HSTS"} {
		if !m.HasColumn(&m10App{}, f) {
			if err := m.AddColumn(&m10App{}, f); err != nil {
				return err
			}
		}
	}
	return nil
}

// certTables creates the certificate storage's tables.
func certTables(tx *gorm.DB, _ string) error {
	type m9CertObject struct {
		Path     string `gorm:"primaryKey;size:512"`
		Value    string `gorm:"type:text;not null"`
		Size     int64
		Modified time.Time
	}
	type m9CertLock struct {
		Name    string `gorm:"primaryKey;size:512"`
		Owner   string `gorm:"size:64;not null"`
		Expires time.Time
	}
	if err := tx.Table("cert_objects").AutoMigrate(&m9CertObject{}); err != nil {
		return err
	}
	return tx.Table("cert_locks").AutoMigrate(&m9CertLock{})
}

// domainsTable creates the domains table and fills it from the apps'
// domain lists, oldest app first: should two apps list one host (a race
// the old check-then-write allowed), the older keeps it in the table and
// the other's next change of settings must drop it.
func domainsTable(tx *gorm.DB, _ string) error {
	type m8Domain struct {
		Host      string `gorm:"primaryKey;size:253"`
		AppID     string `gorm:"size:32;index;not null"`
		CreatedAt time.Time
	}
	if err := tx.Table("domains").AutoMigrate(&m8Domain{}); err != nil {
		return err
	}
	var apps []struct {
		ID      string
		Domains string
	}
	if err := tx.Table("apps").Select("id, domains").Order("created_at, id").Find(&apps).Error; err != nil {
		return err
	}
	now := time.Now().UTC()
	for _, a := range apps {
		var hosts []string
		if a.Domains != "" && json.Unmarshal([]byte(a.Domains), &hosts) != nil {
			continue
		}
		for _, h := range hosts {
			if err := tx.Table("domains").Clauses(clause.OnConflict{DoNothing: true}).Create(&m8Domain{Host: h, AppID: a.ID, CreatedAt: now}).Error; err != nil {
				return err
			}
		}
	}
	return nil
}

// instanceTable creates the one-row instance table (filled on first use).
func instanceTable(tx *gorm.DB, _ string) error {
	type m7Instance struct {
		Key       int    `gorm:"primaryKey;autoIncrement:false"`
		ID        string `gorm:"size:32;not null"`
		CreatedAt time.Time
	}
	return tx.Table("instance").AutoMigrate(&m7Instance{})
}

// invitationSignUp adds invitations.sign_up_hash. Open invitations from
// before keep none: their links let existing accounts join, and a person
// without an account needs a new invitation (by email) or an instance
// admin.
func invitationSignUp(tx *gorm.DB, _ string) error {
	type m6Invitation struct {
		SignUpHash string `gorm:"size:64;index;not null;default:''"`
	}
	m := tx.Table("invitations").Migrator()
	if m.HasColumn(&m6Invitation{}, "SignUpHash") {
		return nil
	}
	if err := m.AddColumn(&m6Invitation{}, "SignUpHash"); err != nil {
		return err
	}
	return m.CreateIndex(&m6Invitation{}, "SignUpHash")
}

// requesters adds deployments.requested_by_email and
// recurring_deploys.created_by_id.
func requesters(tx *gorm.DB, _ string) error {
	type m5Deployment struct {
		RequestedByEmail string `gorm:"size:255;not null;default:''"`
	}
	type m5Recurring struct {
		CreatedByID string `gorm:"size:32;not null;default:''"`
	}
	for _, c := range []struct {
		table, field string
		model        any
	}{{"deployments", "RequestedByEmail", &m5Deployment{}}, {"recurring_deploys", "CreatedByID", &m5Recurring{}}} {
		m := tx.Table(c.table).Migrator()
		if !m.HasColumn(c.model, c.field) {
			if err := m.AddColumn(c.model, c.field); err != nil {
				return err
			}
		}
	}
	return nil
}

// deploymentSpecs adds deployments.spec; existing deployments keep none
// (they run, and roll back, with the app's current settings as before).
func deploymentSpecs(tx *gorm.DB, _ string) error {
	type m4Deployment struct {
		Spec string `gorm:"type:text;not null;default:''"`
	}
	m := tx.Table("deployments").Migrator()
	if m.HasColumn(&m4Deployment{}, "Spec") {
		return nil
	}
	return m.AddColumn(&m4Deployment{}, "Spec")
}

// databaseVolumes adds databases.volume and fills it for existing
// databases with the name-based volume they already use.
func databaseVolumes(tx *gorm.DB, _ string) error {
	type m3Database struct {
		Volume string `gorm:"size:255;not null;default:''"`
	}
	m := tx.Table("databases").Migrator()
	if !m.HasColumn(&m3Database{}, "Volume") {
		if err := m.AddColumn(&m3Database{}, "Volume"); err != nil {
			return err
		}
	}
	return tx.Exec("UPDATE databases SET volume = 'rivetr-db-' || name || '-data' WHERE volume = ''").Error
}

// SchemaVersion is the newest schema this binary knows.
func SchemaVersion() int { return migrations[len(migrations)-1].Version }

// schemaMigration records an applied migration.
type schemaMigration struct {
	Version   int    `gorm:"primaryKey;autoIncrement:false"`
	Name      string `gorm:"size:255"`
	AppliedAt time.Time
}

func (schemaMigration) TableName() string { return "schema_migrations" }

// migrate applies the migrations the database lacks, each in a
// transaction; on PostgreSQL an advisory lock keeps two processes opening
// one database (a server and an agent) from running one twice. It refuses
// a database migrated past this binary's newest migration.
func (s *Store) migrate() error {
	if err := s.db.AutoMigrate(&schemaMigration{}); err != nil {
		return fmt.Errorf("migrate %s database: the migrations table: %w", s.driver, err)
	}
	var newest int
	if err := s.db.Model(&schemaMigration{}).Select("COALESCE(MAX(version), 0)").Scan(&newest).Error; err != nil {
		return fmt.Errorf("migrate %s database: %w", s.driver, err)
	}
	if newest > SchemaVersion() {
		return fmt.Errorf("%w: it is at version %d and this rivetr knows up to %d. Run the newer rivetr that upgraded it, "+
			"or restore a copy of the data dir (or database) from before the upgrade", ErrSchemaNewer, newest, SchemaVersion())
	}
	for _, m := range migrations {
		if m.Version <= newest {
			continue
		}
		apply := s.db.Transaction
		if m.Idempotent && s.driver == "sqlite" {
			apply = func(fc func(tx *gorm.DB) error, _ ...*sql.TxOptions) error { return fc(s.db) }
		}
		err := apply(func(tx *gorm.DB) error {
			if s.driver == "postgres" {
				if err := tx.Exec("SELECT pg_advisory_xact_lock(7206391)").Error; err != nil {
					return err
				}
			}
			var done int64
			if err := tx.Model(&schemaMigration{}).Where("version = ?", m.Version).Count(&done).Error; err != nil || done > 0 {
				return err // another process applied it meanwhile
			}
			if err := m.Up(tx, s.driver); err != nil {
				return err
			}
			return tx.Create(&schemaMigration{Version: m.Version, Name: m.Name, AppliedAt: time.Now().UTC()}).Error
		})
		if err != nil {
			return fmt.Errorf("migrate %s database: migration %d (%s): %w", s.driver, m.Version, m.Name, err)
		}
	}
	return nil
}

// AppliedMigrations returns the versions recorded in schema_migrations,
// oldest first.
func (s *Store) AppliedMigrations() ([]int, error) {
	var out []int
	err := s.db.Model(&schemaMigration{}).Order("version").Pluck("version", &out).Error
	return out, wrap(err, "schema migrations")
}
