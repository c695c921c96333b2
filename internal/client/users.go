package client

import (
	"context"
	"net/url"
	"strconv"

	"github.com/rivetr/rivetr/api"
	"github.com/rivetr/rivetr/internal/service"
	"github.com/rivetr/rivetr/schema"
)

// Login exchanges an email and password for a new API token.
func (c *Client) Login(ctx context.Context, in api.LoginRequest) (*service.NewToken, error) {
	var out service.NewToken
	return &out, c.do(ctx, "POST", "/api/auth/login", in, &out)
}

// Me returns the signed-in user and their teams.
func (c *Client) Me(ctx context.Context) (*service.UserView, error) {
	var out service.UserView
	return &out, c.do(ctx, "GET", "/api/me", nil, &out)
}

// CreateOwner makes the first user (needs the admin token).
func (c *Client) CreateOwner(ctx context.Context, in service.UserInput) (*service.OwnerResult, error) {
	var out service.OwnerResult
	return &out, c.do(ctx, "POST", "/api/setup/owner", in, &out)
}

// MigrateTeams moves apps without a team into the default team.
func (c *Client) MigrateTeams(ctx context.Context) (*service.OwnerResult, error) {
	var out service.OwnerResult
	return &out, c.do(ctx, "POST", "/api/admin/migrate-teams", nil, &out)
}

// ListUsers lists every user (instance admins).
func (c *Client) ListUsers(ctx context.Context) ([]schema.User, error) {
	var out []schema.User
	return out, c.do(ctx, "GET", "/api/users", nil, &out)
}

// CreateUser adds a user (instance admins).
func (c *Client) CreateUser(ctx context.Context, in service.UserInput) (*service.UserView, error) {
	var out service.UserView
	return &out, c.do(ctx, "POST", "/api/users", in, &out)
}

// ResetPassword sets a user's password (instance admins).
func (c *Client) ResetPassword(ctx context.Context, user, password string) error {
	return c.do(ctx, "PUT", "/api/users/"+esc(user)+"/password", api.PasswordRequest{Password: password}, nil)
}

// ListTokens lists the caller's tokens.
func (c *Client) ListTokens(ctx context.Context) ([]schema.APIToken, error) {
	var out []schema.APIToken
	return out, c.do(ctx, "GET", "/api/tokens", nil, &out)
}

// CreateToken makes a token; its value is in the answer only.
func (c *Client) CreateToken(ctx context.Context, in service.TokenInput) (*service.NewToken, error) {
	var out service.NewToken
	return &out, c.do(ctx, "POST", "/api/tokens", in, &out)
}

// RevokeToken deletes one of the caller's tokens by ID or name.
func (c *Client) RevokeToken(ctx context.Context, idOrName string) error {
	return c.do(ctx, "DELETE", "/api/tokens/"+esc(idOrName), nil, nil)
}

// ListTeams lists the caller's teams.
func (c *Client) ListTeams(ctx context.Context) ([]service.TeamView, error) {
	var out []service.TeamView
	return out, c.do(ctx, "GET", "/api/teams", nil, &out)
}

// CreateTeam makes a team owned by the caller.
func (c *Client) CreateTeam(ctx context.Context, name string) (*service.TeamView, error) {
	var out service.TeamView
	return &out, c.do(ctx, "POST", "/api/teams", service.TeamInput{Name: name}, &out)
}

// DeleteTeam deletes an empty team.
func (c *Client) DeleteTeam(ctx context.Context, name string) error {
	return c.do(ctx, "DELETE", "/api/teams/"+esc(name), nil, nil)
}

// ListMembers lists a team's members.
func (c *Client) ListMembers(ctx context.Context, team string) ([]schema.Member, error) {
	var out []schema.Member
	return out, c.do(ctx, "GET", "/api/teams/"+esc(team)+"/members", nil, &out)
}

// PutMember adds a user to a team or changes their role.
func (c *Client) PutMember(ctx context.Context, team, user string, in service.MemberInput) (*schema.Member, error) {
	var out schema.Member
	return &out, c.do(ctx, "PUT", "/api/teams/"+esc(team)+"/members/"+esc(user), in, &out)
}

