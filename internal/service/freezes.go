package service

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/rivetr/rivetr/internal/ids"
	"github.com/rivetr/rivetr/internal/release"
	"github.com/rivetr/rivetr/schema"
	"github.com/rivetr/rivetr/workflows"
)

// FreezeInput creates a freeze window: one-off (From, Until) or recurring
// (Cron, Duration, TZ).
type FreezeInput struct {
	// App scopes the window to one app; Environment to every app in that
	// environment of Team (which may be left out by someone in one team);
	// neither freezes the instance (instance admins only).
	App         string            `json:"app,omitempty"`
	Environment string            `json:"environment,omitempty"`
	Team        string            `json:"team,omitempty"`
	From        *time.Time        `json:"from,omitempty"`
	Until       *time.Time        `json:"until,omitempty"`
	Cron        string            `json:"cron,omitempty"`
	Duration    *release.Duration `json:"duration,omitempty"`
	TZ          string            `json:"tz,omitempty"`
	Reason      string            `json:"reason"`
	// Policy is wait (default: deploys wait for the end) or reject.
	Policy         release.FreezePolicy `json:"policy,omitempty"`
	BlockRollbacks bool                 `json:"block_rollbacks,omitempty"`
}

// CalendarSpan is how far ahead FreezeView.Upcoming looks.
const CalendarSpan = 28 * 24 * time.Hour

// FreezeView is a window with what it freezes and its next (or current)
// occurrence.
type FreezeView struct {
	FreezeWindow
	// Scope is instance, app or environment; App and Team name the app, or
	// the environment's team.
	Scope  string `json:"scope"`
	App    string `json:"app,omitempty"`
	Team   string `json:"team,omitempty"`
	Active bool   `json:"active"`
	// Upcoming are its times in the next four weeks (at most 31).
	Upcoming  []release.Occurrence `json:"upcoming,omitempty"`
	NextStart *time.Time           `json:"next_start,omitempty"`
	NextEnd   *time.Time           `json:"next_end,omitempty"`
}

// authorizeFreeze checks who may create or delete a window: the app's
// admins (the policy permission), the environment's team's admins or, for
// the whole instance, instance admins.
func (s *core) authorizeFreeze(ctx context.Context, appName, team, env string) (*schema.App, *schema.Team, *Actor, error) {
	if appName != "" {
		if env != "" {
			return nil, nil, nil, &ValidationError{Fields: map[string]string{"environment": "give an app or an environment, not both"}}
		}
		app, a, err := s.authorizeApp(ctx, appName, release.PermPolicy)
		return app, nil, a, err
	}
	a, err := actor(ctx)
	if err != nil {
		return nil, nil, nil, err
	}
	if env != "" {
		if team == "" {
			ids := a.TeamIDs()
			if len(ids) != 1 {
				return nil, nil, a, &ValidationError{Fields: map[string]string{"team": "say which team's environment " + env + " (--team)"}}
			}
			team = ids[0]
		}
		t, a, err := s.authorizeTeam(ctx, team, release.PermPolicy)
		if err != nil {
			return nil, nil, a, err
		}
		if _, err := s.store.GetEnvironment(ctx, t.ID, env); errors.Is(err, schema.ErrNotFound) {
			return nil, nil, a, &ValidationError{Fields: map[string]string{"environment": "team " + t.Name + " has no environment " + env}}
		} else if err != nil {
			return nil, nil, a, err
		}
		return nil, t, a, nil
	}
	if !a.InstanceAdmin || a.TokenRole != "" {
		return nil, nil, a, errorf(KindForbidden, "freezing the whole instance needs an instance admin; pass an app or an environment to freeze one")
	}
	return nil, nil, a, nil
}

