package release

// Role is a user's standing in a team.
type Role string

// Roles in a team, from most to least powerful.
const (
	RoleOwner     Role = "owner"
	RoleAdmin     Role = "admin"
	RoleDeveloper Role = "developer"
	RoleViewer    Role = "viewer"
)

// Roles lists the roles from least to most powerful.
var Roles = []Role{RoleViewer, RoleDeveloper, RoleAdmin, RoleOwner}

// Rank orders roles: 0 for no role, then viewer (1) up to owner (4).
func (r Role) Rank() int {
	for i, x := range Roles {
		if x == r {
			return i + 1
		}
	}
	return 0
}

// Valid reports whether r names a role.
func (r Role) Valid() bool { return r.Rank() > 0 }

// Cap returns r lowered to limit when limit is a lesser role; an empty
// limit caps nothing. A token's role caps its owner's this way: it never
// raises them.
func (r Role) Cap(limit Role) Role {
	if limit != "" && limit.Rank() < r.Rank() {
		return limit
	}
	return r
}

// Perm is something a role allows in a team.
type Perm string

// The permissions. Each needs a minimum role (see Matrix); the approver
// permission is also granted to a developer whose membership says so.
const (
	PermRead          Perm = "read"           // see apps, deployments, logs, env keys
	PermCreateApp     Perm = "create_app"     // create apps in the team
	PermEditApp       Perm = "edit_app"       // change an app's settings
	PermDeploy        Perm = "deploy"         // deploy and cancel
	PermRollback      Perm = "rollback"       // roll back
	PermEnv           Perm = "env"            // set and unset env vars
	PermDeleteApp     Perm = "delete_app"     // delete apps
	PermManageMembers Perm = "manage_members" // add, change and remove members
	PermManageTeam    Perm = "manage_team"    // delete the team
	PermApprove       Perm = "approve"        // approve gated deploys (release controls)
	PermAudit         Perm = "audit"          // read the team's audit log
	PermShare         Perm = "share"          // share apps with other teams, read-only
	PermPolicy        Perm = "policy"         // change release policies (the approval gate)
	PermDatabases     Perm = "databases"      // create, start, stop and back up databases
	PermDatabaseAdmin Perm = "database_admin" // delete, restore and link databases, reveal their passwords
)

// MatrixRow is one permission: the least role that holds it, and what it
// lets a person do.
type MatrixRow struct {
	Perm    Perm
	MinRole Role
	What    string
}

// Matrix is the least role each permission needs: the one permission
// matrix. The permission table of docs/teams-and-security.md is written
// from it; a test keeps the two equal.
var Matrix = []MatrixRow{
	{PermRead, RoleViewer, "see apps, deployments, logs and env var names (never secret values)"},
	{PermCreateApp, RoleDeveloper, "create apps"},
	{PermEditApp, RoleDeveloper, "change app settings"},
	{PermDeploy, RoleDeveloper, "deploy and cancel deployments"},
	{PermRollback, RoleDeveloper, "roll back"},
	{PermEnv, RoleDeveloper, "set and unset env vars"},
	{PermApprove, RoleAdmin, "approve or reject deploys waiting for approval (grantable to developers)"},
	{PermPolicy, RoleAdmin, "change release policies (approval, environments, freeze windows)"},
	{PermDatabases, RoleDeveloper, "create, start, stop and back up databases"},
	{PermDeleteApp, RoleAdmin, "delete apps"},
	{PermDatabaseAdmin, RoleAdmin, "delete, restore and link databases (a link gives an app the password), see their passwords"},
	{PermShare, RoleAdmin, "share apps with other teams (read-only for them)"},
	{PermManageMembers, RoleAdmin, "add, change and remove members (admins cannot touch owners)"},
	{PermAudit, RoleAdmin, "read the team's audit log"},
	{PermManageTeam, RoleOwner, "delete the team"},
}

// MinRole is the least role that holds p (owner for a permission the
// matrix does not list).
func (p Perm) MinRole() Role {
	for _, e := range Matrix {
		if e.Perm == p {
			return e.MinRole
		}
	}
	return RoleOwner
}

// RoleAllows reports whether a role holds p by rank alone (without the
// approver grant).
func RoleAllows(role Role, p Perm) bool {
	return role != "" && role.Rank() >= p.MinRole().Rank()
}

// Allows reports whether someone with role (already capped by their
// token) holds p in a team; approver is their membership's approver grant,
// which gives a developer the approver permission.
func Allows(role Role, approver bool, p Perm) bool {
	if RoleAllows(role, p) {
		return true
	}
	return p == PermApprove && role == RoleDeveloper && approver
}

// Member is a user's membership, as the approver rule sees it.
type Member struct {
	UserID   string
	Role     Role
	Approver bool
}

// AdminTokenApprover is the approver ID of the admin token, which belongs
// to no user but acts as an instance admin.
const AdminTokenApprover = "admin-token"

// ExternalRequester is the requester ID of a deployment someone outside
// Rivetr asked for: a pull request's author (a preview), who is known by
// a login on the git host, not by an account here.
const ExternalRequester = "external"

// Approvers are the IDs that may approve (or override a freeze for) a
// deployment of an app: the admin token, the instance admins (owners of
// every team) and the members of the app's team who hold PermApprove.
func Approvers(members []Member, instanceAdmins []string) []string {
	out := []string{AdminTokenApprover}
	out = append(out, instanceAdmins...)
	for _, m := range members {
		if Allows(m.Role, m.Approver, PermApprove) {
			out = append(out, m.UserID)
		}
	}
	return out
}

// RoleNames lists the roles' names from least to most powerful, for
// messages and forms.
func RoleNames() []string {
	out := make([]string, len(Roles))
	for i, r := range Roles {
		out[i] = string(r)
	}
	return out
}
