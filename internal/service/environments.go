package service

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/rivetr/rivetr/internal/ids"
	"github.com/rivetr/rivetr/internal/release"
	"github.com/rivetr/rivetr/schema"
)

// EnvironmentInput creates or changes an environment. Nil fields keep
// their value (or take the default, on create).
type EnvironmentInput struct {
	RequireApproval   *bool             `json:"require_approval,omitempty"`
	ApprovalsNeeded   *int              `json:"approvals_needed,omitempty"`
	AllowSelfApproval *bool             `json:"allow_self_approval,omitempty"`
	ApprovalTTL       *release.Duration `json:"approval_ttl,omitempty"`
}

// EnvironmentView is an environment with its team's name and the apps in it.
type EnvironmentView struct {
	Environment
	Team string   `json:"team"`
	Apps []string `json:"apps"`
}

// ListEnvironments returns a team's environments (everyone in the team may
// read them).
func (s *Policies) ListEnvironments(ctx context.Context, team string) ([]EnvironmentView, error) {
	t, _, err := s.authorizeTeam(ctx, team, release.PermRead)
	if err != nil {
		return nil, err
	}
	es, err := s.store.ListEnvironments(ctx, []string{t.ID})
	if err != nil {
		return nil, err
	}
	apps, err := s.store.ListAppsIn(ctx, []string{t.ID})
	if err != nil {
		return nil, err
	}
	out := make([]EnvironmentView, 0, len(es))
	for _, e := range es {
		v := EnvironmentView{Environment: environmentOf(&e), Team: t.Name, Apps: []string{}}
		for _, a := range apps {
			if a.TeamID == t.ID && a.Environment == e.Name {
				v.Apps = append(v.Apps, a.Name)
			}
		}
		out = append(out, v)
	}
	return out, nil
}

// PutEnvironment creates a team's environment or changes its release
// policy (the policy permission: admins).
func (s *Policies) PutEnvironment(ctx context.Context, team, name string, in EnvironmentInput) (*EnvironmentView, error) {
	t, _, err := s.authorizeTeam(ctx, team, release.PermPolicy)
	if err != nil {
		return nil, err
	}
	name = strings.TrimSpace(name)
	if !nameRE.MatchString(name) {
		return nil, &ValidationError{Fields: map[string]string{"name": "must be 1–63 lowercase letters, digits or '-', starting with a letter or digit"}}
	}
	e, err := s.store.GetEnvironment(ctx, t.ID, name)
	created := errors.Is(err, schema.ErrNotFound)
	switch {
	case created:
		e = &schema.Environment{ID: ids.New(), TeamID: t.ID, Name: name, ApprovalsNeeded: 1, ApprovalTTL: schema.Duration(release.DefaultApprovalTTL)}
	case err != nil:
		return nil, err
	}
	before := environmentSettings(e)
	if in.RequireApproval != nil {
		e.RequireApproval = *in.RequireApproval
	}
	if in.ApprovalsNeeded != nil {
		e.ApprovalsNeeded = *in.ApprovalsNeeded
	}
	if in.AllowSelfApproval != nil {
		e.AllowSelfApproval = *in.AllowSelfApproval
	}
	if in.ApprovalTTL != nil {
		e.ApprovalTTL = *in.ApprovalTTL
	}
	f := fieldErrors{}
	if e.ApprovalsNeeded < 1 || e.ApprovalsNeeded > 10 {
		f.add("approvals_needed", "must be between 1 and 10")
	}
	if d := e.ApprovalTTL.D(); d < time.Minute || d > 30*24*time.Hour {
		f.add("approval_ttl", "must be between 1m and 720h")
	}
	if err := f.err(); err != nil {
		return nil, err
	}
	if created {
		err = s.store.CreateEnvironment(ctx, e)
	} else {
		err = s.store.SaveEnvironment(ctx, e)
	}
	if err != nil {
		return nil, err
	}
	b, a := changed(before, environmentSettings(e))
	if created {
		b = nil
	}
	if created || len(a) > 0 {
		s.audit(ctx, AuditEnvironmentPut, t.ID, t.Name+"/"+e.Name, b, a)
	}
	vs, err := s.ListEnvironments(ctx, t.Name)
	if err != nil {
		return nil, err
	}
	for i := range vs {
		if vs[i].Name == e.Name {
			return &vs[i], nil
		}
	}
	return &EnvironmentView{Environment: environmentOf(e), Team: t.Name, Apps: []string{}}, nil
}

func environmentSettings(e *schema.Environment) map[string]any {
	return map[string]any{"require_approval": e.RequireApproval, "approvals_needed": e.ApprovalsNeeded,
		"allow_self_approval": e.AllowSelfApproval, "approval_ttl": e.ApprovalTTL.D().String()}
}

// DeleteEnvironment removes an environment no app is in, with its freeze
// windows.
func (s *Policies) DeleteEnvironment(ctx context.Context, team, name string) error {
	t, _, err := s.authorizeTeam(ctx, team, release.PermPolicy)
	if err != nil {
		return err
	}
	var inUse *schema.InUseError
	if err := s.store.DeleteEnvironment(ctx, t.ID, name); errors.As(err, &inUse) {
		return stateErr("%s", inUse.Reason)
	} else if err != nil {
		return err
	}
	s.audit(ctx, AuditEnvironmentDel, t.ID, t.Name+"/"+name, map[string]any{"name": name}, nil)
	return nil
}

// checkEnvironment makes sure an app's environment exists in its team.
func (s *core) checkEnvironment(ctx context.Context, app *schema.App) error {
	if app.Environment == "" {
		return nil
	}
	if _, err := s.store.GetEnvironment(ctx, app.TeamID, app.Environment); errors.Is(err, schema.ErrNotFound) {
		return &ValidationError{Fields: map[string]string{"environment": "the app's team has no environment " + app.Environment +
			" (create it: rivetr environments create " + app.Environment + ")"}}
	} else if err != nil {
		return err
	}
	return nil
}

// ApprovalPolicyView is an approval gate on the wire.
type ApprovalPolicyView struct {
	Required  bool            `json:"required"`
	Needed    int             `json:"approvals_needed,omitempty"`
	AllowSelf bool            `json:"allow_self_approval,omitempty"`
	TTL       schema.Duration `json:"approval_ttl,omitempty"`
}

// effectiveApproval is the approval policy an app's deploys meet (see
// release.EffectiveApproval).
func (s *core) effectiveApproval(ctx context.Context, app *schema.App) ApprovalPolicyView {
	var env *schema.Environment
	if app.Environment != "" {
		env, _ = s.store.GetEnvironment(ctx, app.TeamID, app.Environment)
	}
	p := schema.EffectiveApproval(app, env)
	return ApprovalPolicyView{Required: p.Required, Needed: p.Needed, AllowSelf: p.AllowSelf, TTL: schema.Duration(p.TTL)}
}
