package schema

import (
	"context"
	"time"

	"gorm.io/gorm"
)

// AuditEntry records one mutating action: who, in which team, what, on
// what, the settings before and after, and from where. The table is
// append-only: database triggers refuse UPDATE and DELETE on it.
type AuditEntry struct {
	ID      uint64    `gorm:"primaryKey" json:"id"`
	Time    time.Time `gorm:"index" json:"time"`
	ActorID string    `gorm:"size:32;index" json:"actor_id,omitempty"`
	// Actor is the user's email, or "admin token".
	Actor  string `gorm:"size:255;index" json:"actor"`
	TeamID string `gorm:"size:32;index" json:"team_id,omitempty"`
	Team   string `gorm:"size:63" json:"team,omitempty"`
	// Action is what happened, e.g. app.create, deploy, member.put.
	Action string `gorm:"size:64;index" json:"action"`
	// Target names what it happened to: an app, a deployment, a user.
	Target    string         `gorm:"size:255;index" json:"target,omitempty"`
	Before    map[string]any `gorm:"serializer:json" json:"before,omitempty"`
	After     map[string]any `gorm:"serializer:json" json:"after,omitempty"`
	SourceIP  string         `gorm:"size:64" json:"source_ip,omitempty"`
	UserAgent string         `gorm:"size:512" json:"user_agent,omitempty"`
}

// appendOnly makes the audit table refuse changes and deletions
// (migration 2).
func appendOnly(tx *gorm.DB, driver string) error {
	var stmts []string
	if driver == "postgres" {
		stmts = []string{
			`CREATE OR REPLACE FUNCTION rivetr_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'the audit log is append-only'; END $$`,
			`DROP TRIGGER IF EXISTS audit_entries_append_only ON audit_entries`,
			`CREATE TRIGGER audit_entries_append_only BEFORE UPDATE OR DELETE ON audit_entries FOR EACH ROW EXECUTE FUNCTION rivetr_audit_append_only()`,
		}
	} else {
		stmts = []string{
			`CREATE TRIGGER IF NOT EXISTS audit_entries_no_update BEFORE UPDATE ON audit_entries BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END`,
			`CREATE TRIGGER IF NOT EXISTS audit_entries_no_delete BEFORE DELETE ON audit_entries BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END`,
		}
	}
	for _, q := range stmts {
		if err := tx.Exec(q).Error; err != nil {
			return wrap(err, "audit log triggers")
		}
	}
	return nil
}

// AppendAudit adds an entry.
func (s *Store) AppendAudit(ctx context.Context, e *AuditEntry) error {
	return wrap(s.db.WithContext(ctx).Create(e).Error, "audit log")
}

// AuditFilter selects audit entries, newest first.
type AuditFilter struct {
	// TeamIDs limits the entries to these teams when not nil.
	TeamIDs []string
	Actor   string // email (or "admin token"), exact
	Action  string // exact, or a prefix ending in "." ("app.")
	Target  string // exact
	// Before pages: only entries with a smaller ID.
	Before uint64
	Limit  int
}

// ListAudit returns entries matching f, newest first.
func (s *Store) ListAudit(ctx context.Context, f AuditFilter) ([]AuditEntry, error) {
	q := s.db.WithContext(ctx).Order("id DESC")
	if f.TeamIDs != nil {
		if len(f.TeamIDs) == 0 {
			return nil, nil
		}
		q = q.Where("team_id IN ?", f.TeamIDs)
	}
	if f.Actor != "" {
		q = q.Where("actor = ?", f.Actor)
	}
	switch {
	case f.Action != "" && f.Action[len(f.Action)-1] == '.':
		q = q.Where("action LIKE ?", f.Action+"%")
	case f.Action != "":
		q = q.Where("action = ?", f.Action)
	}
	if f.Target != "" {
		q = q.Where("target = ?", f.Target)
	}
	if f.Before > 0 {
		q = q.Where("id < ?", f.Before)
	}
	if f.Limit > 0 {
		q = q.Limit(f.Limit)
	}
	var out []AuditEntry
	return out, wrap(q.Find(&out).Error, "audit log")
}
