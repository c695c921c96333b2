package release

import (
	"testing"
	"time"
)

func TestEffectiveApproval(t *testing.T) {
	t.Parallel()
	h := func(n int) time.Duration { return time.Duration(n) * time.Hour }
	for _, tc := range []struct {
		name     string
		app, env ApprovalPolicy
		want     ApprovalPolicy
	}{
		{"neither", ApprovalPolicy{Needed: 3}, ApprovalPolicy{Needed: 2}, ApprovalPolicy{}},
		{"app only", ApprovalPolicy{Required: true, Needed: 2, AllowSelf: true, TTL: h(4)}, ApprovalPolicy{},
			ApprovalPolicy{Required: true, Needed: 2, AllowSelf: true, TTL: h(4)}},
		{"environment only", ApprovalPolicy{Needed: 5}, ApprovalPolicy{Required: true, Needed: 1, TTL: h(24)},
			ApprovalPolicy{Required: true, Needed: 1, TTL: h(24)}},
		{"a zero count means one", ApprovalPolicy{Required: true}, ApprovalPolicy{}, ApprovalPolicy{Required: true, Needed: 1}},
		// Both: the most approvals, self-approval only if both allow it,
		// the shorter wait.
		{"both, stricter wins", ApprovalPolicy{Required: true, Needed: 1, AllowSelf: true, TTL: h(48)},
			ApprovalPolicy{Required: true, Needed: 2, AllowSelf: false, TTL: h(12)},
			ApprovalPolicy{Required: true, Needed: 2, AllowSelf: false, TTL: h(12)}},
		{"both allow self, app asks more", ApprovalPolicy{Required: true, Needed: 3, AllowSelf: true, TTL: h(2)},
			ApprovalPolicy{Required: true, Needed: 1, AllowSelf: true, TTL: h(8)},
			ApprovalPolicy{Required: true, Needed: 3, AllowSelf: true, TTL: h(2)}},
		{"a zero wait is no bound", ApprovalPolicy{Required: true, Needed: 2}, ApprovalPolicy{Required: true},
			ApprovalPolicy{Required: true, Needed: 2}},
		{"a zero wait takes the other's", ApprovalPolicy{Required: true}, ApprovalPolicy{Required: true, TTL: h(3)},
			ApprovalPolicy{Required: true, Needed: 1, TTL: h(3)}},
	} {
		if got := EffectiveApproval(tc.app, tc.env); got != tc.want {
			t.Errorf("%s: %+v, want %+v", tc.name, got, tc.want)
		}
	}
	if got := (ApprovalPolicy{Required: true}).Wait(); got != DefaultApprovalTTL {
		t.Errorf("default wait %s", got)
	}
	if got := (ApprovalPolicy{Required: true, TTL: h(2)}).Wait(); got != h(2) {
		t.Errorf("wait %s", got)
	}
}

// The approver rule and the actor's permission check are one function:
// every role × grant combination agrees with the matrix.
func TestAllowsAndApprovers(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		role     Role
		approver bool
		perm     Perm
		want     bool
	}{
		{RoleViewer, false, PermRead, true},
		{RoleViewer, true, PermApprove, false}, // the grant is for developers
		{RoleViewer, false, PermDeploy, false},
		{RoleDeveloper, false, PermDeploy, true},
		{RoleDeveloper, false, PermApprove, false},
		{RoleDeveloper, true, PermApprove, true},
		{RoleDeveloper, true, PermPolicy, false}, // the grant is approval only
		{RoleAdmin, false, PermApprove, true},
		{RoleAdmin, false, PermManageTeam, false},
		{RoleOwner, false, PermManageTeam, true},
		{"", true, PermRead, false},
		{"superuser", false, PermRead, false},
		{RoleOwner, false, Perm("unknown"), true}, // an unlisted permission needs owner
		{RoleAdmin, false, Perm("unknown"), false},
	} {
		if got := Allows(tc.role, tc.approver, tc.perm); got != tc.want {
			t.Errorf("Allows(%q, approver %v, %s) = %v, want %v", tc.role, tc.approver, tc.perm, got, tc.want)
		}
	}
	got := Approvers([]Member{
		{UserID: "owner", Role: RoleOwner}, {UserID: "admin", Role: RoleAdmin},
		{UserID: "dev", Role: RoleDeveloper}, {UserID: "dev-approver", Role: RoleDeveloper, Approver: true},
		{UserID: "viewer", Role: RoleViewer, Approver: true},
	}, []string{"root"})
	want := []string{AdminTokenApprover, "root", "owner", "admin", "dev-approver"}
	if len(got) != len(want) {
		t.Fatalf("approvers %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("approvers %v, want %v", got, want)
		}
	}
	for _, tc := range []struct{ role, limit, want Role }{
		{RoleOwner, "", RoleOwner}, {RoleOwner, RoleViewer, RoleViewer}, {RoleViewer, RoleOwner, RoleViewer}, {"", RoleViewer, ""},
	} {
		if got := tc.role.Cap(tc.limit); got != tc.want {
			t.Errorf("%q capped at %q: %q, want %q", tc.role, tc.limit, got, tc.want)
		}
	}
}
