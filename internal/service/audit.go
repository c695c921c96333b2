package service

import (
	"context"
	"log/slog"
	"time"

	"github.com/rivetr/rivetr/internal/release"
	"github.com/rivetr/rivetr/schema"
)

// Request is where a request came from, for the audit log: the client's
// address (X-Forwarded-For only from trusted proxies) and user agent.
type Request struct {
	IP        string
	UserAgent string
}

type requestKey struct{}

// WithRequest returns ctx carrying r.
func WithRequest(ctx context.Context, r Request) context.Context {
	return context.WithValue(ctx, requestKey{}, r)
}

func requestFrom(ctx context.Context) Request {
	r, _ := ctx.Value(requestKey{}).(Request)
	return r
}

// Audit actions.
const (
	AuditAppCreate        = "app.create"
	AuditAppUpdate        = "app.update"
	AuditAppDelete        = "app.delete"
	AuditAppShare         = "app.share"
	AuditAppUnshare       = "app.unshare"
	AuditEnvSet           = "env.set"
	AuditEnvUnset         = "env.unset"
	AuditDeploy           = "deploy"
	AuditRollback         = "rollback"
	AuditCancel           = "deployment.cancel"
	AuditApprove          = "deployment.approve"
	AuditSchedule         = "deploy.schedule"
	AuditFreezeCreate     = "freeze.create"
	AuditEnvironmentPut   = "environment.put"
	AuditPreviewDelete    = "preview.delete"
	AuditDatabaseCreate   = "database.create"
	AuditDatabaseReveal   = "database.reveal"
	AuditDatabaseLink     = "database.link"
	AuditBackupPolicy     = "database.backup_policy"
	AuditBackup           = "database.backup"
	AuditRestore          = "database.restore"
	AuditEnvironmentDel   = "environment.delete"
	AuditRecurringCreate  = "recurring.create"
	AuditRecurringDelete  = "recurring.delete"
	AuditFreezeDelete     = "freeze.delete"
	AuditFreezeOverride   = "deployment.freeze_override"
	AuditReschedule       = "deployment.reschedule"
	AuditReject           = "deployment.reject"
	AuditLogin            = "user.login"
	AuditLoginFailed      = "user.login_failed"
	AuditLogout           = "user.logout"
	AuditOwnerCreate      = "user.create_owner"
	AuditUserCreate       = "user.create"
	AuditPasswordReset    = "user.password_reset"
	AuditTokenCreate      = "token.create"
	AuditTokenRevoke      = "token.revoke"
	AuditTeamCreate       = "team.create"
	AuditTeamDelete       = "team.delete"
	AuditMemberPut        = "member.put"
	AuditMemberRemove     = "member.remove"
	AuditInvite           = "member.invite"
	AuditInviteRevoke     = "member.invite_revoke"
	AuditInviteAccept     = "member.join"
	AuditInviteDecline    = "member.invite_decline"
	AuditInviteRefused    = "member.invite_refused"
	AuditRefused          = "access.refused"
	AuditCertRenew        = "certificate.renew"
	AuditCertUpload       = "certificate.upload"
	AuditCertRemove       = "certificate.remove"
	AuditDomainRedirect   = "domain.redirect"
	AuditVolumeAdd        = "volume.add"
	AuditVolumeRemove     = "volume.remove"
	AuditDependencyAdd    = "dependency.add"
	AuditDependencyRemove = "dependency.remove"
	AuditTeamsMigrate     = "teams.migrate"
	AuditSecretsRotate    = "secrets.rotate_key"
	auditActorAdminToken  = "admin token"
)