// CreateFreeze adds a freeze window.
func (s *Policies) CreateFreeze(ctx context.Context, in FreezeInput) (*FreezeView, error) {
	app, team, a, err := s.authorizeFreeze(ctx, strings.TrimSpace(in.App), strings.TrimSpace(in.Team), strings.TrimSpace(in.Environment))
	if err != nil {
		return nil, err
	}
	f := fieldErrors{}
	w := &schema.FreezeWindow{ID: ids.New(), Reason: strings.TrimSpace(in.Reason), Policy: in.Policy, BlockRollbacks: in.BlockRollbacks, CreatedBy: a.Who()}
	if app != nil {
		w.AppID, w.TeamID = app.ID, app.TeamID
	}
	if team != nil {
		w.TeamID, w.Environment = team.ID, strings.TrimSpace(in.Environment)
	}
	if w.Policy == "" {
		w.Policy = release.FreezeWait
	}
	if w.Policy != release.FreezeWait && w.Policy != release.FreezeReject {
		f.add("policy", "must be wait or reject")
	}
	if w.Reason == "" || len(w.Reason) > 500 {
		f.add("reason", "is required (at most 500 characters)")
	}
	switch {
	case in.Cron != "":
		if in.From != nil || in.Until != nil {
			f.add("cron", "give a cron schedule or from/until, not both")
		}
		w.Cron, w.TZ = strings.TrimSpace(in.Cron), strings.TrimSpace(in.TZ)
		if w.TZ == "" {
			w.TZ = "UTC"
		}
		if _, _, err := release.ParseCron(w.Cron, w.TZ); err != nil {
			f.add("cron", "%v", err)
		}
		if in.Duration == nil || in.Duration.D() < time.Minute || in.Duration.D() > 30*24*time.Hour {
			f.add("duration", "must be between 1m and 720h")
		} else {
			w.Duration = *in.Duration
		}
	case in.From != nil && in.Until != nil:
		from, until := in.From.UTC(), in.Until.UTC()
		if !until.After(from) {
			f.add("until", "must be after from")
		} else if !until.After(time.Now()) {
			f.add("until", "is in the past")
		}
		w.Start, w.End = &from, &until
	default:
		f.add("until", "give from and until, or a cron schedule with a duration")
	}
	if err := f.err(); err != nil {
		return nil, err
	}
	if err := s.store.CreateFreeze(ctx, w); err != nil {
		return nil, err
	}
	appName, teamName := "", ""
	if app != nil {
		appName = app.Name
	}
	if team != nil {
		teamName = team.Name
	}
	v := s.freezeView(*w, appName, teamName, time.Now())
	s.audit(ctx, AuditFreezeCreate, w.TeamID, v.target(), nil, map[string]any{"id": w.ID, "reason": w.Reason, "policy": w.Policy, "cron": w.Cron,
		"duration": w.Duration.D().String(), "tz": w.TZ, "from": w.Start, "until": w.End})
	return &v, nil
}

// target names what the window freezes: an app, team/environment, or
// "instance".
func (v *FreezeView) target() string {
	switch v.Scope {
	case "app":
		return v.App
	case "environment":
		return v.Team + "/" + v.Environment
	}
	return "instance"
}

func (s *core) freezeView(w schema.FreezeWindow, app, team string, now time.Time) FreezeView {
	v := FreezeView{FreezeWindow: freezeWindowOf(&w), Scope: "instance"}
	switch {
	case w.AppID != "":
		v.Scope, v.App = "app", app
	case w.Environment != "":
		v.Scope, v.Team = "environment", team
	}
	rule := w.Rule()
	v.Active, _ = rule.ActiveAt(now)
	v.Upcoming = rule.Occurrences(now, now.Add(CalendarSpan), 31)
	if start, end, ok := rule.NextAfter(now); ok {
		s, e := start.UTC(), end.UTC()
		v.NextStart, v.NextEnd = &s, &e
	}
	return v
}

