// Package schema holds Rivetr's control-plane data: the gorm models, the
// numbered migrations that shape the database (migrations.go, release v1's
// frozen models in migrate_v1.go), and the Store that reads and writes
// them on SQLite or PostgreSQL, sealing secrets on the way in. Driver
// errors become the store's sentinels (ErrNotFound, ErrConflict,
// ErrNoSpace) here, so no caller looks at a driver's codes.
package schema
