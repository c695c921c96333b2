package schema

import (
	"context"
	"strings"
	"testing"
	"time"
)

func TestAuditLogIsAppendOnly(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	for name, s := range stores(t) {
		t.Run(name, func(t *testing.T) {
			for i, action := range []string{"app.create", "deploy", "app.update", "member.put"} {
				e := &AuditEntry{Time: time.Now().UTC(), Actor: "ada@example.com", TeamID: "t1", Action: action, Target: "web",
					After: map[string]any{"n": i}}
				if action == "member.put" {
					e.TeamID = "t2"
				}
				if err := s.AppendAudit(ctx, e); err != nil {
					t.Fatal(err)
				}
			}
			if err := s.db.Model(&AuditEntry{}).Where("action = ?", "deploy").Update("actor", "mallory").Error; err == nil || !strings.Contains(err.Error(), "append-only") {
				t.Fatalf("an UPDATE of the audit log: %v", err)
			}
			if err := s.db.Where("1 = 1").Delete(&AuditEntry{}).Error; err == nil || !strings.Contains(err.Error(), "append-only") {
				t.Fatalf("a DELETE from the audit log: %v", err)
			}
			all, err := s.ListAudit(ctx, AuditFilter{})
			if err != nil || len(all) != 4 || all[0].Action != "member.put" || all[3].After["n"] != float64(0) {
				t.Fatalf("list: %+v %v", all, err)
			}
			app, _ := s.ListAudit(ctx, AuditFilter{Action: "app.", TeamIDs: []string{"t1"}})
			if len(app) != 2 {
				t.Fatalf("prefix filter: %d", len(app))
			}
			page, _ := s.ListAudit(ctx, AuditFilter{Before: all[1].ID, Limit: 1})
			if len(page) != 1 || page[0].ID != all[2].ID {
				t.Fatalf("paging: %+v", page)
			}
			if none, _ := s.ListAudit(ctx, AuditFilter{TeamIDs: []string{}}); len(none) != 0 {
				t.Fatalf("an empty team list matched %d", len(none))
			}
		})
	}
}
