package release

import (
	"fmt"
	"time"

	"github.com/robfig/cron/v3"
)

// FreezePolicy says what a deploy that meets a freeze does: wait for its
// end, or be refused at once.
type FreezePolicy string

// Freeze policies.
const (
	FreezeWait   FreezePolicy = "wait"
	FreezeReject FreezePolicy = "reject"
)

// Scope is what a freeze window (or any other rule) applies to: one app
// (AppID), every app of a team's environment (TeamID and Environment), or,
// with neither, the whole instance.
type Scope struct {
	AppID       string
	TeamID      string
	Environment string
}

// Target is the app a scoped rule is asked about.
type Target struct {
	AppID       string
	TeamID      string
	Environment string
}

// InstanceWide reports whether the scope covers every app.
func (s Scope) InstanceWide() bool { return s.AppID == "" && s.Environment == "" }

// AppliesTo reports whether the scope covers t: it is t's own, its
// environment's (in its team) or the instance's. The store's FreezesFor
// query asks the database the same question.
func (s Scope) AppliesTo(t Target) bool {
	switch {
	case s.AppID != "":
		return s.AppID == t.AppID
	case s.Environment != "":
		return s.TeamID == t.TeamID && s.Environment == t.Environment
	}
	return true
}

// Window stops deploys for a while: once (Start to End) or on a recurring
// schedule (a cron expression in a time zone, each time lasting Duration).
type Window struct {
	ID     string
	Scope  Scope
	Reason string
	// One-off.
	Start, End *time.Time
	// Recurring.
	Cron     string
	Duration time.Duration
	TZ       string
	Policy   FreezePolicy
	// BlockRollbacks makes rollbacks wait too (by default they may run).
	BlockRollbacks bool
}

var cronParser = cron.NewParser(cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow | cron.Descriptor)

// ParseCron checks a recurring schedule and its time zone.
func ParseCron(expr, tz string) (cron.Schedule, *time.Location, error) {
	loc, err := time.LoadLocation(tz)
	if err != nil {
		return nil, nil, fmt.Errorf("time zone %q: %w", tz, err)
	}
	s, err := cronParser.Parse(expr)
	if err != nil {
		return nil, nil, fmt.Errorf("cron %q: %w", expr, err)
	}
	return s, loc, nil
}

// ActiveAt reports whether the window covers t, and until when.
func (w *Window) ActiveAt(t time.Time) (bool, time.Time) {
	if w.Cron == "" {
		if w.Start != nil && w.End != nil && !t.Before(*w.Start) && t.Before(*w.End) {
			return true, *w.End
		}
		return false, time.Time{}
	}
	s, loc, err := ParseCron(w.Cron, w.TZ)
	if err != nil || w.Duration <= 0 {
		return false, time.Time{}
	}
	// The latest start at or before t is the first start after t-Duration
	// (windows of one schedule do not overlap).
	start := s.Next(t.In(loc).Add(-w.Duration - time.Second))
	if !start.After(t) {
		if end := start.Add(w.Duration); t.Before(end) {
			return true, end
		}
	}
	return false, time.Time{}
}

// NextAfter returns the window's next start and end after t (the current
// one if it is active at t); ok is false when it has none.
func (w *Window) NextAfter(t time.Time) (start, end time.Time, ok bool) {
	if active, until := w.ActiveAt(t); active {
		if w.Cron == "" {
			return *w.Start, until, true
		}
		return until.Add(-w.Duration), until, true
	}
	if w.Cron == "" {
		if w.Start != nil && w.End != nil && w.Start.After(t) {
			return *w.Start, *w.End, true
		}
		return time.Time{}, time.Time{}, false
	}
	s, loc, err := ParseCron(w.Cron, w.TZ)
	if err != nil {
		return time.Time{}, time.Time{}, false
	}
	start = s.Next(t.In(loc))
	return start, start.Add(w.Duration), !start.IsZero()
}

// Occurrence is one time a freeze window is in force.
type Occurrence struct {
	Start time.Time `json:"start"`
	End   time.Time `json:"end"`
}

// Occurrences lists the window's times that overlap [from, to), at most
// limit of them, in order: the current one first if it is active at from.
func (w *Window) Occurrences(from, to time.Time, limit int) []Occurrence {
	var out []Occurrence
	t := from
	for len(out) < limit {
		start, end, ok := w.NextAfter(t)
		if !ok || !start.Before(to) {
			break
		}
		out = append(out, Occurrence{Start: start, End: end})
		if w.Cron == "" || !end.After(t) {
			break
		}
		t = end
	}
	return out
}

// FreezeVerdict says whether a freeze window holds a deployment now, until
// when, why, which window, and whether the deployment waits or is refused.
type FreezeVerdict struct {
	Active   bool
	Until    time.Time
	Reason   string
	Policy   FreezePolicy
	WindowID string
}

// EvaluateFreeze is the freeze gate's rule: of the windows that apply to
// a deployment (its app's, its environment's, the instance's), those
// active at now hold it; rollbacks pass windows that do not block them. A
// refusing window wins over a waiting one; among windows of one policy,
// the latest end wins.
func EvaluateFreeze(ws []Window, kind Kind, now time.Time) FreezeVerdict {
	var v FreezeVerdict
	for i := range ws {
		w := &ws[i]
		if kind == KindRollback && !w.BlockRollbacks {
			continue
		}
		on, until := w.ActiveAt(now)
		if !on {
			continue
		}
		switch {
		case !v.Active, w.Policy == FreezeReject && v.Policy != FreezeReject,
			w.Policy == v.Policy && until.After(v.Until):
			v = FreezeVerdict{Active: true, Until: until.UTC(), Reason: w.Reason, Policy: w.Policy, WindowID: w.ID}
		}
	}
	return v
}

// FrozenUntil finds, among ws, the window that applies to t and covers now
// with the latest end, whatever its policy: what the app list shows as
// "frozen until" (deploys may pass it with an override, rollbacks often
// may). It returns nil when none covers now.
func FrozenUntil(ws []Window, t Target, now time.Time) (*time.Time, string) {
	var until *time.Time
	reason := ""
	for i := range ws {
		w := &ws[i]
		if !w.Scope.AppliesTo(t) {
			continue
		}
		if on, end := w.ActiveAt(now); on && (until == nil || end.After(*until)) {
			e := end.UTC()
			until, reason = &e, w.Reason
		}
	}
	return until, reason
}

// InstanceFreeze returns the index of the first instance-wide window among
// ws active at now; ok is false when there is none.
func InstanceFreeze(ws []Window, now time.Time) (i int, ok bool) {
	for i := range ws {
		if on, _ := ws[i].ActiveAt(now); on && ws[i].Scope.InstanceWide() {
			return i, true
		}
	}
	return -1, false
}