// RemoveMember takes a user out of a team.
func (c *Client) RemoveMember(ctx context.Context, team, user string) error {
	return c.do(ctx, "DELETE", "/api/teams/"+esc(team)+"/members/"+esc(user), nil, nil)
}

// RevokeCurrentToken revokes the token this client uses.
func (c *Client) RevokeCurrentToken(ctx context.Context) error {
	return c.do(ctx, "DELETE", "/api/auth/token", nil, nil)
}

// RotateSecretKey makes a new secret key and reseals every secret with it.
func (c *Client) RotateSecretKey(ctx context.Context) (*service.KeyRotation, error) {
	var out service.KeyRotation
	return &out, c.do(ctx, "POST", "/api/admin/secrets/rotate", nil, &out)
}

// Audit reads a page of the audit log.
func (c *Client) Audit(ctx context.Context, q service.AuditQuery) (*service.AuditPage, error) {
	v := url.Values{}
	for k, s := range map[string]string{"team": q.Team, "actor": q.Actor, "action": q.Action, "target": q.Target} {
		if s != "" {
			v.Set(k, s)
		}
	}
	if q.Before > 0 {
		v.Set("before", strconv.FormatUint(q.Before, 10))
	}
	if q.Limit > 0 {
		v.Set("limit", strconv.Itoa(q.Limit))
	}
	var out service.AuditPage
	return &out, c.do(ctx, "GET", "/api/audit?"+v.Encode(), nil, &out)
}

// Invite invites someone to a team; the answer has the link.
func (c *Client) Invite(ctx context.Context, team string, in service.InvitationInput) (*service.InvitationView, error) {
	var out service.InvitationView
	return &out, c.do(ctx, "POST", "/api/teams/"+esc(team)+"/invitations", in, &out)
}

// ListInvitations lists a team's open invitations.
func (c *Client) ListInvitations(ctx context.Context, team string) ([]service.InvitationView, error) {
	var out []service.InvitationView
	return out, c.do(ctx, "GET", "/api/teams/"+esc(team)+"/invitations", nil, &out)
}

// RevokeInvitation closes an open invitation.
func (c *Client) RevokeInvitation(ctx context.Context, team, id string) error {
	return c.do(ctx, "DELETE", "/api/teams/"+esc(team)+"/invitations/"+esc(id), nil, nil)
}

// ShareApp lets another team see an app, read-only.
func (c *Client) ShareApp(ctx context.Context, app, team string) error {
	return c.do(ctx, "PUT", "/api/apps/"+esc(app)+"/shares/"+esc(team), nil, nil)
}

// UnshareApp stops sharing an app with a team.
func (c *Client) UnshareApp(ctx context.Context, app, team string) error {
	return c.do(ctx, "DELETE", "/api/apps/"+esc(app)+"/shares/"+esc(team), nil, nil)
}

// Approve approves a deployment waiting for approval.
func (c *Client) Approve(ctx context.Context, id, comment string) (*service.DecisionView, error) {
	var out service.DecisionView
	return &out, c.do(ctx, "POST", "/api/deployments/"+esc(id)+"/approve", api.DecisionRequest{Comment: comment}, &out)
}

// Reject rejects a deployment waiting for approval.
func (c *Client) Reject(ctx context.Context, id, comment string) (*service.DecisionView, error) {
	var out service.DecisionView
	return &out, c.do(ctx, "POST", "/api/deployments/"+esc(id)+"/reject", api.DecisionRequest{Comment: comment}, &out)
}

// PendingApprovals lists deployments waiting for approval.
func (c *Client) PendingApprovals(ctx context.Context) ([]service.DeploymentView, error) {
	var out []service.DeploymentView
	return out, c.do(ctx, "GET", "/api/approvals", nil, &out)
}

// Reschedule moves a scheduled deployment.
func (c *Client) Reschedule(ctx context.Context, id string, in api.RescheduleRequest) (*service.DeploymentView, error) {
	var out service.DeploymentView
	return &out, c.do(ctx, "POST", "/api/deployments/"+esc(id)+"/reschedule", in, &out)
}