// ListFreezes returns the instance's windows and those of the apps the
// caller can see, soonest first.
func (s *Policies) ListFreezes(ctx context.Context) ([]FreezeView, error) {
	visible, err := s.visibleAppIDs(ctx)
	if err != nil {
		return nil, err
	}
	ws, err := s.store.ListFreezes(ctx, visible, ActorFrom(ctx).TeamIDs())
	if err != nil {
		return nil, err
	}
	names := map[string]string{}
	apps, err := s.store.ListApps(ctx)
	if err != nil {
		return nil, err
	}
	for _, a := range apps {
		names[a.ID] = a.Name
	}
	teams, err := s.teamNames(ctx)
	if err != nil {
		return nil, err
	}
	now := time.Now()
	out := make([]FreezeView, 0, len(ws))
	for _, w := range ws {
		out = append(out, s.freezeView(w, names[w.AppID], teams[w.TeamID], now))
	}
	sortFreezes(out)
	return out, nil
}

func sortFreezes(vs []FreezeView) {
	key := func(v FreezeView) time.Time {
		if v.NextStart == nil {
			return time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)
		}
		return *v.NextStart
	}
	for i := 1; i < len(vs); i++ {
		for j := i; j > 0 && key(vs[j]).Before(key(vs[j-1])); j-- {
			vs[j], vs[j-1] = vs[j-1], vs[j]
		}
	}
}

// DeleteFreeze removes a window (same permission as creating it).
func (s *Policies) DeleteFreeze(ctx context.Context, id string) error {
	w, err := s.store.GetFreeze(ctx, id)
	if err != nil {
		return err
	}
	appName, teamName := "", ""
	if w.AppID != "" {
		app, err := s.store.GetApp(ctx, w.AppID)
		if err != nil {
			return err
		}
		appName = app.Name
	}
	if w.Environment != "" {
		teamName = w.TeamID
	}
	if _, t, _, err := s.authorizeFreeze(ctx, appName, teamName, w.Environment); err != nil {
		return err
	} else if t != nil {
		teamName = t.Name
	}
	if err := s.store.DeleteFreeze(ctx, id); err != nil {
		return err
	}
	v := s.freezeView(*w, appName, teamName, time.Now())
	s.audit(ctx, AuditFreezeDelete, w.TeamID, v.target(), map[string]any{"id": w.ID, "reason": w.Reason}, nil)
	return nil
}

// InstanceFrozen returns the instance-wide window covering now, if any.
func (s *Policies) InstanceFrozen(ctx context.Context) (*FreezeView, error) {
	ws, err := s.store.ListFreezes(ctx, []string{}, nil)
	if err != nil {
		return nil, err
	}
	now := time.Now()
	if i, ok := release.InstanceFreeze(schema.Rules(ws), now); ok {
		v := s.freezeView(ws[i], "", "", now)
		return &v, nil
	}
	return nil, nil
}

// Override lets a frozen deployment run now (approvers only, with a
// reason).
func (s *Policies) Override(ctx context.Context, id, reason string) (*DeploymentView, error) {
	d, err := s.authorizeDeployment(ctx, id, release.PermApprove)
	if err != nil {
		return nil, err
	}
	if d.Status != release.StatusFrozen {
		return nil, stateErr("deployment %s is %s, not frozen", d.ID, d.Status)
	}
	reason = strings.TrimSpace(reason)
	if reason == "" {
		return nil, &ValidationError{Fields: map[string]string{"reason": "an override needs a reason"}}
	}
	a := ActorFrom(ctx)
	dec := workflows.Decision{ApproverID: a.UserID, Approver: a.Who(), Comment: reason}
	if dec.ApproverID == "" {
		dec.ApproverID = release.AdminTokenApprover
	}
	if err := s.sign(d.ID, workflows.UpdateOverride, &dec); err != nil {
		return nil, err
	}
	if err := s.sendUpdate(ctx, d.WorkflowID, workflows.UpdateOverride, dec, nil, "deployment "+d.ID+" is no longer frozen"); err != nil {
		return nil, err
	}
	if app, err := s.store.GetApp(ctx, d.AppID); err == nil {
		s.audit(ctx, AuditFreezeOverride, app.TeamID, d.ID, nil, map[string]any{"app": d.AppName, "reason": reason})
	}
	return s.all.GetDeployment(ctx, d.ID)
}