// audit appends an entry for an action the caller just did. Writing it must
// not undo the action, so a failure is logged, loudly.
func (s *core) audit(ctx context.Context, action, teamID, target string, before, after map[string]any) {
	e := &schema.AuditEntry{Time: time.Now().UTC(), Action: action, TeamID: teamID, Target: target, Before: before, After: after}
	if a := ActorFrom(ctx); a != nil {
		e.ActorID, e.Actor = a.UserID, a.Email
		if e.Actor == "" && a.InstanceAdmin {
			e.Actor = auditActorAdminToken
		}
	}
	s.writeAudit(ctx, e)
}

func (s *core) writeAudit(ctx context.Context, e *schema.AuditEntry) {
	r := requestFrom(ctx)
	e.SourceIP, e.UserAgent = r.IP, truncate(r.UserAgent, 512)
	if e.TeamID != "" && e.Team == "" {
		if t, err := s.store.GetTeam(ctx, e.TeamID); err == nil {
			e.Team = t.Name
		}
	}
	if err := s.store.AppendAudit(context.WithoutCancel(ctx), e); err != nil {
		s.log.Error("could not write the audit log", "action", e.Action, "target", e.Target, "actor", e.Actor, "err", err)
	}
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

// AuditQuery filters the audit log.
type AuditQuery struct {
	Team   string
	Actor  string
	Action string
	Target string
	Before uint64
	Limit  int
}

// AuditPage is a page of the audit log, newest first; Next is the Before
// of the following page (0 when there is none).
type AuditPage struct {
	Entries []AuditEntry `json:"entries"`
	Next    uint64       `json:"next,omitempty"`
}

// Audit returns audit entries the caller may read: instance admins read
// everything, team owners and admins their teams' entries.
func (s *Instance) Audit(ctx context.Context, q AuditQuery) (*AuditPage, error) {
	a, err := actor(ctx)
	if err != nil {
		return nil, err
	}
	f := schema.AuditFilter{Actor: q.Actor, Action: q.Action, Target: q.Target, Before: q.Before, Limit: q.Limit}
	if f.Limit <= 0 || f.Limit > 500 {
		f.Limit = 100
	}
	switch {
	case q.Team != "":
		t, _, err := s.authorizeTeam(ctx, q.Team, release.PermAudit)
		if err != nil {
			return nil, err
		}
		f.TeamIDs = []string{t.ID}
	case a.InstanceAdmin && a.TokenRole == "":
	default:
		for _, id := range a.TeamIDs() {
			if a.Can(id, release.PermAudit) {
				f.TeamIDs = append(f.TeamIDs, id)
			}
		}
		if len(f.TeamIDs) == 0 {
			return nil, errorf(KindForbidden, "reading the audit log needs the admin or owner role in a team")
		}
	}
	want := f.Limit
	f.Limit++
	es, err := s.store.ListAudit(ctx, f)
	if err != nil {
		return nil, err
	}
	page := &AuditPage{Entries: each(es, auditEntryOf)}
	if len(es) > want {
		page.Entries = page.Entries[:want]
		page.Next = es[want-1].ID
	}
	if page.Entries == nil {
		page.Entries = []AuditEntry{}
	}
	return page, nil
}

// discardLogger is the default when Options.Log is nil.
var discardLogger = slog.New(slog.DiscardHandler)

// refusalEvery is how often one caller's refusals on one route are
// audited: the first, then at most one a minute, so a probing attacker
// is on record without filling the append-only log.
const refusalEvery = time.Minute

// AuditRefusal records that the caller was refused an action (route,
// e.g. "PATCH /api/apps/:name") and why. The entry has no team: it shows
// in the instance admins' audit log.
func (s *Instance) AuditRefusal(ctx context.Context, route, reason string) {
	a := ActorFrom(ctx)
	if a == nil {
		return
	}
	key := a.Who() + " " + a.UserID + " " + route
	now := time.Now()
	if last, ok := s.refusals.Load(key); ok && now.Sub(last.(time.Time)) < refusalEvery {
		return
	}
	s.refusals.Store(key, now)
	s.audit(ctx, AuditRefused, "", route, nil, map[string]any{"reason": truncate(reason, 500)})
}