// Override runs a frozen deployment now.
func (c *Client) Override(ctx context.Context, id, reason string) (*service.DeploymentView, error) {
	var out service.DeploymentView
	return &out, c.do(ctx, "POST", "/api/deployments/"+esc(id)+"/override", api.OverrideRequest{Reason: reason}, &out)
}

// ListFreezes lists freeze windows.
func (c *Client) ListFreezes(ctx context.Context) ([]service.FreezeView, error) {
	var out []service.FreezeView
	return out, c.do(ctx, "GET", "/api/freezes", nil, &out)
}

// CreateFreeze adds a freeze window.
func (c *Client) CreateFreeze(ctx context.Context, in service.FreezeInput) (*service.FreezeView, error) {
	var out service.FreezeView
	return &out, c.do(ctx, "POST", "/api/freezes", in, &out)
}

// DeleteFreeze removes a freeze window.
func (c *Client) DeleteFreeze(ctx context.Context, id string) error {
	return c.do(ctx, "DELETE", "/api/freezes/"+esc(id), nil, nil)
}

// ListRecurring lists an app's recurring deploys.
func (c *Client) ListRecurring(ctx context.Context, app string) ([]schema.RecurringDeploy, error) {
	var out []schema.RecurringDeploy
	return out, c.do(ctx, "GET", "/api/apps/"+esc(app)+"/schedules", nil, &out)
}

// CreateRecurring adds a recurring deploy.
func (c *Client) CreateRecurring(ctx context.Context, app string, in service.RecurringInput) (*schema.RecurringDeploy, error) {
	var out schema.RecurringDeploy
	return &out, c.do(ctx, "POST", "/api/apps/"+esc(app)+"/schedules", in, &out)
}

// DeleteRecurring removes a recurring deploy.
func (c *Client) DeleteRecurring(ctx context.Context, app, id string) error {
	return c.do(ctx, "DELETE", "/api/apps/"+esc(app)+"/schedules/"+esc(id), nil, nil)
}

// Diff shows what a deployment changes against the serving one.
func (c *Client) Diff(ctx context.Context, id string) (*service.DiffView, error) {
	var out service.DiffView
	return &out, c.do(ctx, "GET", "/api/deployments/"+esc(id)+"/diff", nil, &out)
}

// ListEnvironments lists a team's environments.
func (c *Client) ListEnvironments(ctx context.Context, team string) ([]service.EnvironmentView, error) {
	var out []service.EnvironmentView
	return out, c.do(ctx, "GET", "/api/teams/"+esc(team)+"/environments", nil, &out)
}

// PutEnvironment creates a team's environment or changes its policy.
func (c *Client) PutEnvironment(ctx context.Context, team, name string, in service.EnvironmentInput) (*service.EnvironmentView, error) {
	var out service.EnvironmentView
	return &out, c.do(ctx, "PUT", "/api/teams/"+esc(team)+"/environments/"+esc(name), in, &out)
}

// DeleteEnvironment removes an environment no app is in.
func (c *Client) DeleteEnvironment(ctx context.Context, team, name string) error {
	return c.do(ctx, "DELETE", "/api/teams/"+esc(team)+"/environments/"+esc(name), nil, nil)
}

// Webhook returns an app's webhook addresses and secret; rotate makes a
// new secret.
func (c *Client) Webhook(ctx context.Context, app string, rotate bool) (*service.WebhookInfo, error) {
	var out service.WebhookInfo
	if rotate {
		return &out, c.do(ctx, "POST", "/api/apps/"+esc(app)+"/webhook/rotate", nil, &out)
	}
	return &out, c.do(ctx, "GET", "/api/apps/"+esc(app)+"/webhook", nil, &out)
}

// Deliveries lists an app's webhook deliveries, newest first.
func (c *Client) Deliveries(ctx context.Context, app string, limit int) ([]schema.WebhookDelivery, error) {
	var out []schema.WebhookDelivery
	return out, c.do(ctx, "GET", "/api/apps/"+esc(app)+"/webhooks?limit="+strconv.Itoa(limit), nil, &out)
}

