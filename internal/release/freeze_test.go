package release

import (
	"testing"
	"time"
)

func TestFreezeWindows(t *testing.T) {
	t.Parallel()
	at := func(s string) time.Time {
		v, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	start, end := at("2026-12-24T00:00:00Z"), at("2026-12-27T00:00:00Z")
	once := Window{Start: &start, End: &end}
	if ok, _ := once.ActiveAt(at("2026-12-23T23:59:59Z")); ok {
		t.Error("active before its start")
	}
	if ok, until := once.ActiveAt(at("2026-12-25T12:00:00Z")); !ok || !until.Equal(end) {
		t.Errorf("during: %v %s", ok, until)
	}
	if ok, _ := once.ActiveAt(end); ok {
		t.Error("active at its end")
	}
	// Every Friday 18:00 in Berlin, for the weekend (62 h).
	weekly := Window{Cron: "0 18 * * FRI", Duration: 62 * time.Hour, TZ: "Europe/Berlin"}
	for _, tc := range []struct {
		t     string
		on    bool
		until string
	}{
		{"2026-12-04T16:59:00Z", false, ""},                    // Fri 17:59 Berlin
		{"2026-12-04T17:00:00Z", true, "2026-12-07T07:00:00Z"}, // Fri 18:00 Berlin
		{"2026-12-06T23:00:00Z", true, "2026-12-07T07:00:00Z"}, // Sunday night
		{"2026-12-07T07:00:00Z", false, ""},                    // Mon 08:00 Berlin
		{"2026-12-09T12:00:00Z", false, ""},                    // Wednesday
	} {
		on, until := weekly.ActiveAt(at(tc.t))
		if on != tc.on || (on && !until.Equal(at(tc.until))) {
			t.Errorf("%s: %v until %s, want %v until %s", tc.t, on, until.UTC(), tc.on, tc.until)
		}
	}
	s, e, ok := weekly.NextAfter(at("2026-12-09T12:00:00Z"))
	if !ok || !s.Equal(at("2026-12-11T17:00:00Z")) || !e.Equal(at("2026-12-14T07:00:00Z")) {
		t.Errorf("next: %s – %s", s.UTC(), e.UTC())
	}
	if _, _, err := ParseCron("not cron", "UTC"); err == nil {
		t.Error("a bad cron parsed")
	}
	if _, _, err := ParseCron("0 18 * * FRI", "Mars/Olympus"); err == nil {
		t.Error("a bad time zone parsed")
	}
}

func TestFreezeOccurrences(t *testing.T) {
	t.Parallel()
	at := func(s string) time.Time {
		v, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	// Nightly 01:00–03:00 UTC; from 02:00 on the 1st, for three days.
	nightly := Window{Cron: "0 1 * * *", Duration: 2 * time.Hour, TZ: "UTC"}
	got := nightly.Occurrences(at("2026-12-01T02:00:00Z"), at("2026-12-04T02:00:00Z"), 10)
	want := []string{"2026-12-01T01:00:00Z", "2026-12-02T01:00:00Z", "2026-12-03T01:00:00Z", "2026-12-04T01:00:00Z"}
	if len(got) != len(want) {
		t.Fatalf("occurrences %v", got)
	}
	for i, o := range got {
		if !o.Start.Equal(at(want[i])) || o.End.Sub(o.Start) != 2*time.Hour {
			t.Errorf("occurrence %d: %v – %v, want start %s", i, o.Start, o.End, want[i])
		}
	}
	if got := nightly.Occurrences(at("2026-12-01T04:00:00Z"), at("2026-12-31T00:00:00Z"), 3); len(got) != 3 {
		t.Errorf("the limit: %d occurrences", len(got))
	}
	start, end := at("2026-12-24T00:00:00Z"), at("2026-12-27T00:00:00Z")
	once := Window{Start: &start, End: &end}
	if got := once.Occurrences(at("2026-12-01T00:00:00Z"), at("2027-01-01T00:00:00Z"), 10); len(got) != 1 || !got[0].Start.Equal(start) {
		t.Errorf("one-off: %v", got)
	}
	if got := once.Occurrences(at("2026-12-01T00:00:00Z"), at("2026-12-20T00:00:00Z"), 10); len(got) != 0 {
		t.Errorf("one-off beyond the range: %v", got)
	}
	if got := once.Occurrences(at("2026-12-28T00:00:00Z"), at("2027-01-20T00:00:00Z"), 10); len(got) != 0 {
		t.Errorf("one-off in the past: %v", got)
	}
}

func TestEvaluateFreeze(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 12, 10, 12, 0, 0, 0, time.UTC)
	win := func(id string, policy FreezePolicy, from, to time.Duration, rollbacks bool) Window {
		s, e := now.Add(from), now.Add(to)
		return Window{ID: id, Reason: "r-" + id, Start: &s, End: &e, Policy: policy, BlockRollbacks: rollbacks}
	}
	h := time.Hour
	for _, tc := range []struct {
		name string
		ws   []Window
		kind Kind
		want string // window ID, "" for none
	}{
		{"none", nil, KindDeploy, ""},
		{"past and future windows", []Window{win("past", FreezeWait, -3*h, -h, true), win("future", FreezeWait, h, 2*h, true)}, KindDeploy, ""},
		{"one waiting", []Window{win("w", FreezeWait, -h, h, false)}, KindDeploy, "w"},
		{"the latest end among waiting ones", []Window{win("short", FreezeWait, -h, h, false), win("long", FreezeWait, -h, 5*h, false)}, KindDeploy, "long"},
		{"a refusal wins over a longer wait", []Window{win("long", FreezeWait, -h, 5*h, false), win("no", FreezeReject, -h, h, false)}, KindDeploy, "no"},
		{"the latest end among refusals", []Window{win("no1", FreezeReject, -h, h, false), win("no2", FreezeReject, -h, 2*h, false)}, KindDeploy, "no2"},
		{"rollbacks pass windows that let them", []Window{win("w", FreezeWait, -h, h, false)}, KindRollback, ""},
		{"rollbacks meet windows that block them", []Window{win("w", FreezeWait, -h, h, false), win("all", FreezeWait, -h, h, true)}, KindRollback, "all"},
		{"the end is exclusive", []Window{win("w", FreezeWait, -h, 0, false)}, KindDeploy, ""},
	} {
		v := EvaluateFreeze(tc.ws, tc.kind, now)
		if v.WindowID != tc.want || v.Active != (tc.want != "") {
			t.Errorf("%s: %+v, want window %q", tc.name, v, tc.want)
			continue
		}
		if v.Active && (v.Reason != "r-"+tc.want || v.Until.Location() != time.UTC) {
			t.Errorf("%s: %+v", tc.name, v)
		}
	}
}

func TestScopesAndFrozenUntil(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 12, 10, 12, 0, 0, 0, time.UTC)
	app := Target{AppID: "a1", TeamID: "t1", Environment: "production"}
	for _, tc := range []struct {
		scope Scope
		want  bool
	}{
		{Scope{}, true},
		{Scope{AppID: "a1", TeamID: "t1"}, true},
		{Scope{AppID: "a2", TeamID: "t1"}, false},
		{Scope{TeamID: "t1", Environment: "production"}, true},
		{Scope{TeamID: "t1", Environment: "staging"}, false},
		{Scope{TeamID: "t2", Environment: "production"}, false}, // another team's production
	} {
		if got := tc.scope.AppliesTo(app); got != tc.want {
			t.Errorf("%+v applies: %v, want %v", tc.scope, got, tc.want)
		}
	}
	s, e1, e2 := now.Add(-time.Hour), now.Add(time.Hour), now.Add(3*time.Hour)
	ws := []Window{
		{ID: "mine", Scope: Scope{AppID: "a1"}, Reason: "mine", Start: &s, End: &e1, Policy: FreezeReject},
		{ID: "theirs", Scope: Scope{TeamID: "t2", Environment: "production"}, Reason: "theirs", Start: &s, End: &e2},
		{ID: "env", Scope: Scope{TeamID: "t1", Environment: "production"}, Reason: "launch", Start: &s, End: &e2, Policy: FreezeWait},
	}
	until, reason := FrozenUntil(ws, app, now)
	if until == nil || !until.Equal(e2) || reason != "launch" {
		t.Errorf("frozen until %v (%q), want the environment's window", until, reason)
	}
	if until, _ := FrozenUntil(ws, Target{AppID: "a9", TeamID: "t9"}, now); until != nil {
		t.Errorf("an app no window applies to is frozen until %v", until)
	}
	if i, ok := InstanceFreeze(ws, now); ok {
		t.Errorf("instance freeze %v among scoped windows", ws[i].ID)
	}
	ws = append(ws, Window{ID: "all", Start: &s, End: &e1})
	if i, ok := InstanceFreeze(ws, now); !ok || ws[i].ID != "all" {
		t.Errorf("instance freeze %d %v", i, ok)
	}
	if i, ok := InstanceFreeze(ws, e1); ok {
		t.Errorf("instance freeze at its end: %v", ws[i].ID)
	}
}
