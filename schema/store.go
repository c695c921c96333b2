package schema

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/libtnb/sqlite"
	"github.com/rivetr/rivetr/internal/secrets"
	"gorm.io/driver/postgres"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"
	msqlite "modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
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