// Previews lists an app's pull request previews.
func (c *Client) Previews(ctx context.Context, app string) ([]service.PreviewView, error) {
	var out []service.PreviewView
	return out, c.do(ctx, "GET", "/api/apps/"+esc(app)+"/previews", nil, &out)
}

// DeletePreview removes a pull request's preview.
func (c *Client) DeletePreview(ctx context.Context, app string, pr int) error {
	return c.do(ctx, "DELETE", "/api/apps/"+esc(app)+"/previews/"+strconv.Itoa(pr), nil, nil)
}

// ListDatabases lists the databases of the caller's teams.
func (c *Client) ListDatabases(ctx context.Context) ([]service.DatabaseView, error) {
	var out []service.DatabaseView
	return out, c.do(ctx, "GET", "/api/databases", nil, &out)
}

// CreateDatabase creates a database (it starts in the background).
func (c *Client) CreateDatabase(ctx context.Context, in service.DatabaseInput) (*service.DatabaseView, error) {
	var out service.DatabaseView
	return &out, c.do(ctx, "POST", "/api/databases", in, &out)
}

// GetDatabase shows a database; reveal asks for its password.
func (c *Client) GetDatabase(ctx context.Context, name string, reveal bool) (*service.DatabaseView, error) {
	var out service.DatabaseView
	q := ""
	if reveal {
		q = "?reveal=1"
	}
	return &out, c.do(ctx, "GET", "/api/databases/"+esc(name)+q, nil, &out)
}

// DatabaseAction starts, stops or deletes a database.
func (c *Client) DatabaseAction(ctx context.Context, name, op string, purge bool) (*service.DatabaseView, error) {
	var out service.DatabaseView
	switch op {
	case "delete":
		q := ""
		if purge {
			q = "?purge=1"
		}
		return &out, c.do(ctx, "DELETE", "/api/databases/"+esc(name)+q, nil, &out)
	}
	return &out, c.do(ctx, "POST", "/api/databases/"+esc(name)+"/"+op, nil, &out)
}

// LinkDatabase gives an app a database's connection settings.
func (c *Client) LinkDatabase(ctx context.Context, name, app, prefix string) ([]string, error) {
	var out struct{ Vars []string }
	err := c.do(ctx, "POST", "/api/databases/"+esc(name)+"/link", api.LinkRequest{App: app, Prefix: prefix}, &out)
	return out.Vars, err
}

// Backups lists a database's backups.
func (c *Client) Backups(ctx context.Context, db string) ([]schema.Backup, error) {
	var out []schema.Backup
	return out, c.do(ctx, "GET", "/api/databases/"+esc(db)+"/backups", nil, &out)
}

// BackupNow backs a database up; with wait it returns when it has ended.
func (c *Client) BackupNow(ctx context.Context, db string, wait, volume bool) (*schema.Backup, error) {
	var out schema.Backup
	q := "?wait=0"
	if wait {
		q = "?wait=1"
	}
	if volume {
		q += "&volume=1"
	}
	return &out, c.do(ctx, "POST", "/api/databases/"+esc(db)+"/backups"+q, nil, &out)
}

// Restore restores a backup into its database, or into a new one.
func (c *Client) Restore(ctx context.Context, db, backupID, to string) (*service.DatabaseView, error) {
	var out service.DatabaseView
	return &out, c.do(ctx, "POST", "/api/databases/"+esc(db)+"/restore", api.RestoreRequest{Backup: backupID, To: to}, &out)
}

// BackupPolicy returns a database's backup policy.
func (c *Client) BackupPolicy(ctx context.Context, db string) (*service.PolicyView, error) {
	var out service.PolicyView
	return &out, c.do(ctx, "GET", "/api/databases/"+esc(db)+"/backup-policy", nil, &out)
}

// SetBackupPolicy changes a database's backup policy.
func (c *Client) SetBackupPolicy(ctx context.Context, db string, in service.PolicyInput) (*service.PolicyView, error) {
	var out service.PolicyView
	return &out, c.do(ctx, "PUT", "/api/databases/"+esc(db)+"/backup-policy", in, &out)
}
